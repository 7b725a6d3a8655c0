"""The audit log: an RFC 6962 Merkle tree over every stored event record, and its checkpoints.

Each record of the global notification log becomes one leaf, in log order, with a dense index of
its own (notification ids can have gaps; leaf indices never do). The leaf is computed from the
record's stored bytes (``projections.audit_leaf``), not from the decoded event, so it commits to
exactly what the store held when the projection read it. Rows:

- ``audit_nodes``: the hash of every perfect subtree (level 0: the leaves), from which any root,
  inclusion proof or consistency proof costs O(log n) lookups;
- ``audit_leaves``: which record each leaf is (notification id, originator id, version), so the
  entries endpoint and ``--case`` can find a record's leaf;
- ``audit_checkpoints``: the signed checkpoints, copied from their ``AuditCheckpoint`` events.
  A rebuild keeps it (it is not among the tables the projection rebuilds): while the tree is
  rebuilt, the checkpoints already signed stay readable. Anyone who can write to the database
  can add rows, so readers take only checkpoints whose note the log's key really signed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    or_,
    select,
)

from domain.audit import AuditCheckpoint
from projections.audit_leaf import Entry, b64
from projections.database import UtcDateTime, insert_into, metadata
from projections.engine import Projection
from projections.merkle import PerfectSubtrees, completed_subtrees
from projections.signed_note import NoteError, NoteVerifier, parse_checkpoint

audit_nodes = Table(
    "audit_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("hash", LargeBinary(32), nullable=False),
)

audit_leaves = Table(
    "audit_leaves",
    metadata,
    Column("leaf_index", BigInteger, primary_key=True),
    Column("notification_id", BigInteger, nullable=False, unique=True),
    Column("originator_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    #: A checkpoint's own event: signing again only for these would sign forever.
    Column("checkpoint", Boolean, nullable=False),
    Index("ix_audit_leaves_originator", "originator_id", "version"),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("origin", String(200), primary_key=True),
    Column("size", BigInteger, primary_key=True),
    Column("root_hash", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("key_id", String(8), nullable=False),
    Column("signed_at", UtcDateTime, nullable=False),
    #: The notification id of the checkpoint's own event.
    Column("position", BigInteger, nullable=False),
)


class AuditLogProjection(Projection):
    """Appends each stored record to the tree; copies checkpoint events into their table."""

    name = "audit_log"
    tables = (audit_nodes, audit_leaves)

    def __init__(self) -> None:
        self._size: int | None = None
        # The hash of the last complete subtree at each level: the left siblings a new leaf needs.
        self._last: dict[int, bytes] = {}
        # Rows of this batch, written in one statement per table at its end.
        self._nodes: list[dict[str, Any]] = []
        self._leaves: list[dict[str, Any]] = []

    def start_batch(self) -> None:
        """Forget the cached frontier: another process may have appended since."""
        self._size = None
        self._last = {}
        self._nodes = []
        self._leaves = []

    def end_batch(self, conn: Connection) -> None:
        """Write the batch's nodes and leaves."""
        if self._nodes:
            conn.execute(insert(audit_nodes), self._nodes)
        if self._leaves:
            conn.execute(insert(audit_leaves), self._leaves)
        self._nodes = []
        self._leaves = []

    def apply(self, conn: Connection, event: DomainEventProtocol[Any], position: int) -> None:
        """Not used: the tree needs the stored record, which ``apply_stored`` receives."""
        raise NotImplementedError("the audit log reads stored records")

    def apply_stored(
        self, conn: Connection, notification: Notification, event: DomainEventProtocol[Any]
    ) -> None:
        """Add the record as the next leaf."""
        if self._size is None:
            self._load_frontier(conn)
        assert self._size is not None
        index = self._size
        entry = Entry.of_record(
            notification.originator_id,
            notification.originator_version,
            notification.topic,
            notification.state,
        )
        for level, position, digest in completed_subtrees(
            index, entry.leaf_hash, self._last.__getitem__
        ):
            self._nodes.append({"level": level, "position": position, "hash": digest})
            self._last[level] = digest
        is_checkpoint = isinstance(event, AuditCheckpoint.Event)
        self._leaves.append(
            {
                "leaf_index": index,
                "notification_id": notification.id,
                "originator_id": str(notification.originator_id),
                "version": notification.originator_version,
                "checkpoint": is_checkpoint,
            }
        )
        self._size = index + 1
        if is_checkpoint:
            fields = vars(event)
            conn.execute(
                insert_into(audit_checkpoints, conn)
                .values(
                    origin=fields["origin"],
                    size=fields["size"],
                    root_hash=fields["root_hash"],
                    note=fields["note"],
                    key_id=fields["key_id"],
                    signed_at=fields["timestamp"],
                    position=notification.id,
                )
                .on_conflict_do_nothing(index_elements=["origin", "size"])
            )

    def _load_frontier(self, conn: Connection) -> None:
        size = tree_size(conn)
        wanted = [(level, (size >> level) - 1) for level in range(size.bit_length())]
        self._last = {}
        if wanted:
            rows = conn.execute(
                select(audit_nodes.c.level, audit_nodes.c.hash).where(
                    or_(
                        *(
                            and_(audit_nodes.c.level == level, audit_nodes.c.position == position)
                            for level, position in wanted
                        )
                    )
                )
            ).all()
            self._last = {row.level: row.hash for row in rows}
        self._size = size


def tree_size(conn: Connection) -> int:
    """How many leaves the tree holds."""
    last = conn.execute(
        select(func.max(audit_nodes.c.position)).where(audit_nodes.c.level == 0)
    ).scalar()
    return 0 if last is None else int(last) + 1


class TreeRebuilding(Exception):
    """A node the tree's size promises is not there: the tree is being rebuilt right now."""


class StoredTree(PerfectSubtrees):
    """The audit tree as the projection stored it, read through one connection.

    A root or proof needs O(log n) perfect subtrees; each is fetched in one query for all of
    them: a dry run of the computation records which it will ask for.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._size = tree_size(conn)
        self._cache: dict[tuple[int, int], bytes] = {}
        self._wanted: list[tuple[int, int]] | None = None

    @property
    def size(self) -> int:
        """The number of leaves (as of this object's creation)."""
        return self._size

    def perfect(self, level: int, position: int) -> bytes:
        """One stored perfect subtree's hash."""
        key = (level, position)
        if key in self._cache:
            return self._cache[key]
        if self._wanted is not None:
            self._wanted.append(key)
            return bytes(32)
        self._fetch([key])
        return self._cache[key]

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` leaves."""
        self._prefetch(lambda: super(StoredTree, self).root(size))
        return super().root(size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of ``size`` leaves."""
        self._prefetch(lambda: super(StoredTree, self).inclusion_proof(index, size))
        return super().inclusion_proof(index, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """The consistency proof from ``old_size`` leaves to ``new_size``."""
        self._prefetch(lambda: super(StoredTree, self).consistency_proof(old_size, new_size))
        return super().consistency_proof(old_size, new_size)

    def _prefetch(self, compute: Callable[[], object]) -> None:
        self._wanted = []
        try:
            compute()
            wanted = self._wanted
        finally:
            self._wanted = None
        self._fetch(wanted)

    def _fetch(self, keys: list[tuple[int, int]]) -> None:
        missing = [key for key in dict.fromkeys(keys) if key not in self._cache]
        if not missing:
            return
        rows = self.conn.execute(
            select(audit_nodes.c.level, audit_nodes.c.position, audit_nodes.c.hash).where(
                or_(
                    *(
                        and_(audit_nodes.c.level == level, audit_nodes.c.position == position)
                        for level, position in missing
                    )
                )
            )
        ).all()
        for row in rows:
            self._cache[(row.level, row.position)] = bytes(row.hash)
        for level, position in missing:
            if (level, position) not in self._cache:
                raise TreeRebuilding(f"node {level}/{position} of the audit tree is not there")


@dataclass(frozen=True)
class Checkpoint:
    """A signed checkpoint as stored."""

    origin: str
    size: int
    root_hash: str
    note: str
    key_id: str
    signed_at: datetime
    position: int


def _checkpoints(rows: Iterable[Any]) -> list[Checkpoint]:
    return [
        Checkpoint(
            row.origin,
            int(row.size),
            row.root_hash,
            row.note,
            row.key_id,
            row.signed_at,
            int(row.position),
        )
        for row in rows
    ]


def genuine(checkpoint: Checkpoint, verifier: NoteVerifier | None) -> bool:
    """Whether the log's key signed this checkpoint, saying what its row says (no key: any)."""
    if verifier is None:
        return True
    try:
        origin, size, root = parse_checkpoint(verifier.open(checkpoint.note))
    except NoteError:
        return False
    return (origin, size, b64(root)) == (checkpoint.origin, checkpoint.size, checkpoint.root_hash)


def checkpoints(
    conn: Connection,
    verifier: NoteVerifier | None,
    *,
    size: int | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[Checkpoint]:
    """Genuine checkpoints, largest first: the one of ``size``, or those smaller than ``before``.

    Forged rows are skipped without using up ``limit``; with a key, only its log's rows count.
    """
    found: list[Checkpoint] = []
    chunk = max(limit, 50)
    while len(found) < limit:
        query = select(audit_checkpoints).order_by(audit_checkpoints.c.size.desc()).limit(chunk)
        if verifier is not None:
            query = query.where(audit_checkpoints.c.origin == verifier.name)
        if size is not None:
            query = query.where(audit_checkpoints.c.size == size)
        if before is not None:
            query = query.where(audit_checkpoints.c.size < before)
        rows = _checkpoints(conn.execute(query).all())
        found += [row for row in rows if genuine(row, verifier)]
        if len(rows) < chunk or size is not None:
            break
        before = rows[-1].size
    return found[:limit]


def latest_checkpoint(conn: Connection, verifier: NoteVerifier | None) -> Checkpoint | None:
    """The genuine checkpoint of the largest size."""
    found = checkpoints(conn, verifier, limit=1)
    return found[0] if found else None


def uncheckpointed_leaves(conn: Connection, since_size: int) -> int:
    """Leaves from ``since_size`` on that are not checkpoints themselves."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(audit_leaves)
            .where(audit_leaves.c.leaf_index >= since_size, audit_leaves.c.checkpoint.is_(False))
        ).scalar_one()
    )
