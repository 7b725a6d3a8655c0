"""What every K2K aggregate shares: events stamped by the domain clock."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import Repository
from eventsourcing.domain import Aggregate, TMutableOrImmutableAggregate

from domain import clock
from domain.actors import BACKFILL_ROLES, Actor
from domain.errors import InvalidValue, NotPermitted

#: A backfilled time may not lie ahead of the clock; this much skew between devices is tolerated.
FUTURE_TOLERANCE = timedelta(minutes=2)
#: No K2K record predates the programme's PPRs; an earlier date is a typing error.
EARLIEST_BACKFILL = datetime(2000, 1, 1, tzinfo=UTC)


def occurred(actor: Actor, occurred_at: datetime | None, not_before: datetime | None) -> datetime:
    """When a command's event happened: now, or a backfilled time under the backfill rules.

    Only committee and admin (and the service itself) may backfill paper or offline records; a
    backfilled time is never in the future nor before the aggregate's previous event, so each
    aggregate's events stay in ``occurred_at`` order.
    """
    now = clock.now()
    if occurred_at is None:
        # A live event is never dated before an earlier (possibly backfilled) one.
        return max(now, not_before) if not_before else now
    if actor.role not in BACKFILL_ROLES:
        raise NotPermitted("only committee and admin may record an earlier occurred_at")
    when = clock.as_utc(occurred_at)
    if when < EARLIEST_BACKFILL:
        raise InvalidValue("occurred_at", "must not be before 2000 (the PPR records start later)")
    if when > now + FUTURE_TOLERANCE:
        raise InvalidValue("occurred_at", "must not be in the future")
    if not_before is not None and when < not_before:
        raise InvalidValue(
            "occurred_at",
            "must not be before the previous event ({previous})",
            previous=not_before.isoformat(),
        )
    return when


class K2KAggregate(Aggregate):
    """Base aggregate whose events take their recorded ``timestamp`` from the domain clock."""

    class Event(Aggregate.Event):
        """Base event: the recorded time is the domain clock's now."""

        @staticmethod
        def create_timestamp() -> datetime:
            """Recorded time of a new event."""
            return clock.now()

    class Created(Event, Aggregate.Created):
        """Base creation event."""


@dataclass(frozen=True)
class Saved:
    """What a command returns: the aggregate's id and its version after the command.

    ``aggregate`` is the aggregate as it was saved, when the command has it at hand: a caller
    that shows the result (an HTTP answer) needs no second read of the store.
    """

    id: UUID
    version: int
    aggregate: object | None = field(default=None, compare=False, repr=False)


#: Characters no one types: NUL (which PostgreSQL text cannot store) and the other C0 controls
#: except tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def refuse_control_characters(field: str, value: str) -> str:
    """Refuse text carrying control characters; they are never meant and some cannot be stored."""
    if _CONTROL.search(value):
        raise InvalidValue(field, "contains control characters")
    return value


def replay(
    aggregate: TMutableOrImmutableAggregate | None, domain_events: Iterable[Any]
) -> TMutableOrImmutableAggregate | None:
    """Apply stored events to an aggregate in order, as the library's ``project_aggregate`` does.

    The library's version asserts every event against a runtime-checkable protocol, which on
    Python 3.11 is a third of the time it takes to read a case. The check cannot fail here: the
    store's mapper turns records only into our own event classes, which all have ``mutate``.
    """
    for domain_event in domain_events:
        aggregate = domain_event.mutate(aggregate)
    return aggregate


class ReplayingRepository(Repository[UUID]):
    """The library's repository, reconstructing aggregates with :func:`replay`."""

    def get(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        projector_func: Any = replay,
        fastforward_skipping: bool = False,
        deepcopy_from_cache: bool = True,
    ) -> Any:
        """The aggregate with this id (at ``version`` if given), from its snapshot and events."""
        return super().get(
            aggregate_id,
            version=version,
            projector_func=projector_func,
            fastforward_skipping=fastforward_skipping,
            deepcopy_from_cache=deepcopy_from_cache,
        )
