"""Realistic histories for benchmarks, written fast: many PPRs, up to two years of cases, governance.

    python -m bench.generate --backend sqlite|postgres --events 100000 [--seed 2026]

Everything is made by the real command side (``K2K``'s methods, so every event is one the service
would accept), by the actor whose job the step is, under a simulated clock, and replayed in time
order across all PPRs, as ``service.demo`` does (its planner plans each case). Two things make it
fast and keep memory bounded at a million events:

* ``BatchedK2K`` defers the writes: ``save`` only collects the new events, in order, and keeps
  the aggregates in a bounded cache the getters read from; every few thousand events ``flush``
  hands the batch to a writer thread that records it as ``Application.save`` does (one
  transaction, through the application's mapper, so every record is sealed) while the commands
  make the next batch.
* Plans are made lazily: a case is planned when it is reported and a meeting when it is called,
  so only the steps still to come are held, not the whole history.

The same seed always gives the same history: the same cases (ids included) and the same events in
the same order (meetings and surveys get fresh random ids, as the service gives them). The case
arrival rate steers itself so that the log ends with at least the requested number of events.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import heapq
import itertools
import random
import resource
import sys
import tempfile
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TextIO, cast
from uuid import UUID

from eventsourcing.application import (
    ProcessingEvent,
    ProjectorFunction,
    Repository,
)
from eventsourcing.domain import (
    BaseAggregate,
    DomainEventProtocol,
    MutableOrImmutableAggregate,
    TDomainEvent,
    TMutableOrImmutableAggregate,
)
from eventsourcing.persistence import Recording

from domain import clock
from domain.actors import Actor, Role
from domain.application import K2K
from domain.base import replay
from domain.case import Status
from domain.clock import MALAYSIA
from domain.committee import AgeBand, CommitteeRole, Gender, Selection
from domain.errors import DomainError
from domain.survey import Audience, SurveyResponse
from domain.survey_starter import MANAGEMENT, RESIDENTS
from service.demo import (
    ADMIN,
    FIX,
    FORCED_OPEN,
    PRIORITY_PRONE,
    CasePlan,
    Cast,
    Planner,
    StoreNotEmpty,
    office_time,
    store_is_empty,
    waking_time,
)
from service.demo_data import (
    CATEGORIES,
    COMMITTEE_COMMENTS,
    COMMITTEE_NOTES,
    MANAGEMENT_NOTES,
    REPORT_HOURS,
    RESIDENT_COMMENTS,
    PprSpec,
)
from service.demo_governance import (
    AGE_BANDS,
    GENDERS,
    ROLES,
    CaseRef,
    GovernancePlan,
    _day,
    _plan_meeting,
)
from service.demo_surveys import _answer
from service.runtime import Runtime
from workers.people import ensure_person

#: The simulated "now" the history ends at (midnight of 1 December 2026 in Malaysia).
DEFAULT_END = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
#: About this many events per PPR; a small history still gets a few PPRs to compare.
EVENTS_PER_PPR = 10_000
#: Histories of this many events or more span two years; smaller ones one.
LONG_HISTORY_FROM = 5_000
#: Events collected before they are handed to the writer as one batch (one transaction).
FLUSH_EVENTS = 5_000
#: Aggregates kept in memory between commands (least recently used ones are dropped at a flush).
HELD_AGGREGATES = 20_000
#: Every case carries this many events at least and at most (its own and governance's).
MIN_CASE_EVENTS = 5
MAX_CASE_EVENTS = 50
#: A case a meeting may table gets up to two meetings' events (tabled, decided, answered,
#: progress, done, disputed, done, verified), so its own events leave room for them.
TABLING_EVENTS = 16
#: Problems residents file under a neighbouring category, and how often the office moves them.
CONFUSED_WITH = {
    "PAIP": "AIR",
    "AIR": "PAIP",
    "SAMPAH": "KEBERSIHAN",
    "KEBERSIHAN": "SAMPAH",
    "LAMPU": "KESELAMATAN",
    "BUMBUNG": "PAIP",
}
RECATEGORISED_SHARE = 0.04
#: Share of public cases that become long threads (a lift that keeps failing, a block's anger).
LONG_THREAD_SHARE = 0.04
#: New reports stop this long before the end, so the newest cases still get their first events.
LAST_REPORTS = timedelta(days=2)
#: PPRs are registered this long before the first report can arrive.
SETUP_LEAD = timedelta(days=14)
#: A duplicate repeats a case of its PPR reported within this window (the demo's fortnight), or
#: else one of the newest the planner still remembers.
DUPLICATE_WINDOW = timedelta(days=14)
REMEMBERED = timedelta(days=60)
#: Meetings table cases reported in the 45 days before the agenda goes out (``_plan_meeting``).
TABLING_WINDOW = timedelta(days=50)
#: Residents per PPR listed in the summary (and written to the people table).
LISTED_RESIDENTS = 5
#: The lower bound of a meeting's events (scheduled and held) while it is not yet planned.
MEETING_FLOOR = 2
#: Residents who act in one PPR at most: the demo planner looks through all of them per case.
RESIDENTS_MAX = 240
#: How long a survey wave takes answers.
SURVEY_DAYS = timedelta(days=21)
#: Block codes; the demo's story-teller names blocks A-F, so a PPR has 2-6 blocks.
BLOCK_CODES = "ABCDEF"

#: Real PPR schemes of Kuala Lumpur and Selangor; more PPRs than these get phase numbers.
SCHEMES: tuple[tuple[str, str, str], ...] = (
    ("SRP", "PPR Seri Pantai", "Kuala Lumpur"),
    ("LSB", "PPR Lembah Subang", "Petaling Jaya, Selangor"),
    ("KRC", "PPR Kerinchi", "Kuala Lumpur"),
    ("PRA", "PPR Pantai Ria", "Kuala Lumpur"),
    ("SAM", "PPR Sri Aman", "Kuala Lumpur"),
    ("DRJ", "PPR Desa Rejang", "Kuala Lumpur"),
    ("BRG", "PPR Beringin", "Kuala Lumpur"),
    ("PBJ", "PPR Pinggiran Bukit Jalil", "Kuala Lumpur"),
    ("KMH", "PPR Kampung Muhibbah", "Kuala Lumpur"),
    ("BTM", "PPR Batu Muda", "Kuala Lumpur"),
    ("TWY", "PPR Taman Wahyu", "Kuala Lumpur"),
    ("SSM", "PPR Seri Semarak", "Kuala Lumpur"),
    ("APN", "PPR Air Panas", "Kuala Lumpur"),
    ("RPM", "PPR Raya Permai", "Kuala Lumpur"),
    ("HLA", "PPR Hiliran Ampang", "Kuala Lumpur"),
    ("INB", "PPR Intan Baiduri", "Kuala Lumpur"),
    ("SAG", "PPR Seri Anggerik", "Kuala Lumpur"),
    ("KLM", "PPR Kampung Limau", "Kuala Lumpur"),
    ("SGB", "PPR Sungai Bonus", "Kuala Lumpur"),
    ("KDM", "PPR Kota Damansara", "Petaling Jaya, Selangor"),
    ("SJY", "PPR Seri Jaya", "Shah Alam, Selangor"),
    ("BSI", "PPR Bukit Subang Indah", "Shah Alam, Selangor"),
    ("TMK", "PPR Taman Mulia Klang", "Klang, Selangor"),
    ("SSP", "PPR Seri Sepang", "Sepang, Selangor"),
)
CHAIRS = (
    "Rosnah binti Ahmad",
    "Mohd Faizal bin Hassan",
    "Kavitha a/p Raman",
    "Tan Mei Ling",
    "Abdul Rahman bin Yusof",
    "Siti Hajar binti Ismail",
)


# -- the summary ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedPpr:
    """One generated PPR and the people a benchmark suite can act as there."""

    code: str
    name: str
    blocks: tuple[str, ...]
    categories: tuple[str, ...]
    committee: str
    management: str
    residents: tuple[str, ...]


@dataclass(frozen=True)
class GeneratedSummary:
    """What ``generate`` wrote, and what the suites need to drive the service afterwards."""

    events: int
    pprs: int
    cases: int
    committees: int
    meetings: int
    decisions: int
    survey_responses: int
    seconds: float
    schemes: tuple[GeneratedPpr, ...]
    #: The simulated time span: the first PPR registered, and the history's "now".
    began_at: datetime
    ended_at: datetime
    #: Batches written (one transaction each).
    flushes: int

    @property
    def events_per_second(self) -> float:
        """Events written per second of generation."""
        return self.events / self.seconds if self.seconds else 0.0


# -- the batched command side -----------------------------------------------------------------------


class _HeldRepository(Repository[UUID]):
    """A repository in front of the application's own, holding the batched application's aggregates.

    A held aggregate is returned as it is (not a deep copy): commands change it in place and the
    changes are saved with the next batch. Aggregates not held are read by the application's own
    repository, as usual.
    """

    def __init__(self, inner: Repository[UUID]) -> None:
        super().__init__(inner.event_store, snapshot_store=inner.snapshot_store)
        self.inner = inner
        self.held: OrderedDict[UUID, Any] = OrderedDict()

    def get(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        projector_func: ProjectorFunction[TMutableOrImmutableAggregate, TDomainEvent] = replay,
        fastforward_skipping: bool = False,
        deepcopy_from_cache: bool = True,
    ) -> TMutableOrImmutableAggregate:
        """The held aggregate, or the stored one (which is then held)."""
        if version is not None:
            # From the store: only what is written (the library's snapshots read written ones).
            return self.inner.get(aggregate_id, version=version, projector_func=projector_func)
        aggregate = self.held.get(aggregate_id)
        if aggregate is None:
            aggregate = self.inner.get(aggregate_id, projector_func=projector_func)
            self.held[aggregate_id] = aggregate
        else:
            self.held.move_to_end(aggregate_id)
        return aggregate

    def trim(self, limit: int, keep: Mapping[UUID, object]) -> None:
        """Drop least recently used aggregates beyond ``limit``, except those in ``keep``."""
        held, kept = self.held, []
        while len(held) > limit:
            aggregate_id, aggregate = held.popitem(last=False)
            if aggregate_id in keep:
                kept.append((aggregate_id, aggregate))
        for aggregate_id, aggregate in kept:
            held[aggregate_id] = aggregate


class BatchedK2K(K2K):
    """K2K whose ``save`` defers the write; ``flush`` writes everything collected in one save.

    Only for writing into an empty store that nothing else writes to meanwhile: a conflicting
    write is found at the flush, not at the command, and the few commands that read the store
    directly (``sla_clock``, ``get_case_as_of``) see only what was flushed.
    """

    #: The library names an application's PostgreSQL tables (and reads its environment) after
    #: ``name``, which a subclass would otherwise get as its class name.
    name = K2K.name

    def __init__(
        self,
        env: dict[str, str],
        *,
        flush_events: int = FLUSH_EVENTS,
        held_aggregates: int = HELD_AGGREGATES,
    ) -> None:
        """Open the store ``env`` names (as ``K2K(env=...)`` does)."""
        self.flush_events = flush_events
        self.held_aggregates = held_aggregates
        self.pending: list[DomainEventProtocol[UUID]] = []
        self.dirty: dict[UUID, MutableOrImmutableAggregate[UUID]] = {}
        self.recorded = 0
        self.flushed = 0
        self.flushes = 0
        self._responses: set[UUID] = set()
        self._writer: threading.Thread | None = None
        self._failure: BaseException | None = None
        super().__init__(env=env)

    def construct_repository(self) -> Repository[UUID]:
        """The application's own repository, behind the held aggregates."""
        self.held = _HeldRepository(super().construct_repository())
        return self.held

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """Collect the aggregates' new events (in the order the commands made them); write none."""
        if kwargs:
            raise TypeError("a batched save takes no recording arguments")
        held, dirty, pending = self.held.held, self.dirty, self.pending
        for obj in objs:
            if obj is None:
                continue
            # K2K's commands save aggregates only (no bare events, no immutable aggregates).
            aggregate = cast("BaseAggregate[UUID]", obj)
            events = aggregate.collect_events()
            if not events:
                continue
            pending.extend(events)
            aggregate_id = aggregate.id
            dirty[aggregate_id] = aggregate
            if type(aggregate) is SurveyResponse:
                # Nothing reads a response again: remember only that it exists.
                self._responses.add(aggregate_id)
            else:
                held[aggregate_id] = aggregate
        self.recorded = self.flushed + len(pending)
        return []

    def flush(self, *, wait: bool = False) -> int:
        """Hand every collected event to the writer (one real save); returns how many.

        The writer thread writes one batch while the commands make the next: the database's
        part (SQLite's engine, PostgreSQL's round trips) runs without the GIL. A batch starts
        only when the one before it is written, so at most one is in flight; ``wait`` waits
        for this one too.
        """
        count = len(self.pending)
        if count:
            processing: ProcessingEvent[UUID] = ProcessingEvent()
            # The events in command order keep the log in time order; the aggregates let the
            # library take its snapshots as after any save.
            processing.events, processing.aggregates = self.pending, self.dirty
            self.pending, self.dirty = [], {}
            self.join()
            self._writer = threading.Thread(
                target=self._write, args=(processing,), name="k2k-bench-writer", daemon=True
            )
            self._writer.start()
            self.flushed += count
            self.flushes += 1
            # What is in flight stays held: read from the store now, it would be out of date.
            self.held.trim(self.held_aggregates, keep=processing.aggregates)
        if wait:
            self.join()
        return count

    def _write(self, processing: ProcessingEvent[UUID]) -> None:
        # What ``Application.save`` does after its first line, which collects the events again
        # with a runtime-protocol ``isinstance`` per event (an eighth of the time on Python 3.11).
        try:
            recordings = self._record(processing)
            self._take_snapshots(processing)
            self._notify(recordings)
        except BaseException as error:  # re-raised in the command thread by ``join``
            self._failure = error

    def join(self) -> None:
        """Wait for the batch in flight to be written; raise what writing it raised."""
        if self._writer is not None:
            self._writer.join()
            self._writer = None
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise RuntimeError("writing a batch of generated events failed") from failure

    def close(self) -> None:
        """Wait for the last batch, then close the store."""
        try:
            self.join()
        finally:
            super().close()

    def _exists(self, aggregate_id: UUID) -> bool:
        # The store was empty and only this application writes to it, so a survey response
        # exists exactly when this application made it (no query per response).
        return aggregate_id in self._responses


# -- progress ---------------------------------------------------------------------------------------


class Progress:
    """A one-line progress bar on a stream: events written of the target, rate and ETA."""

    def __init__(self, total: int, *, enabled: bool = True, stream: TextIO | None = None) -> None:
        """Start the clock; nothing is shown when ``enabled`` is false."""
        self.total = total
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.perf_counter()
        self.shown_at = 0.0
        self.tty = self.enabled and self.stream.isatty()
        self.last_tenth = -1

    def update(self, done: int) -> None:
        """Show ``done`` (at most a few times a second on a terminal, every 10 % otherwise)."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.tty:
            if now - self.shown_at < 0.25:
                return
            self.shown_at = now
            self.stream.write("\r" + self._line(done, now))
            self.stream.flush()
            return
        tenth = min(10, done * 10 // max(self.total, 1))
        if tenth > self.last_tenth:
            self.last_tenth = tenth
            self.stream.write(self._line(done, now) + "\n")
            self.stream.flush()

    def close(self, done: int) -> None:
        """Show the final figure and end the line."""
        if not self.enabled:
            return
        line = self._line(done, time.perf_counter(), final=True)
        self.stream.write(("\r" + line + "\n") if self.tty else line + "\n")
        self.stream.flush()

    def _line(self, done: int, now: float, *, final: bool = False) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        share = min(done / max(self.total, 1), 1.0)
        width = 24
        bar = "#" * round(share * width)
        if final:
            tail = f"in {_duration(elapsed)}"
        else:
            left = (self.total - done) / rate if rate and done < self.total else 0.0
            tail = f"ETA {_duration(left)}"
        return (
            f"generating [{bar:<{width}}] {done:>10,} / {self.total:,} events "
            f"{rate:>8,.0f}/s {tail}   "
        )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# -- planning ---------------------------------------------------------------------------------------


class _CasePlanner(Planner):
    """The demo's case planner, one case at a time, with a PPR's recent cases as originals."""

    def __init__(self, app: K2K, now: datetime) -> None:
        super().__init__(app, random.Random(0), now)
        self.recent: dict[str, deque[CasePlan]] = {}
        self.original: CasePlan | None = None
        #: Steps planned for each remembered case (its plan hands them to the queue).
        self.planned: dict[int, int] = {}

    def plan_case(
        self,
        index: int,
        reported_at: datetime,
        cast: Cast,
        seed: int,
        fate: tuple[str, Status | None] | None = None,
    ) -> CasePlan:
        """Plan one case of ``cast``'s PPR (``fate`` forces an outcome or an open state)."""
        # Each case draws from its own generator, as in the demo.
        self.rng = random.Random(seed)
        self.casts = [cast]  # the demo's planner picks the case's PPR from these
        self.original = None
        outcome, stop = fate if fate is not None else self._pick_fate()
        return self._plan_case(index, reported_at, outcome, stop, fate is not None)

    def _original_for(self, reported_at: datetime) -> CasePlan | None:
        # The same problem reported again in the same PPR, usually within a fortnight.
        remembered = self.recent.get(self.casts[0].ppr.code, deque())
        candidates = [each for each in remembered if not each.is_duplicate and not each.private]
        recent = [each for each in candidates if reported_at - each.reported_at <= DUPLICATE_WINDOW]
        chosen = recent or candidates[-3:]
        # Planning the duplicate may add the reporter's "me too" to the original's steps.
        self.original = self.rng.choice(chosen) if chosen else None
        return self.original

    def remember(self, plan: CasePlan, now: datetime) -> None:
        """Keep a new case as a possible original; forget those reported too long ago."""
        remembered = self.recent.setdefault(plan.cast.ppr.code, deque())
        remembered.append(plan)
        while remembered and now - remembered[0].reported_at > REMEMBERED:
            del self.planned[remembered.popleft().index]

    def recategorise(self, plan: CasePlan) -> None:
        """Now and then the office moves a case to the category it really belongs to."""
        rng, target = self.rng, CONFUSED_WITH.get(plan.category.code)
        if target is None or plan.is_duplicate or rng.random() >= RECATEGORISED_SHARE:
            return
        acknowledged = [at for at, label, _ in plan.steps if label == "acknowledge"]
        if not acknowledged:
            return
        at = office_time(acknowledged[0] + timedelta(hours=rng.uniform(0.5, 30)), rng)
        if plan.open_until is not None and at >= plan.open_until - timedelta(minutes=1):
            return
        reason = f"Kategori dibetulkan selepas pemeriksaan tapak ({target})."
        management = plan.cast.management
        plan.act(
            at,
            "recategorise",
            partial(self.app.recategorise_case, management, category_code=target, reason=reason),
        )

    def lengthen(self, plan: CasePlan, end: datetime) -> None:
        """Now and then a public case draws a long thread: many neighbours, many comments."""
        rng = self.rng
        if plan.private or plan.is_duplicate or rng.random() >= LONG_THREAD_SHARE:
            return
        for _ in range(rng.randint(8, 30)):
            self._talk(plan, end, prefer_support=rng.random() < 0.4)

    def bound(self, plan: CasePlan, end: datetime, cap: int) -> None:
        """Drop steps after ``end``; pad with talk to the minimum and trim talk to ``cap``."""
        plan.steps = [step for step in plan.steps if step[0] <= end]
        attempts = 0
        while len(plan.steps) < MIN_CASE_EVENTS and attempts < 50:
            attempts += 1
            self._talk(plan, end, prefer_support=True)
        if len(plan.steps) < MIN_CASE_EVENTS:
            raise RuntimeError(f"case #{plan.index} could not be given {MIN_CASE_EVENTS} events")
        talk = ("support", "comment", "note")
        while len(plan.steps) > cap:
            for position in range(len(plan.steps) - 1, -1, -1):
                if plan.steps[position][1] in talk:
                    del plan.steps[position]
                    break
            else:
                raise RuntimeError(f"case #{plan.index} has more than {cap} steps of its own")

    def _talk(self, plan: CasePlan, end: datetime, *, prefer_support: bool) -> None:
        """One more "me too", comment or note while the case is open (or a comment after)."""
        rng, app, cast = self.rng, self.app, plan.cast
        start = plan.reported_at + timedelta(minutes=2)
        stop = min(plan.open_until or end, end)
        if stop - start < timedelta(minutes=2):
            # Too little time while open: a comment afterwards (comments never depend on state).
            at = min(start + timedelta(minutes=rng.uniform(5, 600)), end)
            if at <= plan.reported_at:
                return
            stop = at
        at = start + (stop - start) * rng.uniform(0.02, 0.98)
        open_then = plan.open_until is None or at < plan.open_until - timedelta(minutes=1)
        others = [each for each in rng.sample(cast.residents, 12) if each != plan.reporter]
        if plan.private:
            # Nobody but the reporter and the staff sees a private case.
            if plan.reporter.role is Role.RESIDENT and rng.random() < 0.5:
                text = rng.choice(RESIDENT_COMMENTS)
                plan.act(at, "comment", partial(app.comment_on_case, plan.reporter, text=text))
                return
            staff, notes = (
                (cast.committee, COMMITTEE_NOTES)
                if rng.random() < 0.5
                else (cast.management, MANAGEMENT_NOTES)
            )
            text = rng.choice(notes)
            plan.act(at, "note", partial(app.comment_on_case, staff, text=text, internal=True))
            return
        fresh = [each for each in others if each.principal_id not in plan.supporters]
        if prefer_support and open_then and fresh and not plan.is_duplicate:
            supporter = fresh[0]
            plan.supporters.add(supporter.principal_id)
            plan.act(at, "support", partial(app.support_case, supporter))
            return
        if rng.random() < 0.8 and others:
            author, text = others[0], rng.choice(RESIDENT_COMMENTS)
        else:
            author, text = cast.committee, rng.choice(COMMITTEE_COMMENTS)
        plan.act(at, "comment", partial(app.comment_on_case, author, text=text))


@dataclass(frozen=True, eq=False)
class _Resident(Actor):
    """A resident actor that compares by identity: each is made once, for one PPR's cast.

    The demo planner compares every resident of the PPR with the reporter for every case;
    with the dataclass's field-by-field ``__eq__`` that was the largest single cost of planning.
    """

    __eq__ = object.__eq__
    __hash__ = object.__hash__


@dataclass
class _Committee:
    """One PPR's committee over the history: who sits when, and its meetings' shared state."""

    cast: Cast
    rng: random.Random
    members: list[str]
    #: (stepped down at, successor seated at, leaving member, joining member), in time order.
    changes: list[tuple[datetime, datetime, str, str]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    meetings: int = 0

    def seated_at(self, moment: datetime) -> list[str]:
        """Who sat on the committee at ``moment`` (a successor takes the leaver's place)."""
        seated = list(self.members)
        for left, joined, leaving, joining in self.changes:
            if moment >= joined:
                seated[seated.index(leaving)] = joining
            elif moment >= left:
                seated.remove(leaving)
        return seated


Step = tuple[datetime, int, str, Callable[[], object], int]


class _Generator:
    """Plans and replays one history into a batched application."""

    def __init__(
        self, app: BatchedK2K, target: int, seed: int, end: datetime, progress: Progress
    ) -> None:
        self.app = app
        self.target = target
        self.rng = random.Random(seed)
        self.end = end
        days = 730 if target >= LONG_HISTORY_FROM else 365
        self.start = end - timedelta(days=days)
        self.last_report = end - LAST_REPORTS
        self.progress = progress
        self.queue: list[Step] = []
        self.sequence = itertools.count()
        self.pending_weight = 0
        self.unplanned_meetings = 0
        self.done: Counter[str] = Counter()
        self.current = [self.start - SETUP_LEAD]
        self.planner = _CasePlanner(app, end)
        self.tabling: dict[str, deque[CaseRef]] = {}
        self.case_events = 0
        self.cases_planned = 0
        pprs = 1 if target < 1_000 else max(3, round(target / EVENTS_PER_PPR))
        specs = [self._spec(number) for number in range(pprs)]
        # Bigger schemes report more: a PPR's share of the cases is its share of the households.
        households = [sum(spec.blocks) * spec.units_per_floor for spec in specs]
        self.cumulative = list(itertools.accumulate(households))
        cases = target * 0.85 / 10
        self.casts = [
            self._cast(spec, cases * size / self.cumulative[-1])
            for spec, size in zip(specs, households, strict=True)
        ]

    # -- people and places --

    def _spec(self, number: int) -> PprSpec:
        rng = self.rng
        code, name, city = SCHEMES[number % len(SCHEMES)]
        phase = number // len(SCHEMES)
        if phase:
            code, name = f"{code}{phase + 1}", f"{name} {phase + 1}"
        blocks = tuple(rng.randint(10, 20) for _ in range(rng.randint(2, len(BLOCK_CODES))))
        return PprSpec(
            code=code,
            name=name,
            city=city,
            blocks=blocks,
            dispute_window_days=rng.choice((7, 10, 14, 14, 21)),
            committee_name=f"{rng.choice(CHAIRS)} (Setiausaha JK {name})",
            management_name=f"Pejabat Pengurusan {name}",
            resident_name=f"Penduduk {name}",
            units_per_floor=rng.randint(8, 20),
        )

    def _cast(self, spec: PprSpec, cases: float) -> Cast:
        prefix = spec.code.lower()
        count = min(max(round(cases * 0.3), 40), RESIDENTS_MAX)
        residents = tuple(
            _Resident(f"resident-{prefix}-{n:04d}", Role.RESIDENT) for n in range(1, count + 1)
        )
        return Cast(
            ppr=spec,
            committee=Actor(f"committee-{prefix}", Role.COMMITTEE),
            management=Actor(f"management-{prefix}", Role.MANAGEMENT),
            residents=residents,
            activity=tuple(1.0 / (rank + 1) ** 0.8 for rank in range(count)),
        )

    def _blocks(self, cast: Cast) -> str:
        return BLOCK_CODES[: len(cast.ppr.blocks)]

    # -- the queue --

    def _push(self, at: datetime, label: str, run: Callable[[], object], weight: int = 1) -> None:
        if at > self.end:
            return
        heapq.heappush(self.queue, (at, next(self.sequence), label, run, weight))
        self.pending_weight += weight

    def _run_until(self, limit: datetime | None) -> None:
        queue, app, current = self.queue, self.app, self.current
        while queue and (limit is None or queue[0][0] < limit):
            at, _, label, run, weight = heapq.heappop(queue)
            self.pending_weight -= weight
            current[0] = at
            try:
                run()
            except DomainError as error:
                raise RuntimeError(f"generated step {label!r} at {at} refused: {error}") from error
            self.done[label] += 1
            if len(app.pending) >= app.flush_events:
                app.flush()
                self.progress.update(app.recorded)

    # -- setting up --

    def _set_up(self) -> None:
        app, at = self.app, self.current[0]
        for each in self.casts:
            spec = each.ppr
            at += timedelta(minutes=30)
            self.current[0] = at
            app.register_ppr(ADMIN, spec.code, spec.name, spec.dispute_window_days)
            for index, floors in enumerate(spec.blocks):
                code = BLOCK_CODES[index]
                app.add_block(ADMIN, spec.code, code, f"Blok {code}", floors)
            for category in CATEGORIES:
                app.add_category(
                    ADMIN,
                    spec.code,
                    category.code,
                    category.name_ms,
                    category.name_en,
                    category.sla,
                )
        for number, each in enumerate(self.casts):
            self._plan_committee(each, random.Random(self.rng.getrandbits(64)), number)
            self._plan_surveys(each, random.Random(self.rng.getrandbits(64)))

    def _plan_committee(self, cast: Cast, rng: random.Random, number: int) -> None:
        """Establish the committee, seat nine members, change two seats, call monthly meetings."""
        app, code, secretary = self.app, cast.ppr.code, cast.committee
        blocks = self._blocks(cast)
        start = self.start + timedelta(days=rng.uniform(0, 20), hours=number % 24)
        self._push(
            start,
            "establish",
            partial(
                app.establish_committee,
                secretary,
                code,
                term_start=_day(start),
                term_end=_day(start, 730),
            ),
        )
        members = [secretary.principal_id] + [each.principal_id for each in cast.residents[1:9]]
        seats = [CommitteeRole.SECRETARY, *ROLES]
        for offset, (member, role) in enumerate(zip(members, seats, strict=True)):
            block = (
                blocks[offset % len(blocks)] if role is CommitteeRole.BLOCK_REPRESENTATIVE else None
            )
            self._push(
                start + timedelta(hours=1, minutes=offset),
                "appoint",
                partial(
                    app.appoint_member,
                    secretary,
                    code,
                    member_id=member,
                    name=f"Ahli {member[-4:]}",
                    role=role,
                    selection=Selection.ELECTED,
                    block=block,
                    gender=rng.choice(GENDERS),
                    age_band=rng.choice(AGE_BANDS[1:]),
                ),
            )
        committee = _Committee(cast, rng, members)
        span = self.end - start
        # A treasurer moves away; later a block representative stands down and a by-election
        # seats a young resident: seat and leadership shares move over the history.
        changes = (
            (span / 3, 3, 12, "Berpindah ke PPR lain.", CommitteeRole.TREASURER, None),
            (span * 2 / 3, 4, 13, "Masalah kesihatan.", CommitteeRole.BLOCK_REPRESENTATIVE, 4),
        )
        for after, seat, resident, reason, role, block_seat in changes:
            leaving, joining = members[seat], cast.residents[resident].principal_id
            left, joined = start + after, start + after + timedelta(days=1)
            block = blocks[block_seat % len(blocks)] if block_seat is not None else None
            self._push(
                left,
                "step down",
                partial(app.step_down_member, secretary, code, member_id=leaving, reason=reason),
            )
            self._push(
                joined,
                "appoint",
                partial(
                    app.appoint_member,
                    secretary,
                    code,
                    member_id=joining,
                    name=f"Ahli {joining[-4:]}",
                    role=role,
                    selection=Selection.APPOINTED if block is None else Selection.ELECTED,
                    block=block,
                    gender=Gender.FEMALE,
                    age_band=AgeBand.FROM_25 if block is None else AgeBand.UNDER_25,
                ),
            )
            committee.changes.append((left, joined, leaving, joining))
        meeting_at = start + timedelta(days=20)
        while meeting_at < self.end - timedelta(days=3):
            held_at = meeting_at
            self._push(
                held_at - timedelta(days=10, seconds=1),
                "call meeting",
                partial(self._plan_meeting, committee, held_at),
                weight=0,
            )
            self.unplanned_meetings += 1
            meeting_at += timedelta(days=30, hours=rng.randint(-48, 48))

    def _plan_meeting(self, committee: _Committee, held_at: datetime) -> None:
        """Plan a meeting now its agenda goes out: it tables recent cases of its PPR."""
        self.unplanned_meetings -= 1
        committee.meetings += 1
        cast = committee.cast
        seated = committee.seated_at(held_at)
        plan = GovernancePlan(index=committee.meetings)
        _plan_meeting(
            plan,
            self.app,
            committee.rng,
            committee.state,
            committee.meetings,
            held_at,
            cast.ppr.code,
            cast.committee,
            cast.management,
            seated,
            cast.residents,
            list(self.tabling.get(cast.ppr.code, ())),
        )
        for at, label, run in plan.steps:
            self._push(at, label, run)

    def _plan_surveys(self, cast: Cast, rng: random.Random) -> None:
        """Perception surveys every six months, one for residents and one for management."""
        code = cast.ppr.code
        blocks = self._blocks(cast)
        prefix = code.lower()
        officers = [cast.management] + [
            Actor(f"management-{prefix}-{n}", Role.MANAGEMENT) for n in range(2, rng.randint(4, 7))
        ]
        households = sum(cast.ppr.blocks) * cast.ppr.units_per_floor
        respondents = min(max(len(cast.residents) // 3, 12), 200)
        opened = self.start + timedelta(days=150, hours=rng.uniform(0, 48))
        lean = 0.0
        while opened + SURVEY_DAYS < self.end:
            wave = opened.astimezone(MALAYSIA).strftime("%Y-%m")
            ids: dict[Audience, UUID] = {}
            for audience, size in (
                (Audience.RESIDENTS, households),
                (Audience.MANAGEMENT, len(officers)),
            ):
                create = partial(self._create_survey, ids, audience, code, wave, opened, size)
                self._push(opened, "create survey", create)
                self._push(
                    opened + timedelta(minutes=5),
                    "open survey",
                    partial(self._open_survey, ids, audience),
                )
                self._push(
                    opened + SURVEY_DAYS, "close survey", partial(self._close_survey, ids, audience)
                )
            people = [
                (Audience.RESIDENTS, each) for each in rng.sample(cast.residents, respondents)
            ]
            people += [(Audience.MANAGEMENT, each) for each in officers]
            for audience, actor in people:
                items = _items(audience)
                answers = {item["code"]: _answer(rng, item["scale"], lean) for item in items}
                if not any(value is not None for value in answers.values()):
                    answers[items[0]["code"]] = 3
                at = waking_time(opened + timedelta(hours=rng.uniform(1, 20 * 24)), rng)
                respond = partial(
                    self._respond,
                    actor,
                    ids,
                    audience,
                    code,
                    answers,
                    rng.choice([Gender.FEMALE.value, Gender.MALE.value, None]),
                    rng.choice([band.value for band in AgeBand]),
                    rng.choice(blocks) if audience is Audience.RESIDENTS else None,
                )
                # Weight 2: the response, and the survey counting it.
                self._push(
                    min(at, opened + SURVEY_DAYS - timedelta(minutes=1)), "response", respond, 2
                )
            opened += timedelta(days=182, hours=rng.uniform(-48, 48))
            lean += 0.15  # co-management slowly earns trust

    def _create_survey(
        self,
        ids: dict[Audience, UUID],
        audience: Audience,
        code: str,
        wave: str,
        opened: datetime,
        size: int,
    ) -> None:
        ids[audience] = self.app.create_survey(
            ADMIN,
            title=f"Persepsi pengurusan bersama {wave} ({audience.value})",
            ppr_codes=[code],
            audiences=[audience],
            wave=wave,
            period_start=opened.astimezone(MALAYSIA).date(),
            period_end=(opened + SURVEY_DAYS).astimezone(MALAYSIA).date(),
            items=[dict(item) for item in _items(audience)],
            audience_sizes={audience.value: size},
        ).id

    def _open_survey(self, ids: dict[Audience, UUID], audience: Audience) -> None:
        self.app.open_survey(ADMIN, ids[audience])

    def _close_survey(self, ids: dict[Audience, UUID], audience: Audience) -> None:
        self.app.close_survey(ADMIN, ids[audience])

    def _respond(
        self,
        actor: Actor,
        ids: dict[Audience, UUID],
        audience: Audience,
        code: str,
        answers: dict[str, int | None],
        gender: str | None,
        age_band: str | None,
        block: str | None,
    ) -> None:
        self.app.respond_to_survey(
            actor,
            ids[audience],
            audience=audience,
            ppr_code=code,
            answers=answers,
            gender=gender,
            age_band=age_band,
            block=block,
        )

    # -- cases --

    def _plan_forced_open(self) -> None:
        # Every open state appears even in a small history: one case stopped in each, in the
        # last weeks (the demo planner moves them to end within the last week).
        for number, state in enumerate(FORCED_OPEN):
            cast = self.casts[number % len(self.casts)]
            reported_at = self.end - timedelta(days=self.rng.uniform(3, 9))
            self._plan_case(reported_at, cast, (FIX, state))

    def _plan_case(
        self, reported_at: datetime, cast: Cast, fate: tuple[str, Status | None] | None = None
    ) -> None:
        planner = self.planner
        self.cases_planned += 1
        plan = planner.plan_case(
            self.cases_planned, reported_at, cast, self.rng.getrandbits(64), fate
        )
        planner.recategorise(plan)
        planner.lengthen(plan, self.end)
        tableable = (
            plan.category.code in PRIORITY_PRONE and not plan.private and not plan.is_duplicate
        )
        cap = MAX_CASE_EVENTS - TABLING_EVENTS if tableable else MAX_CASE_EVENTS
        planner.bound(plan, self.end, cap)
        for at, label, run in plan.steps:
            self._push(at, label, run)
        self.case_events += len(plan.steps)
        original = planner.original
        if original is not None and plan.is_duplicate:
            self._push_late_steps(original)
        # The queue holds the steps now; the plan keeps none, so no plan and its steps' closures
        # form a cycle, and each plan is freed as soon as its last step has run.
        planner.planned[plan.index] = len(plan.steps)
        plan.steps = []
        if fate is None:
            planner.remember(plan, reported_at)
            if tableable:
                refs = self.tabling.setdefault(cast.ppr.code, deque())
                refs.append(CaseRef(plan.id, cast.ppr.code, plan.reported_at, True))
                while refs and reported_at - refs[0].reported_at > TABLING_WINDOW:
                    refs.popleft()

    def _push_late_steps(self, original: CasePlan) -> None:
        """The duplicate's reporter supports the original: push that step (if it fits)."""
        tableable = original.category.code in PRIORITY_PRONE and not original.private
        cap = MAX_CASE_EVENTS - TABLING_EVENTS if tableable else MAX_CASE_EVENTS
        planned = self.planner.planned
        for step in original.steps:
            if step[0] <= self.end and planned[original.index] < cap:
                planned[original.index] += 1
                self._push(*step)
                self.case_events += 1
        original.steps = []

    # -- steering --

    def _need(self) -> int:
        """Events still to plan: every count here is a lower bound, so the target is reached."""
        floor = self.app.recorded + self.pending_weight + self.unplanned_meetings * MEETING_FLOOR
        return self.target - floor

    def _next_report(self, after: datetime, need: int) -> datetime:
        """When the next case is reported: arrivals follow the hour of day and grow over time.

        The rate is set so the expected events of the cases still to come meet ``need`` by the
        last report; reports grow from 0.6 to 1.4 of the average over the history (as more
        residents take up the app), and follow ``REPORT_HOURS`` over the day.
        """
        rng = self.rng
        if after >= self.last_report:
            return after + timedelta(minutes=rng.uniform(1, 10))
        mean = self.case_events / self.cases_planned if self.cases_planned >= 20 else 10.0
        span = (self.last_report - self.start) / timedelta(hours=1)
        x = max((after - self.start) / timedelta(hours=1) / span, 0.0)
        remaining = span * (0.6 * (1 - x) + 0.4 * (1 - x * x))
        rate = need / mean / max(remaining, 1e-6)  # reports per weighted hour
        mass = rng.expovariate(rate)
        moment = after
        average_hour = sum(REPORT_HOURS) / len(REPORT_HOURS)
        while True:
            hour_end = moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            x = (moment - self.start) / timedelta(hours=1) / span
            weight = (0.6 + 0.8 * x) * REPORT_HOURS[moment.astimezone(MALAYSIA).hour] / average_hour
            available = (hour_end - moment) / timedelta(hours=1) * weight
            if mass <= available:
                return moment + timedelta(hours=mass / weight)
            mass -= available
            moment = hour_end
            if moment >= self.last_report:
                return moment

    # -- the run --

    def run(self) -> None:
        """Set up, then report cases and replay every step in time order until the target."""
        with clock.clock_set_to(lambda: self.current[0]):
            self._set_up()
            self._plan_forced_open()
            at = self.start
            while (need := self._need()) > 0:
                at = self._next_report(at, need)
                self._run_until(at)
                self.current[0] = at
                number = self.rng.random() * self.cumulative[-1]
                cast = self.casts[bisect.bisect_right(self.cumulative, number)]
                self._plan_case(at, cast)
            self._run_until(None)
            self.app.flush(wait=True)


def _items(audience: Audience) -> list[dict[str, Any]]:
    return RESIDENTS if audience is Audience.RESIDENTS else MANAGEMENT


# -- the entry points -------------------------------------------------------------------------------


def generate(
    runtime: Runtime,
    events: int,
    *,
    seed: int = 2026,
    progress: bool = True,
    end: datetime = DEFAULT_END,
) -> GeneratedSummary:
    """Write a realistic history of at least ``events`` events into the runtime's empty store."""
    if not store_is_empty(runtime):
        raise StoreNotEmpty("benchmark data is only generated into an empty event store")
    started = time.perf_counter()
    bar = Progress(events, enabled=progress)
    app = BatchedK2K(dict(runtime.app.env))
    collecting = gc.isenabled()
    # Everything the generator makes is freed by reference counting (plans hold no cycles),
    # while the cyclic collector's full passes over the live steps and aggregates took a sixth
    # of the time at a million events; it is switched off while generating.
    gc.disable()
    try:
        generator = _Generator(app, events, seed, end, bar)
        generator.run()
    finally:
        if collecting:
            gc.enable()
        app.close()
    schemes = tuple(_listed(runtime, each) for each in generator.casts)
    seconds = time.perf_counter() - started
    bar.close(app.recorded)
    done = generator.done
    return GeneratedSummary(
        events=app.recorded,
        pprs=len(generator.casts),
        cases=done["report"],
        committees=done["establish"],
        meetings=done["schedule"],
        decisions=done["decide"],
        survey_responses=done["response"],
        seconds=seconds,
        schemes=schemes,
        began_at=generator.start - SETUP_LEAD,
        ended_at=end,
        flushes=app.flushes,
    )


def _listed(runtime: Runtime, cast: Cast) -> GeneratedPpr:
    """The PPR's summary entry; its listed people get rows in the people table."""
    code = cast.ppr.code
    residents = cast.residents[:LISTED_RESIDENTS]
    ensure_person(
        runtime.engine, cast.committee.principal_id, cast.ppr.committee_name, "committee", [code]
    )
    ensure_person(
        runtime.engine, cast.management.principal_id, cast.ppr.management_name, "management", [code]
    )
    for number, resident in enumerate(residents, start=1):
        ensure_person(
            runtime.engine,
            resident.principal_id,
            f"{cast.ppr.resident_name} {number}",
            "resident",
            [code],
        )
    return GeneratedPpr(
        code=code,
        name=cast.ppr.name,
        blocks=tuple(BLOCK_CODES[: len(cast.ppr.blocks)]),
        categories=tuple(category.code for category in CATEGORIES),
        committee=cast.committee.principal_id,
        management=cast.management.principal_id,
        residents=tuple(each.principal_id for each in residents),
    )


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> None:
    """Generate into a fresh store (dropped afterwards) and print the summary."""
    from bench.common import store

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, store(args.backend, folder) as runtime:
        summary = generate(runtime, args.events, seed=args.seed, progress=not args.quiet)
    print(f"generated on {args.backend}, seed {args.seed}")
    print(f"  events              {summary.events:>10,}  ({summary.flushes} batches)")
    print(f"  seconds             {summary.seconds:>10.1f}")
    print(f"  events/s            {summary.events_per_second:>10,.0f}")
    print(f"  peak RSS            {peak_rss_mb():>10,.0f} MiB")
    print(f"  PPRs                {summary.pprs:>10,}")
    print(f"  cases               {summary.cases:>10,}")
    print(f"  committees          {summary.committees:>10,}")
    print(f"  meetings            {summary.meetings:>10,}")
    print(f"  decisions           {summary.decisions:>10,}")
    print(f"  survey responses    {summary.survey_responses:>10,}")
    print(f"  history             {summary.began_at:%Y-%m-%d} .. {summary.ended_at:%Y-%m-%d}")
    first = summary.schemes[0]
    print(
        f"  e.g. {first.code} ({first.name}): blocks {','.join(first.blocks)}; "
        f"committee {first.committee}, management {first.management}, "
        f"residents {', '.join(first.residents)}"
    )


if __name__ == "__main__":
    main()
