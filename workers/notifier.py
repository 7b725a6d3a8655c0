"""Notifications: turn notices into outbox messages and deliveries, and send each delivery once.

A message is one row per (source, recipient), rendered in the recipient's language; a delivery is
one row per (message, channel). Both ids are derived from those keys, so preparing the same notice
twice (a relay that crashed before recording its position) creates nothing new. A delivery job
claims its row before sending (attempts is a compare-and-set), records the outcome after, and
schedules its own retry with backoff; after the last attempt the delivery is ``failed`` and stays
visible to admins. A worker killed mid-send leaves the row ``sending``: once its lease runs out
the retried job (or the sweep) claims it again.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Engine, and_, func, or_, select, update

from domain import clock
from domain.application import K2K
from domain.clock import MALAYSIA
from domain.errors import NotFound
from domain.sla import SlaClock, SlaTarget
from projections.database import insert_into
from projections.engine import tracking
from workers.channels import DeliveryFailed, Sender
from workers.kinds import Channel, Kind, OutgoingMessage
from workers.queue import JobQueue, JobSpec, QueueUnavailable
from workers.rules import (
    Facts,
    Notice,
    decision_reminder_job,
    decision_reminder_time,
    sla_check_job,
    sla_checks,
)
from workers.tables import deliveries, messages, people
from workers.templates import Rendered, render, render_digest

if TYPE_CHECKING:
    from service.settings import Settings

log = logging.getLogger(__name__)

#: Tries per delivery, and the wait after each failed one (with ±20 % jitter).
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = (30, 120, 600, 1800, 7200)
#: A pending delivery this long past its time has lost its job (Redis restarted): queue it again.
SWEEP_GRACE = timedelta(seconds=60)
#: A sweep queues one job per delivery, digest or check per window of this many seconds, so
#: a long worker outage leaves a few spare jobs, not one per minute.
SWEEP_WINDOW_SECONDS = 600
#: How early a job may run (clock skew between machines) and still count as on time.
EARLY_TOLERANCE = timedelta(seconds=1)
#: The case-metrics read model must have seen a target change before its open cases are rescanned.
RESCAN_WAIT_SECONDS = 5
#: The SLA sweep queues checks falling due this soon, and re-checks misses this recent.
SLA_SWEEP_WINDOW = timedelta(minutes=30)
SLA_SWEEP_HORIZON = timedelta(days=2)
STAGES = ("warning", "breach")


def _key(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def sweep_mark(now: datetime) -> str:
    """The suffix of the jobs one sweep window queues (the same for every sweep in the window)."""
    return f"s{int(now.timestamp()) // SWEEP_WINDOW_SECONDS}"


def warning_source_key(case_id: str, target: SlaTarget, due_at: datetime) -> str:
    """What an SLA warning message is about: one target of one case with one due time."""
    return f"sla-warning:{case_id}:{target.value}:{int(due_at.timestamp())}"


def message_id_for(source_key: str, recipient_id: str) -> str:
    """The id of the message about ``source_key`` for ``recipient_id``."""
    return _key(source_key, recipient_id)


def delivery_id_for(message_id: str, channel: Channel) -> str:
    """The id of a message's delivery through ``channel``: event x recipient x channel."""
    return _key(message_id, channel.value)


def deliver_job(
    delivery_id: str, attempt: int, run_at: datetime | None = None, again: str = ""
) -> JobSpec:
    """The job that makes attempt number ``attempt`` at a delivery (``again``: queued by a sweep,
    under an id of its own, since the lost job's id may still be taken by a finished job)."""
    suffix = f"-{again}" if again else ""
    return JobSpec(
        job_id=f"deliver-{delivery_id}-{attempt}{suffix}",
        queue="notifications",
        function="workers.jobs.deliver",
        args=(delivery_id,),
        run_at=run_at,
    )


class Notifier:
    """The notifications side of the service: prepare, deliver, digest, sweep, SLA checks."""

    def __init__(
        self,
        app: K2K,
        engine: Engine,
        settings: Settings,
        queue: JobQueue,
        senders: dict[Channel, Sender],
    ) -> None:
        self.app = app
        self.engine = engine
        self.settings = settings
        self.queue = queue
        self.senders = senders
        self.lease = timedelta(seconds=settings.delivery_lease_seconds)

    def facts(self) -> Facts:
        """Fresh lookups for one batch of work."""
        return Facts(self.app, self.engine, self.settings.public_url)

    # -- preparing -----------------------------------------------------------------------------

    def prepare(self, notices: Sequence[Notice]) -> list[JobSpec]:
        """Write the messages and deliveries of ``notices`` (idempotently); return their jobs."""
        if not notices:
            return []
        recipient_ids = {rid for notice in notices for rid in notice.recipient_ids}
        now = clock.now()
        message_rows: list[dict[str, Any]] = []
        delivery_rows: list[dict[str, Any]] = []
        with self.engine.begin() as conn:
            persons = {
                row["principal_id"]: row
                for row in conn.execute(
                    select(people).where(people.c.principal_id.in_(recipient_ids))
                ).mappings()
            }
            for notice in notices:
                for recipient_id in notice.recipient_ids:
                    person = persons.get(recipient_id)
                    if person is not None and notice.kind.value in (person["muted_kinds"] or []):
                        continue
                    message, its_deliveries = self._rows(notice, recipient_id, person, now)
                    message_rows.append(message)
                    delivery_rows.extend(its_deliveries)
            # One statement for many rows: compiled once, sent in batches (SQLAlchemy's
            # insertmanyvalues), instead of one compiled INSERT per message.
            if message_rows:
                conn.execute(
                    insert_into(messages, conn).on_conflict_do_nothing(
                        index_elements=["message_id"]
                    ),
                    message_rows,
                )
            if delivery_rows:
                conn.execute(
                    insert_into(deliveries, conn).on_conflict_do_nothing(
                        index_elements=["delivery_id"]
                    ),
                    delivery_rows,
                )
            rows = conn.execute(
                select(
                    deliveries.c.delivery_id,
                    deliveries.c.status,
                    deliveries.c.attempts,
                    deliveries.c.recipient_id,
                    deliveries.c.channel,
                    deliveries.c.created_at,
                ).where(deliveries.c.delivery_id.in_([row["delivery_id"] for row in delivery_rows]))
            ).all()
        jobs = []
        for row in rows:
            if row.status == "pending" and row.attempts == 0:  # later attempts queue themselves
                jobs.append(deliver_job(row.delivery_id, 1))
            elif row.status == "held":
                jobs.append(self.digest_job(row.recipient_id, Channel(row.channel), row.created_at))
        return list({job.job_id: job for job in jobs}.values())

    def _rows(
        self, notice: Notice, recipient_id: str, person: Any, now: datetime
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The message row for one recipient and its delivery rows, one per channel."""
        language = person["language"] if person is not None else "ms"
        rendered = render(notice.kind.value, language, notice.context)
        message_id = message_id_for(notice.source_key, recipient_id)
        message = {
            "message_id": message_id,
            "source_key": notice.source_key,
            "recipient_id": recipient_id,
            "kind": notice.kind.value,
            "language": language,
            "subject": rendered.subject[:300],
            "body": rendered.body,
            "link": notice.link,
            "ppr_code": notice.ppr_code,
            "case_id": notice.case_id,
            "created_at": now,
        }
        channels: list[tuple[Channel, str]] = []
        # The outbox is the API; with a directory configured a delivery also writes the file.
        channels.append((Channel.OUTBOX, "pending" if self.settings.outbox_dir else "sent"))
        if person is not None:
            held = "held" if person["digest"] else "pending"
            wanted = person["channels"] or []
            if person["email"] and "email" in wanted and Channel.EMAIL in self.senders:
                channels.append((Channel.EMAIL, held))
            if person["phone"] and "sms" in wanted and Channel.SMS in self.senders:
                channels.append((Channel.SMS, held))
        its_deliveries = [
            {
                "delivery_id": delivery_id_for(message_id, channel),
                "message_id": message_id,
                "recipient_id": recipient_id,
                "channel": channel.value,
                "status": status,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
                "sent_at": now if status == "sent" else None,
            }
            for channel, status in channels
        ]
        return message, its_deliveries

    def prepare_sign_in_code(
        self,
        code_id: str,
        principal_id: str,
        channel: Channel,
        code: str,
        minutes: int,
        language: str,
    ) -> list[JobSpec]:
        """Write the message that carries a one-time sign-in code; return its delivery jobs.

        The code goes to the one address it was asked for (``channel``), at once: it is never
        held for a digest nor muted, whatever the person's preferences, or they could not sign
        in. The outbox gets its copy as every message does.
        """
        rendered = render(Kind.SIGN_IN_CODE.value, language, {"code": code, "minutes": minutes})
        now = clock.now()
        message_id = message_id_for(f"sign-in:{code_id}", principal_id)
        channels = [Channel.OUTBOX]
        if channel is not Channel.OUTBOX and channel in self.senders:
            channels.append(channel)
        outbox_status = "pending" if self.settings.outbox_dir else "sent"
        delivery_rows: list[dict[str, Any]] = [
            {
                "delivery_id": delivery_id_for(message_id, each),
                "message_id": message_id,
                "recipient_id": principal_id,
                "channel": each.value,
                "status": outbox_status if each is Channel.OUTBOX else "pending",
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
                "sent_at": now if each is Channel.OUTBOX and outbox_status == "sent" else None,
            }
            for each in channels
        ]
        with self.engine.begin() as conn:
            conn.execute(
                insert_into(messages, conn).on_conflict_do_nothing(index_elements=["message_id"]),
                {
                    "message_id": message_id,
                    "source_key": f"sign-in:{code_id}",
                    "recipient_id": principal_id,
                    "kind": Kind.SIGN_IN_CODE.value,
                    "language": language,
                    "subject": rendered.subject[:300],
                    "body": rendered.body,
                    "link": None,
                    "ppr_code": None,
                    "case_id": None,
                    "created_at": now,
                },
            )
            conn.execute(
                insert_into(deliveries, conn).on_conflict_do_nothing(
                    index_elements=["delivery_id"]
                ),
                delivery_rows,
            )
        return [
            deliver_job(row["delivery_id"], 1)
            for row in delivery_rows
            if row["status"] == "pending"
        ]

    # -- delivering ----------------------------------------------------------------------------

    def deliver(self, delivery_id: str) -> str:
        """Make one attempt at a delivery; returns what happened (for logs and tests)."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(
                        deliveries,
                        messages.c.subject,
                        messages.c.body,
                        messages.c.link,
                        messages.c.kind,
                        messages.c.language,
                        people.c.name.label("person_name"),
                        people.c.email,
                        people.c.phone,
                    )
                    .join(messages, messages.c.message_id == deliveries.c.message_id)
                    .outerjoin(people, people.c.principal_id == deliveries.c.recipient_id)
                    .where(deliveries.c.delivery_id == delivery_id)
                )
                .mappings()
                .first()
            )
        if row is None:
            return "unknown"
        if row["status"] in ("sent", "failed", "held", "digested"):
            return str(row["status"])
        now = clock.now()
        if row["status"] == "sending" and row["last_attempt_at"] > now - self.lease:
            return "busy"  # another attempt is under way and may still succeed
        waiting_until = row["next_attempt_at"]
        if row["status"] == "pending" and waiting_until and waiting_until > now + EARLY_TOLERANCE:
            return "not yet"  # a repeat of an old job must not cut the backoff short
        if row["attempts"] >= MAX_ATTEMPTS:
            self._finish(delivery_id, "failed", row["last_error"] or "gave up")
            return "failed"
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.delivery_id == delivery_id,
                    deliveries.c.attempts == row["attempts"],
                    deliveries.c.status.in_(("pending", "sending")),
                )
                .values(status="sending", attempts=row["attempts"] + 1, last_attempt_at=now)
            )
        if claimed.rowcount != 1:
            return "busy"
        attempt = row["attempts"] + 1
        channel = Channel(row["channel"])
        try:
            self._send(channel, row)
        except Exception as error:
            return self._failed(delivery_id, attempt, error)
        self._finish(delivery_id, "sent", None)
        return "sent"

    def _send(self, channel: Channel, row: Any) -> None:
        sender = self.senders.get(channel)
        if sender is None:
            raise DeliveryFailed(f"the {channel.value} channel is not configured", permanent=True)
        # The address is read at send time: a person who erased it is not written to.
        address = {Channel.EMAIL: row["email"], Channel.SMS: row["phone"]}.get(channel)
        if channel is not Channel.OUTBOX and not address:
            raise DeliveryFailed(f"the recipient has no {channel.value} address", permanent=True)
        link = row["link"]
        sender.send(
            OutgoingMessage(
                delivery_id=row["delivery_id"],
                message_id=row["message_id"],
                recipient_id=row["recipient_id"],
                recipient_name=row["person_name"] or row["recipient_id"],
                channel=channel,
                address=address,
                language=row["language"],
                kind=row["kind"],
                subject=row["subject"],
                body=row["body"],
                short_text=f"{row['subject']} {link}" if link else row["subject"],
                link=link,
                created_at_iso=row["created_at"].isoformat(),
            )
        )

    def _finish(self, delivery_id: str, status: str, error: str | None) -> None:
        now = clock.now()
        with self.engine.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.delivery_id == delivery_id)
                .values(
                    status=status,
                    last_error=error,
                    sent_at=now if status == "sent" else None,
                    next_attempt_at=None,
                )
            )

    def _failed(self, delivery_id: str, attempt: int, error: Exception) -> str:
        reason = error.reason if isinstance(error, DeliveryFailed) else repr(error)
        permanent = isinstance(error, DeliveryFailed) and error.permanent
        if permanent or attempt >= MAX_ATTEMPTS:
            log.warning(
                "delivery %s failed for good after %s attempts: %s", delivery_id, attempt, reason
            )
            self._finish(delivery_id, "failed", reason)
            return "failed"
        delay = BACKOFF_SECONDS[attempt - 1] * random.uniform(0.8, 1.2)
        if isinstance(error, DeliveryFailed) and error.retry_after:
            delay = max(delay, error.retry_after)
        retry_at = clock.now() + timedelta(seconds=delay)
        with self.engine.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.delivery_id == delivery_id)
                .values(status="pending", last_error=reason, next_attempt_at=retry_at)
            )
        try:
            self.queue.enqueue(deliver_job(delivery_id, attempt + 1, retry_at))
        except QueueUnavailable:
            log.warning("delivery %s: retry not queued (the sweep will)", delivery_id)
        return "retrying"

    # -- the sweeps ----------------------------------------------------------------------------

    def requeue_due(self) -> int:
        """Queue again every delivery whose job was lost (Redis restarted) or whose worker died,
        and every digest whose time passed with messages still held; returns how many."""
        now = clock.now()
        again = sweep_mark(now)
        with self.engine.connect() as conn:
            stuck = conn.execute(
                select(deliveries.c.delivery_id, deliveries.c.attempts).where(
                    or_(
                        and_(
                            deliveries.c.status == "pending",
                            func.coalesce(deliveries.c.next_attempt_at, deliveries.c.created_at)
                            <= now - SWEEP_GRACE,
                        ),
                        and_(
                            deliveries.c.status == "sending",
                            deliveries.c.last_attempt_at < now - self.lease,
                        ),
                    )
                )
            ).all()
            held = conn.execute(
                select(deliveries.c.recipient_id, deliveries.c.channel, deliveries.c.created_at)
                .where(deliveries.c.status == "held")
                .order_by(deliveries.c.created_at)
            ).all()
        jobs = [deliver_job(row.delivery_id, row.attempts + 1, again=again) for row in stuck]
        overdue: dict[str, JobSpec] = {}
        for row in held:
            job = self.digest_job(row.recipient_id, Channel(row.channel), row.created_at)
            if job.run_at is not None and job.run_at <= now - SWEEP_GRACE:
                overdue.setdefault(job.job_id, replace(job, job_id=f"{job.job_id}-{again}"))
        queued = 0
        for job in [*jobs, *overdue.values()]:
            queued += self.queue.enqueue(job)
        return queued

    def sweep_sla(self) -> int:
        """Queue the SLA checks of open cases that fall due soon or fell due unrecorded lately.

        The relay schedules every check when a case is reported; this sweep is for checks a
        Redis restart lost. Checks due within ``SLA_SWEEP_WINDOW`` are queued under their usual
        ids (a queued one is left alone); a target missed within ``SLA_SWEEP_HORIZON`` without a
        recorded breach, or in its warning period, is checked now. Older misses are history.
        """
        from projections.case_metrics import TARGETS, case_metrics

        now = clock.now()
        again = sweep_mark(now)
        m = case_metrics.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(case_metrics).where(m.ended_at.is_(None))).mappings().all()
        jobs: list[JobSpec] = []
        warnings: dict[str, JobSpec] = {}
        for row in rows:
            reported_at = row["reported_at"]
            for name, milestone in TARGETS.items():
                due = row[f"{name}_due_at"]
                if due is None or row[milestone] is not None:
                    continue
                target = SlaTarget(name)
                sla = SlaClock(target, reported_at, due, None, None)
                if (
                    now < due <= now + SLA_SWEEP_WINDOW
                    or now < sla.warn_at <= now + SLA_SWEEP_WINDOW
                ):
                    jobs += [sla_check_job(row["case_id"], target, stage, sla) for stage in STAGES]
                elif sla.warn_at <= now < due:
                    warnings[warning_source_key(row["case_id"], target, due)] = sla_check_job(
                        row["case_id"], target, "warning", sla, again
                    )
                elif (
                    now - SLA_SWEEP_HORIZON <= due <= now and not row[f"{name}_breach_recorded_at"]
                ):
                    jobs.append(sla_check_job(row["case_id"], target, "breach", sla, again))
        if warnings:
            with self.engine.connect() as conn:
                warned = set(
                    conn.execute(
                        select(messages.c.source_key).where(messages.c.source_key.in_(warnings))
                    ).scalars()
                )
            jobs += [job for key, job in warnings.items() if key not in warned]
        return self.queue.enqueue_many(jobs)

    # -- digests -------------------------------------------------------------------------------

    def digest_moment(self, day: date) -> datetime:
        """When the digest of ``day`` goes out (the digest hour, Malaysia time)."""
        return datetime.combine(day, time(self.settings.digest_hour), MALAYSIA).astimezone(UTC)

    def digest_job(self, recipient_id: str, channel: Channel, created_at: datetime) -> JobSpec:
        """The digest that will carry a message held at ``created_at``."""
        local = created_at.astimezone(MALAYSIA)
        day = local.date()
        if self.digest_moment(day) <= created_at:
            day += timedelta(days=1)
        return JobSpec(
            job_id=f"digest-{_key(recipient_id)[:20]}-{channel.value}-{day:%Y%m%d}",
            queue="digests",
            function="workers.jobs.send_digest",
            args=(recipient_id, channel.value, day.isoformat()),
            run_at=self.digest_moment(day),
        )

    def send_digest(self, recipient_id: str, channel_name: str, day_iso: str) -> str:
        """Bundle the recipient's held messages for one channel into the day's digest."""
        channel = Channel(channel_name)
        moment = self.digest_moment(date.fromisoformat(day_iso))
        source_key = f"digest:{day_iso}:{channel.value}"
        message_id = message_id_for(source_key, recipient_id)
        digest_delivery = delivery_id_for(message_id, channel)
        now = clock.now()
        with self.engine.begin() as conn:
            held = conn.execute(
                select(
                    deliveries.c.delivery_id, messages.c.subject, messages.c.body, messages.c.link
                )
                .join(messages, messages.c.message_id == deliveries.c.message_id)
                .where(
                    deliveries.c.recipient_id == recipient_id,
                    deliveries.c.channel == channel.value,
                    deliveries.c.status == "held",
                    deliveries.c.created_at <= moment,
                )
                .order_by(deliveries.c.created_at)
            ).all()
            if held:
                language = (
                    conn.execute(
                        select(people.c.language).where(people.c.principal_id == recipient_id)
                    ).scalar()
                    or "ms"
                )
                items = [
                    Rendered(row.subject, row.body, f"{row.subject} {row.link or ''}".strip())
                    for row in held
                ]
                rendered = render_digest(language, day_iso, items)
                conn.execute(
                    insert_into(messages, conn)
                    .values(
                        message_id=message_id,
                        source_key=source_key,
                        recipient_id=recipient_id,
                        kind=Kind.DIGEST.value,
                        language=language,
                        subject=rendered.subject[:300],
                        body=rendered.body,
                        link=f"{self.settings.public_url}/api/v1/notifications",
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["message_id"])
                )
                conn.execute(
                    insert_into(deliveries, conn)
                    .values(
                        delivery_id=digest_delivery,
                        message_id=message_id,
                        recipient_id=recipient_id,
                        channel=channel.value,
                        status="pending",
                        attempts=0,
                        created_at=now,
                        next_attempt_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["delivery_id"])
                )
                conn.execute(
                    update(deliveries)
                    .where(deliveries.c.delivery_id.in_([row.delivery_id for row in held]))
                    .values(status="digested", digest_id=digest_delivery, next_attempt_at=None)
                )
            attempts = conn.execute(
                select(deliveries.c.attempts).where(deliveries.c.delivery_id == digest_delivery)
            ).scalar()
        if attempts is None:
            return "nothing held"
        self.queue.enqueue(deliver_job(digest_delivery, attempts + 1))
        return f"digest of {len(held)}"

    # -- SLA checks ----------------------------------------------------------------------------

    def check_sla(self, case_id: str, target_name: str, stage: str) -> str:
        """At 80 % of a target's time warn management; at its due time record the breach."""
        target = SlaTarget(target_name)
        try:
            sla = self.app.sla_clock(UUID(case_id), target)
        except NotFound:
            return "no such case"
        if sla is None:
            return "no target"
        now = clock.now()
        again = f"r{int(now.timestamp())}"
        if stage == "warning":
            if not sla.open_at(now) or now >= sla.due_at:
                return "not needed"
            if now < sla.warn_at:  # early (the target grew since this check was scheduled)
                self.queue.enqueue(sla_check_job(case_id, target, stage, sla, again))
                return "rescheduled"
            self._enqueue_all(self.prepare([self._warning(case_id, target, sla.due_at)]))
            return "warned"
        if now <= sla.due_at:
            if sla.open_at(now):
                self.queue.enqueue(sla_check_job(case_id, target, stage, sla, again))
                return "rescheduled"
            return "not needed"
        saved = self.app.record_sla_breach(UUID(case_id), target)
        return "breach recorded" if saved else "not breached"

    def _warning(self, case_id: str, target: SlaTarget, due_at: datetime) -> Notice:
        facts = self.facts()
        case = self.app.get_case(UUID(case_id))
        context = facts.case_context(case, case.status, None)
        context.update(target=target.value, due_at=due_at.isoformat())
        return Notice(
            Kind.SLA_WARNING,
            warning_source_key(case_id, target, due_at),
            tuple(facts.staff(case.ppr_code, ("management",))),
            context,
            case.ppr_code,
            case_id,
            context["link"],
        )

    def rescan_sla(self, ppr_code: str, category_code: str, position: str) -> str:
        """After a target changed, schedule fresh checks for the open cases of that category."""
        from projections.case_metrics import case_metrics

        with self.engine.connect() as conn:
            projected = conn.execute(
                select(tracking.c.position).where(tracking.c.name == "case_metrics")
            ).scalar()
            if projected is None or projected < int(position):
                waiting = True
            else:
                waiting = False
                case_ids = list(
                    conn.execute(
                        select(case_metrics.c.case_id).where(
                            case_metrics.c.ppr_code == ppr_code,
                            case_metrics.c.category_code == category_code,
                            case_metrics.c.ended_at.is_(None),
                        )
                    ).scalars()
                )
        if waiting:
            retry_at = clock.now() + timedelta(seconds=RESCAN_WAIT_SECONDS)
            self.queue.enqueue(
                JobSpec(
                    job_id=f"sla-rescan-{position}-{int(retry_at.timestamp())}",
                    queue="sla",
                    function="workers.jobs.rescan_sla",
                    args=(ppr_code, category_code, position),
                    run_at=retry_at,
                )
            )
            return "waiting for the case metrics"
        facts = self.facts()
        jobs = [
            job
            for case_id in case_ids
            for job in sla_checks(facts, self.app.get_case(UUID(case_id)))
        ]
        self._enqueue_all(jobs)
        return f"rescheduled {len(case_ids)} case(s)"

    # -- decisions -----------------------------------------------------------------------------

    def remind_decision(self, decision_id: str) -> str:
        """On the day a decision is due, remind management and the committee if it is not done."""
        from domain.decision import DecisionStatus

        try:
            decision = self.app.get_decision(UUID(decision_id))
        except NotFound:
            return "no such decision"
        moment = decision_reminder_time(decision.due_date)
        now = clock.now()
        if now < moment:
            self.queue.enqueue(
                decision_reminder_job(decision_id, decision.due_date, f"r{int(now.timestamp())}")
            )
            return "rescheduled"
        finished = (DecisionStatus.DONE, DecisionStatus.VERIFIED, DecisionStatus.REJECTED)
        if decision.current_status in finished:
            return "not needed"
        facts = self.facts()
        context = facts.decision_context(
            decision_id, decision.ppr_code, decision.text, decision.due_date, decision.meeting_id
        )
        link = context["link"]
        recipients = facts.staff(decision.ppr_code, ("management",)) + facts.staff(
            decision.ppr_code, ("committee",)
        )
        notice = Notice(
            Kind.DECISION_DUE,
            f"decision-due:{decision_id}:{decision.due_date.isoformat()}",
            tuple(dict.fromkeys(recipients)),
            context,
            decision.ppr_code,
            None,
            link,
        )
        self._enqueue_all(self.prepare([notice]))
        return "reminded"

    def _enqueue_all(self, jobs: Iterable[JobSpec]) -> None:
        self.queue.enqueue_many(list(jobs))
