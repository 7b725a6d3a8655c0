"""The relay: follows the global notification log and turns events into jobs, losing none.

For each batch it (1) writes the batch's messages and deliveries (idempotent rows, committed),
(2) hands every job to the queue, and only then (3) moves its tracked position, with a
compare-and-set on the old one. A crash after (1) or (2) repeats the batch: the rows exist already
and the queue ignores job ids it holds, so nothing is sent twice. When the queue is down (Redis
unreachable) the position stays and the relay retries with backoff; the events wait in the log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from eventsourcing.persistence import Notification
from sqlalchemy import Engine, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from domain.application import K2K
from projections.engine import tracking
from workers.notifier import Notifier
from workers.queue import JobQueue, JobSpec, QueueUnavailable
from workers.rules import plan_event

log = logging.getLogger(__name__)

#: The relay's row in the tracking table (beside the projections', never rebuilt by them).
RELAY_NAME = "relay"
BATCH_SIZE = 100
#: Seconds between sweeps for deliveries whose job was lost.
SWEEP_INTERVAL = 60.0
#: Longest wait between attempts while the queue or the database is unavailable.
MAX_BACKOFF = 30.0


class Relay:
    """Moves events from the log to the queue, from its own tracked position."""

    def __init__(
        self,
        app: K2K,
        engine: Engine,
        notifier: Notifier,
        queue: JobQueue,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.app = app
        self.engine = engine
        self.notifier = notifier
        self.queue = queue
        self.batch_size = batch_size
        self.wake = threading.Event()

    def position(self) -> int:
        """The id of the last notification whose jobs the queue accepted."""
        with self.engine.begin() as conn:
            value = conn.execute(
                select(tracking.c.position).where(tracking.c.name == RELAY_NAME)
            ).scalar()
            if value is not None:
                return int(value)
            insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            conn.execute(
                insert(tracking)
                .values(name=RELAY_NAME, position=0, schema_version=1)
                .on_conflict_do_nothing(index_elements=["name"])
            )
        return 0

    def skip_to_head(self) -> int:
        """Mark everything recorded so far as relayed (demo history is not news to anyone)."""
        head = self.app.recorder.max_notification_id() or 0
        self.position()
        with self.engine.begin() as conn:
            conn.execute(
                update(tracking)
                .where(tracking.c.name == RELAY_NAME)
                .values(position=head, updated_at=datetime.now(tz=UTC))
            )
        return head

    def lag(self) -> int:
        """Notification ids not yet relayed (an upper bound: ids can have gaps)."""
        return max(0, (self.app.recorder.max_notification_id() or 0) - self.position())

    def process_batch(self) -> int:
        """Relay the next batch; returns how many events it covered (0 at the head)."""
        start = self.position()
        notifications: Sequence[Notification] = self.app.recorder.select_notifications(
            start=start, limit=self.batch_size, inclusive_of_start=False
        )
        if not notifications:
            return 0
        facts = self.notifier.facts()
        notices = []
        jobs: list[JobSpec] = []
        for notification in notifications:
            event = self.app.mapper.to_domain_event(notification)
            plan = plan_event(facts, event, notification.id)
            notices.extend(plan.notices)
            jobs.extend(plan.jobs)
        jobs = self.notifier.prepare(notices) + jobs
        for job in jobs:
            self.queue.enqueue(job)
        self._advance(start, notifications[-1].id)
        return len(notifications)

    def _advance(self, start: int, last: int) -> None:
        """Record that the queue holds every job up to ``last`` (unless another relay did)."""
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(tracking)
                .where(tracking.c.name == RELAY_NAME, tracking.c.position == start)
                .values(position=last, updated_at=datetime.now(tz=UTC))
            )
        if moved.rowcount != 1:
            log.debug("relay: batch after %s relayed by another relay", start)

    def catch_up(self) -> int:
        """Relay until the head of the log."""
        total = 0
        while applied := self.process_batch():
            total += applied
        return total

    def run_forever(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Keep relaying until ``stop`` is set, backing off while the queue is unavailable."""
        backoff = interval
        last_sweep = 0.0
        while not stop.is_set():
            try:
                self.catch_up()
                now = datetime.now(tz=UTC).timestamp()
                if now - last_sweep >= SWEEP_INTERVAL:
                    requeued = self.notifier.requeue_due()
                    if requeued:
                        log.info("relay: queued %s delivery job(s) again", requeued)
                    last_sweep = now
                backoff = interval
            except QueueUnavailable as error:
                log.warning(
                    "relay: the queue is unavailable (%s); retrying in %.1fs", error, backoff
                )
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            except Exception:  # a database hiccup must not kill the relay; its position is safe
                log.exception("relay: batch failed; retrying in %.1fs", backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            self.wake.wait(interval)
            self.wake.clear()
