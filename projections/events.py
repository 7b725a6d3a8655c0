"""Helpers to read domain events generically: their type name and their own fields."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

#: Fields every event has (library metadata and the K2K stamp); the rest are the event's details.
STAMP_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "actor_id",
        "actor_role",
        "occurred_at",
        "status",
        "whose_move",
    }
)


def event_type(event: DomainEventProtocol[Any]) -> str:
    """``ResolutionDisputed`` -> ``resolution_disputed``: the public name of an event."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


def jsonable(value: Any) -> Any:
    """Turn dates, times and ids into strings for JSON columns."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def details(event: DomainEventProtocol[Any]) -> dict[str, Any]:
    """The event's own fields, without the common stamp."""
    return {key: jsonable(value) for key, value in vars(event).items() if key not in STAMP_FIELDS}
