"""An auditor catches every rewrite of the store: ``k2k audit verify`` against a running ``k2k
serve``, on SQLite and on PostgreSQL, with a state file from before the tampering.

Each test tampers with the event table directly, as someone with database access but not the
service's keys would: one byte changed, an event deleted, two reordered, a forged event appended,
the whole store rolled back to an earlier copy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from domain import clock
from projections.signed_note import NoteSigner
from service.audit.keys import write_key_files
from service.audit.verify import ExitCode
from service.runtime import Runtime
from service.seal import MAGIC, TAG_SIZE
from service.settings import Settings
from tests.conftest import POSTGRES_ADMIN_URL
from tests.processes import k2k_server
from tests.unit.world import MANAGER, REPORTER, START, FrozenClock, World, register_schemes

SECRET = "tamper-test-secrets-key"


@dataclass
class Store:
    """The service's storage, and the raw event table behind it."""

    settings: Settings
    folder: Path
    env: dict[str, str]

    @property
    def is_sqlite(self) -> bool:
        return self.settings.is_sqlite

    def events_engine(self) -> Engine:
        if self.is_sqlite:
            return create_engine(f"sqlite:///{self.settings.event_store_env()['SQLITE_DBNAME']}")
        return create_engine(self.settings.read_model_url)

    @property
    def table(self) -> str:
        return "stored_events" if self.is_sqlite else "k2k_events"

    @property
    def id_column(self) -> str:
        return "rowid" if self.is_sqlite else "notification_id"

    def sql(self, statement: str, **params: Any) -> list[Any]:
        engine = self.events_engine()
        try:
            with engine.begin() as conn:
                result = conn.execute(
                    text(statement.format(table=self.table, id=self.id_column)), params
                )
                return list(result.all()) if result.returns_rows else []
        finally:
            engine.dispose()

    def records(self) -> list[Any]:
        return self.sql(
            "SELECT {id} AS id, originator_id, originator_version, topic, state FROM {table} "
            "ORDER BY {id}"
        )

    def seed(self, cases: int, start: FrozenClock | None = None) -> list[Any]:
        """Record cases through the application (the service is stopped meanwhile)."""
        runtime = Runtime.from_settings(self.settings)
        frozen = start or FrozenClock(START)
        try:
            with clock.clock_set_to(frozen):
                if not runtime.app.recorder.max_notification_id():
                    register_schemes(runtime.app)
                world = World(runtime.app, frozen)
                ids = []
                for _ in range(cases):
                    case_id = world.report(REPORTER)
                    runtime.app.acknowledge_case(MANAGER, case_id)
                    runtime.app.comment_on_case(MANAGER, case_id, text="Juruteknik datang esok.")
                    ids.append(case_id)
                    frozen.advance(minutes=5)
            return ids
        finally:
            runtime.close()

    def serve(self) -> AbstractContextManager[str]:
        return k2k_server(self.env)


@pytest.fixture
def store(settings: Settings, tmp_path: Path) -> Store:
    settings = replace(settings, secrets_key=SECRET, data_dir=str(tmp_path))
    key = tmp_path / "audit.key"
    write_key_files(NoteSigner.generate("tamper.test/k2k"), key)
    env = {
        **os.environ,
        "K2K_DATABASE_URL": settings.database_url,
        "K2K_DATA_DIR": str(tmp_path),
        "K2K_SECRETS_KEY": SECRET,
        "K2K_AUDIT_KEY_FILE": str(key),
        "K2K_AUDIT_CHECKPOINT_EVENTS": "1",
        "K2K_AUDIT_CHECKPOINT_SECONDS": "1",
        "K2K_PROJECTION_INTERVAL": "0.2",
    }
    env.pop("K2K_REDIS_URL", None)
    return Store(settings, tmp_path, env)


def signed_size(url: str, at_least: int, timeout: float = 60) -> int:
    """Wait until the service has signed a checkpoint of ``at_least`` events; its size."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v1/audit/checkpoint", timeout=5) as answer:
                size = int(json.load(answer)["size"])
                if size >= at_least:
                    return size
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"no checkpoint of {at_least} events within {timeout} s")
        time.sleep(0.3)


@dataclass
class Verdict:
    code: int
    out: str
    err: str


def verify(store: Store, url: str, *options: str) -> Verdict:
    """``k2k audit verify`` as an auditor runs it, with the state file of earlier runs."""
    k2k = str(Path(sys.executable).with_name("k2k"))
    command = [
        k2k,
        "audit",
        "verify",
        "--url",
        url,
        "--public-key",
        str(store.folder / "audit.key.pub"),
        "--state",
        str(store.folder / "auditor-state.json"),
        *options,
    ]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120)
    return Verdict(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def trusted(store: Store) -> Iterator[tuple[Store, str, list[Any]]]:
    """A running service whose log an auditor verified in full once (the state file)."""
    store.seed(3)
    with store.serve() as url:
        signed_size(url, len(store.records()))
        first = verify(store, url, "--full")
        assert first.code == ExitCode.OK, first.err
        yield store, url, store.records()


def middle_record(records: list[Any], topic_ending: str) -> Any:
    candidates = [record for record in records if record.topic.endswith(topic_ending)]
    return candidates[len(candidates) // 2]


def test_one_changed_byte_in_a_stored_event_is_caught(
    trusted: tuple[Store, str, list[Any]],
) -> None:
    store, url, records = trusted
    target = middle_record(records, ".Reported")
    state = bytes(target.state)
    at = state.index(b"Lif")
    changed = state[:at] + b"Lof" + state[at + 3 :]
    store.sql("UPDATE {table} SET state = :state WHERE {id} = :id", state=changed, id=target.id)

    verdict = verify(store, url, "--full")

    assert verdict.code == ExitCode.ENTRIES_MISMATCH, verdict.err
    assert f"entry {records.index(target)}" in verdict.err
    assert "changed" in verdict.err
    # The auditor's trust is not moved by a failed run; once repaired, the log verifies again.
    store.sql("UPDATE {table} SET state = :state WHERE {id} = :id", state=state, id=target.id)
    assert verify(store, url, "--full").code == ExitCode.OK


def test_a_deleted_event_is_caught(trusted: tuple[Store, str, list[Any]]) -> None:
    store, url, records = trusted
    target = middle_record(records, ".Acknowledged")
    store.sql("DELETE FROM {table} WHERE {id} = :id", id=target.id)

    verdict = verify(store, url, "--full")

    assert verdict.code == ExitCode.ENTRIES_MISMATCH, verdict.err
    assert "deleted" in verdict.err
    case = verify(store, url, "--case", str(target.originator_id))
    assert case.code == ExitCode.CASE_NOT_INCLUDED, case.err
    assert f"version {target.originator_version}" in case.err


def test_two_reordered_events_are_caught(trusted: tuple[Store, str, list[Any]]) -> None:
    store, url, records = trusted
    first, second = records[len(records) // 2], records[len(records) // 2 + 1]
    store.sql("UPDATE {table} SET {id} = -1 WHERE {id} = :id", id=first.id)
    store.sql("UPDATE {table} SET {id} = :a WHERE {id} = :b", a=first.id, b=second.id)
    store.sql("UPDATE {table} SET {id} = :b WHERE {id} = -1", b=second.id)

    verdict = verify(store, url, "--full")

    assert verdict.code == ExitCode.ENTRIES_MISMATCH, verdict.err
    assert "swapped" in verdict.err or "reordered" in verdict.err


def test_a_forged_event_appended_in_the_database_is_caught(
    trusted: tuple[Store, str, list[Any]],
) -> None:
    store, url, records = trusted
    comment = middle_record(records, ".CommentAdded")
    last_version = max(
        record.originator_version
        for record in records
        if record.originator_id == comment.originator_id
    )
    forged_state = bytes(comment.state)
    assert forged_state.startswith(MAGIC)
    # The forger writes what the library would store, but cannot make the seal.
    forged_state = forged_state[len(MAGIC) + TAG_SIZE :]
    columns = "originator_id, originator_version, topic, state"
    store.sql(
        f"INSERT INTO {{table}} ({columns}) VALUES (:originator, :version, :topic, :state)",
        originator=comment.originator_id
        if store.is_sqlite
        else uuid.UUID(str(comment.originator_id)),
        version=last_version + 1,
        topic=comment.topic,
        state=forged_state,
    )
    # The running service takes it in and signs over it: the tree alone cannot tell.
    signed_size(url, len(records) + 1)

    verdict = verify(store, url, "--full")

    assert verdict.code == ExitCode.SEAL_BROKEN, verdict.err
    assert "not written by this service" in verdict.err
    case = verify(store, url, "--case", str(comment.originator_id))
    assert case.code == ExitCode.SEAL_BROKEN, case.err


def _snapshot(store: Store, name: str) -> Any:
    if store.is_sqlite:
        copy = store.folder / name
        copy.mkdir()
        for path in store.folder.glob("k2k*.sqlite*"):
            shutil.copy2(path, copy / path.name)
        return copy
    import psycopg

    database = store.settings.database_url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}_{name}" TEMPLATE "{database}"')
    return f"{database}_{name}"


def _restore(store: Store, snapshot: Any) -> None:
    if store.is_sqlite:
        for path in store.folder.glob("k2k*.sqlite*"):
            path.unlink()
        for path in Path(snapshot).iterdir():
            shutil.copy2(path, store.folder / path.name)
        return
    import psycopg

    database = store.settings.database_url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}" TEMPLATE "{snapshot}"')
        conn.execute(f'DROP DATABASE "{snapshot}"')


def test_a_store_rolled_back_to_an_earlier_copy_is_caught(store: Store) -> None:
    store.seed(2)
    with store.serve() as url:
        signed_size(url, len(store.records()))
    earlier = _snapshot(store, "earlier")

    frozen = FrozenClock(START)
    frozen.advance(days=1)
    store.seed(2, frozen)
    with store.serve() as url:
        signed_size(url, len(store.records()))
        assert verify(store, url).code == ExitCode.OK  # the auditor trusts the bigger log

    _restore(store, earlier)
    with store.serve() as url:
        smaller = verify(store, url)
        assert smaller.code == ExitCode.REWRITTEN, smaller.err
        assert "rolled back" in smaller.err

    # The old copy grows past the trusted size: the signer will not sign a fork of what it
    # signed (it keeps that beside its key), and says why.
    frozen.advance(days=1)
    store.seed(4, frozen)
    with store.serve() as url:
        assert "rewritten" in signer_problem(url)
        assert verify(store, url).code == ExitCode.REWRITTEN

    # Even a key holder who makes it sign the fork (its record deleted) cannot hide it.
    (store.folder / "audit.key.signed").unlink()
    with store.serve() as url:
        signed_size(url, len(store.records()))
        grown = verify(store, url)
    assert grown.code == ExitCode.REWRITTEN, grown.err
    assert "rewritten" in grown.err.lower()


def signer_problem(url: str, timeout: float = 60) -> str:
    """Wait until ``/readyz`` reports that the signer refuses to sign; what it says."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=5) as answer:
                problem = json.load(answer)["checks"].get("audit", {}).get("problem")
        except OSError:
            problem = None
        if problem:
            return str(problem)
        if time.monotonic() > deadline:
            raise AssertionError(f"the signer reported no problem within {timeout} s")
        time.sleep(0.3)
