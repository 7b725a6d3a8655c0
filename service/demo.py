"""Demo data: two PPRs, their people and a year of cases, loaded into an empty store.

Every case is played through the real command side (``K2K``), step by step, by the actor whose job
the step is, under a simulated clock: the events' ``occurred_at`` and recorded timestamps are the
simulated moments, so the log reads like a year of real use and every read model, metric and
Merkle checkpoint is computed from it exactly as from live traffic. Steps of all cases are replayed
in time order, so the global notification log is in the order things happened.

The same ``seed`` and ``now`` always give the same cases (ids included) and steps; tokens are new
secrets on every load.
"""

from __future__ import annotations

import heapq
import logging
import math
import random
import string
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from uuid import UUID

from domain import clock
from domain.actors import Actor, Role
from domain.application import K2K
from domain.case import Channel, Location, Party, Status
from domain.clock import MALAYSIA
from domain.errors import DomainError
from service.demo_data import (
    ACK_NOTES,
    CATEGORIES,
    CHANNEL_WEIGHTS,
    COMMITTEE_COMMENTS,
    COMMITTEE_NOTES,
    CONFIRM_COMMENTS_GOOD,
    CONFIRM_COMMENTS_POOR,
    DISPUTE_REASONS,
    DUPLICATE_COMMENT,
    MANAGEMENT_NOTES,
    NFA_GENERIC,
    NFA_REASONS,
    PPRS,
    REPORT_HOURS,
    REPORT_TAILS,
    RESIDENT_CHANNELS,
    RESIDENT_COMMENTS,
    RESPONSES_EN,
    RESPONSES_MS,
    THANKS_COMMENTS,
    UNIT,
    WITHDRAW_REASONS,
    CategorySpec,
    PprSpec,
    Scenario,
)
from service.demo_governance import CaseRef, GovernancePlan, plan_governance
from service.demo_surveys import load_surveys
from service.runtime import Runtime
from service.tokens.store import ALL_PPRS, issue_token

log = logging.getLogger(__name__)

#: Categories whose cases the committee may make a community priority.
PRIORITY_PRONE = frozenset({"LIF", "AIR", "KESELAMATAN", "SAMPAH"})
PRIORITY_REASONS = (
    "Diputuskan dalam mesyuarat jawatankuasa bulanan: menjejaskan seluruh blok.",
    "Petisyen 40 penduduk diterima; keutamaan jawatankuasa.",
    "Warga emas dan OKU terjejas; dibawa ke mesyuarat bersama pengurusan.",
    "Agreed at the residents' AGM as a top priority for this quarter.",
)

#: Cases are spread over this many days before ``now``.
HISTORY_DAYS = 365
#: The PPRs are set up this long before the first case can be reported.
SETUP_LEAD = timedelta(days=HISTORY_DAYS + 14)
#: Residents per PPR who act in the demo (only the first one gets a token).
RESIDENTS_PER_PPR = 40
#: The auto-closer sweeps this often (``Settings.autoclose_interval``), so closes lag the window.
AUTOCLOSE_SWEEP = timedelta(minutes=5)
#: Durations are capped at this multiple of their median so one unlucky draw stays plausible.
TAIL_CAP = 5.0


class StoreNotEmpty(RuntimeError):
    """Demo data is only ever loaded into an empty event store."""


# -- fates --------------------------------------------------------------------------------------

FIX = "fix"
NFA = "no_further_action"
DUPLICATE = "duplicate"
WITHDRAWN = "withdrawn"

#: What eventually happens to a report, before the clock cuts it off. A few are left stalled at a
#: step by management: old open cases are what backlog-age and SLA-breach metrics exist to show.
FATES: tuple[tuple[str, Status | None, float], ...] = (
    (FIX, None, 0.785),
    (NFA, None, 0.06),
    (DUPLICATE, None, 0.05),
    (WITHDRAWN, None, 0.04),
    (FIX, Status.REPORTED, 0.01),
    (FIX, Status.ACKNOWLEDGED, 0.02),
    (FIX, Status.IN_PROGRESS, 0.035),
)

#: Open states forced on the newest cases (and terminal outcomes on older ones) so that every
#: state appears even in a small demo.
FORCED_OPEN: tuple[Status, ...] = (
    Status.REPORTED,
    Status.ACKNOWLEDGED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
    Status.REOPENED,
)
CONFIRMED = "confirmed"
AUTO_CLOSED = "auto_closed"
FORCED_OUTCOMES: tuple[str, ...] = (CONFIRMED, AUTO_CLOSED, NFA, WITHDRAWN, DUPLICATE)


# -- people -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cast:
    """The principals acting in one PPR."""

    ppr: PprSpec
    committee: Actor
    management: Actor
    residents: tuple[Actor, ...]
    activity: tuple[float, ...]  # how often each resident reports (a few are very active)


def _cast(spec: PprSpec) -> Cast:
    prefix = spec.code.lower()
    residents = tuple(
        Actor(f"resident-{prefix}-{n:03d}", Role.RESIDENT) for n in range(1, RESIDENTS_PER_PPR + 1)
    )
    return Cast(
        ppr=spec,
        committee=Actor(f"committee-{prefix}", Role.COMMITTEE),
        management=Actor(f"management-{prefix}", Role.MANAGEMENT),
        residents=residents,
        activity=tuple(1.0 / (rank + 1) ** 0.8 for rank in range(len(residents))),
    )


ADMIN = Actor("admin", Role.ADMIN)
AUDITOR = Actor("auditor", Role.AUDITOR)
INTEGRATION = Actor("integration-open311", Role.INTEGRATION)
SYSTEM = Actor.system()


# -- time -------------------------------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    return moment.astimezone(MALAYSIA)


def office_time(moment: datetime, rng: random.Random) -> datetime:
    """The moment, or the start of the next office period (Mon-Fri 08:30-17:30 Malaysia time) plus a bit."""
    local = _local(moment)
    opens = local.replace(hour=8, minute=30, second=0, microsecond=0)
    closes = local.replace(hour=17, minute=30, second=0, microsecond=0)
    if local.weekday() < 5 and opens <= local < closes:
        return moment
    day = opens if local < opens else opens + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return (day + timedelta(minutes=rng.uniform(0, 150))).astimezone(UTC)


def waking_time(moment: datetime, rng: random.Random) -> datetime:
    """The moment, or the next morning (07:00-10:00 Malaysia time) if residents would be asleep."""
    local = _local(moment)
    if 7 <= local.hour < 23:
        return moment
    morning = local.replace(hour=7, minute=0, second=0, microsecond=0)
    if local.hour >= 23:
        morning += timedelta(days=1)
    return (morning + timedelta(minutes=rng.uniform(0, 180))).astimezone(UTC)


def _lognormal(rng: random.Random, median: float, sigma: float = 0.8) -> float:
    return min(rng.lognormvariate(math.log(median), sigma), median * TAIL_CAP)


def _hours(value: float) -> timedelta:
    return timedelta(hours=value)


def _poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


# -- texts ------------------------------------------------------------------------------------


def _fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _fill(rng: random.Random, templates: Sequence[str], values: dict[str, str]) -> str:
    # A template naming a unit is only used when the place is a unit.
    fitting = [each for each in templates if _fields_of(each) <= values.keys()]
    return rng.choice(fitting).format(**values)


def _commitment_text(when: date) -> str:
    return when.strftime("%d/%m/%Y")


# -- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    """What a case is about and where: the scenario, the location and the words' placeholders."""

    scenario: Scenario
    location: Location
    values: dict[str, str]


@dataclass
class CasePlan:
    """One case's steps, planned ahead and replayed later in global time order."""

    index: int
    cast: Cast
    category: CategorySpec
    reporter: Actor
    reported_at: datetime
    private: bool
    story: Story
    steps: list[tuple[datetime, str, Callable[[], object]]] = field(default_factory=list)
    open_until: datetime | None = None  # when it reached an outcome (None: still open)
    is_duplicate: bool = False
    supporters: set[str] = field(default_factory=set)
    case_id: UUID | None = None  # chosen when planned, so the same seed gives the same ids

    @property
    def id(self) -> UUID:
        """The case's id."""
        assert self.case_id is not None, "every planned case has an id"
        return self.case_id

    def add(self, at: datetime, label: str, run: Callable[[], object]) -> None:
        """Schedule a step of this case."""
        self.steps.append((at, label, run))

    def act(self, at: datetime, label: str, command: Callable[[UUID], object]) -> None:
        """Schedule a command on this case; it gets the case's id when it runs."""
        self.add(at, label, lambda: command(self.id))

    def shift(self, delta: timedelta) -> None:
        """Move the whole case earlier or later (whole weeks keep office hours valid)."""
        self.steps = [(at + delta, label, run) for at, label, run in self.steps]
        self.reported_at += delta
        if self.open_until is not None:
            self.open_until += delta


class Planner:
    """Plans every case of the demo against the command side; nothing is written while planning."""

    def __init__(self, app: K2K, rng: random.Random, now: datetime) -> None:
        self.app = app
        self.rng = rng
        self.now = now
        self.casts = [_cast(spec) for spec in PPRS]
        self.plans: list[CasePlan] = []

    # -- choosing --

    def _pick_fate(self) -> tuple[str, Status | None]:
        fates = [(fate, stop) for fate, stop, _ in FATES]
        weights = [weight for _, _, weight in FATES]
        return self.rng.choices(fates, weights)[0]

    def _report_times(self, count: int) -> list[datetime]:
        # Reports grow over the year as more residents adopt the app: density rises linearly
        # from 0.6 to 1.4 of the average, sampled by inverting its cumulative distribution.
        times = []
        for _ in range(count):
            u = self.rng.random()
            x = (-0.6 + math.sqrt(0.36 + 1.6 * u)) / 0.8
            day = _local(self.now - timedelta(days=HISTORY_DAYS * (1 - x))).date()
            hour = self.rng.choices(range(24), REPORT_HOURS)[0]
            local = datetime(day.year, day.month, day.day, hour, tzinfo=MALAYSIA) + timedelta(
                minutes=self.rng.uniform(0, 60)
            )
            moment = local.astimezone(UTC)
            earlier = self.now - timedelta(minutes=self.rng.uniform(10, 360))
            times.append(min(moment, earlier) if moment >= self.now else moment)
        return sorted(times)

    def _story(self, cast: Cast, category: CategorySpec) -> Story:
        rng = self.rng
        scenario = rng.choice(category.scenarios)
        block_index = rng.randrange(len(cast.ppr.blocks))
        block = "ABCDEF"[block_index]
        floors = cast.ppr.blocks[block_index]
        place = rng.choice(scenario.places)
        # A leaking roof is felt on the top floor; everything else can happen on any floor.
        floor = floors if category.code == "BUMBUNG" and place == UNIT else rng.randint(1, floors)
        values = {"block": block, "floor": str(floor), "lift": str(rng.randint(1, 2))}
        if place == UNIT:
            unit = f"{block}-{floor:02d}-{rng.randint(1, cast.ppr.units_per_floor):02d}"
            values |= {"unit": unit, "area": f"unit {unit}"}
            return Story(scenario, Location(block=block, floor=str(floor), unit=unit), values)
        values["area"] = place.format(**values)
        texts = scenario.titles_ms + scenario.titles_en + scenario.descriptions_ms
        names_floor = "{floor}" in place or any("{floor}" in each for each in texts)
        location = Location(
            block=block, floor=str(floor) if names_floor else None, common_area=values["area"]
        )
        return Story(scenario, location, values)

    def _words(self, story: Story) -> tuple[str, str]:
        rng, scenario = self.rng, story.scenario
        language = rng.choices(("ms", "en", "mixed"), (0.65, 0.25, 0.10))[0]
        titles = scenario.titles_en if language == "en" else scenario.titles_ms
        descriptions = scenario.descriptions_ms if language == "ms" else scenario.descriptions_en
        title = _fill(rng, titles, story.values)
        description = _fill(rng, descriptions, story.values)
        if rng.random() < 0.4:
            description += " " + rng.choice(REPORT_TAILS)
        return title, description

    def _reporter(self, cast: Cast, channel: Channel) -> Actor:
        if channel in RESIDENT_CHANNELS:
            return self.rng.choices(cast.residents, cast.activity)[0]
        if channel in (Channel.PAPER, Channel.MEETING):
            return cast.committee
        if channel is Channel.PHONE:
            return cast.management
        return INTEGRATION

    # -- planning --

    def plan(self, count: int) -> list[CasePlan]:
        """Plan ``count`` cases; the newest and a few older ones get a forced fate (``FORCED_*``)."""
        times = self._report_times(count)
        forced: dict[int, tuple[str, Status | None]] = {}
        newest = list(range(count - 1, -1, -1))[: len(FORCED_OPEN)]
        for index, open_state in zip(newest, FORCED_OPEN, strict=False):
            forced[index] = (FIX, open_state)
        older = count - len(newest)
        for k, outcome in enumerate(FORCED_OUTCOMES):
            index = max(1, (k + 1) * older // (len(FORCED_OUTCOMES) + 1))
            if index < older and index not in forced:
                forced[index] = (outcome, None)
        # Each case draws from its own generator, so a different ``now`` (which moves steps in and
        # out of office hours) changes the cases it touches, not every case after them.
        master = self.rng
        seeds = [master.getrandbits(64) for _ in times]
        for index, reported_at in enumerate(times):
            self.rng = random.Random(seeds[index])
            fate, stop = forced.get(index) or self._pick_fate()
            self.plans.append(self._plan_case(index, reported_at, fate, stop, index in forced))
        self.rng = master
        return self.plans

    def _plan_case(
        self, index: int, reported_at: datetime, fate: str, stop: Status | None, forced: bool
    ) -> CasePlan:
        rng = self.rng
        case_id = UUID(int=rng.getrandbits(128), version=4)
        original: CasePlan | None = None
        if fate == DUPLICATE:
            original = self._original_for(reported_at)
            if original is None:
                fate = FIX
        if original is not None:
            cast, category = original.cast, original.category
        else:
            cast = rng.choice(self.casts)
            category = rng.choices(CATEGORIES, [each.weight for each in CATEGORIES])[0]
        channel = rng.choices(
            [channel for channel, _ in CHANNEL_WEIGHTS], [weight for _, weight in CHANNEL_WEIGHTS]
        )[0]
        if fate == WITHDRAWN and forced:
            channel = Channel.APP
        reporter = self._reporter(cast, channel)
        if fate == WITHDRAWN and reporter.role is not Role.RESIDENT and reporter != cast.committee:
            fate = NFA  # only the reporter withdraws; a logged phone call is closed by the office
        # A duplicate tells the original's story again, in the second reporter's own words.
        story = original.story if original is not None else self._story(cast, category)
        title, description = self._words(story)
        location = story.location
        is_resident = reporter.role is Role.RESIDENT
        private = rng.random() < category.private
        anonymous = is_resident and rng.random() < category.anonymous
        plan = CasePlan(
            index=index,
            cast=cast,
            category=category,
            reporter=reporter,
            reported_at=reported_at,
            private=private,
            story=story,
            is_duplicate=original is not None,
            case_id=case_id,
        )
        app = self.app

        def report() -> None:
            app.report_case(
                reporter,
                ppr_code=cast.ppr.code,
                location=location,
                category_code=category.code,
                title=title,
                description=description,
                channel=channel,
                anonymous=anonymous,
                private=private,
                case_id=case_id,
            )

        plan.add(reported_at, "report", report)
        if fate == FIX or fate in (CONFIRMED, AUTO_CLOSED):
            outcome = fate if fate != FIX else None
            self._plan_fix(plan, stop, outcome)
        elif fate == NFA:
            self._plan_no_further_action(plan)
        elif fate == WITHDRAWN:
            self._plan_withdrawal(plan)
        elif original is not None:
            self._plan_duplicate(plan, original)
        if forced and stop is not None:
            self._fit_before_now(plan)
        self._plan_conversation(plan)
        return plan

    def _original_for(self, reported_at: datetime) -> CasePlan | None:
        # The same problem reported again within a fortnight by someone who did not see (or could
        # not find) the first report: the typical duplicate.
        recent = [
            each
            for each in self.plans
            if not each.is_duplicate
            and not each.private
            and reported_at - timedelta(days=14) <= each.reported_at < reported_at
        ]
        candidates = recent or [
            each for each in self.plans if not each.is_duplicate and not each.private
        ]
        return self.rng.choice(candidates) if candidates else None

    def _fit_before_now(self, plan: CasePlan) -> None:
        # A forced open state is reached within the last week before now (a claimed fix older
        # than the dispute window would have been auto-closed); the case moves by whole weeks so
        # its office-hour pattern stays intact.
        last = plan.steps[-1][0]
        weeks = math.ceil((last - self.now) / timedelta(weeks=1))
        plan.shift(-timedelta(weeks=weeks))

    # -- lifecycles --

    def _worker_time(self, plan: CasePlan, moment: datetime) -> datetime:
        if plan.category.urgent:
            return waking_time(moment, self.rng)
        return office_time(moment, self.rng)

    def _acknowledge(self, plan: CasePlan, after: datetime) -> datetime:
        rng, app, management = self.rng, self.app, plan.cast.management
        at = self._worker_time(plan, after + _hours(_lognormal(rng, plan.category.ack_hours, 0.9)))
        note = rng.choice(ACK_NOTES) if rng.random() < 0.5 else None
        plan.act(at, "acknowledge", partial(app.acknowledge_case, management, note=note))
        return at

    def _respond(self, plan: CasePlan, after: datetime, fix_at: datetime) -> datetime:
        rng, app, management = self.rng, self.app, plan.cast.management
        at = office_time(after + _hours(_lognormal(rng, 6, 1.0)), rng)
        # The commitment is the office's own estimate: usually near the real fix, sometimes
        # optimistic (which is what the broken-promise metrics exist to show).
        lead = (fix_at - at) * rng.uniform(0.5, 1.0)
        english = rng.random() < 0.3
        template = rng.choice(RESPONSES_EN if english else RESPONSES_MS)
        work = plan.category.work_en if english else plan.category.work_ms

        def respond(case_id: UUID) -> None:
            # Dated when the step runs (a forced case may have been moved by whole weeks).
            today = clock.now()
            committed = max(_local(today + lead).date(), _local(today).date() + timedelta(days=1))
            message = template.format(work=work, date=_commitment_text(committed))
            app.respond_to_case(management, case_id, message=message, commitment_date=committed)

        plan.act(at, "respond", respond)
        return at

    def _assign(self, plan: CasePlan, after: datetime) -> tuple[datetime, Actor]:
        rng, app, cast = self.rng, self.app, plan.cast
        category = plan.category
        to, assignee = rng.choice(category.assignees)
        # The committee takes on what it can do itself (patrols, awareness); otherwise management
        # hands the work to a contractor and stays answerable for it.
        actor = cast.committee if to is Party.COMMITTEE else cast.management
        at = office_time(after + _hours(_lognormal(rng, 10, 1.0)), rng)
        note = f"Diserahkan kepada {assignee}." if rng.random() < 0.6 else None
        plan.act(at, "assign", partial(app.assign_case, actor, to=to, assignee=assignee, note=note))
        return at, actor

    def _resolve(self, plan: CasePlan, at: datetime, worker: Actor) -> None:
        note = self.rng.choice(plan.story.scenario.fixes).format(**plan.story.values)
        app = self.app
        plan.act(at, "resolve", partial(app.resolve_case, worker, note=note))

    def _resident_side(self, plan: CasePlan) -> Actor:
        # A fix is confirmed or disputed by the reporter; when the report was logged by the office
        # or an outside system, the committee records the resident's answer for them.
        if plan.reporter.role in (Role.RESIDENT, Role.COMMITTEE):
            if plan.reporter.role is Role.RESIDENT and self.rng.random() < 0.1:
                return plan.cast.committee  # told a committee member in person
            return plan.reporter
        return plan.cast.committee

    def _plan_fix(self, plan: CasePlan, stop: Status | None, outcome: str | None) -> None:
        """Acknowledge, work and claim the fix, then the resident's answer (unless stopped)."""
        resolved = self._plan_work(plan, stop)
        if resolved is not None and stop is not Status.RESOLVED:
            self._plan_answers(plan, *resolved, stop, outcome)

    def _plan_work(self, plan: CasePlan, stop: Status | None) -> tuple[datetime, Actor] | None:
        """Management's part up to the claimed fix; returns when and by whom it was claimed."""
        rng, app, cast = self.rng, self.app, plan.cast
        if stop is Status.REPORTED:
            return None
        t = self._acknowledge(plan, plan.reported_at)
        if stop is Status.ACKNOWLEDGED:
            return None
        fix_at = plan.reported_at + timedelta(days=_lognormal(rng, plan.category.fix_days, 0.7))
        worker = cast.management
        if rng.random() < 0.7 or stop is Status.IN_PROGRESS:
            t = self._respond(plan, t, max(fix_at, t + timedelta(days=1)))
        if rng.random() < 0.55:
            t, assigner = self._assign(plan, t)
            if assigner is cast.committee:
                worker = cast.committee
        if rng.random() < 0.3:
            note = rng.choice(MANAGEMENT_NOTES)
            at = office_time(t + _hours(_lognormal(rng, 20, 1.0)), rng)
            management = cast.management
            plan.act(at, "note", partial(app.comment_on_case, management, text=note, internal=True))
            t = at
        if stop is Status.IN_PROGRESS:
            return None
        t = office_time(max(fix_at, t + _hours(rng.uniform(2, 48))), rng)
        self._resolve(plan, t, worker)
        return t, worker

    def _answer(self, round_: int, stop: Status | None, outcome: str | None) -> str:
        if outcome == CONFIRMED:
            return "confirm"
        if outcome == AUTO_CLOSED:
            return "silent"
        if stop is Status.REOPENED and round_ == 0:
            return "dispute"
        if round_ == 2:
            return "silent"  # a third fix is left to the dispute window
        weights = (0.5, 0.36, 0.14) if round_ == 0 else (0.55, 0.4, 0.05)
        return self.rng.choices(("confirm", "silent", "dispute"), weights)[0]

    def _plan_answers(
        self,
        plan: CasePlan,
        t: datetime,
        worker: Actor,
        stop: Status | None,
        outcome: str | None,
    ) -> None:
        """The resident confirms, disputes (and management fixes again) or stays silent."""
        rng, app = self.rng, self.app
        window = timedelta(days=plan.cast.ppr.dispute_window_days)
        on_time = t - plan.reported_at <= _hours(plan.category.sla.resolve_hours)
        for round_ in range(3):
            choice = self._answer(round_, stop, outcome)
            resident_side = self._resident_side(plan)
            if choice == "confirm":
                delay = min(_lognormal(rng, 20, 1.2), window / _hours(1) - 24)
                at = waking_time(t + _hours(max(delay, 1)), rng)
                # Residents rate a fix that took longer than promised lower.
                rating = rng.choices(
                    (1, 2, 3, 4, 5), (3, 7, 20, 35, 35) if on_time else (8, 15, 30, 30, 17)
                )[0]
                comment = rng.choice(
                    CONFIRM_COMMENTS_GOOD if rating >= 4 else CONFIRM_COMMENTS_POOR
                )
                plan.act(
                    at,
                    "confirm",
                    partial(app.confirm_resolution, resident_side, rating=rating, comment=comment),
                )
                plan.open_until = at
                return
            if choice == "silent":
                # Nobody answered within the dispute window: the auto-closer's next sweep closes it.
                at = t + window + AUTOCLOSE_SWEEP * rng.random()
                plan.act(at, "auto-close", partial(app.close_case, SYSTEM))
                plan.open_until = at
                return
            delay = min(_lognormal(rng, 48, 1.0), window / _hours(1) - 12)
            at = min(waking_time(t + _hours(max(delay, 1)), rng), t + window - _hours(2))
            reason = rng.choice(DISPUTE_REASONS)
            plan.act(at, "dispute", partial(app.dispute_resolution, resident_side, reason=reason))
            t = at
            if stop is Status.REOPENED:
                return
            fix_days = max(plan.category.fix_days / 2, 1)
            refix_at = t + timedelta(days=_lognormal(rng, fix_days, 0.7))
            if rng.random() < 0.6:
                t = self._respond(plan, t, refix_at)
            t = office_time(max(refix_at, t + _hours(rng.uniform(2, 24))), rng)
            self._resolve(plan, t, worker)
            on_time = False

    def _plan_no_further_action(self, plan: CasePlan) -> None:
        rng, app, cast = self.rng, self.app, plan.cast
        t = plan.reported_at
        if rng.random() < 0.8:
            t = self._acknowledge(plan, t)
            if rng.random() < 0.4:
                t = self._respond(plan, t, t + timedelta(days=rng.uniform(2, 10)))
        at = office_time(t + timedelta(days=_lognormal(rng, 4, 0.8)), rng)
        reason = rng.choice(NFA_REASONS.get(plan.category.code, ()) + NFA_GENERIC)
        actor = cast.committee if rng.random() < 0.2 else cast.management
        plan.act(
            at, "no further action", partial(app.decide_no_further_action, actor, reason=reason)
        )
        plan.open_until = at

    def _plan_withdrawal(self, plan: CasePlan) -> None:
        rng, app, reporter = self.rng, self.app, plan.reporter
        t = plan.reported_at
        if rng.random() < 0.5:
            t = self._acknowledge(plan, t)
        at = waking_time(t + _hours(_lognormal(rng, 20, 1.0)), rng)
        reason = rng.choice(WITHDRAW_REASONS)
        plan.act(at, "withdraw", partial(app.withdraw_case, reporter, reason=reason))
        plan.open_until = at

    def _plan_duplicate(self, plan: CasePlan, original: CasePlan) -> None:
        rng, app, cast = self.rng, self.app, plan.cast
        t = plan.reported_at
        if rng.random() < 0.3:
            t = self._acknowledge(plan, t)
        actor = cast.committee if rng.random() < 0.4 else cast.management
        at = self._worker_time(plan, t + _hours(_lognormal(rng, 8, 1.0)))
        plan.act(at, "comment", partial(app.comment_on_case, actor, text=DUPLICATE_COMMENT))
        at += timedelta(minutes=rng.uniform(1, 5))
        plan.act(
            at,
            "mark duplicate",
            lambda case_id: app.mark_duplicate(actor, case_id, duplicate_of=original.id),
        )
        plan.open_until = at
        # Pointed to the original, the second reporter adds their "me too" there.
        reporter = plan.reporter
        support_at = waking_time(at + _hours(rng.uniform(0.5, 30)), rng)
        if (
            reporter.role is Role.RESIDENT
            and reporter != original.reporter
            and reporter.principal_id not in original.supporters
            and (original.open_until is None or support_at < original.open_until)
        ):
            original.supporters.add(reporter.principal_id)
            original.act(support_at, "support", partial(app.support_case, reporter))

    def _plan_conversation(self, plan: CasePlan) -> None:
        """Supports, public comments and internal notes around the case's lifecycle."""
        rng, app, cast = self.rng, self.app, plan.cast
        start = plan.reported_at
        open_end = plan.open_until or start + timedelta(days=60)
        span = max(open_end - start, timedelta(hours=1))

        def moment_while_open(scale_hours: float) -> datetime | None:
            at = waking_time(start + _hours(rng.expovariate(1 / scale_hours)), rng)
            if at >= open_end - timedelta(minutes=1) or at <= start:
                return None
            return at

        if not plan.private and not plan.is_duplicate:
            others = [each for each in cast.residents if each != plan.reporter]
            hot = rng.lognormvariate(0, 0.6)  # some breakdowns affect a whole block
            wanted = min(_poisson(rng, plan.category.supports * hot), len(others))
            for supporter in rng.sample(others, wanted):
                at = moment_while_open(min(48, span / _hours(1)))
                if at is None or supporter.principal_id in plan.supporters:
                    continue
                plan.supporters.add(supporter.principal_id)
                plan.act(at, "support", partial(app.support_case, supporter))
            for _ in range(_poisson(rng, 0.8)):
                at = moment_while_open(span / _hours(1) / 2)
                if at is None:
                    continue
                author = rng.choice(others)
                text = rng.choice(RESIDENT_COMMENTS)
                plan.act(at, "comment", partial(app.comment_on_case, author, text=text))
        if plan.is_duplicate:
            return
        if rng.random() < 0.25:
            at = moment_while_open(72)
            if at is not None:
                text = rng.choice(COMMITTEE_COMMENTS)
                committee = cast.committee
                plan.act(at, "comment", partial(app.comment_on_case, committee, text=text))
        if rng.random() < (0.6 if plan.category.code == "KESELAMATAN" else 0.15):
            at = moment_while_open(96)
            if at is not None:
                text = rng.choice(COMMITTEE_NOTES)
                committee = cast.committee
                plan.act(
                    at, "note", partial(app.comment_on_case, committee, text=text, internal=True)
                )
        # Committees table the problems that hit many households: lifts, water, security.
        if plan.category.code in PRIORITY_PRONE and not plan.private and rng.random() < 0.15:
            at = moment_while_open(120)
            if at is not None:
                reason = rng.choice(PRIORITY_REASONS)
                committee = cast.committee
                plan.act(at, "designate", partial(app.designate_priority, committee, reason=reason))
        if plan.open_until is not None and plan.reporter.role is Role.RESIDENT:
            labels = [label for _, label, _ in plan.steps]
            if "confirm" in labels and rng.random() < 0.12:
                at = waking_time(plan.open_until + _hours(rng.uniform(1, 72)), rng)
                text = rng.choice(THANKS_COMMENTS)
                reporter = plan.reporter
                plan.act(at, "comment", partial(app.comment_on_case, reporter, text=text))


# -- loading ----------------------------------------------------------------------------------


def store_is_empty(runtime: Runtime) -> bool:
    """Whether the event store has recorded nothing yet (demo data may only go into such a store)."""
    return not runtime.app.recorder.max_notification_id()


def _set_up_pprs(app: K2K) -> None:
    for spec in PPRS:
        app.register_ppr(ADMIN, spec.code, spec.name, spec.dispute_window_days)
        for index, floors in enumerate(spec.blocks):
            code = "ABCDEF"[index]
            app.add_block(ADMIN, spec.code, code, f"Blok {code}", floors)
        for category in CATEGORIES:
            app.add_category(
                ADMIN, spec.code, category.code, category.name_ms, category.name_en, category.sla
            )


def _issue_tokens(runtime: Runtime, casts: Sequence[Cast]) -> dict[str, str]:
    tokens: dict[str, str] = {}

    def issue(key: str, actor: Actor, name: str, scope: list[str]) -> None:
        token, _ = issue_token(
            runtime.engine,
            runtime.app,
            role=actor.role,
            name=name,
            ppr_codes=scope,
            principal_id=actor.principal_id,
        )
        tokens[key] = token

    issue("admin", ADMIN, "Pentadbir Sistem K2K (Think City)", [ALL_PPRS])
    issue("auditor", AUDITOR, "Juruaudit Bebas Tadbir Urus", [ALL_PPRS])
    issue("integration", INTEGRATION, "Sistem Aduan Open311", [spec.code for spec in PPRS])
    for cast in casts:
        code = cast.ppr.code
        issue(f"committee:{code}", cast.committee, cast.ppr.committee_name, [code])
        issue(f"management:{code}", cast.management, cast.ppr.management_name, [code])
        issue(f"resident:{code}", cast.residents[0], cast.ppr.resident_name, [code])
    return tokens


def _replay(plans: Sequence[CasePlan | GovernancePlan], now: datetime) -> int:
    """Run every planned step up to ``now`` in time order under the simulated clock."""
    queue: list[tuple[datetime, int, int, str, Callable[[], object]]] = []
    for plan in plans:
        for order, (at, label, run) in enumerate(plan.steps):
            if at <= now:
                queue.append((at, plan.index, order, label, run))
    heapq.heapify(queue)
    current = [now]
    done = 0
    with clock.clock_set_to(lambda: current[0]):
        while queue:
            at, index, _, label, run = heapq.heappop(queue)
            current[0] = at
            try:
                run()
            except DomainError as error:
                raise RuntimeError(
                    f"demo step {label!r} of plan #{index} refused: {error}"
                ) from error
            done += 1
    return done


def load_demo(
    runtime: Runtime, *, cases: int = 300, seed: int = 20261128, now: datetime | None = None
) -> dict[str, str]:
    """Load two PPRs, their people and ``cases`` cases over the past year into an empty store.

    Returns one plain token per demo principal: ``admin``, ``auditor``, ``integration`` and, for
    each PPR code, ``committee:<code>``, ``management:<code>`` and ``resident:<code>``. Every
    state of DESIGN §4 (and both ways of closing) appears once ``cases`` is at least 15.
    """
    if not store_is_empty(runtime):
        raise StoreNotEmpty("demo data is only loaded into an empty event store")
    now = clock.as_utc(now) if now is not None else clock.wall_clock()
    app = runtime.app
    rng = random.Random(seed)
    planner = Planner(app, rng, now)
    started = time.perf_counter()
    plans = planner.plan(cases)
    with clock.clock_set_to(lambda: now - SETUP_LEAD):
        _set_up_pprs(app)
    governance = [
        plan_governance(
            app,
            random.Random(seed + number),
            now,
            cast.ppr.code,
            "ABCDEF"[: len(cast.ppr.blocks)],
            cast.committee,
            cast.management,
            cast.residents,
            [
                CaseRef(
                    plan.id, cast.ppr.code, plan.reported_at, plan.category.code in PRIORITY_PRONE
                )
                for plan in plans
                if plan.cast is cast and not plan.private
            ],
            index=len(plans) + number,
        )
        for number, cast in enumerate(planner.casts)
    ]
    steps = _replay([*plans, *governance], now)
    for number, cast in enumerate(planner.casts):
        load_surveys(
            app,
            ADMIN,
            cast.ppr.code,
            "ABCDEF"[: len(cast.ppr.blocks)],
            cast.residents,
            cast.management,
            random.Random(seed * 7 + number),
            now,
        )
    tokens = _issue_tokens(runtime, planner.casts)
    runtime.runner.catch_up()
    log.info(
        "demo data: %d cases, %d commands in %.1f s", cases, steps, time.perf_counter() - started
    )
    return tokens


__all__ = ["CATEGORIES", "PPRS", "StoreNotEmpty", "load_demo", "store_is_empty"]
