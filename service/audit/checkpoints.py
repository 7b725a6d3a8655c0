"""Signing checkpoints of the audit tree: after every N new events, or T seconds after a change.

A checkpoint is due when the tree holds events no checkpoint covers and either there are at least
``every_events`` of them, or ``every_seconds`` have passed since the last checkpoint (or none was
signed yet). Checkpoint events themselves do not count: otherwise each checkpoint would call for
the next one forever.

The signer never signs a fork. Before each signature it checks that the tree still holds the
tree it signed last, root for root, and refuses (loudly, and in ``/readyz``) when it does not:
someone rewrote the store and rebuilt the tree, or restored an old copy of the database. What it
signed last is read from two places: the newest genuine checkpoint in the database, and a file
beside the key (``K2K_AUDIT_SIGNED_FILE``), which a database rollback cannot take back.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from domain.application import K2K
from domain.clock import as_utc
from domain.clock import now as clock_now
from domain.errors import AlreadyExists
from projections.audit import (
    AuditLogProjection,
    Checkpoint,
    StoredTree,
    latest_checkpoint,
    uncheckpointed_leaves,
)
from projections.audit_leaf import b64
from projections.engine import ProjectionRunner
from projections.signed_note import NoteError, NoteSigner, checkpoint_text, parse_checkpoint

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Signed:
    """What the signer signed last: a size, its root, and when."""

    size: int
    root: bytes
    signed_at: datetime


class SignedMemory:
    """The last signed checkpoint, in a file of the signer's (written before it is published)."""

    def __init__(self, path: Path, signer: NoteSigner) -> None:
        self.path = path
        self.signer = signer

    def load(self) -> Signed | None:
        """The remembered checkpoint, if the file holds one the key really signed."""
        if not self.path.exists():
            return None
        try:
            saved = json.loads(self.path.read_text())
            origin, size, root = parse_checkpoint(self.signer.verifier.open(saved["note"]))
            signed_at = as_utc(datetime.fromisoformat(saved["signed_at"]))
        except (OSError, ValueError, KeyError, TypeError, NoteError) as error:
            raise RuntimeError(f"the signer's record {self.path} is unreadable: {error}") from error
        if origin != self.signer.name:
            raise RuntimeError(f"{self.path} is the record of another log ({origin})")
        return Signed(size, root, signed_at)

    def save(self, note: str, signed_at: datetime) -> None:
        """Remember ``note`` (atomically: a crash leaves the old record or the new one)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"note": note, "signed_at": signed_at.isoformat()})
        descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".audit-signed-")
        with os.fdopen(descriptor, "w") as file:
            file.write(body)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)


class Checkpointer:
    """Signs the audit tree when a checkpoint is due and records the checkpoint in the log."""

    def __init__(
        self,
        app: K2K,
        engine: Engine,
        runner: ProjectionRunner,
        signer: NoteSigner,
        *,
        every_events: int,
        every_seconds: float,
        memory: SignedMemory | None = None,
    ) -> None:
        self.app = app
        self.engine = engine
        self.runner = runner
        self.signer = signer
        self.every_events = max(1, every_events)
        self.every_seconds = every_seconds
        self.memory = memory
        #: Why the signer refuses to sign, when it does (a rewritten or rolled-back store).
        self.problem: str | None = None

    @property
    def origin(self) -> str:
        """The log's name: the signing key's name."""
        return self.signer.name

    def latest(self) -> Checkpoint | None:
        """The newest genuine checkpoint of this log in the database."""
        with self.engine.connect() as conn:
            return latest_checkpoint(conn, self.signer.verifier)

    def status(self) -> dict[str, Any]:
        """For ``/readyz``: whether it signs, and the last checkpoint."""
        latest = self.latest()
        return {
            "origin": self.origin,
            "signing": self.problem is None,
            "problem": self.problem,
            "latest_size": latest.size if latest else None,
            "latest_signed_at": latest.signed_at.isoformat() if latest else None,
        }

    def _last_signed(self, stored: Checkpoint | None) -> Signed | None:
        remembered = self.memory.load() if self.memory else None  # raises if unreadable
        from_store = (
            Signed(stored.size, base64.b64decode(stored.root_hash), stored.signed_at)
            if stored
            else None
        )
        candidates = [each for each in (remembered, from_store) if each is not None]
        return max(candidates, key=lambda each: each.size) if candidates else None

    def _refuse(self, problem: str) -> None:
        if problem != self.problem:
            log.critical("audit log: %s; NOT signing until an operator looks", problem)
        self.problem = problem

    def sign_if_due(self, now: datetime | None = None, *, force: bool = False) -> Checkpoint | None:
        """Sign a checkpoint if one is due (``force``: if any event is uncovered); else None."""
        self.runner.catch_up(AuditLogProjection.name)
        now = now or clock_now()
        with self.engine.connect() as conn:
            tree = StoredTree(conn)
            size = tree.size
            try:
                last = self._last_signed(latest_checkpoint(conn, self.signer.verifier))
            except RuntimeError as error:
                self._refuse(str(error))
                return None
            if last is not None and size < last.size:
                self._refuse(
                    f"the tree holds {size} events but a checkpoint of {last.size} was signed: "
                    "the store was rolled back, or its tree is being rebuilt"
                )
                return None
            if last is not None and tree.root(last.size) != last.root:
                self._refuse(
                    f"the tree no longer extends the checkpoint of {last.size} events signed at "
                    f"{last.signed_at.isoformat()}: the store was rewritten"
                )
                return None
            self.problem = None
            uncovered = uncheckpointed_leaves(conn, last.size if last else 0)
            if not uncovered:
                return None
            waited = last is None or now - last.signed_at >= timedelta(seconds=self.every_seconds)
            if not (force or uncovered >= self.every_events or waited):
                return None
            root = tree.root(size)
        note = self.signer.sign(checkpoint_text(self.origin, size, root))
        if self.memory is not None:
            # Remembered before it is published: no checkpoint leaves here unremembered.
            self.memory.save(note, now)
        try:
            self.app.record_checkpoint(
                self.origin, size, b64(root), note, self.signer.verifier.key_id.hex()
            )
        except AlreadyExists:
            return None  # another process signed this size a moment ago
        self.runner.catch_up(AuditLogProjection.name)
        log.info("signed audit checkpoint %s at size %s", self.origin, size)
        return self.latest()

    def run_forever(self, stop: threading.Event, interval: float = 2.0) -> None:
        """Sign whenever due until ``stop`` is set."""
        while not stop.wait(interval):
            try:
                self.sign_if_due()
            except Exception:  # a database hiccup: the next round signs
                log.exception("audit checkpoint failed; retrying")
