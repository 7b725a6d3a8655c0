"""What every K2K aggregate shares: events stamped by the domain clock."""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate

from domain import clock


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
