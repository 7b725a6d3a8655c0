"""The webhook tables: signing secrets, deliveries, their attempts, receiver health and replays.

They live in the read-model database but are not projections: secrets must never enter the
immutable (and exported) event log, and the delivery log records what was sent, which rebuilding
read models must never repeat. They have their own metadata and survive ``projections rebuild``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from projections.database import UtcDateTime

metadata = MetaData()

#: A subscription's signing secrets: the current one, and after a rotation the previous one
#: until ``expires_at``. The fingerprint (never the secret) is what events and the API show.
webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("subscription_id", String(36), primary_key=True),
    Column("fingerprint", String(40), primary_key=True),
    Column("secret", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
)

#: One delivery of one event (or test) to one subscription; retried until it succeeds or fails.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("delivery_id", String(40), primary_key=True),
    Column("subscription_id", String(36), nullable=False),
    #: The ``webhook-id`` header: the same for every delivery of one event (receivers dedupe on it).
    Column("message_id", String(40), nullable=False),
    Column("event_type", String(60), nullable=False),
    #: The event's place in the log (none for a test delivery).
    Column("position", BigInteger),
    #: ``event`` (from the relay), ``replay``, ``redelivery`` or ``test``.
    Column("origin", String(16), nullable=False),
    #: The exact bytes sent (UTF-8 JSON); signatures are computed over them on every attempt.
    Column("body", Text, nullable=False),
    #: ``pending``, ``sending``, ``succeeded``, ``failed`` or ``cancelled``.
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("last_attempt_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Index("ix_webhook_deliveries_subscription", "subscription_id", "created_at"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

#: Every attempt at a delivery: what the receiver answered and how long it took.
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("attempt_id", String(44), primary_key=True),
    Column("delivery_id", String(40), nullable=False),
    Column("subscription_id", String(36), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("address", String(45)),
    Column("status_code", Integer),
    Column("latency_ms", Float),
    Column("error", Text),
    Column("response_excerpt", Text),
    Column("finished_at", UtcDateTime),
    Index("ix_webhook_attempts_delivery", "delivery_id", "attempt"),
)

#: Whether a subscription's receiver answers: failing since when (cleared by any success).
webhook_health = Table(
    "webhook_health",
    metadata,
    Column("subscription_id", String(36), primary_key=True),
    Column("failing_since", UtcDateTime),
    Column("last_success_at", UtcDateTime),
    Column("last_failure_at", UtcDateTime),
)

#: A request to deliver again every matching event from a point in the log.
webhook_replays = Table(
    "webhook_replays",
    metadata,
    Column("replay_id", String(36), primary_key=True),
    Column("subscription_id", String(36), nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    #: Events after ``from_position`` up to ``to_position`` (the head when it was asked for).
    Column("from_position", BigInteger, nullable=False),
    Column("to_position", BigInteger, nullable=False),
    Column("since", UtcDateTime),
    Column("reached_position", BigInteger, nullable=False),
    Column("deliveries", Integer, nullable=False, server_default="0"),
    #: When a chunk last moved it on: one that stands still this long lost its job.
    Column("progressed_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
)


def create_webhook_tables(engine: Engine) -> None:
    """Create the webhook tables that do not exist yet."""
    metadata.create_all(engine)
