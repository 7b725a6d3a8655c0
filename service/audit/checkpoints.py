"""Signing checkpoints of the audit tree: after every N new events, or T seconds after a change.

A checkpoint is due when the tree holds events no checkpoint covers and either there are at least
``every_events`` of them, or ``every_seconds`` have passed since the last checkpoint (or none was
signed yet). Checkpoint events themselves do not count: otherwise each checkpoint would call for
the next one forever.
"""

from __future__ import annotations

import base64
import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import Engine

from domain.application import K2K
from domain.clock import now as clock_now
from domain.errors import AlreadyExists
from projections.audit import (
    AuditLogProjection,
    Checkpoint,
    StoredTree,
    latest_checkpoint,
    uncheckpointed_leaves,
)
from projections.engine import ProjectionRunner
from projections.signed_note import NoteSigner, checkpoint_text

log = logging.getLogger(__name__)


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
    ) -> None:
        self.app = app
        self.engine = engine
        self.runner = runner
        self.signer = signer
        self.every_events = max(1, every_events)
        self.every_seconds = every_seconds

    @property
    def origin(self) -> str:
        """The log's name: the signing key's name."""
        return self.signer.name

    def latest(self) -> Checkpoint | None:
        """The newest checkpoint of this log."""
        with self.engine.connect() as conn:
            return latest_checkpoint(conn, self.origin)

    def sign_if_due(self, now: datetime | None = None, *, force: bool = False) -> Checkpoint | None:
        """Sign a checkpoint if one is due (``force``: if any event is uncovered); else None."""
        self.runner.catch_up(AuditLogProjection.name)
        now = now or clock_now()
        with self.engine.connect() as conn:
            tree = StoredTree(conn)
            size = tree.size
            last = latest_checkpoint(conn, self.origin)
            if last is not None and size < last.size:
                # The read model is behind a signature it made itself: a restored backup of the
                # read models, or a rebuild under way. Never sign a smaller tree.
                log.error(
                    "audit tree holds %s events but checkpoint %s was signed: not signing",
                    size,
                    last.size,
                )
                return None
            uncovered = uncheckpointed_leaves(conn, last.size if last else 0)
            if not uncovered:
                return None
            waited = last is None or now - last.signed_at >= timedelta(seconds=self.every_seconds)
            if not (force or uncovered >= self.every_events or waited):
                return None
            root = tree.root(size)
        text = checkpoint_text(self.origin, size, root)
        note = self.signer.sign(text)
        root_b64 = base64.b64encode(root).decode()
        try:
            self.app.record_checkpoint(
                self.origin, size, root_b64, note, self.signer.verifier.key_id.hex()
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
