"""The projection engine: catch-up, crashes mid-batch, rebuilds, competing runners and status."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from sqlalchemy import Connection, Engine, select

from domain.case import Case, Party
from domain.ppr import SlaTargets
from projections import engine as engine_module
from projections.case_list import case_list
from projections.case_timeline import CaseTimelineProjection, case_timeline
from projections.engine import Projection, ProjectionRunner
from projections.registry import all_projections
from service.runtime import Runtime
from tests.integration.scenario import (
    ADMIN,
    MANAGER,
    PPR,
    events,
    manual_clock,
    notification_ids,
    positions,
    read_models,
    register_ppr,
    report,
    resident,
)

NAMES = [projection.name for projection in all_projections()]


class Crash(Exception):
    """What a projection raises to simulate the process dying in the middle of a batch."""


class LogUpTo:
    """The application as the projections see it, with the log cut off after ``stop``."""

    def __init__(self, app: Application[Any], stop: int) -> None:
        self.mapper = app.mapper
        self.recorder = self
        self._recorder: Any = app.recorder
        self._stop = stop

    def select_notifications(
        self, start: int | None, limit: int, *, inclusive_of_start: bool = True
    ) -> Sequence[Notification]:
        """The library's page of notifications, ending at the cut-off."""
        notifications: Sequence[Notification] = self._recorder.select_notifications(
            start, limit, stop=self._stop, inclusive_of_start=inclusive_of_start
        )
        return notifications

    def max_notification_id(self) -> int:
        """The cut-off is the head."""
        return self._stop


def crashing(name: str, at: int) -> Projection:
    """A fresh projection called ``name`` that crashes on the event at notification id ``at``."""
    base = type(next(p for p in all_projections() if p.name == name))

    class Crashing(base):  # type: ignore[valid-type,misc]
        armed = True

        def apply_stored(
            self, conn: Connection, notification: Notification, event: DomainEventProtocol[Any]
        ) -> None:
            if self.armed and notification.id == at:
                raise Crash(f"{name} crashed at notification {at}")
            super().apply_stored(conn, notification, event)

    projection: Projection = Crashing()
    return projection


def tables_of(engine: Engine, name: str) -> dict[str, list[dict[str, Any]]]:
    """The rows of one projection's tables."""
    own = {table.name for p in all_projections() if p.name == name for table in p.tables}
    return {table: rows for table, rows in read_models(engine).items() if table in own}


def run_together(*functions: Callable[[], int]) -> list[int]:
    """Start the functions in threads at the same moment; their results, or the first error."""
    barrier = threading.Barrier(len(functions))
    results: list[int | BaseException | None] = [None] * len(functions)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = functions[index]()
        except BaseException as error:  # reported by the test thread below
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(functions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a runner hung"
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [result for result in results if isinstance(result, int)]


def case_events(app: Application[Any]) -> list[tuple[str, int]]:
    """(case id, version) of every case event in the log."""
    return sorted(
        (str(event.originator_id), event.originator_version)
        for event in events(app)
        if isinstance(event, Case.Event)
    )


def timeline_keys(engine: Engine) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(select(case_timeline.c.case_id, case_timeline.c.version))
        return sorted((case_id, version) for case_id, version in rows)


def support_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(case_list.c.case_id, case_list.c.support_count))
        return dict(rows.tuples().all())


# -- catch-up and status ----------------------------------------------------------------------


def test_catch_up_applies_only_what_was_recorded_since_the_last_position(runtime: Runtime) -> None:
    register_ppr(runtime.app)
    case_id = report(runtime.app, resident(1), "Lift stuck")
    assert runtime.runner.catch_up() == len(runtime.runner.projections) * 5
    assert runtime.runner.catch_up() == 0

    runtime.app.support_case(resident(2), case_id)
    runtime.app.acknowledge_case(MANAGER, case_id)
    assert runtime.runner.catch_up("case_list") == 2
    assert runtime.runner.catch_up() == 2 * (len(runtime.runner.projections) - 1)
    assert support_counts(runtime.engine) == {str(case_id): 1}


def test_status_of_an_empty_log_shows_nothing_to_do(runtime: Runtime) -> None:
    statuses = runtime.runner.status()
    assert [status.name for status in statuses] == NAMES
    assert [(s.position, s.head, s.lag) for s in statuses] == [(0, 0, 0)] * len(
        runtime.runner.projections
    )
    assert runtime.runner.catch_up() == 0


def test_status_reports_position_head_and_lag_before_and_after_catch_up(
    runtime: Runtime,
) -> None:
    register_ppr(runtime.app)
    case_id = report(runtime.app, resident(1), "Lift stuck")
    head = notification_ids(runtime.app)[-1]

    before = runtime.runner.status()
    assert [status.name for status in before] == NAMES
    for status in before:
        assert (status.position, status.head, status.lag, status.updated_at) == (
            0,
            head,
            head,
            None,
        )

    started = datetime.now(tz=UTC)
    runtime.runner.catch_up()
    for status in runtime.runner.status():
        assert (status.position, status.head, status.lag) == (head, head, 0)
        assert status.updated_at is not None
        assert status.updated_at >= started.replace(microsecond=0)

    runtime.app.support_case(resident(2), case_id)
    new_head = notification_ids(runtime.app)[-1]
    assert new_head > head
    for status in runtime.runner.status():
        assert (status.position, status.head, status.lag) == (head, new_head, new_head - head)


# -- a crash in the middle of a batch -----------------------------------------------------------


def record_crash_story(runtime: Runtime) -> list[int]:
    """Fourteen events; notifications 7-9 (a batch of three) change every projection."""
    app = runtime.app
    with manual_clock() as clock:
        register_ppr(app)  # 1-4
        first = report(app, resident(1), "Lift stuck")  # 5
        app.support_case(resident(2), first)  # 6
        clock.advance(hours=1)
        app.change_dispute_window(ADMIN, PPR, 21)  # 7
        second = report(app, resident(3), "Pipe burst")  # 8
        app.acknowledge_case(MANAGER, first)  # 9: the crash
        app.support_case(resident(4), second)
        app.comment_on_case(resident(1), first, text="Still stuck")
        app.recategorise_case(MANAGER, second, category_code="WATER")
        app.change_sla_targets(ADMIN, PPR, "LIFT", SlaTargets(8, 24, 96))
        app.assign_case(MANAGER, first, to=Party.COMMITTEE)
    ids = notification_ids(app)
    assert len(ids) == 14
    return ids


#: Projections that the crash story (cases only) changes; the others read other aggregates.
CASE_READERS = [
    name for name in NAMES if name not in {"governance", "perception", "webhook_subscriptions"}
]


@pytest.mark.parametrize("name", CASE_READERS)
def test_a_crash_mid_batch_leaves_neither_rows_nor_position(runtime: Runtime, name: str) -> None:
    ids = record_crash_story(runtime)
    runner = ProjectionRunner(runtime.app, runtime.engine, [crashing(name, ids[8])], batch_size=3)

    with pytest.raises(Crash):
        runner.catch_up()

    # Two batches committed; the third applied two events before the crash and left nothing.
    assert runner.position(name) == ids[5]
    crashed = tables_of(runtime.engine, name)
    projection = next(p for p in all_projections() if p.name == name)
    half_done = ProjectionRunner(LogUpTo(runtime.app, ids[7]), runtime.engine, [projection])
    half_done.rebuild(name)
    assert tables_of(runtime.engine, name) != crashed, "the lost events change this projection"
    two_batches = ProjectionRunner(LogUpTo(runtime.app, ids[5]), runtime.engine, [projection])
    two_batches.rebuild(name)
    assert tables_of(runtime.engine, name) == crashed


def test_after_a_crash_catch_up_finishes_and_equals_a_clean_build(runtime: Runtime) -> None:
    ids = record_crash_story(runtime)
    projections = [crashing(name, ids[8]) for name in NAMES]
    runner = ProjectionRunner(runtime.app, runtime.engine, projections, batch_size=3)
    for name in NAMES:
        with pytest.raises(Crash):
            runner.catch_up(name)
    assert positions(runtime.engine) == dict.fromkeys(NAMES, ids[5])

    # The same projection objects carry on once the fault is gone, as the runner thread would.
    for projection in projections:
        projection.armed = False  # type: ignore[attr-defined]
    assert runner.catch_up() == len(runner.projections) * (len(ids) - 6)
    assert positions(runtime.engine) == dict.fromkeys(NAMES, ids[-1])
    recovered = read_models(runtime.engine)

    for name in NAMES:
        runtime.runner.rebuild(name)
    assert read_models(runtime.engine) == recovered


# -- rebuilds -----------------------------------------------------------------------------------


def test_rebuilding_every_projection_gives_the_rows_built_incrementally(runtime: Runtime) -> None:
    app = runtime.app
    small = ProjectionRunner(app, runtime.engine, all_projections(), batch_size=2)
    with manual_clock() as clock:
        register_ppr(app)
        runtime.runner.catch_up()

        cases = [report(app, resident(n), f"Problem {n}") for n in range(1, 7)]
        for supporter in range(10, 14):
            app.support_case(resident(supporter), cases[0])
        app.support_case(resident(10), cases[1])
        small.catch_up()

        clock.advance(hours=2)
        for case_id in cases[:4]:
            app.acknowledge_case(MANAGER, case_id)
        app.assign_case(MANAGER, cases[0], to=Party.CONTRACTOR, assignee="Lif Jaya")
        app.comment_on_case(MANAGER, cases[0], text="PO raised", internal=True)
        app.comment_on_case(resident(1), cases[0], text="Thanks")
        app.resolve_case(MANAGER, cases[0], note="Fixed")
        app.resolve_case(MANAGER, cases[1], note="Fixed")
        app.resolve_case(MANAGER, cases[2], note="Fixed")
        app.change_dispute_window(ADMIN, PPR, 7)
        runtime.runner.catch_up()

        clock.advance(days=1)
        app.confirm_resolution(resident(1), cases[0], rating=5)
        app.comment_on_case(resident(11), cases[0], text="Works now")
        app.dispute_resolution(resident(2), cases[1], reason="Leaks again")
        app.mark_duplicate(MANAGER, cases[4], duplicate_of=cases[3])
        app.withdraw_case(resident(6), cases[5], reason="Fixed it myself")
        app.recategorise_case(MANAGER, cases[3], category_code="WATER")
        small.catch_up()

        clock.advance(days=8)
        app.close_case(MANAGER, cases[2])
        app.decide_no_further_action(MANAGER, cases[3], reason="Not PPR property")
        app.change_sla_targets(ADMIN, PPR, "WATER", SlaTargets(1, 6, 24))
        runtime.runner.catch_up()

    incremental = read_models(runtime.engine)
    assert len(incremental["case_list"]) == 6
    for name in NAMES:
        assert runtime.runner.rebuild(name) == len(notification_ids(app))
    assert read_models(runtime.engine) == incremental
    assert positions(runtime.engine) == dict.fromkeys(NAMES, notification_ids(app)[-1])


def test_rebuilding_every_projection_in_one_pass_gives_the_rows_of_separate_rebuilds(
    runtime: Runtime,
) -> None:
    app = runtime.app
    register_ppr(app)
    cases = record_many_supports(runtime, 4, first_supporter=10)
    app.acknowledge_case(MANAGER, cases[0])
    app.resolve_case(MANAGER, cases[0], note="Fixed")
    runtime.runner.catch_up()
    for name in NAMES:
        runtime.runner.rebuild(name)
    separately = read_models(runtime.engine)

    small = ProjectionRunner(
        app, runtime.engine, all_projections(), batch_size=3, rebuild_batch_size=3
    )
    assert small.rebuild_together() == len(notification_ids(app))
    assert read_models(runtime.engine) == separately
    assert positions(runtime.engine) == dict.fromkeys(NAMES, notification_ids(app)[-1])


def test_read_models_built_one_event_at_a_time_equal_a_rebuild_in_big_batches(
    runtime: Runtime,
) -> None:
    # One event per batch sends every change through the database; big batches keep rows in
    # memory. Both must give the same rows, whatever falls in the same batch.
    app = runtime.app
    one_by_one = ProjectionRunner(app, runtime.engine, all_projections(), batch_size=1)
    with manual_clock() as clock:
        register_ppr(app)
        cases = record_many_supports(runtime, 3, first_supporter=10)
        app.acknowledge_case(MANAGER, cases[0])
        app.resolve_case(MANAGER, cases[0], note="Fixed")
        clock.advance(days=1)
        app.dispute_resolution(resident(1000), cases[0], reason="Still broken")
        # An SLA change in the middle: later events of the same category follow it.
        app.change_sla_targets(ADMIN, PPR, "LIFT", SlaTargets(2, 4, 8))
        app.acknowledge_case(MANAGER, cases[1])
        app.resolve_case(MANAGER, cases[0], note="Fixed again")
        app.confirm_resolution(resident(1000), cases[0], rating=4)
        app.mark_duplicate(MANAGER, cases[2], duplicate_of=cases[1])
    one_by_one.catch_up()
    step_by_step = read_models(runtime.engine)

    big = ProjectionRunner(app, runtime.engine, all_projections(), rebuild_batch_size=10_000)
    big.rebuild_together()
    assert read_models(runtime.engine) == step_by_step


def test_a_long_rebuild_refreshes_postgresql_statistics_as_the_tables_double(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without statistics PostgreSQL scans a whole table for each batch's prefetch.
    register_ppr(runtime.app)
    record_many_supports(runtime, 4, first_supporter=10)
    monkeypatch.setattr(engine_module, "FIRST_ANALYZE", 4)
    small = ProjectionRunner(runtime.app, runtime.engine, all_projections(), rebuild_batch_size=4)
    analysed: list[str] = []
    original = small._analyze

    def counting(projections: Sequence[Projection]) -> None:
        analysed.append(runtime.engine.dialect.name)
        original(projections)  # runs ANALYZE for real on PostgreSQL

    monkeypatch.setattr(small, "_analyze", counting)
    events = small.rebuild_together()
    # After 4, 8, 16, ... events: once per doubling, not once per batch.
    expected = len([n for n in (4, 8, 16, 32, 64) if n <= events])
    assert len(analysed) == expected
    assert positions(runtime.engine) == dict.fromkeys(NAMES, notification_ids(runtime.app)[-1])


def test_a_one_pass_rebuild_reads_the_log_once_for_all_projections(runtime: Runtime) -> None:
    register_ppr(runtime.app)
    record_many_supports(runtime, 3, first_supporter=10)
    reads: list[int | None] = []
    recorder: Any = runtime.app.recorder
    select_notifications = recorder.select_notifications

    def counting(start: int | None, limit: int, **options: Any) -> Sequence[Notification]:
        reads.append(start)
        return select_notifications(start, limit, **options)

    small = ProjectionRunner(
        runtime.app, runtime.engine, all_projections(), batch_size=5, rebuild_batch_size=5
    )
    recorder.select_notifications = counting
    try:
        small.rebuild_together()
    finally:
        del recorder.select_notifications
    # One page per batch plus the empty page at the head, whatever the number of projections.
    assert len(reads) == -(-len(notification_ids(runtime.app)) // 5) + 1


def test_a_one_pass_rebuild_finishes_alone_when_another_runner_moves_a_position(
    runtime: Runtime,
) -> None:
    app = runtime.app
    register_ppr(app)
    record_many_supports(runtime, 4, first_supporter=10)
    runtime.runner.catch_up()
    expected = read_models(runtime.engine)
    small = ProjectionRunner(
        app, runtime.engine, all_projections(), batch_size=4, rebuild_batch_size=4
    )
    other = ProjectionRunner(app, runtime.engine, all_projections(), batch_size=4)
    moved = False

    def progress(applied: int) -> None:
        nonlocal moved
        if not moved:  # after the first batch, a second runner works the case list on its own
            moved = True
            other.process_batch("case_list")

    small.rebuild_together(progress=progress)
    assert read_models(runtime.engine) == expected
    assert positions(runtime.engine) == dict.fromkeys(NAMES, notification_ids(app)[-1])


def test_a_rebuild_that_fails_keeps_the_previous_read_model(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_ppr(runtime.app)
    case_id = report(runtime.app, resident(1), "Lift stuck")
    runtime.app.support_case(resident(2), case_id)
    runtime.runner.catch_up()
    before, where = read_models(runtime.engine), positions(runtime.engine)

    def fail(conn: Connection, name: str) -> int:
        raise Crash("the process died after dropping the tables")

    monkeypatch.setattr(runtime.runner, "ensure_tracking", fail)
    for name in NAMES:
        with pytest.raises(Crash):
            runtime.runner.rebuild(name)
    monkeypatch.undo()

    assert read_models(runtime.engine) == before
    assert positions(runtime.engine) == where


# -- competing runners --------------------------------------------------------------------------


def record_many_supports(runtime: Runtime, cases: int, first_supporter: int) -> list[UUID]:
    """Cases each supported by a different number of residents, with a public and an internal note."""
    reported = []
    for n in range(cases):
        case_id = report(runtime.app, resident(1000 + n), f"Problem {n}")
        for supporter in range(first_supporter, first_supporter + n + 2):
            runtime.app.support_case(resident(supporter), case_id)
        runtime.app.comment_on_case(resident(1), case_id, text="Same here")
        runtime.app.comment_on_case(MANAGER, case_id, text="Checked", internal=True)
        reported.append(case_id)
    return reported


def test_two_runners_catching_up_at_once_apply_every_event_exactly_once(
    runtime: Runtime,
) -> None:
    app = runtime.app
    runners = [
        ProjectionRunner(app, runtime.engine, all_projections(), batch_size=2) for _ in range(2)
    ]
    register_ppr(app)
    cases = record_many_supports(runtime, cases=10, first_supporter=1)
    recorded = len(notification_ids(app))
    applied = run_together(*(runner.catch_up for runner in runners))
    assert sum(applied) == len(runners[0].projections) * recorded

    # A second round starts from the shared positions, not from each runner's own memory.
    cases += record_many_supports(runtime, cases=4, first_supporter=50)
    for case_id in cases[:3]:
        app.support_case(resident(99), case_id)
    new = len(notification_ids(app)) - recorded
    applied = run_together(*(runner.catch_up for runner in runners))
    assert sum(applied) == len(runners[0].projections) * new

    assert support_counts(runtime.engine) == {
        str(case_id): len(app.get_case(case_id).supporter_ids) for case_id in cases
    }
    with runtime.engine.connect() as conn:
        comments = conn.execute(select(case_list.c.public_comment_count)).scalars().all()
    assert comments == [1] * len(cases)
    assert timeline_keys(runtime.engine) == case_events(app)
    assert positions(runtime.engine) == dict.fromkeys(NAMES, notification_ids(app)[-1])

    built = read_models(runtime.engine)
    for name in NAMES:
        runtime.runner.rebuild(name)
    assert read_models(runtime.engine) == built


def test_a_runner_that_loses_a_batch_to_another_carries_on_to_the_head(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="projections.engine")
    register_ppr(runtime.app)
    record_many_supports(runtime, cases=2, first_supporter=1)
    ids = notification_ids(runtime.app)
    inside_batch, release, loser_read_position = (threading.Event() for _ in range(3))

    class Held(CaseTimelineProjection):
        """Stops inside its first batch, holding the tracking row, until the test lets it go."""

        def apply(self, conn: Connection, event: DomainEventProtocol[Any], position: int) -> None:
            if not inside_batch.is_set():
                inside_batch.set()
                assert release.wait(timeout=30)
            super().apply(conn, event, position)

    class Watched(ProjectionRunner):
        """Says when it has read the position it will try to move."""

        def position(self, name: str) -> int:
            start = super().position(name)
            loser_read_position.set()
            return start

    holder = ProjectionRunner(runtime.app, runtime.engine, [Held()], batch_size=3)
    loser = Watched(runtime.app, runtime.engine, [CaseTimelineProjection()], batch_size=3)

    def hold() -> int:
        return holder.process_batch("case_timeline")

    def lose() -> int:
        assert inside_batch.wait(timeout=30)
        return loser.catch_up("case_timeline")

    def let_go() -> int:
        assert loser_read_position.wait(timeout=30)
        time.sleep(0.3)  # the loser reaches its compare-and-set and waits on the holder's lock
        release.set()
        return 0

    held, lost, _ = run_together(hold, lose, let_go)

    assert held == 3
    assert lost == len(ids) - 3
    assert "applied by another runner" in caplog.text
    assert timeline_keys(runtime.engine) == case_events(runtime.app)
    assert loser.position("case_timeline") == ids[-1]
