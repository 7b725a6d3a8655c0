"""Shapes of the audit API: checkpoints, proofs and entries (public: no personal data in any)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

#: The most entries one page carries; ``next`` continues the same stream.
ENTRIES_PAGE = 1000

_B64 = "base64 (standard alphabet, padded)"


class PublicKeySchema(ma.Schema):
    """The key that signs the checkpoints. Check it against a copy you got out of band."""

    origin = fields.String(metadata={"description": "The log's name; also the key's name"})
    verifier_key = fields.String(
        metadata={"description": "C2SP signed-note verifier key: <name>+<key id>+<base64 key>"}
    )
    key_id = fields.String(metadata={"description": "The key's 4-byte id, hex"})
    algorithm = fields.String(metadata={"example": "Ed25519"})


class CheckpointSchema(ma.Schema):
    """One signed checkpoint. Trust ``note`` alone: the other fields repeat what it says."""

    origin = fields.String()
    size = fields.Integer(metadata={"description": "How many events it covers (leaves 0..size-1)"})
    root_hash = fields.String(metadata={"description": f"The RFC 6962 root, {_B64}"})
    key_id = fields.String()
    note = fields.String(metadata={"description": "The C2SP tlog-checkpoint signed note"})
    signed_at = fields.DateTime()
    position = fields.Integer(metadata={"description": "The checkpoint event's own log position"})


class CheckpointQueryArgsSchema(ma.Schema):
    """Which checkpoints: the one of a size, or the largest ones below ``before``."""

    size = fields.Integer(validate=validate.Range(min=0))
    before = fields.Integer(validate=validate.Range(min=0))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class CheckpointPageSchema(ma.Schema):
    """Checkpoints, largest size first."""

    items = fields.List(fields.Nested(CheckpointSchema))
    next = fields.String(allow_none=True, metadata={"description": "The next page, or null"})


class InclusionQueryArgsSchema(ma.Schema):
    """Which leaf, in the tree of which size."""

    index = fields.Integer(required=True, validate=validate.Range(min=0))
    size = fields.Integer(required=True, validate=validate.Range(min=1))


class InclusionProofSchema(ma.Schema):
    """RFC 6962 audit path of one leaf; take the size and root from a signed checkpoint."""

    index = fields.Integer()
    size = fields.Integer()
    leaf_hash = fields.String(metadata={"description": f"The leaf's hash in the tree, {_B64}"})
    proof = fields.List(fields.String(), metadata={"description": f"Sibling hashes, {_B64}"})


class ConsistencyQueryArgsSchema(ma.Schema):
    """From which tree size to which."""

    from_size = fields.Integer(data_key="from", required=True, validate=validate.Range(min=0))
    to_size = fields.Integer(data_key="to", required=True, validate=validate.Range(min=0))


class ConsistencyProofSchema(ma.Schema):
    """RFC 6962 consistency proof: the tree of ``to`` leaves extends the tree of ``from``."""

    from_size = fields.Integer(data_key="from")
    to_size = fields.Integer(data_key="to")
    proof = fields.List(fields.String(), metadata={"description": f"Subtree hashes, {_B64}"})


class EntriesQueryArgsSchema(ma.Schema):
    """A range of the log (``start`` to ``end``, end excluded), or one aggregate's events."""

    start = fields.Integer(load_default=0, validate=validate.Range(min=0))
    end = fields.Integer(validate=validate.Range(min=0))
    after = fields.Integer(
        validate=validate.Range(min=0),
        metadata={"description": "The stream's cursor (a notification id): follow ``next``"},
    )
    originator_id = fields.UUID(
        metadata={"description": "Every stored event of this aggregate (a case id, ...)"}
    )


class EntrySchema(ma.Schema):
    """One stored event record as a leaf: enough to recompute its hash, and nothing personal.

    Leaf data = four fields, each a 4-byte big-endian length then the bytes: the originator id
    (text), the version (decimal), the topic (UTF-8) and SHA-256 of the stored state; the leaf
    hash is SHA-256(0x00 || leaf data).
    """

    index = fields.Integer(
        allow_none=True,
        metadata={
            "description": "In a range: the entry's place in the stream, counted over the store "
            "as it is now (what an auditor recomputes). For one aggregate: its leaf index, null "
            "if the tree does not hold it"
        },
    )
    leaf_index = fields.Integer(
        allow_none=True,
        metadata={"description": "The leaf the tree made of this record; null if none"},
    )
    notification_id = fields.Integer(allow_none=True)
    originator_id = fields.String()
    version = fields.Integer()
    topic = fields.String(allow_none=True)
    state_sha256 = fields.String(
        allow_none=True, metadata={"description": "SHA-256 of the stored state bytes, hex"}
    )
    seal = fields.String(
        metadata={
            "description": "valid: written by this service; absent: no seal (a record from "
            "before sealing, or written straight into the database); invalid: changed since; "
            "missing: in the tree but no longer in the store"
        }
    )


class EntriesPageSchema(ma.Schema):
    """Entries in log order; ``next`` continues the same stream (its ``after`` cursor)."""

    entries = fields.List(fields.Nested(EntrySchema))
    next = fields.String(allow_none=True)
