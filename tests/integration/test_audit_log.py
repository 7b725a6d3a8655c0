"""The audit log on real storage (SQLite and PostgreSQL): the tree over the stored records, its
dense leaf index, and when checkpoints are signed and published."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import Notification
from sqlalchemy import create_engine, select, text

from domain import clock
from domain.errors import AlreadyExists
from projections.audit import AuditLogProjection, StoredTree, audit_leaves
from projections.audit_leaf import Entry
from projections.engine import ProjectionRunner
from projections.merkle import MerkleTree, verify_consistency, verify_inclusion
from projections.signed_note import NoteSigner, parse_checkpoint
from service.audit.checkpoints import Checkpointer
from service.runtime import Runtime
from service.settings import Settings
from tests.conftest import fresh_postgres_database
from tests.fakes.webhook_receiver import running_receiver
from tests.integration.webhook_world import hooked, webhook_settings
from tests.unit.world import MANAGER, REPORTER, START, FrozenClock, World, register_schemes

SIGNER = NoteSigner.generate("audit.test/k2k")


@pytest.fixture
def audited(settings: Settings, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime that signs checkpoints, after 10 events or 60 seconds."""
    runtime = Runtime.from_settings(
        replace(
            settings,
            data_dir=str(tmp_path),  # where the signer remembers what it signed
            audit_key=SIGNER.private_key,
            audit_checkpoint_events=10,
            audit_checkpoint_seconds=60,
        )
    )
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture
def postgres_or_sqlite_copy(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """Other, empty storage of the same kind as ``settings`` (an older copy of the database)."""
    if settings.is_sqlite:
        yield replace(settings, database_url=f"sqlite:///{tmp_path / 'older' / 'k2k.sqlite'}")
        return
    with fresh_postgres_database() as url:
        yield replace(settings, database_url=url)


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    at = FrozenClock(START)
    with clock.clock_set_to(at):
        yield at


def some_history(runtime: Runtime, frozen: FrozenClock, cases: int = 3) -> list[Any]:
    """PPRs and a few cases with a little history each; returns the case ids."""
    register_schemes(runtime.app)
    world = World(runtime.app, frozen)
    ids = []
    for _ in range(cases):
        case_id = world.report(REPORTER)
        runtime.app.acknowledge_case(MANAGER, case_id)
        ids.append(case_id)
    return ids


def recomputed(runtime: Runtime) -> MerkleTree:
    """The tree an auditor would build from the store's records, independently of the projection."""
    tree = MerkleTree()
    for record in runtime.app.recorder.select_notifications(start=1, limit=1_000_000):
        entry = Entry.of_record(
            record.originator_id, record.originator_version, record.topic, record.state
        )
        tree.append(entry.leaf_hash)
    return tree


def test_the_stored_tree_is_the_rfc_6962_tree_of_the_stored_records(
    audited: Runtime, frozen: FrozenClock
) -> None:
    some_history(audited, frozen, cases=6)
    audited.runner.catch_up(AuditLogProjection.name)
    expected = recomputed(audited)

    with audited.engine.connect() as conn:
        tree = StoredTree(conn)
        assert tree.size == expected.size >= 20
        for size in (1, 2, 7, 16, expected.size):
            assert tree.root(size) == expected.root(size)
            for index in {0, size // 2, size - 1}:
                proof = tree.inclusion_proof(index, size)
                assert verify_inclusion(
                    tree.perfect(0, index), index, size, proof, expected.root(size)
                )
        proof = tree.consistency_proof(7, expected.size)
        assert verify_consistency(7, expected.size, expected.root(7), expected.root(), proof)


def test_batches_of_any_size_build_the_same_tree(audited: Runtime, frozen: FrozenClock) -> None:
    some_history(audited, frozen)
    small = ProjectionRunner(audited.app, audited.engine, [AuditLogProjection()], batch_size=3)
    small.catch_up()
    with audited.engine.connect() as conn:
        assert StoredTree(conn).root() == recomputed(audited).root()


class GappedLog:
    """The application with every third notification missing, as ids with gaps look."""

    def __init__(self, runtime: Runtime) -> None:
        self._app = runtime.app
        self.mapper = runtime.app.mapper
        self.recorder = self

    def select_notifications(
        self, start: int, limit: int, inclusive_of_start: bool = True, **_: Any
    ) -> Sequence[Notification]:
        records = self._app.recorder.select_notifications(
            start=start, limit=limit * 2, inclusive_of_start=inclusive_of_start
        )
        return [record for record in records if record.id % 3 != 0][:limit]

    def max_notification_id(self) -> int:
        return self._app.recorder.max_notification_id() or 0


def test_leaf_indices_are_dense_where_notification_ids_have_gaps(
    audited: Runtime, frozen: FrozenClock
) -> None:
    some_history(audited, frozen)
    runner = ProjectionRunner(GappedLog(audited), audited.engine, [AuditLogProjection()])  # type: ignore[arg-type]
    runner.catch_up()
    with audited.engine.connect() as conn:
        rows = conn.execute(select(audit_leaves).order_by(audit_leaves.c.leaf_index)).all()
    assert [row.leaf_index for row in rows] == list(range(len(rows)))
    assert all(row.notification_id % 3 != 0 for row in rows)
    assert rows[-1].notification_id > len(rows)


def test_the_first_checkpoint_is_signed_at_once_and_verifies_with_the_public_key(
    audited: Runtime, frozen: FrozenClock
) -> None:
    checkpointer = audited.checkpointer
    assert checkpointer is not None
    assert checkpointer.sign_if_due() is None, "an empty log has nothing to sign"
    some_history(audited, frozen, cases=1)

    checkpoint = checkpointer.sign_if_due()

    assert checkpoint is not None
    origin, size, root = parse_checkpoint(SIGNER.verifier.open(checkpoint.note))
    assert (origin, size) == ("audit.test/k2k", checkpoint.size)
    assert root == recomputed(audited).root(size)
    assert base64.b64encode(root).decode() == checkpoint.root_hash


def test_a_new_checkpoint_comes_after_n_events_or_t_seconds_and_never_for_checkpoints_alone(
    audited: Runtime, frozen: FrozenClock
) -> None:
    checkpointer = audited.checkpointer
    assert checkpointer is not None
    world_ids = some_history(audited, frozen, cases=1)
    first = checkpointer.sign_if_due()
    assert first is not None

    audited.app.comment_on_case(MANAGER, world_ids[0], text="Juruteknik datang esok.")
    frozen.advance(seconds=30)
    assert checkpointer.sign_if_due() is None, "one event, 30 s: not yet"
    frozen.advance(seconds=31)
    by_time = checkpointer.sign_if_due()
    assert by_time is not None and by_time.size > first.size
    # Only the checkpoint's own event is new: never due, however long one waits.
    frozen.advance(hours=2)
    assert checkpointer.sign_if_due() is None

    frozen.set(by_time.signed_at)
    for _ in range(9):
        audited.app.comment_on_case(MANAGER, world_ids[0], text="Kemas kini.")
    assert checkpointer.sign_if_due() is None, "9 events within a minute: not yet"
    audited.app.comment_on_case(MANAGER, world_ids[0], text="Kemas kini.")
    by_count = checkpointer.sign_if_due()
    assert by_count is not None and by_count.size == by_time.size + 11


def test_two_processes_signing_the_same_size_make_one_checkpoint(
    audited: Runtime, frozen: FrozenClock
) -> None:
    some_history(audited, frozen, cases=1)
    audited.runner.catch_up()
    with audited.engine.connect() as conn:
        size = StoredTree(conn).size
        root = StoredTree(conn).root()
    note = SIGNER.sign(f"audit.test/k2k\n{size}\n{base64.b64encode(root).decode()}\n")
    b64 = base64.b64encode(root).decode()
    audited.app.record_checkpoint("audit.test/k2k", size, b64, note, "00000000")
    with pytest.raises(AlreadyExists):
        audited.app.record_checkpoint("audit.test/k2k", size, b64, note, "00000000")

    other = Checkpointer(
        audited.app, audited.engine, audited.runner, SIGNER, every_events=1, every_seconds=0
    )
    signed = other.sign_if_due()
    # The first checkpoint's event is the only new leaf: nothing else to sign.
    assert signed is None
    assert other.latest() is not None and other.latest().size == size  # type: ignore[union-attr]


def test_every_checkpoint_is_published_as_an_audit_checkpoint_webhook(
    settings: Settings, tmp_path: Path
) -> None:
    runtime = Runtime.from_settings(
        webhook_settings(settings, audit_key=SIGNER.private_key, data_dir=str(tmp_path))
    )
    try:
        with hooked(runtime) as scenario, running_receiver() as receiver:
            _, secret = scenario.subscribe(receiver.url, ["audit.checkpoint"])
            scenario.world.report(REPORTER)
            assert runtime.checkpointer is not None
            checkpoint = runtime.checkpointer.sign_if_due(force=True)
            assert checkpoint is not None
            scenario.drain()

            receiver.wait_for(1)
            [payload] = receiver.verify_all(secret)
    finally:
        runtime.close()
    assert payload["type"] == "audit.checkpoint"
    data = payload["data"]
    assert (data["size"], data["root_hash"], data["note"]) == (
        checkpoint.size,
        checkpoint.root_hash,
        checkpoint.note,
    )
    assert SIGNER.verifier.open(data["note"])
    assert data["link"].endswith(f"/api/v1/audit/checkpoints?size={checkpoint.size}")


def test_admin_can_rebuild_the_tree_and_gets_the_same_roots(
    audited: Runtime, frozen: FrozenClock
) -> None:
    some_history(audited, frozen)
    checkpointer = audited.checkpointer
    assert checkpointer is not None
    signed = checkpointer.sign_if_due()
    assert signed is not None
    audited.runner.rebuild(AuditLogProjection.name)
    with audited.engine.connect() as conn:
        assert base64.b64encode(StoredTree(conn).root(signed.size)).decode() == signed.root_hash
    assert checkpointer.latest() == signed, "checkpoints live in the log: a rebuild keeps them"


def delete_record(runtime: Runtime, notification_id: int) -> None:
    """Remove one stored event with SQL, as someone with only the database could."""
    recorder: Any = runtime.app.recorder
    table = recorder.events_table_name
    if runtime.settings.is_sqlite:
        events = create_engine(f"sqlite:///{runtime.settings.event_store_env()['SQLITE_DBNAME']}")
        column = "rowid"
    else:
        events, column = runtime.engine, "notification_id"
    with events.begin() as conn:
        conn.execute(text(f"DELETE FROM {table} WHERE {column} = :id"), {"id": notification_id})


def test_the_signer_refuses_to_sign_a_tree_rebuilt_over_a_rewritten_store(
    audited: Runtime, frozen: FrozenClock
) -> None:
    case_ids = some_history(audited, frozen)
    checkpointer = audited.checkpointer
    assert checkpointer is not None
    signed = checkpointer.sign_if_due()
    assert signed is not None
    # A case's last event goes, then the tree is rebuilt over what is left (every seal holds).
    last = audited.app.recorder.select_notifications(start=1, limit=10_000)
    acknowledged = [r for r in last if r.originator_id == case_ids[0]][-1]
    delete_record(audited, acknowledged.id)
    audited.runner.rebuild(AuditLogProjection.name)
    audited.app.comment_on_case(MANAGER, case_ids[1], text="Kemas kini.")
    frozen.advance(minutes=5)

    assert checkpointer.sign_if_due(force=True) is None
    assert checkpointer.problem is not None and "rewritten" in checkpointer.problem
    assert checkpointer.status()["signing"] is False
    assert checkpointer.latest() == signed, "nothing was signed over the rewritten store"


def test_the_signer_refuses_a_store_rolled_back_behind_what_it_signed(
    audited: Runtime, frozen: FrozenClock, postgres_or_sqlite_copy: Settings
) -> None:
    some_history(audited, frozen)
    checkpointer = audited.checkpointer
    assert checkpointer is not None
    assert checkpointer.sign_if_due() is not None
    # An older copy of the database: the same signer (its record beside the key), a smaller log.
    older = Runtime.from_settings(
        replace(
            postgres_or_sqlite_copy,
            data_dir=audited.settings.data_dir,
            audit_key=SIGNER.private_key,
        )
    )
    try:
        some_history(older, frozen, cases=1)
        assert older.checkpointer is not None
        assert older.checkpointer.sign_if_due(force=True) is None
        assert "rolled back" in (older.checkpointer.problem or "")
    finally:
        older.close()


def test_a_checkpoint_the_key_did_not_sign_is_ignored(
    audited: Runtime, frozen: FrozenClock
) -> None:
    case_ids = some_history(audited, frozen, cases=1)
    checkpointer = audited.checkpointer
    assert checkpointer is not None
    genuine = checkpointer.sign_if_due()
    assert genuine is not None
    # A checkpoint event forged to claim a huge tree would otherwise stop all signing.
    audited.app.record_checkpoint("audit.test/k2k", 10**9, "AAAA", "not signed\n", "00000000")
    audited.runner.catch_up()

    assert checkpointer.latest() == genuine
    audited.app.comment_on_case(MANAGER, case_ids[0], text="Kemas kini.")
    frozen.advance(minutes=5)
    assert checkpointer.sign_if_due() is not None
