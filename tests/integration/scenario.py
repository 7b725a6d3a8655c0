"""Shared cast, clock and read-model helpers for the integration tests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from sqlalchemy import Engine, Table, select

from domain import clock
from domain.actors import Actor, Role
from domain.application import K2K
from domain.case import Channel, Location
from domain.ppr import SlaTargets
from projections.engine import tracking
from projections.registry import all_projections
from workers.relay import RELAY_NAME

ADMIN = Actor("admin-1", Role.ADMIN)
MANAGER = Actor("manager-1", Role.MANAGEMENT)
COMMITTEE = Actor("committee-1", Role.COMMITTEE)
PPR = "PPR-SRI-AMAN"
#: The simulated "now" every scenario starts from.
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def resident(number: int) -> Actor:
    """A resident of the scheme."""
    return Actor(f"resident-{number}", Role.RESIDENT)


class ManualClock:
    """A domain clock that stands still until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward and return the new now."""
        self.now += timedelta(**delta)
        return self.now


@contextmanager
def manual_clock(start: datetime = START) -> Iterator[ManualClock]:
    """Run the block with the domain clock (occurred_at and recorded_at) under the test's control."""
    manual = ManualClock(start)
    with clock.clock_set_to(manual):
        yield manual


def register_ppr(app: K2K) -> None:
    """Register the scheme with one block and two categories (four events)."""
    app.register_ppr(ADMIN, PPR, "PPR Sri Aman")
    app.add_block(ADMIN, PPR, "A", "Blok A", 17)
    app.add_category(ADMIN, PPR, "LIFT", "Lif rosak", "Broken lift", SlaTargets(4, 24, 72))
    app.add_category(ADMIN, PPR, "WATER", "Paip bocor", "Leaking pipe", SlaTargets(2, 12, 48))


def report(app: K2K, actor: Actor, title: str, **options: Any) -> UUID:
    """Report a case about unit A-10-01 in the LIFT category."""
    return app.report_case(
        actor,
        ppr_code=PPR,
        location=Location(block="A", floor="10", unit="A-10-01"),
        category_code="LIFT",
        title=title,
        description=f"{title}, please fix",
        channel=Channel.APP,
        **options,
    ).id


def notification_ids(app: Application[Any]) -> list[int]:
    """Every notification id in the log, in order."""
    notifications = app.recorder.select_notifications(start=None, limit=100_000)  # type: ignore[attr-defined]
    return [notification.id for notification in notifications]


def events(app: Application[Any]) -> list[DomainEventProtocol[Any]]:
    """Every domain event in the log, in order."""
    notifications = app.recorder.select_notifications(start=None, limit=100_000)  # type: ignore[attr-defined]
    return [app.mapper.to_domain_event(notification) for notification in notifications]


def _sort_key(table: Table) -> Any:
    keys = [column.name for column in table.primary_key.columns]
    return lambda row: tuple(row[key] for key in keys)


def read_models(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every read-model table's rows, sorted by primary key."""
    tables = [table for projection in all_projections() for table in projection.tables]
    with engine.connect() as conn:
        return {
            table.name: sorted(
                (dict(row) for row in conn.execute(select(table)).mappings()), key=_sort_key(table)
            )
            for table in tables
        }


def positions(engine: Engine) -> Mapping[str, int]:
    """Every projection's tracked position (the relay's row beside them is not a projection)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(tracking.c.name, tracking.c.position).where(tracking.c.name != RELAY_NAME)
        )
        return dict(rows.tuples().all())
