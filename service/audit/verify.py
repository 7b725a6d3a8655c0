"""The auditor's verifier: check a K2K log over its public HTTP API, trusting only a public key.

``k2k audit verify`` needs nothing but this project installed and the log's verifier key. It
trusts no answer of the server that it cannot check: every tree size and root comes from a
checkpoint whose signature it verified (decision 0012), proofs are checked against those, and
the entries are rehashed here. The checks, in the order they run:

1. signature: the latest checkpoint is a note signed by the key, for the key's origin;
2. consistency (``--state``): the log extends the checkpoint this auditor trusted last time;
3. full (``--full``): the store's entries hash, leaf by leaf, to the signed root, and their
   seals show no record forged or changed in the database;
4. case (``--case``): every event of one case is in the signed tree.

Two numberings meet here. The range stream (``/entries?start=&end=``, then its ``next`` links)
numbers its entries by their position in the store as it is now (``index``, from ``start``): that
is the order the entries are hashed in, and what "entry N" means below. Each entry may also carry
``leaf_index``, the tree's own leaf for that record (null when the tree does not hold it; absent
on older servers, so unknown): it is the server's word, never trusted for a verdict, only used to
say what a mismatch is (a record inserted, deleted or reordered). One aggregate's entries
(``/entries?originator_id=``) carry the leaf index as ``index``, null for a record not in the tree.

The core (``verify_log``) takes any object with ``base_url`` and ``get_json`` (``LogSource``),
so tests can run it against an in-memory log; ``LogClient`` is the one that speaks HTTP, with the
standard library alone.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import os
import sys
import tempfile
import uuid
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urljoin, urlsplit
from urllib.request import Request, urlopen

import click

from projections.audit_leaf import Entry, b64
from projections.merkle import (
    HASH_SIZE,
    PerfectSubtrees,
    completed_subtrees,
    verify_consistency,
    verify_inclusion,
)
from projections.signed_note import NoteError, NoteVerifier, parse_checkpoint

#: Where the audit API lives under the service's URL.
API_PATH = "/api/v1/audit"
#: No page of the API comes near this; a larger answer is not the log's.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: How many lines of diagnostics a failure lists before it only counts the rest.
MAX_DETAILS = 20
#: A record's seal: written by the service, from before sealing or forged, changed since; or
#: "missing": the tree has the leaf but the store no longer has the record.
SEALS = ("valid", "absent", "invalid", "missing")


class ExitCode(IntEnum):
    """What ``k2k audit verify`` exits with: 0, or the first check that failed."""

    OK = 0
    USAGE = 2
    UNAVAILABLE = 3
    BAD_SIGNATURE = 4
    REWRITTEN = 5
    ENTRIES_MISMATCH = 6
    CASE_NOT_INCLUDED = 7
    SEAL_BROKEN = 8


EXIT_CODE_MEANINGS = {
    ExitCode.OK: "every requested check passed",
    ExitCode.USAGE: "bad arguments, key file or state file",
    ExitCode.UNAVAILABLE: "no answer, an HTTP error, a malformed answer, or no checkpoint yet",
    ExitCode.BAD_SIGNATURE: "the checkpoint is not signed by your key, or not for its origin",
    ExitCode.REWRITTEN: "the log does not extend the checkpoint you trusted (--state)",
    ExitCode.ENTRIES_MISMATCH: "the entries do not hash to the signed root (--full)",
    ExitCode.CASE_NOT_INCLUDED: "an event of the case is not in the signed tree (--case)",
    ExitCode.SEAL_BROKEN: "a record was changed or forged in the database (seals)",
}


class VerifyFailure(Exception):
    """A check failed, or could not be made: the exit code, what failed, and diagnostics."""

    def __init__(self, code: ExitCode, message: str, details: Sequence[str] = ()) -> None:
        """Name the failed check by its exit code and say what failed."""
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = list(details)


class ServiceError(VerifyFailure):
    """The service could not be reached or gave an answer that is not the contract's."""

    def __init__(self, message: str, status: int | None = None) -> None:
        """An UNAVAILABLE failure; ``status`` is the HTTP status when there was one."""
        super().__init__(ExitCode.UNAVAILABLE, message)
        self.status = status


class LogSource(Protocol):
    """What the verifier reads the log from: JSON by API path or by absolute URL."""

    base_url: str

    def get_json(self, path: str, params: Mapping[str, object] | None = None) -> Any:
        """The decoded JSON at ``path`` (under ``base_url``, or an absolute URL); ServiceError."""
        ...


class LogClient:
    """The audit API over HTTP, with urllib alone: JSON answers, problem+json errors."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        """A client of the service at ``url`` (its root, or its ``/api/v1/audit`` base)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise VerifyFailure(ExitCode.USAGE, f"{url!r} is not an http(s) URL")
        base = url.rstrip("/")
        self.base_url = base if base.endswith(API_PATH) else base + API_PATH
        self.timeout = timeout

    def get_json(self, path: str, params: Mapping[str, object] | None = None) -> Any:
        """GET ``path`` (relative to the audit base, or absolute) and decode its JSON."""
        url = path if urlsplit(path).scheme else f"{self.base_url}/{path.lstrip('/')}"
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        request = Request(
            url,
            headers={
                "Accept": "application/json, application/problem+json",
                "User-Agent": "k2k-audit-verify",
            },
        )
        try:
            with urlopen(request, timeout=self.timeout) as response:
                body = response.read(MAX_RESPONSE_BYTES + 1)
        except HTTPError as error:
            raise ServiceError(
                f"GET {url}: HTTP {error.code}{_problem_text(error)}", error.code
            ) from error
        except (OSError, http.client.HTTPException) as error:
            reason = error.reason if isinstance(error, URLError) else error
            raise ServiceError(f"cannot reach {url}: {reason}") from error
        if len(body) > MAX_RESPONSE_BYTES:
            raise ServiceError(f"GET {url}: the answer is larger than {MAX_RESPONSE_BYTES} bytes")
        try:
            return json.loads(body)
        except ValueError as error:
            raise ServiceError(f"GET {url}: the answer is not JSON") from error


def _problem_text(error: HTTPError) -> str:
    """``: title: detail`` of a problem+json error body, or nothing."""
    try:
        problem = json.loads(error.read(64 * 1024))
    except (OSError, ValueError, http.client.HTTPException):
        return ""
    if not isinstance(problem, dict):
        return ""
    words = [str(problem[key]) for key in ("title", "detail") if problem.get(key)]
    return "".join(f": {word}" for word in words)


# --- Reading answers: everything is checked, nothing is assumed -------------------------------


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ServiceError(f"{where}: the answer is not a JSON object")
    return value


def _int(obj: Mapping[str, Any], key: str, where: str) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ServiceError(f"{where}: {key!r} is not a non-negative integer")
    return value


def _optional_int(obj: Mapping[str, Any], key: str, where: str) -> int | None:
    if key not in obj:
        raise ServiceError(f"{where}: {key!r} is missing")
    return None if obj[key] is None else _int(obj, key, where)


def _text(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise ServiceError(f"{where}: {key!r} is not a string")
    return value


def _b64_hash(value: object, where: str) -> bytes:
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) == 32:
            return raw
    raise ServiceError(f"{where}: not a base64 SHA-256 hash")


def _proof(obj: Mapping[str, Any], where: str) -> list[bytes]:
    hashes = obj.get("proof")
    if not isinstance(hashes, list):
        raise ServiceError(f"{where}: 'proof' is not a list")
    return [_b64_hash(item, f"{where}, proof") for item in hashes]


# --- Checkpoints and the auditor's trusted state ------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint whose note this verifier opened: what the log's key signed."""

    origin: str
    size: int
    root: bytes
    note: str

    @property
    def root_b64(self) -> str:
        """The root hash as the note writes it."""
        return b64(self.root)


def open_checkpoint(verifier: NoteVerifier, note: str) -> Checkpoint:
    """The checkpoint in ``note`` if ``verifier``'s key signed it for its origin; NoteError."""
    origin, size, root = parse_checkpoint(verifier.open(note))
    if origin != verifier.name:
        raise NoteError(f"the note is for origin {origin!r}, not {verifier.name!r}")
    return Checkpoint(origin, size, root, note)


def read_public_key(path: Path) -> NoteVerifier:
    """The verifier key in ``path`` (one line; blank lines and ``#`` comments are skipped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise VerifyFailure(
            ExitCode.USAGE, f"cannot read the public key {path}: {error}"
        ) from error
    keys = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if len(keys) != 1:
        raise VerifyFailure(
            ExitCode.USAGE, f"{path} must hold exactly one verifier key line, not {len(keys)}"
        )
    try:
        return NoteVerifier.from_verifier_key(keys[0])
    except NoteError as error:
        raise VerifyFailure(ExitCode.USAGE, f"{path}: {error}") from error


@dataclass(frozen=True)
class TrustedState:
    """The last checkpoint this auditor verified, where from, and when."""

    checkpoint: Checkpoint
    url: str
    verified_at: str


def load_state(path: Path, verifier: NoteVerifier) -> TrustedState | None:
    """The state in ``path``, None if there is no such file; refuse one for another key."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise VerifyFailure(ExitCode.USAGE, f"cannot read the state {path}: {error}") from error
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise TypeError("not an object")
        key, note = str(data["verifier_key"]), str(data["note"])
        url, verified_at = str(data["url"]), str(data["verified_at"])
        size, root = data["size"], base64.b64decode(data["root_hash"], validate=True)
    except (ValueError, TypeError, KeyError, binascii.Error) as error:
        raise VerifyFailure(ExitCode.USAGE, f"{path} is not a verifier state: {error}") from error
    if key != verifier.verifier_key:
        raise VerifyFailure(
            ExitCode.USAGE,
            f"{path} holds a checkpoint trusted under the key {key}, not the key you gave"
            f" ({verifier.verifier_key}): use another --state file for another log or key",
        )
    # The state is only as good as its note: its size and root are read from the signed text.
    try:
        checkpoint = open_checkpoint(verifier, note)
    except NoteError as error:
        raise VerifyFailure(
            ExitCode.USAGE, f"{path}: its checkpoint note does not verify with your key: {error}"
        ) from error
    if (size, root, data.get("origin")) != (checkpoint.size, checkpoint.root, checkpoint.origin):
        raise VerifyFailure(ExitCode.USAGE, f"{path}: its fields disagree with its signed note")
    return TrustedState(checkpoint, url, verified_at)


def save_state(path: Path, state: TrustedState, verifier: NoteVerifier) -> None:
    """Write ``state`` to ``path`` atomically (a temporary file, then a rename)."""
    checkpoint = state.checkpoint
    data = {
        "origin": checkpoint.origin,
        "verifier_key": verifier.verifier_key,
        "size": checkpoint.size,
        "root_hash": checkpoint.root_b64,
        "note": checkpoint.note,
        "url": state.url,
        "verified_at": state.verified_at,
    }
    directory = path.parent
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- The checks ---------------------------------------------------------------------------------


def fetch_checkpoint(source: LogSource, verifier: NoteVerifier) -> Checkpoint:
    """The latest checkpoint, opened with the key; its unsigned fields must say the same."""
    where = "/checkpoint"
    try:
        body = _object(source.get_json(where), where)
    except ServiceError as error:
        if error.status == 404:
            raise ServiceError(f"the log has no signed checkpoint yet ({error.message})") from error
        raise
    note = _text(body, "note", where)
    try:
        checkpoint = open_checkpoint(verifier, note)
    except NoteError as error:
        raise VerifyFailure(
            ExitCode.BAD_SIGNATURE,
            f"the latest checkpoint is not signed by your key {verifier.name}"
            f" (id {verifier.key_id.hex()}): {error}{_server_key_hint(source, verifier)}",
        ) from error
    claimed = (
        body.get("origin"),
        body.get("size"),
        body.get("root_hash"),
    )
    signed = (checkpoint.origin, checkpoint.size, checkpoint.root_b64)
    if claimed != signed:
        raise VerifyFailure(
            ExitCode.BAD_SIGNATURE,
            "the server's checkpoint fields disagree with the note it signed:"
            f" origin, size and root are {claimed} outside the note and {signed} in it",
        )
    return checkpoint


def _server_key_hint(source: LogSource, verifier: NoteVerifier) -> str:
    """Which key the server says it signs with, when that is not the auditor's."""
    try:
        body = _object(source.get_json("/public-key"), "/public-key")
        key = _text(body, "verifier_key", "/public-key")
    except ServiceError:
        return ""
    if key == verifier.verifier_key:
        return ""
    return f"; the server says it signs with {key}"


def check_consistency(source: LogSource, trusted: TrustedState, checkpoint: Checkpoint) -> str:
    """Refuse a log that does not extend the trusted checkpoint; say how it extends it."""
    old = trusted.checkpoint
    sizes = (
        f"trusted on {trusted.verified_at}: size {old.size}, root {old.root_b64}",
        f"signed now: size {checkpoint.size}, root {checkpoint.root_b64}",
    )
    if checkpoint.size < old.size:
        raise VerifyFailure(
            ExitCode.REWRITTEN,
            "the log is smaller than the checkpoint you trusted: rolled back or truncated",
            sizes,
        )
    if checkpoint.size == old.size:
        if checkpoint.root != old.root:
            raise VerifyFailure(
                ExitCode.REWRITTEN,
                f"THE LOG WAS REWRITTEN since {trusted.verified_at}: the same size,"
                " signed with another root",
                sizes,
            )
        return f"the same checkpoint you trusted on {trusted.verified_at}"
    where = "/proof/consistency"
    body = _object(source.get_json(where, {"from": old.size, "to": checkpoint.size}), where)
    if (body.get("from"), body.get("to")) != (old.size, checkpoint.size):
        raise ServiceError(f"{where}: the proof is for other sizes than were asked for")
    # Both sizes and both roots come from signed notes; the server only supplies the hashes.
    if not verify_consistency(
        old.size, checkpoint.size, old.root, checkpoint.root, _proof(body, where)
    ):
        raise VerifyFailure(
            ExitCode.REWRITTEN,
            f"THE LOG WAS REWRITTEN since {trusted.verified_at}: the signed tree of size"
            f" {checkpoint.size} does not extend the tree of size {old.size} you trusted",
            [*sizes, "the server's consistency proof between them does not verify"],
        )
    return f"consistent with the checkpoint of size {old.size} you trusted on {trusted.verified_at}"


@dataclass(frozen=True)
class PublishedEntry:
    """One entry of the entries endpoint, checked for shape."""

    #: The stream position in a range; the leaf index (or None) among one aggregate's entries.
    index: int | None
    notification_id: int | None
    originator_id: str
    version: int
    seal: str
    #: What the leaf is recomputed from; None when the record is gone from the store.
    entry: Entry | None
    #: The tree's leaf for this record, None when the tree does not hold it ...
    leaf_index: int | None = None
    #: ... when the server says so at all (older servers do not: then it is unknown).
    leaf_index_known: bool = False

    @property
    def leaf(self) -> int | None:
        """The record's leaf index, by ``leaf_index`` or else ``index`` (one aggregate's entries)."""
        return self.leaf_index if self.leaf_index_known else self.index

    def describe(self) -> str:
        """The entry's record, for a diagnostic."""
        topic = f"{self.entry.topic}, " if self.entry is not None else ""
        return (
            f"{self.originator_id} version {self.version}"
            f" ({topic}notification id {self.notification_id})"
        )


def _parse_entry(item: object, where: str) -> PublishedEntry:
    obj = _object(item, where)
    seal = _text(obj, "seal", where)
    if seal not in SEALS:
        raise ServiceError(f"{where}: 'seal' is {seal!r}, not one of {', '.join(SEALS)}")
    originator_id, version = _text(obj, "originator_id", where), _int(obj, "version", where)
    entry = None
    if seal != "missing":
        try:
            state_sha256 = bytes.fromhex(_text(obj, "state_sha256", where))
        except ValueError:
            state_sha256 = b""
        if len(state_sha256) != 32:
            raise ServiceError(f"{where}: 'state_sha256' is not a hex SHA-256 digest")
        entry = Entry(originator_id, version, _text(obj, "topic", where), state_sha256)
    known = "leaf_index" in obj
    return PublishedEntry(
        _optional_int(obj, "index", where),
        _optional_int(obj, "notification_id", where),
        originator_id,
        version,
        seal,
        entry,
        _optional_int(obj, "leaf_index", where) if known else None,
        known,
    )


def _entry_pages(source: LogSource, params: Mapping[str, object]) -> Iterator[list[PublishedEntry]]:
    """The pages of ``/entries?params``, following each ``next`` link to the end."""
    url = f"{source.base_url}/entries?{urlencode(params)}"
    seen = {url}
    while True:
        body = _object(source.get_json(url), url)
        items = body.get("entries")
        if not isinstance(items, list):
            raise ServiceError(f"{url}: 'entries' is not a list")
        yield [_parse_entry(item, f"{url}, entry") for item in items]
        link = body.get("next")
        if link is None:
            return
        if not isinstance(link, str) or not link:
            raise ServiceError(f"{url}: 'next' is neither a link nor null")
        # A relative link is relative to the page that gave it (RFC 3986 §5).
        url = urljoin(url, link)
        if url in seen:
            raise ServiceError(f"the entries' next links go round in a circle, back to {url}")
        seen.add(url)


class _SealWatch:
    """Seals in log order: invalid ones, and absent ones once sealing has begun."""

    def __init__(self) -> None:
        self.first_sealed: str | None = None
        self.legacy = 0
        self.broken: list[str] = []

    def see(self, label: str, seal: str) -> None:
        """Take the seal of the entry named ``label``, the next in log order."""
        if seal == "invalid":
            self.broken.append(f"{label}: the record was changed after the service wrote it")
        if seal == "absent":
            if self.first_sealed is None:
                self.legacy += 1
            else:
                self.broken.append(
                    f"{label} was not written by this service: it has no seal, though sealing"
                    f" began at {self.first_sealed} — inserted directly in the database"
                )
        elif self.first_sealed is None:
            self.first_sealed = label

    def notes(self, what: str) -> list[str]:
        """What the seals say that is not a failure."""
        if self.legacy and self.first_sealed is None:
            return [f"no seal on any of {what}: sealing has not begun"]
        if self.legacy:
            return [
                f"the first {self.legacy} of {what} have no seal: they predate sealing"
                " (a legacy prefix)"
            ]
        return []

    def check(self) -> None:
        """Fail with SEAL_BROKEN if any seal is broken."""
        if self.broken:
            noun = "record" if len(self.broken) == 1 else "records"
            raise VerifyFailure(
                ExitCode.SEAL_BROKEN,
                f"{len(self.broken)} {noun} changed or forged in the database",
                _capped(self.broken),
            )


class _VersionWatch:
    """Each originator's versions in log order, which must run 1, 2, 3, ..."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}
        # The aggregates whose run broke, with every version seen (1..last before the break).
        self.broken: dict[str, set[int]] = {}
        self.problems: list[str] = []

    def see(self, position: int, item: PublishedEntry) -> None:
        """Take the next entry of the log."""
        oid, version = item.originator_id, item.version
        last = self.last.get(oid, 0)
        self.last[oid] = max(last, version)
        if oid in self.broken:
            seen = self.broken[oid]
            if version in seen:
                self.problems.append(
                    f"entry {position}: {oid} version {version} again: a duplicated record"
                )
            elif version < last:
                self.problems.append(
                    f"entry {position}: {oid} version {version} comes after version {last}:"
                    " reordered records"
                )
            seen.add(version)
            return
        if version == last + 1:
            return
        self.broken[oid] = {*range(1, last + 1), version}
        if version > last + 1:
            after = f"comes after version {last}" if last else "is its first in the log"
            self.problems.append(f"entry {position}: {oid} version {version} {after}")
        elif version == last:
            self.problems.append(
                f"entry {position}: {oid} version {version} again: a duplicated record"
            )
        else:
            self.problems.append(
                f"entry {position}: {oid} version {version} comes after version {last}:"
                " reordered records"
            )

    def summary(self) -> list[str]:
        """What the broken runs mean, aggregate by aggregate."""
        lines = []
        for oid, seen in self.broken.items():
            missing = sorted(set(range(1, self.last[oid] + 1)) - seen)
            if missing:
                lines.append(
                    f"{oid}: {_missing('version', missing)} from the store: deleted events"
                )
        return lines


def _missing(noun: str, numbers: Sequence[int]) -> str:
    """``version 3 is missing`` or ``versions 3-5, 9 are missing``."""
    plural = {"entry": "entries", "leaf": "leaves"}.get(noun, f"{noun}s")
    if len(numbers) == 1:
        return f"{noun} {numbers[0]} is missing"
    return f"{plural} {_ranges(numbers)} are missing"


def _ranges(numbers: Sequence[int]) -> str:
    """``1-3, 7`` for [1, 2, 3, 7]."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _capped(lines: Sequence[str]) -> list[str]:
    if len(lines) <= MAX_DETAILS:
        return list(lines)
    return [*lines[:MAX_DETAILS], f"... and {len(lines) - MAX_DETAILS} more"]


Progress = Callable[[int, int], None]


class _CompactTree(PerfectSubtrees):
    """An append-only Merkle tree in flat byte arrays: 32 bytes a node, about 64 bytes a leaf.

    ``MerkleTree`` keeps a bytes object per node (about 150 MB for a million leaves); an auditor's
    ``--full`` over a large log needs only the concatenated hashes, level by level.
    """

    def __init__(self) -> None:
        """An empty tree."""
        # levels[h] holds the perfect subtrees of 2**h leaves, 32 bytes each, left to right.
        self.levels: list[bytearray] = [bytearray()]

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self.levels[0]) // HASH_SIZE

    @property
    def leaves(self) -> bytearray:
        """The leaf hashes, concatenated in order (not a copy)."""
        return self.levels[0]

    def perfect(self, level: int, position: int) -> bytes:
        """The stored hash of one perfect subtree."""
        offset = position * HASH_SIZE
        return bytes(self.levels[level][offset : offset + HASH_SIZE])

    def append(self, leaf: bytes) -> None:
        """Add a leaf hash at the end."""
        levels = self.levels
        for level, _position, digest in completed_subtrees(
            self.size, leaf, lambda level: bytes(levels[level][-HASH_SIZE:])
        ):
            if level == len(levels):
                levels.append(bytearray())
            levels[level] += digest


class _LeafWatch:
    """What the server's ``leaf_index`` of each stream entry says about the store and the tree.

    Only for diagnostics: a null leaf index followed by a record the tree holds is a record
    slipped in behind the projection; a leaf of the tree the store's entries skip is a deleted
    record; a leaf that comes back, or after a later one, is a reordered or repeated record.
    """

    def __init__(self, size: int) -> None:
        self.known = False
        self.seen = bytearray(size)  # seen[leaf] for the leaves the checkpoint covers
        self.highest = -1
        # Entries the tree does not hold, with no entry it holds after them (yet).
        self.not_in_tree: list[str] = []
        self.lines: list[str] = []

    def see(self, position: int, item: PublishedEntry) -> None:
        """Take the stream's next entry."""
        if not item.leaf_index_known:
            return
        self.known = True
        leaf = item.leaf_index
        if leaf is None:
            self.not_in_tree.append(f"entry {position}: {item.describe()}")
            return
        self.lines.extend(
            f"{label} is not in the tree: inserted directly into the store"
            for label in self.not_in_tree
        )
        self.not_in_tree.clear()
        if leaf < len(self.seen) and self.seen[leaf]:
            self.lines.append(
                f"entry {position} is the tree's leaf {leaf} again: a repeated record"
            )
        elif leaf < self.highest:
            self.lines.append(
                f"entry {position} is the tree's leaf {leaf}, after its leaf {self.highest}:"
                " reordered records"
            )
        if leaf < len(self.seen):
            self.seen[leaf] = 1
        self.highest = max(self.highest, leaf)

    def problems(self) -> list[str]:
        """What the leaf indices showed, once the stream has ended."""
        if not self.known:
            return []
        lines = list(self.lines)
        # Leaves past the highest the entries reached may only have been pushed out of the
        # range by inserted records; those below it that never came are gone from the store.
        skipped = [leaf for leaf in range(min(self.highest, len(self.seen))) if not self.seen[leaf]]
        if skipped:
            lines.append(f"the tree's {_missing('leaf', skipped)} from the store: deleted events")
        # With nothing the tree holds after them, the range's first entries cannot tell a record
        # inserted there from one recorded since the tree's last update and moved in by deletions.
        lines.extend(
            f"{label} is not in the tree: inserted directly into the store, or recorded after"
            " the tree's last update and moved into the signed range by deleted records"
            for label in self.not_in_tree
        )
        return lines


def _covered_entries(
    source: LogSource, size: int, progress: Progress | None
) -> Iterator[PublishedEntry]:
    """The first ``size`` entries of the store's stream: those a checkpoint of ``size`` covers."""
    taken = 0
    if size:
        for page in _entry_pages(source, {"start": 0, "end": size}):
            for item in page:
                # The stream stops at ``end``; a server that goes on is not believed past it.
                if taken == size:
                    break
                taken += 1
                yield item
            if progress is not None:
                progress(taken, size)
            if taken == size:
                return


def check_entries(
    source: LogSource,
    checkpoint: Checkpoint,
    progress: Progress | None = None,
    note: Callable[[str], None] = lambda _: None,
) -> int:
    """Rehash every entry the checkpoint covers into a tree whose root must be the signed one.

    Returns how many entries were recomputed. Fails with ENTRIES_MISMATCH (with what the
    entries suggest happened), then SEAL_BROKEN.
    """
    size = checkpoint.size
    # The tree keeps the leaf hashes for the diagnostics too; the notification ids are 8 bytes
    # an entry.
    tree = _CompactTree()
    notification_ids = array("q")
    versions = _VersionWatch()
    seals = _SealWatch()
    leaf_indices = _LeafWatch(size)
    last_notification = -1
    for item in _covered_entries(source, size, progress):
        position = tree.size
        if item.index != position:
            raise ServiceError(
                f"entry {position}: the stream numbers it {item.index}, not by its position"
            )
        if item.entry is None:
            raise ServiceError(
                f"entry {position}: the stream holds a record it says the store does not have"
            )
        if item.notification_id is None or item.notification_id <= last_notification:
            raise ServiceError(
                f"entry {position}: the entries go back to notification id"
                f" {item.notification_id} after {last_notification}: not the store's order"
            )
        last_notification = item.notification_id
        leaf_indices.see(position, item)
        versions.see(position, item)
        seals.see(f"entry {position}", item.seal)
        tree.append(item.entry.leaf_hash)
        notification_ids.append(item.notification_id)
    count = tree.size
    problems: list[str] = []
    if count < size:
        problems.append(
            f"the store holds only {count} of the {size} events the checkpoint signed:"
            " events were deleted"
        )
    problems.extend(leaf_indices.problems())
    problems.extend(versions.problems)
    problems.extend(versions.summary())
    root = tree.root()
    if root != checkpoint.root or problems:
        headline = (
            f"the {count} entries hash to root {b64(root)}, not the signed root"
            f" {checkpoint.root_b64} of size {size}"
            if root != checkpoint.root
            else "the entries hash to the signed root, but they are not the records it signed"
        )
        details = _capped(problems)
        if root != checkpoint.root:
            details += _first_difference(source, tree, notification_ids, checkpoint)
        raise VerifyFailure(ExitCode.ENTRIES_MISMATCH, headline, details)
    for line in seals.notes("the log's entries"):
        note(line)
    seals.check()
    return count


def _first_difference(
    source: LogSource,
    tree: _CompactTree,
    notification_ids: Sequence[int],
    checkpoint: Checkpoint,
) -> list[str]:
    """Name the first entry that differs from the signed tree, by bisecting on prefixes.

    Our first m leaves are the signed tree's first m exactly when a consistency proof from
    (m, our root of m) to the signed checkpoint verifies; that holds for every m up to the
    first difference and for none after, so O(log n) proofs find it.
    """
    size = checkpoint.size

    def matches(m: int) -> bool:
        if m == 0:
            return True
        if m == size:
            return tree.root(m) == checkpoint.root
        where = "/proof/consistency"
        body = _object(source.get_json(where, {"from": m, "to": size}), where)
        return verify_consistency(m, size, tree.root(m), checkpoint.root, _proof(body, where))

    try:
        high = min(tree.size, size)
        if matches(high):
            return [
                f"the store's {high} entries are the first {high} the checkpoint signed;"
                f" its last {size - high} are missing"
            ]
        low = 0
        while high - low > 1:
            middle = (low + high) // 2
            if matches(middle):
                low = middle
            else:
                high = middle
        index = high - 1
        lines = [
            f"entry {index} is the first that differs from the signed tree (the store's record"
            f" there has notification id {notification_ids[index]})"
        ]
        lines.extend(_what_differs(source, tree.leaves, index, checkpoint))
        return lines
    except ServiceError as error:
        return [f"(the first differing entry could not be found: {error.message})"]


def _what_differs(
    source: LogSource, leaves: bytes | bytearray, index: int, checkpoint: Checkpoint
) -> list[str]:
    """What became of the signed leaf ``index``, the first the store's entries differ at.

    Compares the signed leaves ``index`` and ``index + 1`` (each proven against the signed root)
    with the store's: a deleted record shifts the store's entries up one, an inserted one shifts
    them down one, a swap exchanges two, and a changed record matches nothing.
    """
    ours = [leaves[i * HASH_SIZE : (i + 1) * HASH_SIZE] for i in (index, index + 1)]
    signed = [_signed_leaf(source, i, checkpoint) for i in (index, index + 1)]
    if signed[0] is None:
        return []
    moved = _position_of(leaves, signed[0])
    if signed[1] is not None and ours[0] == signed[1] and ours[1] == signed[0]:
        return [f"  entries {index} and {index + 1} were swapped: records reordered"]
    if signed[1] is not None and ours[0] == signed[1] and moved is None:
        return [
            f"  the signed entry {index} is gone from the store and the entries after it moved"
            " up one: a deleted event"
        ]
    if moved == index + 1:
        return [
            f"  the store's entry {index} is not in the signed tree and the entries after it"
            " moved down one: an inserted record"
        ]
    if moved is not None:
        return [f"  the signed leaf {index} is the store's entry {moved}: records reordered"]
    return [f"  the signed leaf {index} is none of the store's records: changed or deleted"]


def _signed_leaf(source: LogSource, index: int, checkpoint: Checkpoint) -> bytes | None:
    """The signed tree's leaf ``index``, proven against its root; None if it cannot be."""
    if index >= checkpoint.size:
        return None
    where = "/proof/inclusion"
    body = _object(source.get_json(where, {"index": index, "size": checkpoint.size}), where)
    leaf = _b64_hash(body.get("leaf_hash"), where)
    proof = _proof(body, where)
    return leaf if verify_inclusion(leaf, index, checkpoint.size, proof, checkpoint.root) else None


def _position_of(leaves: bytes | bytearray, leaf: bytes) -> int | None:
    """Where ``leaf`` is among the concatenated 32-byte ``leaves``, if it is there."""
    found = leaves.find(leaf)
    while found >= 0 and found % HASH_SIZE:
        found = leaves.find(leaf, found + 1)
    return None if found < 0 else found // HASH_SIZE


@dataclass(frozen=True)
class CaseResult:
    """What ``--case`` found: how many events are in the signed tree, how many not yet.

    ``pending`` counts the events no checkpoint covers yet: in the tree past the signed size, or
    recorded after the tree's last update.
    """

    case_id: str
    included: int
    pending: int


def check_case(
    source: LogSource,
    checkpoint: Checkpoint,
    case_id: str,
    note: Callable[[str], None] = lambda _: None,
) -> CaseResult:
    """Prove that every stored event of ``case_id`` is in the signed tree, by inclusion proofs."""
    items = [item for page in _entry_pages(source, {"originator_id": case_id}) for item in page]
    if not items:
        raise VerifyFailure(ExitCode.CASE_NOT_INCLUDED, f"no events of {case_id} in the log")
    known = [item.notification_id for item in items if item.notification_id is not None]
    foreign = [item for item in items if item.originator_id != case_id]
    if foreign or len(set(known)) != len(known):
        raise ServiceError(f"the entries of {case_id} hold other records or repeat one")
    versions = [item.version for item in items]
    if versions != list(range(1, len(versions) + 1)):
        missing = sorted(set(range(1, max(versions, default=0) + 1)) - set(versions))
        raise VerifyFailure(
            ExitCode.CASE_NOT_INCLUDED,
            f"the versions of {case_id} are not 1 to {len(versions)}:"
            f" {', '.join(map(str, versions[:MAX_DETAILS]))}"
            + (", ..." if len(versions) > MAX_DETAILS else ""),
            [f"{_missing('version', missing)}: deleted events"] if missing else [],
        )
    # The projection applies the log in order and an aggregate's versions are in log order, so
    # a record the tree does not hold is merely pending when no later version is in the tree,
    # and slipped in behind the projection when one is.
    last_in_tree = max((item.version for item in items if item.leaf is not None), default=0)
    problems: list[str] = []
    seals = _SealWatch()
    pending = 0
    for item in items:
        version, index, entry = item.version, item.leaf, item.entry
        if entry is None:
            problems.append(
                f"version {version} (leaf {index}) is in the log but no longer in the store:"
                " a deleted event"
            )
            continue
        where_in_log = f"leaf {index}" if index is not None else "not in the log"
        seals.see(f"version {version} ({where_in_log})", item.seal)
        if index is None:
            if version > last_in_tree:
                pending += 1
                note(
                    f"{case_id} version {version}: recorded after the last tree update;"
                    " not yet in the log"
                )
            else:
                problems.append(
                    f"version {version} is in the store but not in the log, though version"
                    f" {last_in_tree} is: slipped in behind the projection"
                )
            continue
        if index >= checkpoint.size:
            pending += 1
            note(
                f"{case_id} version {version} (leaf {index}) is not yet covered by a signed"
                " checkpoint"
            )
            continue
        where = "/proof/inclusion"
        body = _object(source.get_json(where, {"index": index, "size": checkpoint.size}), where)
        if (body.get("index"), body.get("size")) != (index, checkpoint.size):
            raise ServiceError(f"{where}: the proof is for another leaf or size than asked for")
        proof = _proof(body, where)
        if verify_inclusion(entry.leaf_hash, index, checkpoint.size, proof, checkpoint.root):
            continue
        signed_leaf = _b64_hash(body.get("leaf_hash"), where)
        if verify_inclusion(signed_leaf, index, checkpoint.size, proof, checkpoint.root):
            problems.append(
                f"version {version} (leaf {index}): the stored record does not hash to the"
                " leaf the signed tree holds there: changed since it was logged"
            )
        else:
            problems.append(
                f"version {version} (leaf {index}): the server's inclusion proof does not"
                " verify against the signed root"
            )
    if problems:
        raise VerifyFailure(
            ExitCode.CASE_NOT_INCLUDED,
            f"{len(problems)} of the {len(items)} events of {case_id} are not in the signed tree",
            _capped(problems),
        )
    for line in seals.notes(f"the events of {case_id}"):
        note(line)
    seals.check()
    return CaseResult(case_id, len(items) - pending, pending)


@dataclass
class Outcome:
    """What a verification that passed established."""

    checkpoint: Checkpoint
    consistency: str | None = None
    recomputed: int | None = None
    case: CaseResult | None = None

    def summary(self) -> str:
        """The one line that says what passed."""
        checkpoint = self.checkpoint
        parts = [f"OK: {checkpoint.origin} size {checkpoint.size} root {checkpoint.root_b64}"]
        if self.consistency:
            parts.append(self.consistency)
        if self.recomputed is not None:
            parts.append(f"{self.recomputed} entries recomputed")
        if self.case is not None:
            events = "event" if self.case.included == 1 else "events"
            text = f"case {self.case.case_id}: {self.case.included} {events} included"
            if self.case.pending:
                text += f", {self.case.pending} not yet covered by a checkpoint"
            parts.append(text)
        return "; ".join(parts)


def verify_log(
    source: LogSource,
    verifier: NoteVerifier,
    *,
    trusted: TrustedState | None = None,
    full: bool = False,
    case: str | None = None,
    progress: Progress | None = None,
    note: Callable[[str], None] = lambda _: None,
) -> Outcome:
    """Run the requested checks in order (signature, consistency, full, case); VerifyFailure."""
    checkpoint = fetch_checkpoint(source, verifier)
    outcome = Outcome(checkpoint)
    if trusted is not None:
        outcome.consistency = check_consistency(source, trusted, checkpoint)
    if full:
        outcome.recomputed = check_entries(source, checkpoint, progress, note)
    if case is not None:
        outcome.case = check_case(source, checkpoint, case, note)
    return outcome


def canonical_case_id(case: str) -> str:
    """A case id as leaves spell it: a UUID in lower-case hyphenated form; USAGE otherwise."""
    try:
        return str(uuid.UUID(case.strip()))
    except ValueError as error:
        raise VerifyFailure(ExitCode.USAGE, f"--case {case!r} is not a case id (a UUID)") from error


def run_verification(
    source: LogSource,
    public_key: Path,
    *,
    state: Path | None = None,
    full: bool = False,
    case: str | None = None,
    quiet: bool = False,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ExitCode:
    """Verify the log, keep the state when every check passed, print what happened; the code."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr

    def note(line: str) -> None:
        if not quiet:
            print(f"note: {line}", file=err)

    progress = None if quiet else _ProgressLine(err)
    try:
        verifier = read_public_key(public_key)
        trusted = load_state(state, verifier) if state is not None else None
        if state is not None and trusted is None:
            note(f"{state} does not exist: trusting this log's checkpoint on first use")
        if trusted is not None and trusted.url != source.base_url:
            note(f"the state was saved from {trusted.url}; checking {source.base_url}")
        try:
            outcome = verify_log(
                source,
                verifier,
                trusted=trusted,
                full=full,
                case=canonical_case_id(case) if case is not None else None,
                progress=progress,
                note=note,
            )
        finally:
            if progress is not None:
                progress.close()
        if state is not None:
            verified_at = now().isoformat(timespec="seconds")
            try:
                save_state(
                    state, TrustedState(outcome.checkpoint, source.base_url, verified_at), verifier
                )
            except OSError as error:
                raise VerifyFailure(
                    ExitCode.USAGE,
                    f"every check passed, but the state {state} was not saved: {error}",
                ) from error
            if trusted is None:
                outcome.consistency = f"trusted on first use, saved to {state}"
    except VerifyFailure as failure:
        print(
            f"FAILED ({failure.code.name}, exit {int(failure.code)}): {failure.message}", file=err
        )
        for line in failure.details:
            print(f"  {line}", file=err)
        return failure.code
    print(outcome.summary(), file=out)
    return ExitCode.OK


class _ProgressLine:
    """Entries fetched so far, on stderr: one line redrawn on a terminal, else every 10 pages."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.calls = 0
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        self.calls += 1
        if self.tty:
            self.stream.write(f"\rentries {done}/{total}")
            self.stream.flush()
            self.drawn = True
        elif self.calls % 10 == 0:
            print(f"entries {done}/{total}", file=self.stream)

    def close(self) -> None:
        """End the redrawn line."""
        if self.drawn:
            self.stream.write("\n")
            self.drawn = False


_EPILOG = "\b\nExit codes:\n" + "\n".join(
    f"  {int(code)}  {code.name}: {meaning}" for code, meaning in EXIT_CODE_MEANINGS.items()
)


@click.command("verify", epilog=_EPILOG)
@click.option("--url", required=True, help="The service's URL, such as https://k2k.example.my")
@click.option(
    "--public-key",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The log's verifier key file (KEY.pub from k2k audit keygen)",
)
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The checkpoint you trusted last time: checked against, then replaced when all passes",
)
@click.option("--full", is_flag=True, help="Rehash every entry and compare with the signed root")
@click.option("--case", "case", metavar="ID", help="Prove every event of this case is in the log")
@click.option("--quiet", is_flag=True, help="No progress and no notes, only failures and OK")
@click.option("--timeout", default=30.0, show_default=True, type=float, help="Seconds per request")
def verify_command(
    url: str,
    public_key: Path,
    state: Path | None,
    full: bool,
    case: str | None,
    quiet: bool,
    timeout: float,
) -> None:
    """Check the signed event log as an outside auditor, trusting only its public key.

    Verifies the latest checkpoint's signature; with --state, that the log extends the
    checkpoint you trusted before; with --full, every entry against the signed root; with
    --case, every event of one case. Stops at the first check that fails.
    """
    try:
        client = LogClient(url, timeout=timeout)
    except VerifyFailure as failure:
        raise click.BadParameter(failure.message, param_hint="--url") from failure
    code = run_verification(client, public_key, state=state, full=full, case=case, quiet=quiet)
    click.get_current_context().exit(int(code))
