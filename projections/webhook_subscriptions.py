"""Webhook subscriptions: one row per subscription with its current settings, for listing.

A row is the subscription aggregate's state after its latest event: target, event types, PPR
filter, owner, whether it receives and why not, and the fingerprints of the secrets that sign.
A deleted subscription keeps its row (``deleted`` is true) so its delivery log stays readable.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import DomainEventProtocol
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    select,
    update,
)

from domain.webhook import WebhookSubscription
from projections.database import UtcDateTime, metadata
from projections.engine import Projection

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("subscription_id", String(36), primary_key=True),
    Column("url", Text, nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("ppr_codes", JSON, nullable=False),
    Column("description", String(200), nullable=False),
    Column("owner_id", String(64), nullable=False),
    Column("owner_role", String(16), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("disabled_reason", String(16)),
    Column("disabled_detail", Text),
    Column("secret_fingerprints", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_webhook_subscriptions_owner", "owner_id"),
)


class WebhookSubscriptionsProjection(Projection):
    """One row per subscription: its state after its latest event."""

    name = "webhook_subscriptions"
    tables = (webhook_subscriptions,)

    def apply(self, conn: Connection, event: DomainEventProtocol[Any], position: int) -> None:
        """Copy the subscription's change into its row."""
        if not isinstance(event, WebhookSubscription.Event):
            return
        fields = vars(event)
        kind = type(event).__name__
        key = webhook_subscriptions.c.subscription_id == str(event.originator_id)
        values: dict[str, Any] = {
            "version": event.originator_version,
            "changed_at": fields["timestamp"],
        }
        if kind == "Created":
            conn.execute(
                webhook_subscriptions.insert().values(
                    subscription_id=str(event.originator_id),
                    url=fields["url"],
                    event_types=fields["event_types"],
                    ppr_codes=fields["ppr_codes"],
                    description=fields["description"],
                    owner_id=fields["owner_id"],
                    owner_role=fields["owner_role"],
                    enabled=True,
                    deleted=False,
                    secret_fingerprints=[fields["secret_fingerprint"]],
                    created_at=fields["occurred_at"],
                    **values,
                )
            )
            return
        if kind == "Changed":
            values.update(
                url=fields["url"],
                event_types=fields["event_types"],
                ppr_codes=fields["ppr_codes"],
                description=fields["description"],
            )
        elif kind == "Enabled":
            values.update(enabled=True, disabled_reason=None, disabled_detail=None)
        elif kind == "Disabled":
            values.update(
                enabled=False, disabled_reason=fields["reason"], disabled_detail=fields["detail"]
            )
        elif kind == "SecretRotated":
            current = conn.execute(
                select(webhook_subscriptions.c.secret_fingerprints).where(key)
            ).scalar_one()
            values["secret_fingerprints"] = [fields["secret_fingerprint"], *current[:1]]
        elif kind == "Deleted":
            values.update(deleted=True, enabled=False)
        conn.execute(update(webhook_subscriptions).where(key).values(values))
