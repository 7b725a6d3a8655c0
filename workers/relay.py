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
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import Notification
from sqlalchemy import Engine, delete, func, select, update

from domain.application import K2K
from domain.webhook import WebhookSubscription
from projections.database import insert_into
from projections.engine import tracking
from workers.notifier import Notifier
from workers.queue import JobQueue, JobSpec, QueueUnavailable
from workers.rules import Plan, plan_event
from workers.tables import queued_jobs, relay_skipped

if TYPE_CHECKING:
    from webhooks.deliveries import WebhookDeliverer
    from webhooks.publisher import WebhookPublisher

log = logging.getLogger(__name__)

#: The relay's row in the tracking table (beside the projections', never rebuilt by them).
RELAY_NAME = "relay"
BATCH_SIZE = 100
#: Seconds between sweeps for deliveries whose job was lost, and for lost SLA checks.
SWEEP_INTERVAL = 60.0
SLA_SWEEP_INTERVAL = 600.0
#: Longest wait between attempts while the queue or the database is unavailable.
MAX_BACKOFF = 30.0
#: Tries at one event, and how long it must have kept failing, before it is set aside in
#: ``relay_skipped_events``: long enough that a restart or failover of the database is waited out.
GIVE_UP_AFTER = 5
GIVE_UP_AFTER_SECONDS = 600.0


def is_infrastructure(error: Exception) -> bool:
    """Whether ``error`` says a service is away (or this code is older than the log), not that
    the event itself cannot be relayed: such errors are waited out, never set aside."""
    from eventsourcing.persistence import PersistenceError
    from eventsourcing.utils import TopicError
    from sqlalchemy.exc import DBAPIError

    return isinstance(error, DBAPIError | PersistenceError | TopicError | QueueUnavailable)


class Relay:
    """Moves events from the log to the queue, from its own tracked position."""

    def __init__(
        self,
        app: K2K,
        engine: Engine,
        notifier: Notifier,
        queue: JobQueue,
        batch_size: int = BATCH_SIZE,
        publisher: WebhookPublisher | None = None,
        webhooks: WebhookDeliverer | None = None,
        forward_request_jobs: bool = False,
    ) -> None:
        self.app = app
        self.engine = engine
        self.notifier = notifier
        self.queue = queue
        self.batch_size = batch_size
        self.publisher = publisher
        self.webhooks = webhooks
        #: Production: web requests leave their jobs (a sign-in code to send) in the jobs table,
        #: since no request handler talks to Redis; the relay moves them onto the queue.
        self.forward_request_jobs = forward_request_jobs
        self.wake = threading.Event()
        #: Per notification id: failures so far and when the first one happened.
        self._failures: dict[int, tuple[int, float]] = {}

    def initialise(self) -> int:
        """Create the relay's position the first time: 0 on an empty log, else its head.

        A new store is relayed from its first event. A store that already holds events when the
        relay first meets it (an upgrade, a restored backup) is history: replaying it would send
        years of old news to everyone and judge long-closed cases' SLAs anew.
        """
        with self.engine.begin() as conn:
            value = conn.execute(
                select(tracking.c.position).where(tracking.c.name == RELAY_NAME)
            ).scalar()
            if value is not None:
                return int(value)
            head = self.app.recorder.max_notification_id() or 0
            if head:
                log.warning(
                    "relay: first start on a store with %s events; starting at its head", head
                )
            conn.execute(
                insert_into(tracking, conn)
                .values(name=RELAY_NAME, position=head, schema_version=1)
                .on_conflict_do_nothing(index_elements=["name"])
            )
        return self.position()

    def position(self) -> int:
        """The id of the last notification whose jobs the queue accepted (read only)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(tracking.c.position).where(tracking.c.name == RELAY_NAME)
            ).scalar()
        if value is None:
            return self.initialise()
        return int(value)

    def status(self) -> dict[str, int]:
        """Position, lag and skipped events, without writing anything (for probes)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(tracking.c.position).where(tracking.c.name == RELAY_NAME)
            ).scalar()
            skipped = conn.execute(select(func.count()).select_from(relay_skipped)).scalar_one()
        position = int(value or 0)
        head = self.app.recorder.max_notification_id() or 0
        return {"position": position, "lag": max(0, head - position), "skipped_events": skipped}

    def skip_to_head(self) -> int:
        """Mark everything recorded so far as relayed (demo history is not news to anyone)."""
        head = self.app.recorder.max_notification_id() or 0
        self.initialise()
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
        try:
            if self.publisher is not None:
                self.publisher.start_batch(start)
            jobs = self._jobs_for(notifications)
            self.queue.enqueue_many(jobs)
        except Exception:
            if self.publisher is not None:
                self.publisher.reset()  # its index may have folded events of the failed batch
            raise
        self._advance(start, notifications[-1].id)
        self._failures.clear()
        return len(notifications)

    def _jobs_for(self, notifications: Sequence[Notification]) -> list[JobSpec]:
        """Plan every event of a batch, write its rows, and return the jobs to queue."""
        facts = self.notifier.facts()
        plans: list[tuple[Notification, Plan, list[Any]]] = []
        for notification in notifications:
            try:
                event = self.app.mapper.to_domain_event(notification)
                # Webhooks first: the subscription index must take in every subscription event,
                # even one whose notifications fail and are set aside.
                hooks = (
                    self.publisher.deliveries_for(facts, event, notification.id)
                    if self.publisher is not None
                    else []
                )
                plan = plan_event(facts, event, notification.id)
                plans.append((notification, plan, hooks))
            except Exception as error:
                if self._give_up_on(notification, error):
                    continue
                raise
        try:
            return self._prepare(plans)
        except Exception as error:
            if is_infrastructure(error):
                raise
            return self._prepare_one_by_one(plans)

    def _prepare(self, plans: Sequence[tuple[Notification, Plan, list[Any]]]) -> list[JobSpec]:
        """Write the messages, deliveries and webhook deliveries of ``plans``; their jobs."""
        notices = [notice for _, plan, _ in plans for notice in plan.notices]
        hooks = [hook for _, _, event_hooks in plans for hook in event_hooks]
        jobs = self.notifier.prepare(notices)
        if self.publisher is not None:
            jobs += self.publisher.prepare(hooks)
        return jobs + [job for _, plan, _ in plans for job in plan.jobs]

    def _prepare_one_by_one(
        self, plans: list[tuple[Notification, Plan, list[Any]]]
    ) -> list[JobSpec]:
        """Prepare each event's rows alone, so that the one that cannot be written is found."""
        jobs: list[JobSpec] = []
        for planned in plans:
            try:
                jobs += self._prepare([planned])
            except Exception as error:
                if self._give_up_on(planned[0], error):
                    continue
                raise
        return jobs

    def _give_up_on(self, notification: Notification, error: Exception) -> bool:
        """Whether an event that keeps failing is set aside (recorded for admins) and skipped.

        A database hiccup fails a few times and then passes; an event that fails every time would
        otherwise stop every notification after it.
        """
        if is_infrastructure(error):
            return False  # the database or the store is away: wait for it, blame no event
        now = time.monotonic()
        failures, first = self._failures.get(notification.id, (0, now))
        failures += 1
        self._failures[notification.id] = (failures, first)
        if failures < GIVE_UP_AFTER or now - first < GIVE_UP_AFTER_SECONDS:
            return False
        log.error(
            "relay: event %s failed %s times; set aside: %r", notification.id, failures, error
        )
        with self.engine.begin() as conn:
            conn.execute(
                insert_into(relay_skipped, conn)
                .values(
                    notification_id=notification.id,
                    originator_id=str(notification.originator_id),
                    originator_version=notification.originator_version,
                    topic=notification.topic[:200],
                    error=f"{type(error).__name__}: {error}"[:4000],
                    skipped_at=datetime.now(tz=UTC),
                )
                .on_conflict_do_nothing(index_elements=["notification_id"])
            )
        del self._failures[notification.id]
        return True

    def replay_skipped(self, notification_id: int) -> bool:
        """Relay one set-aside event after all (an admin fixed its cause); False if not set aside."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(relay_skipped.c.notification_id).where(
                    relay_skipped.c.notification_id == notification_id
                )
            ).scalar()
        if found is None:
            return False
        [notification] = self.app.recorder.select_notifications(
            start=notification_id, limit=1, inclusive_of_start=True
        )
        event = self.app.mapper.to_domain_event(notification)
        facts = self.notifier.facts()
        plan = plan_event(facts, event, notification.id)
        hooks: list[Any] = []
        if self.publisher is not None and not isinstance(event, WebhookSubscription.Event):
            # Subscriptions are judged as they stand now, from an index of its own (the relay's
            # may be in use by its thread): near enough for an event an admin sends late.
            index = self.publisher.index_at(self.position())
            hooks = self.publisher.deliveries_for(facts, event, notification.id, index)
        self.queue.enqueue_many(self._prepare([(notification, plan, hooks)]))
        with self.engine.begin() as conn:
            conn.execute(
                delete(relay_skipped).where(relay_skipped.c.notification_id == notification_id)
            )
        return True

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
        """Relay until the head of the log (and forward the jobs requests left)."""
        total = 0
        while applied := self.process_batch():
            total += applied
        if self.forward_request_jobs:
            self.forward_jobs()
        return total

    def forward_jobs(self, limit: int = 500) -> int:
        """Move the jobs that web requests left in the jobs table onto the queue.

        A row is marked done only after the queue took its job, so a crash in between queues
        it again, which the queue ignores (its id is taken). Returns how many were moved.
        """
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    select(queued_jobs)
                    .where(queued_jobs.c.done_at.is_(None))
                    .order_by(queued_jobs.c.run_at)
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        if not rows:
            return 0
        now = datetime.now(tz=UTC)
        self.queue.enqueue_many(
            [
                JobSpec(
                    job_id=row["job_id"],
                    queue=row["queue"],
                    function=row["function"],
                    args=tuple(row["args"]),
                    # A job already due runs now, not at the next whole second rq schedules for.
                    run_at=row["run_at"] if row["run_at"] > now else None,
                )
                for row in rows
            ]
        )
        with self.engine.begin() as conn:
            conn.execute(
                update(queued_jobs)
                .where(queued_jobs.c.job_id.in_([row["job_id"] for row in rows]))
                .values(done_at=datetime.now(tz=UTC))
            )
        return len(rows)

    def run_forever(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Keep relaying until ``stop`` is set, backing off while the queue is unavailable."""
        backoff = interval
        last_sweep = last_sla_sweep = 0.0
        while not stop.is_set():
            try:
                self.catch_up()
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
            now = time.monotonic()
            if now - last_sweep >= SWEEP_INTERVAL:
                last_sweep = now
                self._sweep("deliveries", self.notifier.requeue_due)
                if self.webhooks is not None:
                    self._sweep("webhook deliveries", self.webhooks.requeue_due)
            if now - last_sla_sweep >= SLA_SWEEP_INTERVAL:
                last_sla_sweep = now
                self._sweep("SLA checks", self.notifier.sweep_sla)
            self.wake.wait(interval)
            self.wake.clear()

    @staticmethod
    def _sweep(what: str, sweep: Callable[[], int]) -> None:
        # A sweep is a safety net: its failure is logged and retried at the next interval, and
        # never holds up the relaying itself.
        try:
            queued = sweep()
        except Exception:
            log.exception("relay: the sweep for lost %s failed; next time, then", what)
            return
        if queued:
            log.info("relay: the sweep queued %s job(s) for lost %s", queued, what)
