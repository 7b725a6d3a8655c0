"""Case list: one row per case with what lists filter and sort on.

Formulas: ``support_count`` = number of ``Supported`` events; ``public_comment_count`` = number of
``CommentAdded`` events with ``internal`` false; ``updated_at`` = ``occurred_at`` of the latest event;
``resolved_at`` = ``occurred_at`` of the latest ``Resolved``; ``closed_at`` = ``occurred_at`` of the
event that made the status terminal; ``photo_count`` = number of ``PhotoAttached`` events;
``first_photo`` = ``sha256`` of the first of them (lists show its thumbnail, Open311 its URL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.domain import DomainEventProtocol
from sqlalchemy import Boolean, Column, Connection, Index, Integer, String, Table, Text

from domain.case import TERMINAL, Case, Status
from projections.buffer import RowBuffer
from projections.database import UtcDateTime, metadata
from projections.engine import Projection

case_list = Table(
    "case_list",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("ppr_code", String(32), nullable=False),
    Column("category_code", String(32), nullable=False),
    Column("block", String(32), nullable=False),
    Column("floor", String(60)),
    Column("unit", String(60)),
    Column("common_area", String(60)),
    Column("title", String(140), nullable=False),
    # casefold() can lengthen a title ("ß" becomes "ss"), so no length limit here.
    Column("title_folded", Text, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("status", String(24), nullable=False),
    Column("whose_move", String(16)),
    Column("assigned_to", String(16)),
    Column("reporter_id", String(64), nullable=False),
    Column("reporter_role", String(16), nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("private", Boolean, nullable=False),
    Column("support_count", Integer, nullable=False),
    Column("public_comment_count", Integer, nullable=False),
    Column("reported_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
    Column("duplicate_of", String(36)),
    Column("rating", Integer),
    Column("photo_count", Integer, nullable=False, server_default="0"),
    Column("first_photo", String(64)),
    Column("version", Integer, nullable=False),
    Index("ix_case_list_ppr_reported", "ppr_code", "reported_at", "case_id"),
    Index("ix_case_list_ppr_support", "ppr_code", "support_count", "case_id"),
    Index("ix_case_list_status", "ppr_code", "status"),
)


class CaseListProjection(Projection):
    """Maintains ``case_list``; see the module docstring for each column's formula."""

    name = "case_list"
    tables = (case_list,)
    version = 3  # 2: title_folded without a length limit; 3: photo_count and first_photo

    def __init__(self) -> None:
        self._rows = RowBuffer(case_list)

    def start_batch(self) -> None:
        """Forget the previous batch's rows (it may have rolled back)."""
        self._rows.clear()

    def prefetch(self, conn: Connection, events: Sequence[DomainEventProtocol[Any]]) -> None:
        """Read the rows of every case the batch touches, in a few queries."""
        self._rows.prefetch(
            conn,
            [
                (str(event.originator_id),)
                for event in events
                if isinstance(event, Case.Event) and type(event).__name__ != "Reported"
            ],
        )

    def end_batch(self, conn: Connection) -> None:
        """Write the batch's new and changed rows."""
        self._rows.flush(conn)

    def apply(self, conn: Connection, event: DomainEventProtocol[Any], position: int) -> None:
        """Insert the row on ``Reported``; update it on every later case event."""
        if not isinstance(event, Case.Event):
            return
        fields = vars(event)
        case_id = str(event.originator_id)
        kind = type(event).__name__
        if kind == "Reported":
            self._rows.insert(
                {
                    "case_id": case_id,
                    "ppr_code": fields["ppr_code"],
                    "category_code": fields["category_code"],
                    "block": fields["block"],
                    "floor": fields["floor"],
                    "unit": fields["unit"],
                    "common_area": fields["common_area"],
                    "title": fields["title"],
                    "title_folded": fields["title"].casefold(),
                    "channel": fields["channel"],
                    "status": fields["status"],
                    "whose_move": fields["whose_move"],
                    "reporter_id": fields["actor_id"],
                    "reporter_role": fields["actor_role"],
                    "anonymous": fields["anonymous"],
                    "private": fields["private"],
                    "support_count": 0,
                    "public_comment_count": 0,
                    "photo_count": 0,
                    "reported_at": fields["occurred_at"],
                    "updated_at": fields["occurred_at"],
                    "version": event.originator_version,
                }
            )
            return
        row = self._rows.get(conn, case_id)
        if row is None:
            raise LookupError(f"case_list: {kind} of case {case_id}, which was never reported")
        row["status"] = fields["status"]
        row["whose_move"] = fields["whose_move"]
        row["updated_at"] = fields["occurred_at"]
        row["version"] = event.originator_version
        if kind == "Supported":
            row["support_count"] += 1
        elif kind == "CommentAdded" and not fields["internal"]:
            row["public_comment_count"] += 1
        elif kind == "Recategorised":
            row["category_code"] = fields["category_code"]
        elif kind == "Assigned":
            row["assigned_to"] = fields["to"]
        elif kind == "Resolved":
            row["resolved_at"] = fields["occurred_at"]
        elif kind == "ResolutionConfirmed":
            row["rating"] = fields["rating"]
        elif kind == "MarkedDuplicate":
            row["duplicate_of"] = fields["duplicate_of"]
        elif kind == "PhotoAttached":
            row["photo_count"] += 1
            if row["first_photo"] is None:
                row["first_photo"] = fields["sha256"]
        if Status(fields["status"]) in TERMINAL and row["closed_at"] is None:
            # Comments may follow the outcome; closed_at stays the time the outcome was reached.
            row["closed_at"] = fields["occurred_at"]
        self._rows.changed(row)
