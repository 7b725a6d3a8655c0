"""A scenario for the webhook tests: the notification scenario plus subscriptions and a receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select

from domain.actors import Actor
from service.runtime import Runtime
from service.settings import Settings
from tests.integration.notification_world import Notified, notified
from tests.unit.world import ADMIN, START
from webhooks.keys import box_for
from webhooks.subscriptions import subscribe
from webhooks.tables import webhook_attempts, webhook_deliveries


def webhook_settings(settings: Settings, **changes: Any) -> Settings:
    """``settings`` allowing the test receiver on 127.0.0.1 (as development does)."""
    return replace(settings, webhook_allow_loopback=True, **changes)


class Hooked:
    """The notification scenario with steps for subscriptions and reads of the delivery log."""

    def __init__(self, scenario: Notified) -> None:
        self.scenario = scenario
        self.runtime: Runtime = scenario.runtime
        self.world = scenario.world
        self.clock = scenario.clock
        self.app = scenario.runtime.app
        self.box = box_for(scenario.runtime.settings.secrets_key)

    def subscribe(
        self,
        url: str,
        event_types: list[str] | None = None,
        pprs: list[str] | None = None,
        actor: Actor = ADMIN,
        description: str = "The programme's impact dashboard",
    ) -> tuple[UUID, str]:
        """Subscribe ``url``; returns the subscription id and its secret."""
        made = subscribe(
            self.app,
            self.runtime.engine,
            actor,
            url=url,
            event_types=event_types or ["*"],
            ppr_codes=pprs or [],
            description=description,
            box=self.box,
        )
        return made.saved.id, made.secret

    def drain(self) -> None:
        """Run everything due now: projections, the relay and the jobs, until quiet."""
        self.scenario.drain()

    def deliveries(self, subscription_id: UUID | None = None) -> list[Any]:
        """Every delivery row (of one subscription), oldest first."""
        query = select(webhook_deliveries).order_by(
            webhook_deliveries.c.created_at, webhook_deliveries.c.position
        )
        if subscription_id is not None:
            query = query.where(webhook_deliveries.c.subscription_id == str(subscription_id))
        with self.runtime.engine.connect() as conn:
            return list(conn.execute(query).all())

    def attempts(self, delivery_id: str) -> list[Any]:
        """Every attempt at one delivery, in order."""
        with self.runtime.engine.connect() as conn:
            return list(
                conn.execute(
                    select(webhook_attempts)
                    .where(webhook_attempts.c.delivery_id == delivery_id)
                    .order_by(webhook_attempts.c.attempt)
                ).all()
            )

    def types_delivered(self, subscription_id: UUID) -> list[str]:
        """The event types of a subscription's deliveries, in log order."""
        rows = sorted(self.deliveries(subscription_id), key=lambda row: row.position or 0)
        return [row.event_type for row in rows]


def payloads(bodies: list[bytes]) -> list[dict[str, Any]]:
    """Parsed JSON bodies."""
    return [json.loads(body) for body in bodies]


@contextmanager
def hooked(runtime: Runtime, start: datetime = START) -> Iterator[Hooked]:
    """The webhook scenario on ``runtime`` under a clock frozen at ``start``."""
    with notified(runtime, start) as scenario:
        yield Hooked(scenario)
