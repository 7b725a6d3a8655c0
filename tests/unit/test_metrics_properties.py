"""Property tests of the case metrics: random valid histories, checked against a direct recomputation.

Hypothesis draws a sequence of commands on two cases of one PPR (acknowledge, assign, respond,
comments by every kind of actor, supports, recategorisations, resolve, confirm, dispute, close
after the window, the other outcomes, priority designations) with positive time gaps between them,
some backfilled by committee or admin with an earlier ``occurred_at``, and changes of the SLA
targets along the way. Commands the domain refuses in the current state are skipped. The events
are projected with ``CaseMetricsProjection`` alone, and every figure of each case is then checked
against what the test computes straight from the case's own events and the final targets. A
third case, in another PPR with the same category, must keep its own targets throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from domain.actors import Actor, Role
from domain.application import K2K
from domain.case import IN_WORK, TERMINAL, Case, Channel, Location, Party, Status
from domain.clock import clock_set_to
from domain.errors import DomainError
from domain.ppr import DEFAULT_DISPUTE_WINDOW_DAYS, SlaTargets
from projections.case_metrics import PARTIES, TARGETS, CaseMetricsProjection, case_metrics
from projections.database import create_tables, make_engine, microseconds
from projections.engine import ProjectionRunner
from projections.resolution_report import _CASE_COLUMNS, _columns, _sla, sla_of_case
from tests.unit.world import (
    ADMIN,
    COMMITTEE,
    INTEGRATION,
    LIFT_SLA,
    MANAGER,
    OTHER_PPR,
    PPR,
    START,
    SYSTEM,
    FrozenClock,
    register_schemes,
)

OTHER_MANAGER = Actor("manager-2", Role.MANAGEMENT)
OTHER_COMMITTEE = Actor("committee-2", Role.COMMITTEE)
AUDITOR = Actor("auditor-1", Role.AUDITOR)
HOUR = timedelta(hours=1)
CATEGORIES = ("LIFT", "WATER")


def resident(number: int) -> Actor:
    """Resident number ``number`` (resident-1 reports most cases)."""
    return Actor(f"resident-{number}", Role.RESIDENT)


#: Who may report: residents, but also committee and management (so "not the reporter" matters).
REPORTERS = (resident(1), resident(2), COMMITTEE, MANAGER, ADMIN)
#: Who tries each command: mostly people allowed to, and one who is refused (the step is skipped).
STAFF = (MANAGER, OTHER_MANAGER, COMMITTEE, OTHER_COMMITTEE, ADMIN)
ACTORS: dict[str, tuple[Actor, ...]] = {
    "acknowledge": (MANAGER, OTHER_MANAGER, ADMIN, COMMITTEE),
    "assign": (*STAFF, resident(3)),
    "respond": (MANAGER, OTHER_MANAGER, ADMIN, COMMITTEE),
    "comment": (*STAFF, SYSTEM, INTEGRATION, AUDITOR, resident(1), resident(2), resident(3)),
    "support": (resident(1), resident(2), resident(3), resident(4), COMMITTEE),
    "recategorise": (*STAFF, resident(1)),
    "resolve": (*STAFF, resident(1)),
    "confirm": (resident(1), resident(2), COMMITTEE, ADMIN, MANAGER),
    "dispute": (resident(1), resident(2), COMMITTEE, ADMIN, MANAGER),
    "close": (SYSTEM, ADMIN, COMMITTEE, MANAGER, resident(1)),
    "no_further_action": (*STAFF, resident(1)),
    "duplicate": (*STAFF, resident(1)),
    "withdraw": (resident(1), resident(2), ADMIN, COMMITTEE),
    "designate": (COMMITTEE, OTHER_COMMITTEE, ADMIN, MANAGER),
    "change_sla": (ADMIN, MANAGER),
    "catch_up": (SYSTEM,),
}
#: How often each command is drawn: the lifecycle often, the outcomes that end a case early rarely.
WEIGHTS = {
    "acknowledge": 8,
    "assign": 4,
    "respond": 5,
    "comment": 6,
    "support": 2,
    "recategorise": 3,
    "resolve": 8,
    "confirm": 5,
    "dispute": 6,
    "close": 4,
    "no_further_action": 1,
    "duplicate": 1,
    "withdraw": 1,
    "designate": 2,
    "change_sla": 4,
    "catch_up": 2,
}
assert set(WEIGHTS) == set(ACTORS)
ACTIONS = tuple(action for action, weight in WEIGHTS.items() for _ in range(weight))
#: Commands worth trying in each status (steered steps choose among these).
ANY_TIME = {"comment", "change_sla", "catch_up"}
OPEN = ANY_TIME | {"support", "recategorise", "designate"}
ENDINGS = {"no_further_action", "duplicate", "withdraw"}
PLAUSIBLE: dict[Status, set[str]] = {
    Status.REPORTED: OPEN | ENDINGS | {"acknowledge"},
    Status.RESOLVED: OPEN | {"confirm", "dispute", "close"},
    **dict.fromkeys(IN_WORK, OPEN | ENDINGS | {"assign", "respond", "resolve"}),
    **dict.fromkeys(TERMINAL, ANY_TIME),
}
assert set(PLAUSIBLE) == set(Status)

# -- strategies ---------------------------------------------------------------------------------

#: Gaps are seconds to weeks; whole hours often, so milestones land exactly on a due time.
gaps = st.one_of(
    st.integers(1, 3_600).map(lambda seconds: timedelta(seconds=seconds)),
    st.integers(1, 96).map(lambda hours: timedelta(hours=hours)),
    st.integers(3_600, 10 * 86_400).map(lambda seconds: timedelta(seconds=seconds)),
)


@st.composite
def sla_targets(draw: st.DrawFn) -> SlaTargets:
    """Valid targets: each 1 hour to a month, resolve no shorter than the other two."""
    acknowledge = draw(st.integers(1, 72))
    first_response = draw(st.integers(1, 120))
    resolve = draw(st.integers(max(acknowledge, first_response), 24 * 30))
    return SlaTargets(acknowledge, first_response, resolve)


@dataclass(frozen=True)
class Step:
    """One command: what, on which case, how long after the previous step, by whom and how."""

    action: str
    case: int
    gap: timedelta
    pick: int
    flag: bool
    targets: SlaTargets
    #: Most steps are steered to a command the case's status allows (``choice`` picks which);
    #: the others try ``action`` whatever the status, and are often refused.
    steer: bool
    choice: int


steps = st.builds(
    Step,
    action=st.sampled_from(ACTIONS),
    case=st.integers(0, 1),
    gap=gaps,
    pick=st.integers(0, 100),
    flag=st.booleans(),
    targets=sla_targets(),
    steer=st.sampled_from((True, True, True, False)),
    choice=st.integers(0, 1_000),
)


@dataclass(frozen=True)
class Story:
    """The whole drawn history."""

    reporters: tuple[Actor, Actor]
    categories: tuple[str, str]
    initial_targets: tuple[SlaTargets, SlaTargets]
    steps: list[Step]
    then: timedelta
    #: Judge at the first due time still ahead after the last step (if any), not ``then`` later.
    at_due: bool


stories = st.builds(
    Story,
    reporters=st.tuples(st.sampled_from(REPORTERS), st.sampled_from(REPORTERS)),
    categories=st.tuples(st.sampled_from(CATEGORIES), st.sampled_from(CATEGORIES)),
    initial_targets=st.tuples(sla_targets(), sla_targets()),
    steps=st.lists(steps, min_size=10, max_size=60),
    then=st.one_of(st.just(timedelta(0)), gaps),
    at_due=st.sampled_from((False, False, True)),
)

# -- the driver ---------------------------------------------------------------------------------


class Driver:
    """Plays a story's steps against the application, skipping what the domain refuses."""

    def __init__(self, app: K2K, clock: FrozenClock, runner: ProjectionRunner) -> None:
        self.app = app
        self.clock = clock
        self.runner = runner
        self.cases: list[UUID] = []
        self.applied: list[str] = []
        #: The SLA targets in force, by category, as the admin last set them.
        self.targets: dict[str, SlaTargets] = {}

    def when(self, actor: Actor, step: Step) -> dict[str, Any]:
        """Live (the clock's time), or for a backfill role sometimes a little earlier."""
        if not step.flag or actor.role not in (Role.COMMITTEE, Role.ADMIN, Role.SYSTEM):
            return {}
        case = self.app.get_case(self.cases[step.case])
        # Between the case's previous event and now: still a valid, increasing history.
        earlier = self.clock.current - step.gap * (step.pick % 10) / 10
        return {"occurred_at": max(earlier, case.last_occurred_at)}

    def play(self, step: Step) -> None:
        """Advance the clock by the step's gap and run its command (refusals are skipped)."""
        self.clock.advance(seconds=step.gap.total_seconds())
        case_id = self.cases[step.case]
        action = step.action
        if step.steer:
            plausible = PLAUSIBLE[self.app.get_case(case_id).current_status]
            steered = [each for each in ACTIONS if each in plausible]
            action = steered[step.choice % len(steered)]
        candidates = ACTORS[action]
        actor = candidates[step.pick % len(candidates)]
        app = self.app
        try:
            match action:
                case "acknowledge":
                    app.acknowledge_case(actor, case_id, note="Seen", **self.when(actor, step))
                case "assign":
                    party = (Party.MANAGEMENT, Party.COMMITTEE, Party.CONTRACTOR)[step.pick % 3]
                    app.assign_case(actor, case_id, to=party, **self.when(actor, step))
                case "respond":
                    commitment = (
                        self.clock.current.date() + timedelta(days=7) if step.flag else None
                    )
                    app.respond_to_case(
                        actor,
                        case_id,
                        message="On it",
                        commitment_date=commitment,
                        **self.when(actor, step),
                    )
                case "comment":
                    app.comment_on_case(
                        actor, case_id, text="A word", internal=step.flag, **self.when(actor, step)
                    )
                case "support":
                    app.support_case(actor, case_id, **self.when(actor, step))
                case "recategorise":
                    category = CATEGORIES[step.pick % 2]
                    app.recategorise_case(
                        actor, case_id, category_code=category, **self.when(actor, step)
                    )
                case "resolve":
                    app.resolve_case(actor, case_id, note="Fixed", **self.when(actor, step))
                case "confirm":
                    app.confirm_resolution(
                        actor, case_id, rating=1 + step.pick % 5, **self.when(actor, step)
                    )
                case "dispute":
                    app.dispute_resolution(
                        actor, case_id, reason="Still broken", **self.when(actor, step)
                    )
                case "close":
                    case = app.get_case(case_id)
                    if case.current_status is Status.RESOLVED:
                        # The window must run out first: jump past it.
                        ends = case.dispute_window_ends(DEFAULT_DISPUTE_WINDOW_DAYS)
                        self.clock.set(max(self.clock.current, ends + step.gap))
                    app.close_case(actor, case_id, **self.when(actor, step))
                case "no_further_action":
                    app.decide_no_further_action(
                        actor, case_id, reason="Not ours", **self.when(actor, step)
                    )
                case "duplicate":
                    app.mark_duplicate(
                        actor,
                        case_id,
                        duplicate_of=self.cases[1 - step.case],
                        **self.when(actor, step),
                    )
                case "withdraw":
                    app.withdraw_case(
                        actor, case_id, reason="Sorted myself", **self.when(actor, step)
                    )
                case "designate":
                    app.designate_priority(
                        actor, case_id, reason="AGM minutes", **self.when(actor, step)
                    )
                case "change_sla":
                    category = CATEGORIES[step.choice % 2]
                    app.change_sla_targets(actor, PPR, category, step.targets)
                    self.targets[category] = step.targets
                case "catch_up":
                    # Project part-way: incremental application must give the same end state.
                    self.runner.catch_up()
                case _:  # pragma: no cover - the strategy draws only the actions above
                    raise AssertionError(action)
        except DomainError:
            return
        self.applied.append(action)


# -- the direct recomputation -------------------------------------------------------------------


@dataclass
class Expected:
    """What the metrics of one case must be, computed from its events alone."""

    reported_at: datetime
    category: str
    milestones: dict[str, datetime | None]
    closed_at: datetime | None
    ended_at: datetime | None
    stage_seconds: dict[str, float]
    last_move_change: datetime
    whose_move: str | None


def recompute(app: K2K, case_id: UUID) -> Expected:
    """Milestones, end and stage times of a case, straight from its history."""
    history = list(app.events.get(case_id))
    reported = history[0]
    assert type(reported).__name__ == "Reported"
    reporter = reported.actor_id
    category = reported.category_code
    milestones: dict[str, datetime | None] = dict.fromkeys(TARGETS)
    closed_at = ended_at = None
    stage_seconds = dict.fromkeys(PARTIES, 0.0)
    whose_move, since = reported.whose_move, reported.occurred_at
    for change in history[1:]:
        kind = type(change).__name__
        when = change.occurred_at
        if change.whose_move != whose_move:
            if whose_move is not None:
                stage_seconds[whose_move] += (when - since).total_seconds()
            whose_move, since = change.whose_move, when
        if kind == "Acknowledged" and milestones["acknowledge"] is None:
            milestones["acknowledge"] = when
        public_answer = kind == "ManagementResponded" or (
            kind == "CommentAdded" and not change.internal
        )
        if (
            public_answer
            and (kind == "ManagementResponded" or change.actor_role in ("management", "committee"))
            and change.actor_id != reporter
            and milestones["first_response"] is None
            and ended_at is None  # a remark after the case ended answers nothing
        ):
            milestones["first_response"] = when
        if kind == "Resolved" and milestones["resolve"] is None:
            milestones["resolve"] = when
        if kind in ("ResolutionConfirmed", "Closed"):
            closed_at = when
        if kind == "Recategorised":
            category = change.category_code
        if Status(change.status) in TERMINAL and ended_at is None:
            ended_at = when
    return Expected(
        reported_at=reported.occurred_at,
        category=category,
        milestones=milestones,
        closed_at=closed_at,
        ended_at=ended_at,
        stage_seconds=stage_seconds,
        last_move_change=since,
        whose_move=whose_move,
    )


def expected_state(expected: Expected, target: str, hours: int, now: datetime) -> str:
    """The SLA state of one target by the definition: met, breached, running or not applicable."""
    due = expected.reported_at + timedelta(hours=hours)
    reached = expected.milestones[target]
    if reached is not None:
        return "breached" if reached > due else "met"
    if expected.ended_at is not None:
        return "not_applicable"
    return "breached" if now > due else "running"


def due_times_of(case: Case, targets: dict[str, SlaTargets]) -> list[datetime]:
    """The case's due times under the targets of its category."""
    hours = targets[case.category_code].as_dict()
    return [case.reported_at + timedelta(hours=hours[f"{target}_hours"]) for target in TARGETS]


# -- the property -------------------------------------------------------------------------------


def check_case(
    app: K2K, conn: Any, case_id: UUID, targets: dict[str, SlaTargets], now: datetime
) -> None:
    """Every metric of one case agrees with the recomputation from its history."""
    expected = recompute(app, case_id)
    row = conn.execute(select(case_metrics).where(case_metrics.c.case_id == str(case_id))).one()

    # Durations from the report are never negative, and the milestones are the history's.
    assert row.reported_at == expected.reported_at
    for milestone in ("acknowledged_at", "first_response_at", "resolved_at", "closed_at"):
        moment = getattr(row, milestone)
        if moment is not None:
            assert moment >= row.reported_at, milestone
    assert row.acknowledged_at == expected.milestones["acknowledge"]
    assert row.first_response_at == expected.milestones["first_response"]
    assert row.resolved_at == expected.milestones["resolve"]
    assert row.closed_at == expected.closed_at
    assert row.ended_at == expected.ended_at
    assert row.category_code == expected.category

    # Stage times: never negative, the history's, and together they cover report to last handover.
    for party in PARTIES:
        seconds = getattr(row, f"{party}_seconds")
        assert seconds >= 0, party
        assert seconds == pytest.approx(expected.stage_seconds[party], abs=1e-3), party
    total = sum(getattr(row, f"{party}_seconds") for party in PARTIES)
    covered = (expected.last_move_change - expected.reported_at).total_seconds()
    assert total == pytest.approx(covered, abs=1e-3)
    assert row.whose_move_since == expected.last_move_change
    assert row.whose_move == expected.whose_move
    if row.ended_at is not None:
        # An outcome takes the move from everyone: the stage times end with the case.
        assert (row.whose_move, row.whose_move_since) == (None, row.ended_at)

    # Breach flags: the case's SLA answer and its contribution to the report's figures.
    final = targets[expected.category].as_dict()
    answer = sla_of_case(conn, str(case_id), now)
    assert answer is not None
    states = {figure["target"]: figure for figure in answer["targets"]}
    assert set(states) == set(TARGETS)
    figures_row = conn.execute(
        select(*_CASE_COLUMNS).where(case_metrics.c.case_id == str(case_id))
    ).all()
    contribution = _sla(_columns(figures_row), microseconds(now))
    for target in TARGETS:
        hours = final[f"{target}_hours"]
        state = expected_state(expected, target, hours, now)
        figure = states[target]
        event(f"{target}: {state}")
        assert figure["due_at"] == expected.reported_at + timedelta(hours=hours), target
        assert figure["target_hours"] == hours, target
        assert figure["state"] == state, target
        assert figure["elapsed_hours"] >= 0, target
        # The clock of a target stops at its milestone, or at the end of a case that never got it.
        due = expected.reported_at + timedelta(hours=hours)
        until = expected.milestones[target] or expected.ended_at or now
        assert figure["elapsed_hours"] == round((until - expected.reported_at) / HOUR, 2), target
        assert figure["remaining_hours"] == (
            round((due - now) / HOUR, 2) if state == "running" else None
        ), target
        assert figure["breached_by_hours"] == (
            round((until - due) / HOUR, 2) if state == "breached" else None
        ), target
        if figure["remaining_hours"] is not None:
            assert figure["remaining_hours"] >= 0, target
        if figure["breached_by_hours"] is not None:
            assert figure["breached_by_hours"] >= 0, target

        reached = expected.milestones[target] is not None
        ongoing = not reached and state == "breached"
        assert contribution[target] == {
            "n": int(reached or ongoing),
            "stopped": int(reached),
            "breached": int(state == "breached"),
            "ongoing_breached": int(ongoing),
            "breach_pct": 100.0 if state == "breached" else (0.0 if reached else None),
        }, target


def play_and_check(story: Story) -> None:
    """Play a story on a fresh application, project it and check both cases."""
    clock = FrozenClock(START)
    app = K2K(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    engine = make_engine("sqlite://")
    try:
        create_tables(engine)
        runner = ProjectionRunner(app, engine, [CaseMetricsProjection()])
        driver = Driver(app, clock, runner)
        with clock_set_to(clock):
            register_schemes(app)
            for category, initial in zip(CATEGORIES, story.initial_targets, strict=True):
                app.change_sla_targets(ADMIN, PPR, category, initial)
                driver.targets[category] = initial
            for number, (reporter, category) in enumerate(
                zip(story.reporters, story.categories, strict=True)
            ):
                clock.advance(minutes=1)
                saved = app.report_case(
                    reporter,
                    ppr_code=PPR,
                    location=Location("A", floor="3", unit=f"A-03-0{number}"),
                    category_code=category,
                    title="Paip bocor",
                    description="Air menitis dari siling.",
                    channel=Channel.APP,
                )
                driver.cases.append(saved.id)
            # A case of another PPR with the same category: no change here may move its clocks.
            bystander = app.report_case(
                resident(1),
                ppr_code=OTHER_PPR,
                location=Location("A", floor="1", unit="A-01-01"),
                category_code="LIFT",
                title="Lif rosak",
                description="Lif tidak bergerak.",
                channel=Channel.APP,
            ).id
            for step in story.steps:
                driver.play(step)
        final = app.get_ppr(PPR).categories
        assert {c: final[c]["sla"] for c in CATEGORIES} == {
            c: t.as_dict() for c, t in driver.targets.items()
        }
        runner.catch_up()
        now = clock.current + story.then
        if story.at_due:
            ahead = [
                due
                for case_id in driver.cases
                for due in due_times_of(app.get_case(case_id), driver.targets)
                if due >= clock.current
            ]
            if ahead:
                now = min(ahead)
                event("judged at a due time")
        with engine.connect() as conn:
            for case_id in driver.cases:
                check_case(app, conn, case_id, driver.targets, now)
                event(f"case ends {app.get_case(case_id).status}")
            check_case(app, conn, bystander, {"LIFT": LIFT_SLA}, now)
        for action in set(driver.applied):
            event(f"applied {action}")
    finally:
        engine.dispose()
        app.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(story=stories)
def test_per_case_metrics_and_breach_flags_agree_with_a_recomputation_from_the_history(
    story: Story,
) -> None:
    play_and_check(story)
