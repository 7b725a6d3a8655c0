"""Case timeline: every event of every case, in order, with who, when and what changed.

One row per event: ``occurred_at`` (when it happened, possibly backfilled) and ``recorded_at`` (when
the service recorded it), the actor's id and role, the status and whose move after the event, what
changed (``{"status": [before, after], ...}``) and the event's own details.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.domain import DomainEventProtocol
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    func,
    select,
)

from domain.case import Case
from projections.buffer import PREFETCH_CHUNK
from projections.database import UtcDateTime, metadata
from projections.engine import Projection
from projections.events import details, event_type

case_timeline = Table(
    "case_timeline",
    metadata,
    Column("case_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("actor_role", String(16), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("status", String(24), nullable=False),
    Column("whose_move", String(16)),
    Column("internal", Boolean, nullable=False),
    Column("changes", JSON, nullable=False),
    Column("details", JSON, nullable=False),
    PrimaryKeyConstraint("case_id", "version"),
)

#: Event details that are a change of the case's state rather than a message.
TRACKED_STATE = ("status", "whose_move")


class CaseTimelineProjection(Projection):
    """Maintains ``case_timeline``; ``changes`` compares each event's state with the previous one."""

    name = "case_timeline"
    tables = (case_timeline,)

    def __init__(self) -> None:
        self._last_state: dict[str, dict[str, Any]] = {}
        self._rows: list[dict[str, Any]] = []

    def start_batch(self) -> None:
        """Forget cached state: a batch that rolled back may have left it wrong."""
        self._last_state = {}
        self._rows = []

    def prefetch(self, conn: Connection, events: Sequence[DomainEventProtocol[Any]]) -> None:
        """Read the latest state of every earlier-reported case the batch touches, in bulk."""
        touched = list(
            dict.fromkeys(
                str(event.originator_id)
                for event in events
                if isinstance(event, Case.Event) and type(event).__name__ != "Reported"
            )
        )
        for start in range(0, len(touched), PREFETCH_CHUNK):
            chunk = touched[start : start + PREFETCH_CHUNK]
            latest = (
                select(case_timeline.c.case_id, func.max(case_timeline.c.version).label("version"))
                .where(case_timeline.c.case_id.in_(chunk))
                .group_by(case_timeline.c.case_id)
                .subquery()
            )
            rows = conn.execute(
                select(
                    case_timeline.c.case_id, case_timeline.c.status, case_timeline.c.whose_move
                ).join(
                    latest,
                    (case_timeline.c.case_id == latest.c.case_id)
                    & (case_timeline.c.version == latest.c.version),
                )
            )
            for row in rows:
                self._last_state[row.case_id] = {"status": row.status, "whose_move": row.whose_move}
            for case_id in chunk:
                self._last_state.setdefault(case_id, {})  # no earlier row: nothing before it

    def end_batch(self, conn: Connection) -> None:
        """Append the batch's rows with one multi-row insert."""
        if self._rows:
            conn.execute(case_timeline.insert(), self._rows)
        self._rows = []

    def apply(self, conn: Connection, event: DomainEventProtocol[Any], position: int) -> None:
        """Append the event's row."""
        if not isinstance(event, Case.Event):
            return
        fields = vars(event)
        case_id = str(event.originator_id)
        before = self._previous_state(conn, case_id)
        after = {name: fields[name] for name in TRACKED_STATE}
        own = details(event)
        changes = {
            name: [before.get(name), after[name]]
            for name in TRACKED_STATE
            if before.get(name) != after[name]
        }
        if "from_category" in own:
            changes["category"] = [own["from_category"], own["category_code"]]
        self._rows.append(
            {
                "case_id": case_id,
                "version": event.originator_version,
                "position": position,
                "event_type": event_type(event),
                "actor_id": fields["actor_id"],
                "actor_role": fields["actor_role"],
                "occurred_at": fields["occurred_at"],
                "recorded_at": event.timestamp,
                "status": fields["status"],
                "whose_move": fields["whose_move"],
                "internal": bool(own.get("internal", False)),
                "changes": changes,
                "details": own,
            }
        )
        self._last_state[case_id] = after

    def _previous_state(self, conn: Connection, case_id: str) -> dict[str, Any]:
        """The case's state after its latest stored event (prefetched, or read now)."""
        if case_id not in self._last_state:
            row = conn.execute(
                select(case_timeline.c.status, case_timeline.c.whose_move)
                .where(case_timeline.c.case_id == case_id)
                .order_by(case_timeline.c.version.desc())
                .limit(1)
            ).first()
            self._last_state[case_id] = (
                {"status": row.status, "whose_move": row.whose_move} if row else {}
            )
        return self._last_state[case_id]
