"""Reading the audit log: the tree's proofs, the checkpoints, and entries from the store as it is.

Entries are read from the event store itself, never from the projection's copy: what an auditor
recomputes must be what the store holds now, so a record changed, deleted, reordered or slipped
in behind the projection's back makes the recomputed root differ from the signed one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from eventsourcing.persistence import Notification
from sqlalchemy import Connection, select

from domain.application import K2K
from projections.audit import Checkpoint, audit_leaves, tree_size
from projections.audit_leaf import Entry
from service.seal import SealStatus, seal_status


def present_checkpoint(checkpoint: Checkpoint) -> dict[str, Any]:
    """A checkpoint as the API shows it."""
    return {
        "origin": checkpoint.origin,
        "size": checkpoint.size,
        "root_hash": checkpoint.root_hash,
        "key_id": checkpoint.key_id,
        "note": checkpoint.note,
        "signed_at": checkpoint.signed_at,
        "position": checkpoint.position,
    }


def _entry(
    index: int | None,
    notification_id: int | None,
    originator_id: Any,
    version: int,
    topic: str,
    state: bytes,
    seal_key: bytes,
) -> dict[str, Any]:
    entry = Entry.of_record(originator_id, version, topic, state)
    status: SealStatus = seal_status(entry.originator_id, version, topic, state, seal_key)
    return {
        "index": index,
        "notification_id": notification_id,
        "originator_id": entry.originator_id,
        "version": entry.version,
        "topic": entry.topic,
        "state_sha256": entry.state_sha256.hex(),
        "seal": status,
    }


def entry_range(
    app: K2K,
    conn: Connection,
    seal_key: bytes,
    *,
    start: int,
    end: int | None,
    after: int | None,
    page: int,
) -> tuple[list[dict[str, Any]], dict[str, int] | None]:
    """Entries ``start`` .. ``end`` - 1 (at most ``page``), and the next page's query or None.

    The first page finds leaf ``start``'s record through the tree; from then on the stream
    follows the store's own order from the ``after`` cursor, so the numbering is the store's.
    """
    limit = page if end is None else min(page, max(0, end - start))
    if limit == 0:
        return [], None
    inclusive = False
    if after is None:
        if start == 0:
            after, inclusive = 0, False
        else:
            row = conn.execute(
                select(audit_leaves.c.notification_id).where(audit_leaves.c.leaf_index == start)
            ).scalar()
            if row is not None:
                after, inclusive = int(row), True
            elif start == tree_size(conn):
                previous = conn.execute(
                    select(audit_leaves.c.notification_id).where(
                        audit_leaves.c.leaf_index == start - 1
                    )
                ).scalar()
                after = int(previous) if previous is not None else 0
            else:
                raise ValueError(
                    f"the tree holds {tree_size(conn)} events; start {start} is past it"
                )
    records: Sequence[Notification] = app.recorder.select_notifications(
        start=after, limit=limit, inclusive_of_start=inclusive
    )
    leaves = _leaf_indices(conn, [record.id for record in records])
    entries = []
    for offset, record in enumerate(records):
        entry = _entry(
            start + offset,
            record.id,
            record.originator_id,
            record.originator_version,
            record.topic,
            record.state,
            seal_key,
        )
        entry["leaf_index"] = leaves.get(record.id)
        entries.append(entry)
    following = start + len(entries)
    more = len(entries) == limit and (end is None or following < end)
    if not more:
        return entries, None
    query = {"start": following, "after": records[-1].id}
    if end is not None:
        query["end"] = end
    return entries, query


def _leaf_indices(conn: Connection, notification_ids: list[int]) -> dict[int, int]:
    """The leaf each of these records is, for those the tree holds."""
    if not notification_ids:
        return {}
    rows = conn.execute(
        select(audit_leaves.c.notification_id, audit_leaves.c.leaf_index).where(
            audit_leaves.c.notification_id.in_(notification_ids)
        )
    )
    return {int(row.notification_id): int(row.leaf_index) for row in rows}


def aggregate_entries(
    app: K2K, conn: Connection, seal_key: bytes, originator_id: UUID
) -> list[dict[str, Any]]:
    """Every stored event of one aggregate with its leaf index, and leaves the store has lost."""
    leaves = {
        row.version: (int(row.leaf_index), int(row.notification_id))
        for row in conn.execute(
            select(
                audit_leaves.c.version, audit_leaves.c.leaf_index, audit_leaves.c.notification_id
            ).where(audit_leaves.c.originator_id == str(originator_id))
        )
    }
    entries = []
    stored_versions = set()
    for record in app.recorder.select_events(originator_id):
        index, notification_id = leaves.get(record.originator_version, (None, None))
        stored_versions.add(record.originator_version)
        entry = _entry(
            index,
            notification_id,
            record.originator_id,
            record.originator_version,
            record.topic,
            record.state,
            seal_key,
        )
        entry["leaf_index"] = index
        entries.append(entry)
    # A leaf whose record is gone from the store: a deleted event the auditor must hear about.
    for version, (index, notification_id) in leaves.items():
        if version not in stored_versions:
            entries.append(
                {
                    "index": index,
                    "notification_id": notification_id,
                    "originator_id": str(originator_id),
                    "version": version,
                    "topic": None,
                    "state_sha256": None,
                    "seal": "missing",
                    "leaf_index": index,
                }
            )
    return sorted(entries, key=lambda entry: entry["version"])


def next_link(path: str, query: dict[str, int] | None) -> str | None:
    """The relative URL of the next page."""
    return None if query is None else f"{path}?{urlencode(query)}"
