"""The domain's notion of "now".

Production always uses the wall clock. The demo loader and tests replay a year of history, so they
may run a block of code under a simulated clock; both the events' ``occurred_at`` and the library's
recorded ``timestamp`` then come from it. Nothing in the service sets it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta, timezone

Clock = Callable[[], datetime]

#: Malaysia Time (UTC+8, no daylight saving): the calendar residents and officers live by.
MALAYSIA = timezone(timedelta(hours=8), "MYT")


def wall_clock() -> datetime:
    """The current time in UTC."""
    return datetime.now(tz=UTC)


_current_clock: ContextVar[Clock] = ContextVar("k2k_clock", default=wall_clock)


def now() -> datetime:
    """The current time according to the clock in force (UTC, timezone-aware)."""
    return _current_clock.get()()


@contextmanager
def clock_set_to(clock: Clock) -> Iterator[None]:
    """Run the enclosed block with ``clock`` as the domain's clock."""
    token = _current_clock.set(clock)
    try:
        yield
    finally:
        _current_clock.reset(token)


def as_utc(value: datetime) -> datetime:
    """Normalise a datetime to UTC; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
