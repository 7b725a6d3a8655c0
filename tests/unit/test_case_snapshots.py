"""Snapshots: a long-lived case is stored with a snapshot every 100 events and reloads the same."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.actors import Actor, Role
from domain.application import K2K
from domain.case import Party
from tests.unit.world import (
    COMMITTEE,
    MANAGER,
    FrozenClock,
    World,
    register_schemes,
)

SNAPSHOT_EVERY = 100


@pytest.fixture
def store(tmp_path: Path) -> dict[str, str]:
    """Settings of an SQLite event store in a file of its own."""
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(tmp_path / "e.sqlite"),
    }


@pytest.fixture
def sqlite_world(store: dict[str, str], clock: FrozenClock) -> Iterator[World]:
    """The scenario helpers on the SQLite store."""
    app = K2K(env=store)
    try:
        register_schemes(app)
        yield World(app, clock)
    finally:
        app.close()


def busy_case(world: World, events: int) -> UUID:
    """A case with exactly ``events`` events: worked, supported by many and much discussed."""
    app = world.app
    case_id = world.report()
    app.acknowledge_case(MANAGER, case_id)
    app.assign_case(MANAGER, case_id, to=Party.CONTRACTOR, assignee="Lif Jaya")
    app.respond_to_case(MANAGER, case_id, message="Jumaat.", commitment_date=date(2024, 3, 8))
    for n in range(30):
        world.clock.advance(minutes=7)
        app.support_case(Actor(f"resident-{n + 10}", Role.RESIDENT), case_id)
    while world.version(case_id) < events - 1:
        world.clock.advance(minutes=3)
        app.comment_on_case(
            COMMITTEE, case_id, text=f"Nota {world.version(case_id)}", internal=True
        )
    app.recategorise_case(COMMITTEE, case_id, category_code="WATER")
    assert world.version(case_id) == events
    return case_id


def state(case: Any) -> dict[str, Any]:
    """Everything a case knows, as its snapshot would hold it."""
    return {name: value for name, value in vars(case).items() if name != "_pending_events"}


def test_a_case_with_more_than_100_events_is_stored_with_a_snapshot(
    sqlite_world: World, store: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = busy_case(sqlite_world, events=SNAPSHOT_EVERY + 20)
    written = sqlite_world.case(case_id)

    # A snapshot was taken at version 100.
    assert sqlite_world.app.snapshots is not None
    snapshots = list(sqlite_world.app.snapshots.get(case_id))
    assert [s.originator_version for s in snapshots] == [SNAPSHOT_EVERY]

    # A fresh application reloads the case from the snapshot and the 20 events after it.
    reloading = K2K(env=store)
    replaying = K2K(env={**store, "IS_SNAPSHOTTING_ENABLED": "n"})
    try:
        reads: list[dict[str, Any]] = []
        get_events = reloading.events.get

        def spy(originator_id: UUID, **kwargs: Any) -> Any:
            reads.append(kwargs)
            return get_events(originator_id, **kwargs)

        monkeypatch.setattr(reloading.events, "get", spy)
        reloaded = reloading.get_case(case_id)
        replayed = replaying.get_case(case_id)
    finally:
        reloading.close()
        replaying.close()

    assert [read.get("gt") for read in reads] == [SNAPSHOT_EVERY]
    # The same state as the case that was written and as a replay of every event.
    assert state(reloaded) == state(written) == state(replayed)
    assert reloaded.version == SNAPSHOT_EVERY + 20
    assert reloaded.category_code == "WATER"
    assert len(reloaded.supporter_ids) == 30
    assert reloaded.commitment_date == date(2024, 3, 8)
    assert type(reloaded.commitment_date) is date
    assert reloaded.last_occurred_at == written.last_occurred_at


def test_a_case_with_fewer_than_100_events_has_no_snapshot(sqlite_world: World) -> None:
    case_id = busy_case(sqlite_world, events=SNAPSHOT_EVERY - 1)

    assert sqlite_world.app.snapshots is not None
    assert list(sqlite_world.app.snapshots.get(case_id)) == []


def test_a_snapshotted_case_keeps_working(sqlite_world: World) -> None:
    case_id = busy_case(sqlite_world, events=SNAPSHOT_EVERY + 1)

    # Commands on the reloaded case go on from the snapshot's state.
    sqlite_world.app.resolve_case(MANAGER, case_id, note="Siap.")

    case = sqlite_world.case(case_id)
    assert (case.version, case.status, case.whose_move) == (
        SNAPSHOT_EVERY + 2,
        "resolved",
        "resident",
    )
