"""HTTP endpoints of the audit log: public key, checkpoints, proofs and entries.

All public (no token): an auditor, a witness or any resident can check the log, and nothing here
carries personal data (entries hold ids, versions, topics and digests, never an event's state).
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import Connection

from domain.errors import InvalidValue, NotFound
from projections.audit import StoredTree, TreeRebuilding, checkpoints, latest_checkpoint
from projections.audit_leaf import b64
from service.audit import schemas
from service.audit.queries import (
    aggregate_entries,
    entry_range,
    next_link,
    present_checkpoint,
)
from service.errors import documents_errors, problem
from service.extensions import runtime
from service.seal import seal_key

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/audit",
    description="The signed, verifiable event log (RFC 6962 tree, C2SP checkpoints). Public.",
)


REBUILDING = "the audit tree is being rebuilt from the log; try again in a moment"


@blp.errorhandler(TreeRebuilding)
def _rebuilding(error: TreeRebuilding) -> Response:
    return problem(503, REBUILDING, headers={"Retry-After": "5"})


def _check_size(conn: Connection, tree: StoredTree, field: str, size: int) -> None:
    """Refuse a size beyond the tree, unless a checkpoint covers it: then the tree is catching up."""
    if size <= tree.size:
        return
    signed = latest_checkpoint(conn, runtime().audit_verifier)
    if signed is not None and size <= signed.size:
        raise TreeRebuilding(f"the tree holds {tree.size} of {signed.size} signed events")
    raise InvalidValue(field, f"the tree holds {tree.size} events")


@blp.route("/public-key")
class PublicKey(MethodView):
    """The checkpoint signing key."""

    @blp.response(200, schemas.PublicKeySchema)
    @documents_errors(blp, 404)
    def get(self) -> dict[str, Any]:
        """The verifier key checkpoints are signed with (compare it with a copy you trust)."""
        verifier = runtime().audit_verifier
        if verifier is None:
            raise NotFound("this service has no audit signing key configured")
        return {
            "origin": verifier.name,
            "verifier_key": verifier.verifier_key,
            "key_id": verifier.key_id.hex(),
            "algorithm": "Ed25519",
        }


@blp.route("/checkpoint")
class LatestCheckpoint(MethodView):
    """The newest signed checkpoint."""

    @blp.response(200, schemas.CheckpointSchema)
    @documents_errors(blp, 404)
    def get(self) -> dict[str, Any]:
        """The checkpoint of the largest tree signed so far."""
        with runtime().engine.connect() as conn:
            checkpoint = latest_checkpoint(conn, runtime().audit_verifier)
        if checkpoint is None:
            raise NotFound("no checkpoint has been signed yet")
        return present_checkpoint(checkpoint)


@blp.route("/checkpoints")
class Checkpoints(MethodView):
    """Past checkpoints, for witnesses and for checking an old copy."""

    @blp.arguments(schemas.CheckpointQueryArgsSchema, location="query")
    @blp.response(200, schemas.CheckpointPageSchema)
    @documents_errors(blp, 422)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The checkpoint of one ``size``, or the largest ones (below ``before``)."""
        limit = args["limit"]
        with runtime().engine.connect() as conn:
            found = checkpoints(
                conn,
                runtime().audit_verifier,
                size=args.get("size"),
                before=args.get("before"),
                limit=limit,
            )
        following = None
        if len(found) == limit and args.get("size") is None:
            following = next_link(
                "/api/v1/audit/checkpoints", {"before": found[-1].size, "limit": limit}
            )
        return {"items": [present_checkpoint(each) for each in found], "next": following}


@blp.route("/proof/inclusion")
class InclusionProof(MethodView):
    """Proof that one leaf is in the tree of a given size."""

    @blp.arguments(schemas.InclusionQueryArgsSchema, location="query")
    @blp.response(200, schemas.InclusionProofSchema)
    @documents_errors(blp, 422, 503)
    def get(self, args: dict[str, Any]) -> Any:
        """The audit path of leaf ``index`` in the tree of the first ``size`` leaves."""
        index, size = args["index"], args["size"]
        with runtime().engine.connect() as conn:
            tree = StoredTree(conn)
            _check_size(conn, tree, "size", size)
            if index >= size:
                raise InvalidValue("index", f"must be less than size ({size})")
            proof = tree.inclusion_proof(index, size)
            leaf = tree.perfect(0, index)
        return {
            "index": index,
            "size": size,
            "leaf_hash": b64(leaf),
            "proof": [b64(each) for each in proof],
        }


@blp.route("/proof/consistency")
class ConsistencyProof(MethodView):
    """Proof that a larger tree extends a smaller one: nothing was rewritten in between."""

    @blp.arguments(schemas.ConsistencyQueryArgsSchema, location="query")
    @blp.response(200, schemas.ConsistencyProofSchema)
    @documents_errors(blp, 422, 503)
    def get(self, args: dict[str, Any]) -> Any:
        """The RFC 6962 consistency proof from the tree of ``from`` leaves to that of ``to``."""
        old, new = args["from_size"], args["to_size"]
        with runtime().engine.connect() as conn:
            tree = StoredTree(conn)
            _check_size(conn, tree, "to", new)
            if old > new:
                raise InvalidValue("from", f"must not be more than to ({new})")
            proof = tree.consistency_proof(old, new)
        return {"from_size": old, "to_size": new, "proof": [b64(each) for each in proof]}


@blp.route("/entries")
class Entries(MethodView):
    """The leaf data of stored events, recomputed from the store as it is now."""

    @blp.arguments(schemas.EntriesQueryArgsSchema, location="query")
    @blp.response(200, schemas.EntriesPageSchema)
    @documents_errors(blp, 422)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Entries ``start`` to ``end`` (excluded) in log order, or one aggregate's entries."""
        parts = runtime()
        key = seal_key(parts.settings.secrets_key)
        with parts.engine.connect() as conn:
            if args.get("originator_id") is not None:
                for ranged in ("end", "after"):
                    if ranged in args:
                        raise InvalidValue(ranged, "is for a range; not with originator_id")
                entries = aggregate_entries(parts.app, conn, key, args["originator_id"])
                return {"entries": entries, "next": None}
            start, end = args["start"], args.get("end")
            if end is not None and end < start:
                raise InvalidValue("end", f"must not be less than start ({start})")
            try:
                entries, query = entry_range(
                    parts.app,
                    conn,
                    key,
                    start=start,
                    end=end,
                    after=args.get("after"),
                    page=schemas.ENTRIES_PAGE,
                )
            except ValueError as error:
                raise InvalidValue("start", str(error)) from error
        return {"entries": entries, "next": next_link("/api/v1/audit/entries", query)}
