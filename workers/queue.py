"""Where jobs wait: rq on Redis in production, a database table in embedded mode.

Both take the same ``JobSpec`` with a deterministic id, and both ignore a job whose id is queued
already, so whoever enqueues (the relay after a crash, a sweep, a retry) may enqueue again safely.
Jobs are at-least-once either way; what makes them send once is the deliveries table.
"""

from __future__ import annotations

import importlib
import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, and_, delete, or_, select, update

from domain import clock
from projections.database import insert_into
from workers.tables import queued_jobs

log = logging.getLogger(__name__)

#: One queue per kind of work, so a backlog of one never delays the other.
QUEUES = ("notifications", "sla", "digests", "webhooks")
#: A job that runs longer than this is killed by rq (and retried).
JOB_TIMEOUT_SECONDS = 60
#: rq retries a job that raised unexpectedly or whose worker died; our jobs record their own
#: delivery failures and never raise for those, so these retries are for crashes only.
CRASH_RETRY_INTERVALS = [10, 60, 300]


@dataclass(frozen=True)
class JobSpec:
    """A job to run: its deterministic id, queue, function (dotted path), arguments and time."""

    job_id: str
    queue: str
    function: str
    args: tuple[str, ...]
    run_at: datetime | None = None


class QueueUnavailable(Exception):
    """The queue cannot take jobs now (Redis down); the caller keeps its position and retries."""


class JobQueue(Protocol):
    """Somewhere to put jobs."""

    def enqueue(self, job: JobSpec) -> bool:
        """Queue ``job``; False when a job with its id is queued already."""

    def enqueue_many(self, jobs: Sequence[JobSpec]) -> int:
        """Queue each of ``jobs`` (those queued already are left alone); returns how many."""


def resolve(function: str) -> Callable[..., Any]:
    """The function a dotted path names."""
    module, _, name = function.rpartition(".")
    target: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return target


class RqJobQueue:
    """rq on Redis: immediate jobs with ``enqueue(unique=True)``, delayed ones with ``schedule_job``.

    rq 2.x ignores ``unique`` in ``enqueue_in``/``enqueue_at``, so a delayed job is created with
    ``create_job`` and scheduled with ``schedule_job(..., unique=True)``. Names carry ``prefix``
    so that several deployments (or test runs) can share one Redis.
    """

    def __init__(self, connection: Any, prefix: str) -> None:
        self.connection = connection
        self.prefix = prefix
        self._queues: dict[str, Any] = {}

    def queue_name(self, queue: str) -> str:
        """The rq queue that holds ``queue``'s jobs."""
        return f"{self.prefix}-{queue}"

    def rq_queue(self, queue: str) -> Any:
        """The rq ``Queue`` object for one of ``QUEUES``."""
        if queue not in self._queues:
            from rq import Queue

            self._queues[queue] = Queue(self.queue_name(queue), connection=self.connection)
        return self._queues[queue]

    def enqueue(self, job: JobSpec) -> bool:
        """Queue ``job`` on rq; False when its id exists already."""
        from redis.exceptions import RedisError
        from rq import Retry
        from rq.exceptions import DuplicateJobError

        queue = self.rq_queue(job.queue)
        options: dict[str, Any] = {
            "retry": Retry(max=len(CRASH_RETRY_INTERVALS), interval=CRASH_RETRY_INTERVALS),
            "result_ttl": 3600,
            "failure_ttl": 7 * 24 * 3600,
        }
        job_id = f"{self.prefix}-{job.job_id}"
        # rq keeps a scheduled time in whole seconds, dropping the fraction: rounding up keeps a
        # check from running before the moment it is meant to judge.
        run_at = job.run_at
        if run_at is not None and run_at.microsecond:
            run_at = run_at.replace(microsecond=0) + timedelta(seconds=1)
        try:
            if run_at is None or run_at <= clock.now():
                queue.enqueue(
                    job.function,
                    *job.args,
                    job_id=job_id,
                    unique=True,
                    job_timeout=JOB_TIMEOUT_SECONDS,
                    **options,
                )
            else:
                rq_job = queue.create_job(
                    job.function,
                    args=job.args,
                    job_id=job_id,
                    timeout=JOB_TIMEOUT_SECONDS,
                    **options,
                )
                queue.schedule_job(rq_job, run_at, unique=True)
        except DuplicateJobError:
            return False
        except RedisError as error:
            raise QueueUnavailable(f"Redis refused job {job_id}: {error}") from error
        return True

    def enqueue_many(self, jobs: Sequence[JobSpec]) -> int:
        """Queue each job in turn (rq's unique enqueue is one atomic script per job)."""
        return sum(self.enqueue(job) for job in jobs)


class DatabaseJobQueue:
    """Embedded mode's queue: a table, run by a thread of the web process.

    It is durable: a job enqueued before a crash runs after the restart. A claimed job carries a
    lease; a job whose runner died is claimed again once the lease ran out.
    """

    def __init__(self, engine: Engine, lease_seconds: float = JOB_TIMEOUT_SECONDS * 2) -> None:
        self.engine = engine
        self.lease = timedelta(seconds=lease_seconds)
        #: Set when a job is inserted, so the runner thread starts it at once instead of at its
        #: next poll (the poll stays, for jobs due later and for other processes' inserts).
        self.enqueued = threading.Event()

    def enqueue(self, job: JobSpec) -> bool:
        """Insert the job unless its id is there already."""
        return self.enqueue_many([job]) == 1

    def enqueue_many(self, jobs: Sequence[JobSpec]) -> int:
        """Insert the jobs whose ids are not there yet, in one transaction."""
        if not jobs:
            return 0
        now = clock.now()
        rows = [
            {
                "job_id": job.job_id,
                "queue": job.queue,
                "function": job.function,
                "args": list(job.args),
                "run_at": job.run_at or now,
                "created_at": now,
                "attempts": 0,
            }
            for job in jobs
        ]
        statement = insert_into(queued_jobs, self.engine)
        with self.engine.begin() as conn:
            inserted = conn.execute(
                statement.on_conflict_do_nothing(index_elements=["job_id"]).returning(
                    queued_jobs.c.job_id
                ),
                rows,
            ).all()
        if inserted:
            self.enqueued.set()
        return len(inserted)

    def _claim(self) -> dict[str, Any] | None:
        now = clock.now()
        with self.engine.begin() as conn:
            candidates = conn.execute(
                select(queued_jobs.c.job_id, queued_jobs.c.attempts)
                .where(
                    queued_jobs.c.done_at.is_(None),
                    queued_jobs.c.run_at <= now,
                    or_(queued_jobs.c.claimed_until.is_(None), queued_jobs.c.claimed_until < now),
                )
                .order_by(queued_jobs.c.run_at)
                .limit(5)
            ).all()
            for candidate in candidates:
                claimed = conn.execute(
                    update(queued_jobs)
                    .where(
                        queued_jobs.c.job_id == candidate.job_id,
                        queued_jobs.c.attempts == candidate.attempts,
                        queued_jobs.c.done_at.is_(None),
                    )
                    .values(claimed_until=now + self.lease, attempts=candidate.attempts + 1)
                )
                if claimed.rowcount == 1:
                    row = conn.execute(
                        select(queued_jobs).where(queued_jobs.c.job_id == candidate.job_id)
                    ).mappings()
                    return dict(row.one())
        return None

    def run_next(self) -> bool:
        """Run one due job; False when none is due."""
        job = self._claim()
        if job is None:
            return False
        try:
            resolve(job["function"])(*job["args"])
        except Exception as error:
            attempts = int(job["attempts"])
            retry = attempts <= len(CRASH_RETRY_INTERVALS)
            log.exception("job %s failed (attempt %s)", job["job_id"], attempts)
            values: dict[str, Any] = {"last_error": f"{type(error).__name__}: {error}"}
            if retry:
                delay = CRASH_RETRY_INTERVALS[attempts - 1] * random.uniform(0.8, 1.2)
                values.update(claimed_until=None, run_at=clock.now() + timedelta(seconds=delay))
            else:
                values.update(done_at=clock.now())
            with self.engine.begin() as conn:
                conn.execute(
                    update(queued_jobs).where(queued_jobs.c.job_id == job["job_id"]).values(values)
                )
            return True
        with self.engine.begin() as conn:
            conn.execute(
                update(queued_jobs)
                .where(queued_jobs.c.job_id == job["job_id"])
                .values(done_at=clock.now(), last_error=None)
            )
        return True

    def run_due(self, limit: int = 1000) -> int:
        """Run due jobs until none is left (or ``limit``); returns how many ran."""
        ran = 0
        while ran < limit and self.run_next():
            ran += 1
        return ran

    def next_run_at(self) -> datetime | None:
        """When the earliest waiting job is due."""
        with self.engine.connect() as conn:
            value: datetime | None = conn.execute(
                select(queued_jobs.c.run_at)
                .where(queued_jobs.c.done_at.is_(None))
                .order_by(queued_jobs.c.run_at)
                .limit(1)
            ).scalar()
        return value

    def prune(self, older_than: timedelta = timedelta(days=7)) -> int:
        """Forget jobs that finished long ago (their ids may then be used again)."""
        cutoff = clock.now() - older_than
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(queued_jobs).where(
                    and_(queued_jobs.c.done_at.is_not(None), queued_jobs.c.done_at < cutoff)
                )
            )
        return int(result.rowcount)
