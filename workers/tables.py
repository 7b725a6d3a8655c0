"""The notification tables: people to notify, the outbox, deliveries and the embedded job queue.

They live in the read-model database but are not projections: contact points are personal data
that must be correctable and erasable (so they never enter the immutable event log), and the
outbox and delivery log record what was sent, which a replay of the log must never repeat. They
have their own metadata and are never dropped by ``k2k projections rebuild``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from projections.database import UtcDateTime

metadata = MetaData()

#: Someone the service may notify, keyed by the principal id their events carry.
people = Table(
    "people",
    metadata,
    Column("principal_id", String(64), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("role", String(16), nullable=False),
    #: PPR codes the person acts in (committee and management are notified for these).
    Column("ppr_codes", JSON, nullable=False),
    Column("email", String(254)),
    Column("phone", String(20)),
    #: ``ms`` (Bahasa Malaysia, the default) or ``en``.
    Column("language", String(2), nullable=False, server_default="ms"),
    #: Email and SMS once a day instead of at once (the outbox always gets every message at once).
    Column("digest", Boolean, nullable=False, server_default="0"),
    #: Instant channels the person wants besides the outbox: a subset of ``["email", "sms"]``.
    Column("channels", JSON, nullable=False),
    #: Kinds of notification the person does not want (see ``workers.kinds``).
    Column("muted_kinds", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_people_role", "role"),
)

#: The outbox: one message per (source, recipient), rendered in the recipient's language.
messages = Table(
    "notification_messages",
    metadata,
    Column("message_id", String(64), primary_key=True),
    #: What caused it: ``event:<aggregate id>:<version>``, ``sla-warning:...``, ``digest:...``.
    Column("source_key", String(200), nullable=False),
    Column("recipient_id", String(64), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("language", String(2), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("link", String(500)),
    Column("ppr_code", String(32)),
    Column("case_id", String(36)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("read_at", UtcDateTime),
    UniqueConstraint("source_key", "recipient_id", name="uq_message_source_recipient"),
    Index("ix_messages_recipient_created", "recipient_id", "created_at"),
)

#: One row per (message, channel): the unique key that makes a job that runs twice send once.
deliveries = Table(
    "notification_deliveries",
    metadata,
    Column("delivery_id", String(64), primary_key=True),
    Column("message_id", String(64), nullable=False),
    Column("recipient_id", String(64), nullable=False),
    #: ``outbox``, ``email`` or ``sms``.
    Column("channel", String(8), nullable=False),
    #: pending -> sending -> sent | failed; ``held`` waits for the recipient's daily digest.
    Column("status", String(8), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("last_attempt_at", UtcDateTime),
    Column("sent_at", UtcDateTime),
    #: The digest delivery that carried a held message.
    Column("digest_id", String(64)),
    UniqueConstraint("message_id", "channel", name="uq_delivery_message_channel"),
    Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    Index("ix_deliveries_recipient_status", "recipient_id", "channel", "status"),
)

#: Embedded mode's durable job queue (production uses rq on Redis instead).
queued_jobs = Table(
    "queued_jobs",
    metadata,
    Column("job_id", String(200), primary_key=True),
    Column("queue", String(40), nullable=False),
    Column("function", String(120), nullable=False),
    Column("args", JSON, nullable=False),
    Column("run_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("claimed_until", UtcDateTime),
    Column("done_at", UtcDateTime),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Index("ix_queued_jobs_due", "done_at", "run_at"),
)


#: Events the relay could not turn into jobs, however often it tried: kept for admins, not lost.
relay_skipped = Table(
    "relay_skipped_events",
    metadata,
    Column("notification_id", Integer, primary_key=True),
    Column("originator_id", String(36), nullable=False),
    Column("originator_version", Integer, nullable=False),
    Column("topic", String(200), nullable=False),
    Column("error", Text, nullable=False),
    Column("skipped_at", UtcDateTime, nullable=False),
)


def create_notification_tables(engine: Engine) -> None:
    """Create the notification tables that do not exist yet."""
    metadata.create_all(engine)
