"""Signed checkpoints of the audit log, recorded in the log they sign.

A checkpoint says "this log, at this size, has this root hash", signed by the service's audit key
(the signing itself happens outside the domain; the private key never enters the store). Keeping
each checkpoint as an event means it is published to webhook subscribers like any other event
(witnesses keep copies), survives a rebuild of the read models, and is itself covered by every
later checkpoint. One checkpoint per (origin, size): two processes that sign the same size at
once make the same aggregate id, and the second save is refused.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import Application
from eventsourcing.domain import event
from eventsourcing.persistence import IntegrityError

from domain.base import K2KAggregate
from domain.errors import AlreadyExists, InvalidValue


def checkpoint_id(origin: str, size: int) -> UUID:
    """The aggregate id of the checkpoint of ``origin`` at ``size``."""
    return uuid5(NAMESPACE_URL, f"k2k:audit-checkpoint:{origin}:{size}")


class AuditCheckpoint(K2KAggregate):
    """One signed checkpoint: origin, tree size, root hash and the signed note itself."""

    @staticmethod
    def create_id(origin: str, size: int, **_: Any) -> UUID:
        """Derive the id from origin and size, so each size is signed once."""
        return checkpoint_id(origin, size)

    @event("Signed")
    def __init__(self, origin: str, size: int, root_hash: str, note: str, key_id: str) -> None:
        self.origin = origin
        self.size = size
        self.root_hash = root_hash  # base64, as in the note
        self.note = note
        self.key_id = key_id


class AuditCommands(Application[UUID]):
    """Recording checkpoints (a base of :class:`domain.application.K2K`)."""

    def record_checkpoint(
        self, origin: str, size: int, root_hash: str, note: str, key_id: str
    ) -> UUID:
        """Record a signed checkpoint; refused when this size is signed already."""
        if size < 0:
            raise InvalidValue("size", "must not be negative")
        checkpoint = AuditCheckpoint(origin, size, root_hash, note, key_id)
        try:
            self.save(checkpoint)
        except IntegrityError as error:
            raise AlreadyExists(
                "the checkpoint of {origin} at size {size} exists", origin=origin, size=size
            ) from error
        return checkpoint.id
