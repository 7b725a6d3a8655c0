"""The embedded job queue: durable, deduplicated by id, due jobs only, crashes retried."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from domain import clock
from service.runtime import Runtime
from tests.unit.world import START, FrozenClock
from workers.queue import CRASH_RETRY_INTERVALS, DatabaseJobQueue, JobSpec
from workers.tables import queued_jobs

#: What the probe jobs did, in order.
CALLS: list[tuple[str, ...]] = []


def record(*args: str) -> None:
    """A job that notes its arguments."""
    CALLS.append(args)


def explode(*args: str) -> None:
    """A job that always fails."""
    raise RuntimeError(f"boom {args}")


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    CALLS.clear()
    now = FrozenClock(START)
    with clock.clock_set_to(now):
        yield now


@pytest.fixture
def queue(runtime: Runtime, frozen: FrozenClock) -> DatabaseJobQueue:
    return DatabaseJobQueue(runtime.engine, lease_seconds=30)


def job(job_id: str, function: str = "record", **options: object) -> JobSpec:
    return JobSpec(job_id, "notifications", f"{__name__}.{function}", (job_id,), **options)  # type: ignore[arg-type]


def test_a_job_queued_twice_runs_once(queue: DatabaseJobQueue) -> None:
    assert queue.enqueue(job("a")) is True
    assert queue.enqueue(job("a")) is False
    assert queue.enqueue_many([job("a"), job("b")]) == 1

    assert queue.run_due() == 2
    assert queue.run_due() == 0
    assert sorted(CALLS) == [("a",), ("b",)]


def test_a_delayed_job_waits_for_its_time(queue: DatabaseJobQueue, frozen: FrozenClock) -> None:
    queue.enqueue(job("later", run_at=frozen.current + timedelta(minutes=5)))

    assert queue.run_due() == 0
    frozen.advance(minutes=5)
    assert queue.run_due() == 1
    assert CALLS == [("later",)]


def test_a_failing_job_is_retried_with_backoff_then_kept_with_its_error(
    queue: DatabaseJobQueue, runtime: Runtime, frozen: FrozenClock
) -> None:
    queue.enqueue(job("bad", "explode"))

    runs = 0
    for _ in range(len(CRASH_RETRY_INTERVALS) + 3):
        runs += queue.run_due()
        frozen.advance(seconds=max(CRASH_RETRY_INTERVALS) * 2)

    with runtime.engine.connect() as conn:
        row = conn.execute(select(queued_jobs).where(queued_jobs.c.job_id == "bad")).one()
    assert runs == len(CRASH_RETRY_INTERVALS) + 1
    assert row.done_at is not None
    assert "boom" in row.last_error


def test_a_job_whose_runner_died_is_run_again_after_its_lease(
    queue: DatabaseJobQueue, runtime: Runtime, frozen: FrozenClock
) -> None:
    queue.enqueue(job("orphan"))
    # A runner claimed it and died: the claim stands until its lease runs out.
    with runtime.engine.begin() as conn:
        conn.execute(
            update(queued_jobs)
            .where(queued_jobs.c.job_id == "orphan")
            .values(claimed_until=frozen.current + timedelta(seconds=30), attempts=1)
        )

    assert queue.run_due() == 0
    frozen.advance(seconds=31)
    assert queue.run_due() == 1
    assert CALLS == [("orphan",)]


def test_finished_jobs_are_pruned_after_a_week_and_their_ids_free_again(
    queue: DatabaseJobQueue, frozen: FrozenClock
) -> None:
    queue.enqueue(job("old"))
    queue.run_due()
    frozen.advance(days=8)

    assert queue.prune() == 1
    assert queue.enqueue(job("old")) is True


def test_a_new_job_wakes_the_runner_and_a_duplicate_does_not(queue: DatabaseJobQueue) -> None:
    # The embedded runner thread sleeps on this event between polls: a report's notification
    # starts at once instead of up to a poll interval later.
    assert not queue.enqueued.is_set()
    assert queue.enqueue(job("wake-1"))
    assert queue.enqueued.is_set()

    queue.enqueued.clear()
    assert not queue.enqueue(job("wake-1"))
    assert not queue.enqueued.is_set()
