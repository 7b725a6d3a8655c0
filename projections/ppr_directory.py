"""PPR directory: every registered PPR with its blocks and categories, for listing and lookups."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import DomainEventProtocol
from sqlalchemy import JSON, Column, Connection, Integer, String, Table, select, update

from domain.ppr import DEFAULT_PRIORITY_SUPPORTS, Ppr
from projections.database import metadata
from projections.engine import Projection

pprs = Table(
    "ppr_directory",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("dispute_window_days", Integer, nullable=False),
    Column("priority_support_threshold", Integer, nullable=False),
    Column("blocks", JSON, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("version", Integer, nullable=False),
)


class PprDirectoryProjection(Projection):
    """One row per PPR: the latest name, blocks, categories (with SLA targets), dispute window
    and priority support threshold."""

    name = "ppr_directory"
    tables = (pprs,)
    version = 2  # 2: priority_support_threshold

    def apply(self, conn: Connection, event: DomainEventProtocol[Any], position: int) -> None:
        """Copy the PPR's configuration into its row."""
        if not isinstance(event, Ppr.Event):
            return
        fields = vars(event)
        if type(event).__name__ == "Registered":
            conn.execute(
                pprs.insert().values(
                    code=fields["code"],
                    id=str(event.originator_id),
                    name=fields["name"],
                    dispute_window_days=fields["dispute_window_days"],
                    priority_support_threshold=DEFAULT_PRIORITY_SUPPORTS,
                    blocks={},
                    categories={},
                    version=event.originator_version,
                )
            )
            return
        row = (
            conn.execute(select(pprs).where(pprs.c.id == str(event.originator_id))).mappings().one()
        )
        blocks = dict(row["blocks"])
        categories = {code: dict(value) for code, value in row["categories"].items()}
        values: dict[str, Any] = {"version": event.originator_version}
        if type(event).__name__ == "BlockAdded":
            blocks[fields["code"]] = {
                "code": fields["code"],
                "name": fields["name"],
                "floors": fields["floors"],
            }
            values["blocks"] = blocks
        elif type(event).__name__ == "CategoryAdded":
            categories[fields["code"]] = {
                "code": fields["code"],
                "name_ms": fields["name_ms"],
                "name_en": fields["name_en"],
                "sla": fields["sla"],
            }
            values["categories"] = categories
        elif type(event).__name__ == "SlaTargetsChanged":
            categories[fields["category_code"]]["sla"] = fields["sla"]
            values["categories"] = categories
        elif type(event).__name__ == "DisputeWindowChanged":
            values["dispute_window_days"] = fields["days"]
        elif type(event).__name__ == "PrioritySupportThresholdChanged":
            values["priority_support_threshold"] = fields["supports"]
        conn.execute(update(pprs).where(pprs.c.code == row["code"]).values(**values))
