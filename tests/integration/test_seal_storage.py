"""Sealed storage: what the service writes carries a valid seal; rows written with SQL do not."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.application import K2K
from domain.case import Case
from service.runtime import Runtime
from service.seal import MAGIC, SEAL_KEY_ENV, SealStatus, seal, seal_key, seal_status, unseal
from service.settings import Settings
from tests.integration.scenario import (
    ADMIN,
    COMMITTEE,
    PPR,
    manual_clock,
    register_ppr,
    report,
    resident,
)

#: What the person with database access but without the service's secrets signs with.
FORGER_KEY = seal_key("a guess at the secrets key")


def statuses(runtime: Runtime, records: Any) -> list[SealStatus]:
    """The seal status of each stored record, under the service's key."""
    key = seal_key(runtime.settings.secrets_key)
    return [
        seal_status(r.originator_id, r.originator_version, r.topic, r.state, key) for r in records
    ]


def stored(runtime: Runtime) -> list[Any]:
    """Every record of the event log, as stored."""
    return list(runtime.app.recorder.select_notifications(start=1, limit=100))


@contextmanager
def database(settings: Settings) -> Iterator[tuple[Any, str]]:
    """A direct connection to the event store, outside the service, and its placeholder."""
    if settings.is_sqlite:
        connection = sqlite3.connect(settings.event_store_env()["SQLITE_DBNAME"])
        try:
            with connection:
                yield connection, "?"
        finally:
            connection.close()
    else:
        import psycopg

        with psycopg.connect(settings.database_url) as pg:
            yield pg, "%s"


def insert_row(runtime: Runtime, record: StoredEvent) -> None:
    """Append a row to the event log with SQL, the way someone with database access could."""
    sqlite = runtime.settings.is_sqlite
    originator_id = record.originator_id
    assert isinstance(originator_id, UUID)
    with database(runtime.settings) as (connection, p):
        connection.execute(
            f"INSERT INTO {runtime.app.recorder.events_table_name} "  # type: ignore[attr-defined]
            f"(originator_id, originator_version, topic, state) VALUES ({p}, {p}, {p}, {p})",
            (
                originator_id.hex if sqlite else originator_id,
                record.originator_version,
                record.topic,
                record.state,
            ),
        )


def overwrite_state(runtime: Runtime, record: Any, state: bytes) -> None:
    """Change a stored record's state with SQL."""
    sqlite = runtime.settings.is_sqlite
    with database(runtime.settings) as (connection, p):
        connection.execute(
            f"UPDATE {runtime.app.recorder.events_table_name} SET state = {p} "  # type: ignore[attr-defined]
            f"WHERE originator_id = {p} AND originator_version = {p}",
            (
                state,
                record.originator_id.hex if sqlite else record.originator_id,
                record.originator_version,
            ),
        )


def state(case: Case) -> dict[str, Any]:
    """Everything a case knows."""
    return {name: value for name, value in vars(case).items() if name != "_pending_events"}


def fresh_app(settings: Settings, **env: str) -> K2K:
    """Another process of the service, reading the same store (nothing cached)."""
    return K2K(env={**settings.event_store_env(), **env})


def test_a_record_written_by_the_service_carries_a_valid_seal(runtime: Runtime) -> None:
    with manual_clock():
        register_ppr(runtime.app)
        case_id = report(runtime.app, resident(1), "Lift B stuck on floor 7")
        runtime.app.comment_on_case(COMMITTEE, case_id, text="Contractor called.", internal=True)

    # Every record in the database starts with the seal, and the seal checks out.
    records = stored(runtime)
    assert len(records) == 6
    assert all(record.state.startswith(MAGIC) for record in records)
    assert statuses(runtime, records) == ["valid"] * 6

    # The service reads them back as it always has.
    reader = fresh_app(runtime.settings)
    try:
        case = reader.get_case(case_id)
        assert case.title == "Lift B stuck on floor 7"
        assert case.version == 2
        assert list(reader.get_ppr(PPR).categories) == ["LIFT", "WATER"]
    finally:
        reader.close()


def test_a_legacy_record_written_before_sealing_still_reads_and_is_reported_absent(
    runtime: Runtime,
) -> None:
    # A store written by the service before it sealed anything: a PPR with a block.
    unsealed = {"MAPPER_TOPIC": "eventsourcing.persistence:Mapper", "CIPHER_TOPIC": ""}
    legacy = fresh_app(runtime.settings, **unsealed)
    try:
        legacy.register_ppr(ADMIN, PPR, "PPR Sri Aman")
        legacy.add_block(ADMIN, PPR, "A", "Blok A", 17)
    finally:
        legacy.close()
    assert not any(record.state.startswith(MAGIC) for record in stored(runtime))

    # Today's service reads those records and carries on with sealed ones.
    runtime.app.add_block(ADMIN, PPR, "B", "Blok B", 12)
    assert list(runtime.app.get_ppr(PPR).blocks) == ["A", "B"]
    assert statuses(runtime, stored(runtime)) == ["absent", "absent", "valid"]


def test_a_record_changed_in_the_database_is_reported_invalid_but_still_reads(
    runtime: Runtime,
) -> None:
    with manual_clock():
        register_ppr(runtime.app)
        case_id = report(runtime.app, resident(1), "Lift B stuck on floor 7")
    [reported] = [record for record in stored(runtime) if record.originator_id == case_id]

    # Someone rewrites the title in the stored JSON, keeping the seal the service made.
    overwrite_state(runtime, reported, reported.state.replace(b"floor 7", b"floor 9"))

    [changed] = [record for record in stored(runtime) if record.originator_id == case_id]
    assert statuses(runtime, [changed]) == ["invalid"]
    assert runtime.app.get_case(case_id).title == "Lift B stuck on floor 9"


def test_a_row_forged_with_sql_is_never_reported_valid(runtime: Runtime) -> None:
    with manual_clock():
        register_ppr(runtime.app)
        case_id = report(runtime.app, resident(1), "Lift B stuck on floor 7")
        runtime.app.comment_on_case(COMMITTEE, case_id, text="Contractor called.")
    [*_, commented] = [record for record in stored(runtime) if record.originator_id == case_id]
    assert commented.topic == "domain.case:Case.CommentAdded"
    comment = unseal(commented.state).replace(b"Contractor called.", b"Closed, no fault.")
    topic = commented.topic

    # Forgeries in the right shape: a comment with no seal, a genuine seal copied to the next
    # version, a comment sealed with a guessed key.
    forgeries = [
        StoredEvent(case_id, 3, topic, comment),
        StoredEvent(case_id, 4, topic, commented.state),
        StoredEvent(case_id, 5, topic, seal(case_id, 5, topic, comment, FORGER_KEY)),
    ]
    for forged in forgeries:
        insert_row(runtime, forged)

    assert statuses(runtime, stored(runtime)) == ["valid"] * 6 + ["absent", "invalid", "invalid"]
    # The service is not stopped by them: telling them apart is the audit's job.
    assert runtime.app.get_case(case_id).comment_count == 4


def test_a_snapshot_is_stored_sealed_and_a_case_reloads_from_it(runtime: Runtime) -> None:
    snapshot_every = K2K.snapshotting_intervals[Case]
    with manual_clock() as clock:
        register_ppr(runtime.app)
        case_id = report(runtime.app, resident(1), "Lift B stuck on floor 7")
        while runtime.app.get_case(case_id).version < snapshot_every + 5:
            clock.advance(minutes=3)
            runtime.app.comment_on_case(COMMITTEE, case_id, text="Nota", internal=True)

    assert runtime.app.snapshots is not None
    snapshots = runtime.app.snapshots.recorder.select_events(case_id)
    assert [s.originator_version for s in snapshots] == [snapshot_every]
    assert statuses(runtime, snapshots) == ["valid"]

    reloading = fresh_app(runtime.settings)
    replaying = fresh_app(runtime.settings, IS_SNAPSHOTTING_ENABLED="n")
    try:
        reloaded, replayed = reloading.get_case(case_id), replaying.get_case(case_id)
    finally:
        reloading.close()
        replaying.close()
    assert reloaded.version == snapshot_every + 5
    assert state(reloaded) == state(replayed)


def test_records_sealed_under_one_secrets_key_are_invalid_under_another(runtime: Runtime) -> None:
    register_ppr(runtime.app)

    other = seal_key("another-secrets-key")
    assert runtime.settings.event_store_env()[SEAL_KEY_ENV] != other.hex()
    assert {
        seal_status(r.originator_id, r.originator_version, r.topic, r.state, other)
        for r in stored(runtime)
    } == {"invalid"}
