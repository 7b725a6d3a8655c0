"""The auditor's verifier against an in-memory log that can be rewritten in every way it fears.

``FakeLog`` serves the audit API's contract from a store of records, the tree its projection
built from them and the checkpoints signed over that tree; a test tampers with one of the three
the way an attacker with database access (or a careless migration) would, and checks that the
verifier names it with the right exit code. One test serves the same fake over real HTTP.
"""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from uuid import UUID

import pytest
from click.testing import CliRunner

from projections.audit_leaf import Entry
from projections.merkle import MerkleTree
from projections.signed_note import NoteSigner, checkpoint_text
from service.audit.verify import (
    API_PATH,
    ExitCode,
    LogClient,
    LogSource,
    ServiceError,
    _CompactTree,
    run_verification,
    verify_command,
)

ORIGIN = "test.example/log"
TOPICS = ("domain.cases:Case.Reported", "domain.cases:Case.Acknowledged", "domain.cases:Case.Noted")


@dataclass
class Record:
    """One stored event record, as the entries endpoint shows it (its state already digested)."""

    notification_id: int
    entry: Entry
    seal: str = "valid"


class FakeLog:
    """The audit API as the server serves it, over an in-memory store, its tree and checkpoints.

    As the real server does: the range stream numbers its entries by their position in the store
    (``index`` = ``start`` + offset) and gives each its ``leaf_index`` in the tree (null when the
    tree does not hold the record; left out with ``leaf_indices=False``, as older servers do);
    one aggregate's entries carry their leaf index as ``index``. The projection takes in the
    store's records in order from its position, so a record slipped in behind it stays out.
    """

    def __init__(
        self,
        signer: NoteSigner,
        *,
        page_size: int = 3,
        base_url: str = "http://log.test" + API_PATH,
        leaf_indices: bool = True,
    ) -> None:
        self.signer = signer
        self.page_size = page_size
        self.leaf_indices = leaf_indices
        self.base_url = base_url
        self.store: list[Record] = []
        # The projection: the notification id, entry and leaf hash of each leaf, by index, and
        # the last notification id it took in.
        self.indexed: list[int] = []
        self.logged: list[Entry] = []
        self.leaves: list[bytes] = []
        self.tree = MerkleTree()
        self.position = 0
        self.checkpoints: dict[int, dict[str, Any]] = {}
        self.latest: int | None = None
        self.random = Random(12)
        self.aggregates: list[str] = []
        self.last_version: dict[str, int] = {}
        self.links = count()

    # --- Making and tampering with the log ---

    def add(
        self, events: int, *, seal: str = "valid", project: bool = True, case: str | None = None
    ) -> None:
        """Store new events of ``case`` or of random cases (and let the projection take them in)."""
        for _ in range(events):
            if case is None and (not self.aggregates or self.random.random() < 0.3):
                self.aggregates.append(str(UUID(int=self.random.getrandbits(128), version=4)))
            oid = case or self.random.choice(self.aggregates)
            version = self.last_version.get(oid, 0) + 1
            self.last_version[oid] = version
            last = self.store[-1].notification_id if self.store else 0
            # Notification ids can have gaps; leaf indices never do.
            nid = last + 1 + self.random.choice((0, 0, 1))
            entry = Entry(oid, version, self.random.choice(TOPICS), self.random.randbytes(32))
            self.store.append(Record(nid, entry, seal))
        if project:
            self.project()

    def slip_in(self, case: str) -> int:
        """Write the next event of ``case`` into a gap of the ids behind the projection; where.

        The gap is the first after the case's last event; the record has no seal, as one
        written with SQL would not.
        """
        store = self.store
        last = max(i for i, r in enumerate(store) if r.entry.originator_id == case)
        position = next(
            i
            for i in range(last + 1, len(store))
            if store[i].notification_id - store[i - 1].notification_id > 1
            and store[i].notification_id <= self.position
        )
        version = self.last_version[case] + 1
        self.last_version[case] = version
        forged = Entry(case, version, TOPICS[2], self.random.randbytes(32))
        store.insert(position, Record(store[position - 1].notification_id + 1, forged, "absent"))
        return position

    def project(self) -> None:
        """Take the stored records after the projection's position into the tree, in order."""
        for record in self.store:
            if record.notification_id > self.position:
                self.indexed.append(record.notification_id)
                self.logged.append(record.entry)
                self.leaves.append(record.entry.leaf_hash)
                self.tree.append(record.entry.leaf_hash)
                self.position = record.notification_id

    def rebuild(self) -> None:
        """Rebuild the projection's tree from the store as it is now (after a rewrite)."""
        self.indexed, self.logged, self.leaves, self.tree = [], [], [], MerkleTree()
        self.position = 0
        self.project()

    def sign(self, size: int | None = None) -> int:
        """Sign a checkpoint of the tree (all of it by default) and make it the latest."""
        size = self.tree.size if size is None else size
        root = self.tree.root(size)
        self.checkpoints[size] = {
            "origin": ORIGIN,
            "size": size,
            "root_hash": _b64(root),
            "note": self.signer.sign(checkpoint_text(ORIGIN, size, root)),
            "signed_at": "2026-05-01T12:00:00+00:00",
        }
        self.latest = size
        return size

    def change(self, position: int) -> None:
        """Rewrite the state of the stored record at ``position`` (the seal is left as it was)."""
        record = self.store[position]
        record.entry = replace(record.entry, state_sha256=self.random.randbytes(32))

    # --- Serving the contract ---

    def get_json(self, path: str, params: Mapping[str, object] | None = None) -> Any:
        """What ``LogClient.get_json`` would return, without HTTP."""
        url = path if urlsplit(path).scheme else f"{self.base_url}/{path.lstrip('/')}"
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        parts = urlsplit(url)
        base = urlsplit(self.base_url)
        assert (parts.netloc, parts.path[: len(base.path)]) == (base.netloc, base.path), url
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        status, body = self.respond(parts.path[len(base.path) :], query)
        if status != 200:
            raise ServiceError(f"GET {url}: HTTP {status}: {body['title']}", status)
        return body

    def respond(self, path: str, query: Mapping[str, str]) -> tuple[int, Any]:
        """The status and JSON body the audit API answers ``path?query`` with."""
        try:
            if path == "/public-key":
                verifier = self.signer.verifier
                return 200, {
                    "origin": ORIGIN,
                    "verifier_key": verifier.verifier_key,
                    "key_id": verifier.key_id.hex(),
                }
            if path == "/checkpoint":
                if self.latest is None:
                    return _problem(404, "no checkpoint has been signed yet")
                return 200, self.checkpoints[self.latest]
            if path == "/checkpoints":
                found = self.checkpoints.get(int(query["size"]))
                return 200, {"items": [found] if found else [], "next": None}
            if path == "/proof/inclusion":
                index, size = int(query["index"]), int(query["size"])
                return 200, {
                    "index": index,
                    "size": size,
                    "leaf_hash": _b64(self.leaves[index]),
                    "proof": [_b64(h) for h in self.tree.inclusion_proof(index, size)],
                }
            if path == "/proof/consistency":
                old, new = int(query["from"]), int(query["to"])
                proof = self.tree.consistency_proof(old, new)
                return 200, {"from": old, "to": new, "proof": [_b64(h) for h in proof]}
            if path == "/entries":
                return 200, self._entries(query)
        except (KeyError, ValueError, IndexError) as error:
            return _problem(400, str(error))
        return _problem(404, f"no such resource {path}")

    def _entries(self, query: Mapping[str, str]) -> dict[str, Any]:
        if "originator_id" in query:
            return self._aggregate_entries(query)
        start = int(query.get("start", 0))
        end = int(query["end"]) if "end" in query else None
        limit = self.page_size if end is None else min(self.page_size, max(0, end - start))
        if limit == 0:
            return {"entries": [], "next": None}
        # The first page finds the record of leaf `start` through the tree; from then on the
        # stream follows the store's order from the `after` cursor, a notification id.
        inclusive = False
        if "after" in query:
            after = int(query["after"])
        elif start == 0:
            after = 0
        elif start < len(self.indexed):
            after, inclusive = self.indexed[start], True
        elif start == len(self.indexed):
            after = self.indexed[start - 1]
        else:
            raise ValueError(f"the tree holds {len(self.indexed)} events; start {start} is past it")
        rows = [
            r
            for r in self.store
            if r.notification_id > after or (inclusive and r.notification_id == after)
        ][:limit]
        leaf_of = {nid: i for i, nid in enumerate(self.indexed)}
        entries = [
            self._entry_json(r, start + offset, r.notification_id, leaf_of.get(r.notification_id))
            for offset, r in enumerate(rows)
        ]
        # As the server does, a full page links to the next even when the store holds no more.
        following = start + len(rows)
        link = None
        if len(rows) == limit and (end is None or following < end):
            link = self._link(
                {"start": str(following), "after": str(rows[-1].notification_id)}
                | ({} if end is None else {"end": str(end)})
            )
        return {"entries": entries, "next": link}

    def _aggregate_entries(self, query: Mapping[str, str]) -> dict[str, Any]:
        """One aggregate's entries by version, with the leaves whose record the store lost."""
        oid = query["originator_id"]
        # As the server does: the tree's leaves of the aggregate by version, and each stored
        # record's leaf index and notification id through them (both null if not in the tree).
        leaves = {
            entry.version: (index, nid)
            for index, (nid, entry) in enumerate(zip(self.indexed, self.logged, strict=True))
            if entry.originator_id == oid
        }
        stored = [r for r in self.store if r.entry.originator_id == oid]
        entries = []
        for r in stored:
            index, nid = leaves.get(r.entry.version, (None, None))
            entries.append(self._entry_json(r, index, nid, index))
        versions = {r.entry.version for r in stored}
        entries += [
            {
                "index": index,
                "notification_id": nid,
                "originator_id": oid,
                "version": version,
                "topic": None,
                "state_sha256": None,
                "seal": "missing",
            }
            | ({"leaf_index": index} if self.leaf_indices else {})
            for version, (index, nid) in leaves.items()
            if version not in versions
        ]
        entries.sort(key=lambda entry: entry["version"])
        offset = int(query.get("offset", 0))
        link = None
        if len(entries) > offset + self.page_size:
            link = self._link({"originator_id": oid, "offset": str(offset + self.page_size)})
        return {"entries": entries[offset : offset + self.page_size], "next": link}

    def _entry_json(
        self, record: Record, index: int | None, notification_id: int | None, leaf: int | None
    ) -> dict[str, Any]:
        entry = {
            "index": index,
            "notification_id": notification_id,
            "originator_id": record.entry.originator_id,
            "version": record.entry.version,
            "topic": record.entry.topic,
            "state_sha256": record.entry.state_sha256.hex(),
            "seal": record.seal,
        }
        return entry | ({"leaf_index": leaf} if self.leaf_indices else {})

    def _link(self, query: Mapping[str, str]) -> str:
        """The next link, relative, rooted or absolute in turn (all three are allowed)."""
        style = next(self.links) % 3
        relative = f"entries?{urlencode(query)}"
        if style == 0:
            return relative
        if style == 1:
            return f"{urlsplit(self.base_url).path}/{relative}"
        return f"{self.base_url}/{relative}"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _problem(status: int, detail: str) -> tuple[int, dict[str, Any]]:
    titles = {400: "Bad Request", 404: "Not Found"}
    return status, {"title": titles[status], "status": status, "detail": detail}


@dataclass
class Run:
    """What one verification printed and exited with."""

    code: ExitCode
    out: str
    err: str


def verify(source: LogSource, key: Path, **options: Any) -> Run:
    """Run the verifier over ``source`` and capture its output."""
    out, err = io.StringIO(), io.StringIO()
    code = run_verification(source, key, out=out, err=err, **options)
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def signer() -> NoteSigner:
    """The log's signing key."""
    return NoteSigner.generate(ORIGIN)


@pytest.fixture
def key(tmp_path: Path, signer: NoteSigner) -> Path:
    """The auditor's copy of the log's public key, as ``k2k audit keygen`` writes it."""
    path = tmp_path / "log.pub"
    path.write_text(f"# {ORIGIN}, from its operators\n\n{signer.verifier.verifier_key}\n")
    return path


@pytest.fixture
def log(signer: NoteSigner) -> FakeLog:
    """A log of 20 events (the first 4 from before sealing began), signed at size 20."""
    fake = FakeLog(signer)
    fake.add(4, seal="absent")
    fake.add(16)
    fake.sign()
    return fake


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """Where the auditor keeps the checkpoint they trust (not written yet)."""
    return tmp_path / "trusted.json"


def a_case_with_events(fake: FakeLog, events: int = 3) -> str:
    """The id of a case with at least ``events`` events in the store."""
    return next(oid for oid, last in fake.last_version.items() if last >= events)


def an_early_case(fake: FakeLog) -> str:
    """The id of the case whose last stored event comes first: room for one slipped in after."""
    last = {r.entry.originator_id: i for i, r in enumerate(fake.store)}
    return min(last, key=last.__getitem__)


# --- A good log ---------------------------------------------------------------------------------


def test_a_good_log_passes_every_check_and_the_state_is_written(
    log: FakeLog, key: Path, state: Path
) -> None:
    # The first run trusts the checkpoint on first use and keeps it.
    first = verify(log, key, state=state, full=True)
    assert first.code is ExitCode.OK, first.err
    assert "trusting this log's checkpoint on first use" in first.err
    assert json.loads(state.read_text())["size"] == 20

    # The log grows; the next run checks it extends the trusted checkpoint, and every entry.
    log.add(13)
    log.sign()
    case = a_case_with_events(log)
    second = verify(log, key, state=state, full=True, case=case.upper())
    assert second.code is ExitCode.OK, second.err
    assert "consistent with the checkpoint of size 20 you trusted on" in second.out
    assert "33 entries recomputed" in second.out
    assert f"case {case}: {log.last_version[case]} events included" in second.out
    saved = json.loads(state.read_text())
    assert saved["size"] == 33
    assert saved["root_hash"] == _b64(log.tree.root())
    assert saved["verifier_key"] == log.signer.verifier.verifier_key
    assert saved["note"] == log.checkpoints[33]["note"]
    assert saved["url"] == log.base_url


def test_the_same_checkpoint_again_is_consistent_with_itself(
    log: FakeLog, key: Path, state: Path
) -> None:
    assert verify(log, key, state=state).code is ExitCode.OK
    again = verify(log, key, state=state)
    assert again.code is ExitCode.OK
    assert "the same checkpoint you trusted on" in again.out


def test_unsealed_entries_before_sealing_began_are_a_legacy_prefix(log: FakeLog, key: Path) -> None:
    run = verify(log, key, full=True)
    assert run.code is ExitCode.OK
    assert "the first 4 of the log's entries have no seal: they predate sealing" in run.err
    assert "note:" not in verify(log, key, full=True, quiet=True).err


def test_an_empty_signed_log_passes_the_full_check(signer: NoteSigner, key: Path) -> None:
    empty = FakeLog(signer)
    empty.sign()
    run = verify(empty, key, full=True)
    assert run.code is ExitCode.OK, run.err
    assert "size 0" in run.out


# --- Signatures ---------------------------------------------------------------------------------


def test_a_checkpoint_signed_by_another_key_is_refused(log: FakeLog, tmp_path: Path) -> None:
    other = tmp_path / "other.pub"
    other.write_text(NoteSigner.generate(ORIGIN).verifier.verifier_key + "\n")
    run = verify(log, other)
    assert run.code is ExitCode.BAD_SIGNATURE
    assert "not signed by your key" in run.err
    assert log.signer.verifier.verifier_key in run.err  # the key the server says it uses


def test_a_checkpoint_for_another_origin_is_refused(log: FakeLog, key: Path) -> None:
    # Signed by the right key, but for another log than the key's.
    text = checkpoint_text("other.example/log", 20, log.tree.root())
    log.checkpoints[20].update(origin="other.example/log", note=log.signer.sign(text))
    run = verify(log, key)
    assert run.code is ExitCode.BAD_SIGNATURE
    assert "origin" in run.err


def test_checkpoint_fields_that_disagree_with_the_signed_note_are_refused(
    log: FakeLog, key: Path
) -> None:
    log.checkpoints[20]["size"] = 21
    run = verify(log, key)
    assert run.code is ExitCode.BAD_SIGNATURE
    assert "disagree with the note" in run.err


# --- Consistency with the trusted checkpoint ----------------------------------------------------


def test_a_log_rolled_back_to_a_smaller_size_is_rewritten(
    log: FakeLog, key: Path, state: Path
) -> None:
    assert verify(log, key, state=state).code is ExitCode.OK
    log.sign(12)  # the operator restored an old backup: its checkpoint is genuine, but older
    run = verify(log, key, state=state)
    assert run.code is ExitCode.REWRITTEN
    assert "the log is smaller than the checkpoint you trusted: rolled back or truncated" in run.err
    assert "size 20" in run.err
    assert "size 12" in run.err


@pytest.mark.parametrize("grown_by", [0, 7], ids=["at-the-same-size", "and-grown"])
def test_a_log_rewritten_and_signed_again_is_rewritten(
    log: FakeLog, key: Path, state: Path, grown_by: int
) -> None:
    assert verify(log, key, state=state).code is ExitCode.OK
    before = state.read_bytes()
    # Change one early event, rebuild the tree and sign it: the new log is self-consistent,
    # so only the auditor's memory of the old checkpoint shows the rewrite.
    log.change(6)
    log.rebuild()
    log.add(grown_by)
    log.sign()
    assert verify(log, key, full=True).code is ExitCode.OK
    run = verify(log, key, state=state, full=True)
    assert run.code is ExitCode.REWRITTEN
    assert "THE LOG WAS REWRITTEN since" in run.err
    assert _b64(log.tree.root()) in run.err
    assert json.loads(before)["root_hash"] in run.err
    assert state.read_bytes() == before


def test_a_state_file_for_another_key_is_refused(
    log: FakeLog, key: Path, state: Path, tmp_path: Path
) -> None:
    assert verify(log, key, state=state).code is ExitCode.OK
    other = tmp_path / "other.pub"
    other.write_text(NoteSigner.generate(ORIGIN).verifier.verifier_key + "\n")
    run = verify(log, other, state=state)
    assert run.code is ExitCode.USAGE
    assert "not the key you gave" in run.err


def test_a_state_file_whose_fields_were_edited_is_refused(
    log: FakeLog, key: Path, state: Path
) -> None:
    assert verify(log, key, state=state).code is ExitCode.OK
    edited = json.loads(state.read_text())
    edited["size"] = 5
    state.write_text(json.dumps(edited))
    assert verify(log, key, state=state).code is ExitCode.USAGE


# --- The full check -----------------------------------------------------------------------------


def test_without_a_state_a_rewritten_entry_is_caught_by_the_full_check(
    log: FakeLog, key: Path
) -> None:
    log.change(9)  # in the database, after the projection hashed it and a checkpoint signed it
    assert verify(log, key).code is ExitCode.OK  # the signature alone cannot see it
    run = verify(log, key, full=True)
    assert run.code is ExitCode.ENTRIES_MISMATCH
    assert "not the signed root" in run.err
    assert "entry 9 is the first that differs from the signed tree" in run.err
    assert "none of the store's records: changed or deleted" in run.err


@pytest.mark.parametrize("leaf_indices", [True, False], ids=["leaf-index", "older-server"])
def test_a_deleted_entry_is_caught_by_the_full_check(
    signer: NoteSigner, key: Path, leaf_indices: bool
) -> None:
    log = FakeLog(signer, leaf_indices=leaf_indices)
    log.add(20)
    log.sign()
    log.add(5)  # the store holds more than the checkpoint covers
    # An event with later versions of its case, so the gap shows in the case's run too.
    signed = log.store[:20]
    position = next(
        i
        for i, r in enumerate(signed)
        if i > 4 and any(s.entry.originator_id == r.entry.originator_id for s in signed[i + 1 :])
    )
    victim = log.store.pop(position)
    run = verify(log, key, full=True)
    assert run.code is ExitCode.ENTRIES_MISMATCH
    oid, version = victim.entry.originator_id, victim.entry.version
    assert f"{oid}: version {version} is missing from the store: deleted events" in run.err
    assert f"entry {position} is the first that differs" in run.err
    # The stream numbers what the store holds: the next record takes the deleted one's place.
    assert f"the signed entry {position} is gone from the store" in run.err
    # Its leaf index, when the server gives it, names the leaf the store no longer has.
    named = f"the tree's leaf {position} is missing from the store: deleted events"
    assert (named in run.err) is leaf_indices


def test_deleted_entries_with_none_the_tree_holds_after_them_are_named(
    log: FakeLog, key: Path
) -> None:
    # Two late records, then two the tree does not hold yet; two signed ones are deleted, so the
    # stream's signed range ends with the two pending ones.
    log.add(2, project=False)
    pending = log.store[-2:]
    del log.store[5], log.store[9]
    run = verify(log, key, full=True)
    assert run.code is ExitCode.ENTRIES_MISMATCH
    assert "the tree's leaves 5, 10 are missing from the store: deleted events" in run.err
    for position, record in zip((18, 19), pending, strict=True):
        assert (
            f"entry {position}: {record.entry.originator_id} version {record.entry.version}"
            f" ({record.entry.topic}, notification id {record.notification_id}) is not in the"
            " tree: inserted directly into the store, or recorded after the tree's last update"
        ) in run.err


def test_two_swapped_entries_are_caught_by_the_full_check(log: FakeLog, key: Path) -> None:
    case = a_case_with_events(log, 3)
    first, *_, second = [r for r in log.store if r.entry.originator_id == case]
    first.entry, second.entry = second.entry, first.entry
    run = verify(log, key, full=True)
    assert run.code is ExitCode.ENTRIES_MISMATCH
    assert "reordered records" in run.err
    position = log.store.index(first)
    assert f"entry {position} is the first that differs" in run.err
    assert f"{case} version 1 comes after version {log.last_version[case]}: reordered" in run.err
    assert f"the store's entry {log.store.index(second)}: records reordered" in run.err


def test_two_neighbouring_entries_swapped_are_named(log: FakeLog, key: Path) -> None:
    log.store[10].entry, log.store[11].entry = log.store[11].entry, log.store[10].entry
    run = verify(log, key, full=True)
    assert run.code is ExitCode.ENTRIES_MISMATCH
    assert "entries 10 and 11 were swapped: records reordered" in run.err


@pytest.mark.parametrize("leaf_indices", [True, False], ids=["leaf-index", "older-server"])
def test_an_entry_inserted_into_the_store_is_named(
    signer: NoteSigner, key: Path, leaf_indices: bool
) -> None:
    log = FakeLog(signer, leaf_indices=leaf_indices)
    log.add(20)
    log.sign()
    # A record slipped into a gap of the notification ids, behind the projection's back.
    case = an_early_case(log)
    position = log.slip_in(case)
    forged = log.store[position]
    run = verify(log, key, full=True)
    assert run.code is ExitCode.ENTRIES_MISMATCH
    assert f"the store's entry {position} is not in the signed tree" in run.err
    assert "an inserted record" in run.err
    # Its null leaf index, when the server gives it, says which record the tree never took in.
    named = (
        f"entry {position}: {case} version {forged.entry.version} ({forged.entry.topic},"
        f" notification id {forged.notification_id}) is not in the tree: inserted directly"
        " into the store"
    )
    assert (named in run.err) is leaf_indices
    assert "or recorded after" not in run.err


def test_a_forged_unsealed_entry_after_sealed_ones_breaks_the_seals(
    log: FakeLog, key: Path
) -> None:
    # Written with SQL, straight into the store; the projection took it in and it was signed.
    log.add(1, seal="absent")
    log.add(2)
    log.sign()
    run = verify(log, key, full=True)
    assert run.code is ExitCode.SEAL_BROKEN
    assert (
        "entry 20 was not written by this service: it has no seal, though sealing began at"
        " entry 4 — inserted directly in the database"
    ) in run.err


def test_an_invalid_seal_breaks_the_seals(log: FakeLog, key: Path) -> None:
    log.store[11].seal = "invalid"
    run = verify(log, key, full=True)
    assert run.code is ExitCode.SEAL_BROKEN
    assert "entry 11: the record was changed after the service wrote it" in run.err


def test_the_full_check_stops_at_the_first_failure_in_its_order(log: FakeLog, key: Path) -> None:
    # A record changed in the database both breaks its seal and the root: the root comes first.
    log.change(11)
    log.store[11].seal = "invalid"
    assert verify(log, key, full=True).code is ExitCode.ENTRIES_MISMATCH


def test_the_verifiers_compact_tree_answers_as_the_merkle_tree() -> None:
    random = Random(3)
    compact, reference = _CompactTree(), MerkleTree()
    assert compact.root() == reference.root()
    for size in range(1, 70):
        leaf = random.randbytes(32)
        compact.append(leaf)
        reference.append(leaf)
        assert compact.size == reference.size == size
        assert compact.leaves[-32:] == leaf
        assert compact.root() == reference.root()
        for other in (1, size // 2 or 1, size - 1 or 1):
            assert compact.root(other) == reference.root(other)
            assert compact.consistency_proof(other) == reference.consistency_proof(other)
            assert compact.inclusion_proof(other - 1) == reference.inclusion_proof(other - 1)


def test_progress_is_reported_on_long_runs(log: FakeLog, key: Path) -> None:
    log.add(100)
    log.sign()
    run = verify(log, key, full=True)
    assert run.code is ExitCode.OK
    assert "entries 30/120" in run.err
    assert "entries" not in verify(log, key, full=True, quiet=True).err


# --- One case -----------------------------------------------------------------------------------


@pytest.mark.parametrize("leaf_indices", [True, False], ids=["leaf-index", "older-server"])
def test_a_case_event_recorded_after_the_last_tree_update_is_noted_not_failed(
    signer: NoteSigner, key: Path, leaf_indices: bool
) -> None:
    log = FakeLog(signer, leaf_indices=leaf_indices)
    log.add(20)
    log.sign()
    case = a_case_with_events(log)
    log.add(2, project=False, case=case)  # stored, but the projection has not run since
    run = verify(log, key, case=case)
    assert run.code is ExitCode.OK, run.err
    last = log.last_version[case]
    for version in (last - 1, last):
        assert (
            f"{case} version {version}: recorded after the last tree update; not yet in the log"
        ) in run.err
    assert f"case {case}: {last - 2} events included, 2 not yet covered by a checkpoint" in (
        run.out
    )


@pytest.mark.parametrize("leaf_indices", [True, False], ids=["leaf-index", "older-server"])
def test_a_case_event_slipped_in_behind_the_projection_is_not_included(
    signer: NoteSigner, key: Path, leaf_indices: bool
) -> None:
    log = FakeLog(signer, leaf_indices=leaf_indices)
    log.add(20)
    case = an_early_case(log)
    # Written with SQL into a gap of the ids the projection has passed: it never takes it in,
    # though the case goes on after it and its next version is in the tree.
    log.slip_in(case)
    slipped = log.last_version[case]
    log.add(1, case=case)
    log.sign()
    run = verify(log, key, case=case)
    assert run.code is ExitCode.CASE_NOT_INCLUDED
    assert (
        f"version {slipped} is in the store but not in the log, though version {slipped + 1}"
        " is: slipped in behind the projection"
    ) in run.err
    assert "recorded after the last tree update" not in run.err


def test_a_case_whose_stored_event_was_changed_is_not_included(log: FakeLog, key: Path) -> None:
    case = a_case_with_events(log)
    position = next(i for i, r in enumerate(log.store) if r.entry.originator_id == case)
    log.change(position)
    run = verify(log, key, case=case)
    assert run.code is ExitCode.CASE_NOT_INCLUDED
    assert f"version 1 (leaf {position}): the stored record does not hash" in run.err


def test_a_case_with_a_deleted_event_is_not_included(log: FakeLog, key: Path) -> None:
    case = a_case_with_events(log)
    position = next(i for i, r in enumerate(log.store) if r.entry.originator_id == case)
    del log.store[position]
    run = verify(log, key, case=case)
    assert run.code is ExitCode.CASE_NOT_INCLUDED
    assert f"version 1 (leaf {position}) is in the log but no longer in the store" in run.err


def test_a_case_with_no_events_is_not_included(log: FakeLog, key: Path) -> None:
    case = "00000000-0000-4000-8000-000000000000"
    run = verify(log, key, case=case)
    assert run.code is ExitCode.CASE_NOT_INCLUDED
    assert f"no events of {case} in the log" in run.err


def test_a_case_id_that_is_not_a_uuid_is_a_usage_error(log: FakeLog, key: Path) -> None:
    assert verify(log, key, case="case-12").code is ExitCode.USAGE


def test_case_events_after_the_checkpoint_are_noted_not_failed(log: FakeLog, key: Path) -> None:
    case = a_case_with_events(log)
    log.add(2, case=case)  # in the tree, but no checkpoint covers them yet
    run = verify(log, key, case=case)
    assert run.code is ExitCode.OK, run.err
    assert "not yet covered by a signed checkpoint" in run.err
    assert "2 not yet covered by a checkpoint" in run.out


def test_a_forged_unsealed_event_of_a_case_breaks_the_seals(log: FakeLog, key: Path) -> None:
    case = log.store[-1].entry.originator_id  # a case with sealed events
    log.add(1, seal="absent", case=case)
    log.sign()
    run = verify(log, key, case=case)
    assert run.code is ExitCode.SEAL_BROKEN
    assert "inserted directly in the database" in run.err


# --- The state file and failures ----------------------------------------------------------------


def test_the_state_file_is_not_updated_when_a_check_fails(
    log: FakeLog, key: Path, state: Path
) -> None:
    assert verify(log, key, state=state).code is ExitCode.OK
    before = state.read_bytes()
    log.add(6)
    log.sign()
    log.change(3)  # the log extends the trusted one, but the store no longer matches it
    run = verify(log, key, state=state, full=True)
    assert run.code is ExitCode.ENTRIES_MISMATCH
    assert state.read_bytes() == before
    assert not list(state.parent.glob(".trusted.json.*"))  # no temporary file left behind


def test_the_state_file_is_not_written_on_first_use_when_a_check_fails(
    log: FakeLog, key: Path, state: Path
) -> None:
    log.change(3)
    assert verify(log, key, state=state, full=True).code is ExitCode.ENTRIES_MISMATCH
    assert not state.exists()


def test_a_log_with_no_checkpoint_yet_is_unavailable(signer: NoteSigner, key: Path) -> None:
    fresh = FakeLog(signer)
    fresh.add(3)
    run = verify(fresh, key)
    assert run.code is ExitCode.UNAVAILABLE
    assert "no signed checkpoint yet" in run.err


class Renumbered:
    """A log whose stream numbers entries by their leaf, not their position: not the contract."""

    def __init__(self, log: FakeLog) -> None:
        self.log, self.base_url = log, log.base_url

    def get_json(self, path: str, params: Mapping[str, object] | None = None) -> Any:
        body = self.log.get_json(path, params)
        for entry in body.get("entries", []):
            entry["index"] = entry["leaf_index"]
        return body


def test_a_stream_not_numbered_by_position_is_unavailable(log: FakeLog, key: Path) -> None:
    del log.store[7]
    run = verify(Renumbered(log), key, full=True)
    assert run.code is ExitCode.UNAVAILABLE
    assert "entry 7: the stream numbers it 8, not by its position" in run.err


def test_a_malformed_entry_is_unavailable(log: FakeLog, key: Path) -> None:
    log.store[2].seal = "maybe"
    run = verify(log, key, full=True)
    assert run.code is ExitCode.UNAVAILABLE
    assert "'seal'" in run.err


def test_a_bad_public_key_file_is_a_usage_error(log: FakeLog, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pub"
    bad.write_text("# nothing here\n")
    assert verify(log, bad).code is ExitCode.USAGE
    bad.write_text("test.example/log+00000000+AAAA\n")
    assert verify(log, bad).code is ExitCode.USAGE


def test_a_server_that_is_down_is_unavailable(key: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = verify(LogClient(f"http://127.0.0.1:{port}", timeout=5), key)
    assert run.code is ExitCode.UNAVAILABLE
    assert "cannot reach" in run.err


# --- Over real HTTP -----------------------------------------------------------------------------


@pytest.fixture
def served(signer: NoteSigner) -> Iterator[FakeLog]:
    """A ``FakeLog`` served over HTTP on 127.0.0.1, whose absolute links name that server."""
    fake = FakeLog(signer)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            if parts.path.startswith(API_PATH):
                status, body = fake.respond(parts.path[len(API_PATH) :], query)
            else:
                status, body = _problem(404, f"no such resource {parts.path}")
            data = json.dumps(body).encode()
            self.send_response(status)
            kind = "application/json" if status == 200 else "application/problem+json"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}{API_PATH}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_command_verifies_a_log_over_http_following_every_kind_of_next_link(
    served: FakeLog, key: Path, state: Path
) -> None:
    runner = CliRunner()
    url = served.base_url.removesuffix(API_PATH)
    args = ["--url", url, "--public-key", str(key), "--state", str(state), "--timeout", "5"]

    # No checkpoint yet: the service's problem+json detail is shown.
    served.add(3)
    result = runner.invoke(verify_command, args)
    assert result.exit_code == ExitCode.UNAVAILABLE
    assert "no checkpoint has been signed yet" in result.stderr

    served.add(20)
    served.sign()
    result = runner.invoke(verify_command, [*args, "--full"])
    assert result.exit_code == ExitCode.OK, result.stderr
    assert "23 entries recomputed" in result.stdout
    assert json.loads(state.read_text())["size"] == 23

    served.add(8)
    served.sign()
    case = a_case_with_events(served)
    result = runner.invoke(verify_command, [*args, "--full", "--case", case, "--quiet"])
    assert result.exit_code == ExitCode.OK, result.stderr
    assert "consistent with the checkpoint of size 23" in result.stdout
    assert result.stderr == ""
    assert json.loads(state.read_text())["size"] == 31


def test_the_help_lists_the_exit_codes() -> None:
    result = CliRunner().invoke(verify_command, ["--help"])
    assert result.exit_code == 0
    for code in ExitCode:
        assert f"{int(code)}  {code.name}" in result.output


def test_a_url_that_is_not_http_is_a_usage_error(key: Path) -> None:
    result = CliRunner().invoke(verify_command, ["--url", "ftp://x", "--public-key", str(key)])
    assert result.exit_code == ExitCode.USAGE
