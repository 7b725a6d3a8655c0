"""Fixtures for the domain unit tests: an in-memory K2K with two PPRs and a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.application import K2K
from domain.clock import clock_set_to
from tests.unit.world import START, FrozenClock, World, register_schemes


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    """The domain clock, frozen at START for the whole test."""
    frozen = FrozenClock(START)
    with clock_set_to(frozen):
        yield frozen


@pytest.fixture
def empty_app(clock: FrozenClock) -> Iterator[K2K]:
    """A K2K application on the in-memory event store, with nothing registered."""
    app = K2K(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def app(empty_app: K2K) -> K2K:
    """A K2K application with the PPRs of ``register_schemes``."""
    register_schemes(empty_app)
    return empty_app


@pytest.fixture
def world(app: K2K, clock: FrozenClock) -> World:
    """The application and the clock, with scenario helpers."""
    return World(app, clock)
