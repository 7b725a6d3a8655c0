"""What one leaf of the audit tree is: a stored event record, with its state digested.

A leaf's data is four fields, each as a 4-byte big-endian length and then the bytes:

1. the originator id, as text (a UUID in its canonical lower-case, hyphenated form);
2. the originator version, as decimal ASCII digits;
3. the topic (``module:ClassName``), as UTF-8;
4. SHA-256 of the stored state bytes, exactly as the event store holds them (32 bytes).

The leaf hash is RFC 6962's SHA-256(0x00 || data). Entries published to auditors carry the four
values, never the state itself, so they hold no personal data, yet the digest binds each leaf to
every byte of the stored record. An auditor in any language can recompute a leaf from an entry.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

from projections.merkle import leaf_hash

_LENGTH = struct.Struct(">I")


def b64(digest: bytes) -> str:
    """A hash as checkpoints, proofs and the audit API write it: standard padded base64."""
    return base64.b64encode(digest).decode()


def _field(value: bytes) -> bytes:
    return _LENGTH.pack(len(value)) + value


def leaf_data(originator_id: str, version: int, topic: str, state_sha256: bytes) -> bytes:
    """The leaf data of one stored record, from its id, version, topic and state digest."""
    if len(state_sha256) != 32:
        raise ValueError(f"a state digest is 32 bytes, not {len(state_sha256)}")
    return b"".join(
        (
            _field(originator_id.encode()),
            _field(str(int(version)).encode("ascii")),
            _field(topic.encode()),
            _field(state_sha256),
        )
    )


@dataclass(frozen=True)
class Entry:
    """One stored record as the audit log publishes it: enough to recompute its leaf."""

    originator_id: str
    version: int
    topic: str
    state_sha256: bytes

    @classmethod
    def of_record(cls, originator_id: object, version: int, topic: str, state: bytes) -> Entry:
        """The entry of a stored record (its state is digested, never kept)."""
        return cls(str(originator_id), int(version), topic, hashlib.sha256(state).digest())

    @property
    def data(self) -> bytes:
        """The leaf data."""
        return leaf_data(self.originator_id, self.version, self.topic, self.state_sha256)

    @property
    def leaf_hash(self) -> bytes:
        """SHA-256(0x00 || data)."""
        return leaf_hash(self.data)
