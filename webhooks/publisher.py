"""The relay's webhook side: which subscriptions each event goes to, as delivery rows and jobs.

Which subscriptions an event goes to is decided as of the event's place in the log: the index of
subscriptions is folded from their own events, in log order, alongside the events they filter.
A subscription created after an event never receives it (unless it asks for a replay), and one
disabled before an event does not, however late the relay runs. Delivery ids derive from
(subscription, event), so relaying a batch twice creates each delivery once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic
from sqlalchemy import Engine

from domain import clock
from domain.actors import Role
from domain.application import K2K
from domain.webhook import WebhookSubscription
from projections.database import insert_into
from webhooks.catalogue import Published, publish, published_type
from webhooks.signing import new_message_id
from webhooks.tables import webhook_deliveries
from workers.queue import JobSpec
from workers.rules import Facts

log = logging.getLogger(__name__)

#: Every event topic of the subscription aggregate, to read them alone from the log.
SUBSCRIPTION_TOPICS = tuple(
    get_topic(getattr(WebhookSubscription, name))
    for name in ("Created", "Changed", "Enabled", "Disabled", "SecretRotated", "Deleted")
)
PAGE = 500


@dataclass(frozen=True)
class Delivery:
    """A delivery row to create: one event (or test) for one subscription."""

    delivery_id: str
    subscription_id: str
    message_id: str
    event_type: str
    position: int | None
    origin: str
    body: str


def deliver_job(delivery_id: str, attempt: int, run_at: datetime | None = None) -> JobSpec:
    """The job that makes attempt number ``attempt`` at a webhook delivery."""
    return JobSpec(
        job_id=f"webhook-{delivery_id}-{attempt}",
        queue="webhooks",
        function="webhooks.jobs.deliver",
        args=(delivery_id,),
        run_at=run_at,
    )


def event_message_id(event: DomainEventProtocol[Any]) -> str:
    """The ``webhook-id`` of an event: the same on every delivery, retry and replay of it."""
    return new_message_id(f"event:{event.originator_id}:{event.originator_version}")


def delivery_id_for(subscription_id: str, message_id: str, origin: str = "event") -> str:
    """The id of the delivery of one message to one subscription (for one replay, if any)."""
    return hashlib.sha256(f"{subscription_id}:{message_id}:{origin}".encode()).hexdigest()[:32]


def body_of(published_type: str, timestamp: datetime, data: dict[str, Any]) -> str:
    """The payload exactly as sent: ``{"type", "timestamp", "data"}`` (Standard Webhooks)."""
    when = timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {"type": published_type, "timestamp": when, "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def owner_reaches(
    subscription: WebhookSubscription, facts: Facts, ppr_codes: Sequence[str]
) -> bool:
    """Whether the subscription's owner may see events of these PPRs now.

    A subscription an admin made serves the programme and outlives that admin's token; one an
    integration made is bounded by that integration's live tokens: revoke them, or narrow
    their PPRs, and its feed stops or narrows with them.
    """
    if subscription.owner_role != Role.INTEGRATION.value:
        return True
    scope = facts.token_scope(subscription.owner_id)
    if not scope:
        return False
    return "*" in scope or not ppr_codes or bool(set(ppr_codes) & set(scope))


class SubscriptionIndex:
    """Every subscription as it stood at one place in the log, folded from its events."""

    def __init__(self, app: K2K) -> None:
        self.app = app
        self.subscriptions: dict[UUID, WebhookSubscription] = {}
        #: The log position this index stands at: every subscription event up to it is folded.
        self.position = 0

    def load(self, up_to: int) -> None:
        """Fold every subscription event up to and including position ``up_to``."""
        self.subscriptions.clear()
        self.position = up_to
        start = 0
        while start < up_to:
            page = self.app.recorder.select_notifications(
                start=start,
                limit=PAGE,
                stop=up_to,
                topics=SUBSCRIPTION_TOPICS,
                inclusive_of_start=False,
            )
            if not page:
                break
            for notification in page:
                self.apply(self.app.mapper.to_domain_event(notification))
            start = page[-1].id

    def apply(self, event: DomainEventProtocol[Any]) -> None:
        """Fold one subscription event (one seen already is ignored)."""
        known = self.subscriptions.get(event.originator_id)
        if known is not None and known.version >= event.originator_version:
            return
        subscription = event.mutate(known)  # type: ignore[attr-defined]
        assert isinstance(subscription, WebhookSubscription)
        self.subscriptions[event.originator_id] = subscription

    def receiving(self) -> Iterable[WebhookSubscription]:
        """The subscriptions that receive deliveries at this point."""
        return (s for s in self.subscriptions.values() if s.receives)


class WebhookPublisher:
    """Turns events into deliveries for the subscriptions that want them."""

    def __init__(self, app: K2K, engine: Engine, public_url: str) -> None:
        self.app = app
        self.engine = engine
        self.public_url = public_url
        self.index: SubscriptionIndex | None = None

    def reset(self) -> None:
        """Forget the folded index (a batch failed: it is folded again from the log)."""
        self.index = None

    def start_batch(self, start: int) -> None:
        """Stand the index at ``start``, where the batch begins.

        The index moves on with the events this relay hands it; if it stands anywhere else (a
        failed batch, another relay that moved the shared position on), it is folded afresh.
        """
        if self.index is None or self.index.position != start:
            self.index = self.index_at(start)

    def index_at(self, position: int) -> SubscriptionIndex:
        """A fresh index standing at ``position``."""
        index = SubscriptionIndex(self.app)
        index.load(position)
        return index

    def deliveries_for(
        self,
        facts: Facts,
        event: DomainEventProtocol[Any],
        position: int,
        index: SubscriptionIndex | None = None,
    ) -> list[Delivery]:
        """The deliveries one event calls for (none for most events when nobody subscribes).

        Events must come in log order; ``index`` (default: the relay's own) moves on with them.
        """
        if index is None:
            if self.index is None:
                self.index = self.index_at(position - 1)
            index = self.index
        if isinstance(event, WebhookSubscription.Event):
            index.apply(event)
        index.position = max(index.position, position)
        if isinstance(event, WebhookSubscription.Event) or published_type(event) is None:
            return []
        receiving = list(index.receiving())
        if not receiving:
            return []
        after, previous = facts.aggregate_after(event)
        published = publish(
            event, after, previous, position, self.public_url, facts.is_private_case
        )
        if published is None:
            return []
        return [
            delivery
            for subscription in receiving
            if (delivery := self.delivery_to(subscription, facts, published, event, position))
        ]

    def delivery_to(
        self,
        subscription: WebhookSubscription,
        facts: Facts,
        published: Published,
        event: DomainEventProtocol[Any],
        position: int,
        origin: str = "event",
    ) -> Delivery | None:
        """The delivery of ``published`` to ``subscription``, if it wants it and may see it."""
        if not subscription.wants(published.type, published.ppr_codes):
            return None
        if not owner_reaches(subscription, facts, published.ppr_codes):
            return None
        message_id = event_message_id(event)
        return Delivery(
            delivery_id=delivery_id_for(str(subscription.id), message_id, origin),
            subscription_id=str(subscription.id),
            message_id=message_id,
            event_type=published.type,
            position=position,
            origin=origin.split(":", 1)[0],
            body=body_of(published.type, published.timestamp, published.data),
        )

    def prepare(self, planned: Sequence[Delivery]) -> list[JobSpec]:
        """Write the delivery rows (those written before are left alone); returns their jobs."""
        if not planned:
            return []
        insert_rows(self.engine, planned)
        return [deliver_job(delivery.delivery_id, 1) for delivery in planned]


def insert_rows(engine: Engine, planned: Sequence[Delivery]) -> int:
    """Insert delivery rows, ignoring those that exist (a batch relayed twice); how many new."""
    if not planned:
        return 0

    now = clock.now()
    rows = [
        {
            "delivery_id": delivery.delivery_id,
            "subscription_id": delivery.subscription_id,
            "message_id": delivery.message_id,
            "event_type": delivery.event_type,
            "position": delivery.position,
            "origin": delivery.origin,
            "body": delivery.body,
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        for delivery in planned
    ]
    with engine.begin() as conn:
        inserted = conn.execute(
            insert_into(webhook_deliveries, conn)
            .on_conflict_do_nothing(index_elements=["delivery_id"])
            .returning(webhook_deliveries.c.delivery_id),
            rows,
        ).all()
    return len(inserted)


__all__ = ["Delivery", "SubscriptionIndex", "WebhookPublisher", "deliver_job"]
