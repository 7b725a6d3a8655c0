"""Sending webhook deliveries: one signed POST per attempt, retried on the spec's schedule.

An attempt claims its delivery (a compare-and-set on the attempt count), signs the stored body
with the subscription's current secrets and this attempt's time, and POSTs it to the address the
SSRF guard checked. Only a 2xx answer is success. Redirects are not followed (a receiver that
moved must be re-registered, so nobody can bounce us to an internal address); ``Retry-After`` is
honoured; 410 Gone switches the subscription off. A receiver failing without a break for
``webhook_disable_after_days`` is switched off too, and its owner told. A worker killed mid-send
leaves the delivery ``sending``: once its lease runs out a retry (or the sweep) takes it over,
with the same ``webhook-id``, so a receiver that saw the first request recognises the second.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, Engine, and_, func, or_, select, update

from domain import clock
from domain.actors import Actor
from domain.application import K2K
from domain.errors import DomainError, NotFound
from domain.webhook import DisabledReason, WebhookSubscription
from projections.database import insert_into
from webhooks import transport
from webhooks.catalogue import TEST_TYPE
from webhooks.keys import UnsealFailed, box_for, prune_expired, signing_secrets
from webhooks.publisher import Delivery, body_of, deliver_job, delivery_id_for, insert_rows
from webhooks.signing import delivery_headers, new_message_id
from webhooks.ssrf import Resolver, UnsafeTarget
from webhooks.tables import (
    webhook_attempts,
    webhook_deliveries,
    webhook_health,
    webhook_replays,
)
from workers.queue import JobQueue, QueueUnavailable

if TYPE_CHECKING:
    from service.settings import Settings

log = logging.getLogger(__name__)

#: Standard Webhooks' schedule: the first attempt at once, then each retry this many seconds
#: after the previous failure (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h).
RETRY_SCHEDULE = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
MAX_ATTEMPTS = len(RETRY_SCHEDULE)
#: Each retry waits ±10 % of its scheduled time, so receivers that failed together (an outage)
#: are not all hit again at the same second.
JITTER = 0.1
#: A ``Retry-After`` beyond a day is taken as a day: the schedule's own longest wait.
MAX_RETRY_AFTER = 86400.0
#: A pending delivery this long past its time has lost its job (Redis restarted).
SWEEP_GRACE = timedelta(seconds=60)
EARLY_TOLERANCE = timedelta(seconds=1)
#: A replay that has not moved on for this long lost its job (one chunk takes seconds).
REPLAY_STALLED = timedelta(minutes=10)
FINISHED = ("succeeded", "failed", "cancelled")

Post = Callable[..., transport.Response]


class WebhookDeliverer:
    """Makes delivery attempts and keeps the delivery log."""

    def __init__(
        self,
        app: K2K,
        engine: Engine,
        settings: Settings,
        queue: JobQueue,
        post: Post = transport.post,
        resolver: Resolver | None = None,
    ) -> None:
        self.app = app
        self.engine = engine
        self.settings = settings
        self.queue = queue
        self.post = post
        self.resolver = resolver
        self.disable_after = timedelta(days=settings.webhook_disable_after_days)
        #: An attempt longer than this is presumed dead (its worker was killed): another may
        #: take over. It is the notifications' lease, well above the 15 s request timeout.
        self.lease = timedelta(seconds=settings.delivery_lease_seconds)
        self.box = box_for(settings.secrets_key)

    # -- one attempt ---------------------------------------------------------------------------

    def deliver(self, delivery_id: str) -> str:
        """Make one attempt at a delivery; returns what happened (for logs and tests)."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(webhook_deliveries).where(
                        webhook_deliveries.c.delivery_id == delivery_id
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            return "unknown"
        if row["status"] in FINISHED:
            return str(row["status"])
        now = clock.now()
        if row["status"] == "sending" and row["last_attempt_at"] > now - self.lease:
            return "busy"  # another attempt is under way and may still succeed
        waiting_until = row["next_attempt_at"]
        if row["status"] == "pending" and waiting_until and waiting_until > now + EARLY_TOLERANCE:
            return "not yet"  # a repeat of an old job must not cut the schedule short
        subscription = self._subscription(row["subscription_id"])
        if subscription is None or not subscription.receives:
            state = "deleted" if subscription is None or subscription.deleted else "disabled"
            self._end(delivery_id, row["attempts"], "cancelled", f"the subscription is {state}")
            return "cancelled"
        if row["attempts"] >= MAX_ATTEMPTS:
            self._end(delivery_id, row["attempts"], "failed", row["last_error"] or "gave up")
            return "failed"
        attempt = row["attempts"] + 1
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(webhook_deliveries)
                .where(
                    webhook_deliveries.c.delivery_id == delivery_id,
                    webhook_deliveries.c.attempts == row["attempts"],
                    webhook_deliveries.c.status.in_(("pending", "sending")),
                )
                .values(status="sending", attempts=attempt, last_attempt_at=now)
            )
            if claimed.rowcount != 1:
                return "busy"
            conn.execute(
                webhook_attempts.insert().values(
                    attempt_id=f"{delivery_id}-{attempt}",
                    delivery_id=delivery_id,
                    subscription_id=row["subscription_id"],
                    attempt=attempt,
                    started_at=now,
                )
            )
        return self._attempt(dict(row), subscription, attempt)

    def _attempt(
        self, row: Mapping[str, Any], subscription: WebhookSubscription, attempt: int
    ) -> str:
        delivery_id = row["delivery_id"]
        body = row["body"].encode()
        try:
            secrets = signing_secrets(self.engine, row["subscription_id"], clock.now(), self.box)
        except UnsealFailed as error:
            return self._failed(row, attempt, None, str(error), None)
        if not secrets:
            return self._failed(row, attempt, None, "the subscription has no signing secret", None)
        # The signed time is the wall clock's, whatever clock schedules: receivers compare it
        # with their own clock (Standard Webhooks allows them ±5 minutes).
        headers = delivery_headers(secrets, row["message_id"], int(time.time()), body)
        options: dict[str, Any] = {
            "timeout": self.settings.webhook_timeout_seconds,
            "allow_loopback": self.settings.webhook_allow_loopback,
        }
        if self.resolver is not None:
            options["resolver"] = self.resolver
        try:
            response = self.post(subscription.url, body, headers, **options)
        except UnsafeTarget as error:
            return self._failed(row, attempt, None, f"refused: {error.reason}", None)
        except transport.TransportError as error:
            return self._failed(row, attempt, None, error.reason, None, latency=error.latency_ms)
        except Exception as error:  # a bug must not leave the delivery claimed until the sweep
            log.exception("webhook delivery %s: the attempt failed unexpectedly", delivery_id)
            return self._failed(row, attempt, None, f"{type(error).__name__}: {error}", None)
        if 200 <= response.status < 300:
            self._succeeded(row, attempt, response)
            return "succeeded"
        if response.status == 410:
            with self.engine.begin() as conn:
                self._record_attempt(conn, row, attempt, response, "410 Gone: asked to stop")
                self._finish(conn, delivery_id, attempt, "failed", "410 Gone", response.status)
            self._disable(subscription, DisabledReason.GONE, "the receiver answered 410 Gone")
            return "gone"
        if 300 <= response.status < 400:
            location = response.headers.get("location", "")
            reason = f"{response.status} redirect to {location!r} not followed"
        else:
            reason = f"{response.status} from the receiver"
        retry_after = transport.retry_after_seconds(
            response.headers.get("retry-after"), clock.now()
        )
        return self._failed(row, attempt, response, reason, retry_after)

    def _subscription(self, subscription_id: str) -> WebhookSubscription | None:
        try:
            return self.app.get_webhook_subscription(UUID(subscription_id), include_deleted=True)
        except NotFound:
            return None

    @staticmethod
    def _record_attempt(
        conn: Connection,
        row: Mapping[str, Any],
        attempt: int,
        response: transport.Response | None,
        error: str | None,
        latency: float | None = None,
    ) -> None:
        values: dict[str, Any] = {"finished_at": clock.now(), "error": error}
        if response is not None:
            values.update(
                status_code=response.status,
                latency_ms=round(response.latency_ms, 1),
                address=response.address,
                response_excerpt=response.body_excerpt[:1024],
            )
        elif latency is not None:
            values["latency_ms"] = round(latency, 1)
        conn.execute(
            update(webhook_attempts)
            .where(webhook_attempts.c.attempt_id == f"{row['delivery_id']}-{attempt}")
            .values(values)
        )

    def _succeeded(
        self, row: Mapping[str, Any], attempt: int, response: transport.Response
    ) -> None:
        """Record the success, and that the receiver answers (its failing streak ends)."""
        now = clock.now()
        with self.engine.begin() as conn:
            self._record_attempt(conn, row, attempt, response, None)
            self._finish(conn, row["delivery_id"], attempt, "succeeded", None, response.status)
            statement = insert_into(webhook_health, conn).values(
                subscription_id=row["subscription_id"], failing_since=None, last_success_at=now
            )
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["subscription_id"],
                    set_={"failing_since": None, "last_success_at": now},
                )
            )

    @staticmethod
    def _finish(
        conn: Connection,
        delivery_id: str,
        attempt: int,
        status: str,
        error: str | None,
        status_code: int | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "status": status,
            "last_error": error,
            "finished_at": clock.now(),
            "next_attempt_at": None,
        }
        if status_code is not None:
            values["last_status_code"] = status_code
        # Only the attempt that holds the delivery writes its outcome: an attempt that outlived
        # its lease, overtaken by another, records its answer but not the status.
        conn.execute(
            update(webhook_deliveries)
            .where(
                webhook_deliveries.c.delivery_id == delivery_id,
                webhook_deliveries.c.attempts == attempt,
                webhook_deliveries.c.status.not_in(FINISHED),
            )
            .values(values)
        )

    def _end(self, delivery_id: str, attempt: int, status: str, error: str) -> None:
        """Finish a delivery that is not attempted (cancelled, or out of attempts)."""
        with self.engine.begin() as conn:
            self._finish(conn, delivery_id, attempt, status, error)

    def _failed(
        self,
        row: Mapping[str, Any],
        attempt: int,
        response: transport.Response | None,
        reason: str,
        retry_after: float | None,
        latency: float | None = None,
    ) -> str:
        delivery_id = row["delivery_id"]
        status_code = response.status if response is not None else None
        now = clock.now()
        with self.engine.begin() as conn:
            self._record_attempt(conn, row, attempt, response, reason, latency)
            failing_since = self._failure_streak(conn, row["subscription_id"], now)
            too_long = now - failing_since >= self.disable_after
            if too_long or attempt >= MAX_ATTEMPTS:
                self._finish(conn, delivery_id, attempt, "failed", reason, status_code)
            else:
                delay = RETRY_SCHEDULE[attempt] * random.uniform(1 - JITTER, 1 + JITTER)
                if retry_after is not None:
                    delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
                retry_at = now + timedelta(seconds=delay)
                values: dict[str, Any] = {
                    "status": "pending",
                    "last_error": reason,
                    "next_attempt_at": retry_at,
                }
                if status_code is not None:
                    values["last_status_code"] = status_code
                conn.execute(
                    update(webhook_deliveries)
                    .where(
                        webhook_deliveries.c.delivery_id == delivery_id,
                        webhook_deliveries.c.attempts == attempt,
                        webhook_deliveries.c.status == "sending",
                    )
                    .values(values)
                )
        if too_long:
            days = self.settings.webhook_disable_after_days
            subscription = self._subscription(row["subscription_id"])
            if subscription is not None:
                self._disable(
                    subscription,
                    DisabledReason.FAILING,
                    f"every attempt failed for {days:g} days; the last: {reason}",
                )
            return "disabled"
        if attempt >= MAX_ATTEMPTS:
            log.warning("webhook delivery %s failed for good: %s", delivery_id, reason)
            return "failed"
        try:
            self.queue.enqueue(deliver_job(delivery_id, attempt + 1, retry_at))
        except QueueUnavailable:
            log.warning("webhook delivery %s: retry not queued (the sweep will)", delivery_id)
        return "retrying"

    def _failure_streak(self, conn: Connection, subscription_id: str, now: datetime) -> datetime:
        """Record a failure; since when the receiver has failed without a break."""
        statement = insert_into(webhook_health, conn).values(
            subscription_id=subscription_id, failing_since=now, last_failure_at=now
        )
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["subscription_id"],
                set_={
                    "failing_since": func.coalesce(webhook_health.c.failing_since, now),
                    "last_failure_at": now,
                },
            )
        )
        since: datetime = conn.execute(
            select(webhook_health.c.failing_since).where(
                webhook_health.c.subscription_id == subscription_id
            )
        ).scalar_one()
        return since

    def _disable(
        self, subscription: WebhookSubscription, reason: DisabledReason, detail: str
    ) -> None:
        """Switch a subscription off on the service's own authority (recorded as an event)."""
        try:
            self.app.disable_webhook_subscription(
                Actor.system(), subscription.id, reason=reason, detail=detail
            )
        except DomainError as error:  # deleted or disabled meanwhile: nothing more to do
            log.info("webhook subscription %s not disabled: %s", subscription.id, error)
            return
        log.warning("webhook subscription %s disabled (%s): %s", subscription.id, reason, detail)

    # -- more deliveries -----------------------------------------------------------------------

    def redeliver(self, delivery_id: str) -> str:
        """Deliver a delivery's message once more, as a new delivery; returns the new id."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(webhook_deliveries).where(
                        webhook_deliveries.c.delivery_id == delivery_id
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            raise NotFound(f"no webhook delivery {delivery_id}")
        again = Delivery(
            delivery_id=delivery_id_for(
                row["subscription_id"], row["message_id"], f"redelivery:{uuid.uuid4()}"
            ),
            subscription_id=row["subscription_id"],
            message_id=row["message_id"],
            event_type=row["event_type"],
            position=row["position"],
            origin="redelivery",
            body=row["body"],
        )
        insert_rows(self.engine, [again])
        self._enqueue_first(again.delivery_id)
        return again.delivery_id

    def create_test(self, subscription: WebhookSubscription) -> str:
        """A ``webhook.test`` delivery to one subscription; returns its id."""
        test_id = str(uuid.uuid4())
        message_id = new_message_id(f"test:{test_id}")
        now = clock.now()
        data = {
            "subscription_id": str(subscription.id),
            "test_id": test_id,
            "message": "A test delivery from K2K Co-Manage: verify its signature with your secret.",
        }
        test = Delivery(
            delivery_id=delivery_id_for(str(subscription.id), message_id, "test"),
            subscription_id=str(subscription.id),
            message_id=message_id,
            event_type=TEST_TYPE,
            position=None,
            origin="test",
            body=body_of(TEST_TYPE, now, data),
        )
        insert_rows(self.engine, [test])
        return test.delivery_id

    def _enqueue_first(self, delivery_id: str) -> None:
        try:
            self.queue.enqueue(deliver_job(delivery_id, 1))
        except QueueUnavailable:
            log.warning("webhook delivery %s not queued yet (the sweep will)", delivery_id)

    def send_test(self, subscription: WebhookSubscription, wait: bool) -> str:
        """Queue a test delivery (or, with ``wait``, make its first attempt here and now)."""
        delivery_id = self.create_test(subscription)
        if wait:
            self.deliver(delivery_id)
        else:
            self._enqueue_first(delivery_id)
        return delivery_id

    # -- the sweep -----------------------------------------------------------------------------

    def requeue_due(self) -> int:
        """Queue again every delivery whose job was lost or whose worker died, and every replay
        that stopped half way (and forget expired secrets); returns how many jobs it queued."""
        from webhooks.replay import replay_job
        from workers.notifier import sweep_mark

        now = clock.now()
        prune_expired(self.engine, now)
        with self.engine.connect() as conn:
            stuck = conn.execute(
                select(webhook_deliveries.c.delivery_id, webhook_deliveries.c.attempts).where(
                    or_(
                        and_(
                            webhook_deliveries.c.status == "pending",
                            webhook_deliveries.c.next_attempt_at <= now - SWEEP_GRACE,
                        ),
                        and_(
                            webhook_deliveries.c.status == "sending",
                            webhook_deliveries.c.last_attempt_at < now - self.lease,
                        ),
                    )
                )
            ).all()
            stalled = conn.execute(
                select(webhook_replays.c.replay_id, webhook_replays.c.reached_position).where(
                    webhook_replays.c.finished_at.is_(None),
                    webhook_replays.c.progressed_at <= now - REPLAY_STALLED,
                )
            ).all()
        again = sweep_mark(now)
        jobs = [deliver_job(row.delivery_id, row.attempts + 1) for row in stuck]
        # A replay whose chunk job was lost goes on from where it got to (a chunk run twice
        # makes no delivery twice: their ids are derived from the replay and the event).
        jobs += [replay_job(row.replay_id, row.reached_position) for row in stalled]
        return sum(self.queue.enqueue(replace(job, job_id=f"{job.job_id}-{again}")) for job in jobs)


__all__ = ["MAX_ATTEMPTS", "RETRY_SCHEDULE", "WebhookDeliverer"]
