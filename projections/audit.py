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
"""

from __future__ import annotations

from collections.abc import Iterable
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
from projections.audit_leaf import Entry
from projections.database import UtcDateTime, insert_into, metadata
from projections.engine import Projection
from projections.merkle import PerfectSubtrees, completed_subtrees

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
    tables = (audit_nodes, audit_leaves, audit_checkpoints)

    def __init__(self) -> None:
        self._size: int | None = None
        # The hash of the last complete subtree at each level: the left siblings a new leaf needs.
        self._last: dict[int, bytes] = {}

    def start_batch(self) -> None:
        """Forget the cached frontier: another process may have appended since."""
        self._size = None
        self._last = {}

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
        nodes = completed_subtrees(index, entry.leaf_hash, self._last.__getitem__)
        conn.execute(
            insert(audit_nodes),
            [
                {"level": level, "position": position, "hash": digest}
                for level, position, digest in nodes
            ],
        )
        for level, _position, digest in nodes:
            self._last[level] = digest
        is_checkpoint = isinstance(event, AuditCheckpoint.Event)
        conn.execute(
            insert(audit_leaves).values(
                leaf_index=index,
                notification_id=notification.id,
                originator_id=str(notification.originator_id),
                version=notification.originator_version,
                checkpoint=is_checkpoint,
            )
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


class StoredTree(PerfectSubtrees):
    """The audit tree as the projection stored it, read through one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._size = tree_size(conn)
        self._cache: dict[tuple[int, int], bytes] = {}

    @property
    def size(self) -> int:
        """The number of leaves (as of this object's creation)."""
        return self._size

    def perfect(self, level: int, position: int) -> bytes:
        """One stored perfect subtree's hash."""
        key = (level, position)
        if key not in self._cache:
            digest = self.conn.execute(
                select(audit_nodes.c.hash).where(
                    audit_nodes.c.level == level, audit_nodes.c.position == position
                )
            ).scalar_one()
            self._cache[key] = bytes(digest)
        return self._cache[key]


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


def latest_checkpoint(conn: Connection, origin: str | None = None) -> Checkpoint | None:
    """The checkpoint of the largest size (of ``origin``, when given)."""
    query = select(audit_checkpoints).order_by(audit_checkpoints.c.size.desc()).limit(1)
    if origin is not None:
        query = query.where(audit_checkpoints.c.origin == origin)
    found = _checkpoints(conn.execute(query).all())
    return found[0] if found else None


def checkpoints(
    conn: Connection,
    *,
    size: int | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[Checkpoint]:
    """Checkpoints, largest first: the one of ``size``, or those smaller than ``before``."""
    query = select(audit_checkpoints).order_by(audit_checkpoints.c.size.desc()).limit(limit)
    if size is not None:
        query = query.where(audit_checkpoints.c.size == size)
    if before is not None:
        query = query.where(audit_checkpoints.c.size < before)
    return _checkpoints(conn.execute(query).all())


def uncheckpointed_leaves(conn: Connection, since_size: int) -> int:
    """Leaves from ``since_size`` on that are not checkpoints themselves."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(audit_leaves)
            .where(audit_leaves.c.leaf_index >= since_size, audit_leaves.c.checkpoint.is_(False))
        ).scalar_one()
    )
