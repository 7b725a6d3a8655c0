"""Case metrics: per-case milestones, SLA due times, stage times and every claim of a fix.

Definitions (DESIGN §6 and issue 3; all times are the events' ``occurred_at``):

- A duration runs from the case's ``Reported`` event.
- **Acknowledged**: the first ``Acknowledged``.
- **First response**: the first ``ManagementResponded`` (by management, or an admin for them), or
  the first public comment (``CommentAdded`` with ``internal`` false) by management or the
  committee; never by the reporter, and only before the case ended.
- **Resolved** (claimed fixed): the first ``Resolved``.
- **Closed**: ``ResolutionConfirmed`` (``close_kind`` "verified") or ``Closed`` after the dispute
  window (``close_kind`` "auto").
- **Ended**: the first event that left the case closed, no further action, duplicate or
  withdrawn (``ended_at``, ``ended_status``).
- **SLA due times**: reported time + the target hours for the case's PPR and current category.
  They follow the targets: a ``SlaTargetsChanged`` event moves the due times of every case of that
  PPR and category, and a recategorisation moves the case's, so breach figures for the past change
  with the targets without a rebuild.
- **Stage time**: for each party (management, committee, resident, contractor) the total time the
  case's ``whose_move`` named that party, from the event that gave them the move to the event that
  took it away. The current stint of an open case is added at query time.
- **Claims of a fix** (``case_resolutions``): one row per ``Resolved`` event, with its outcome:
  "confirmed" (the next answer was ``ResolutionConfirmed``), "disputed" (``ResolutionDisputed``),
  "auto_closed" (``Closed`` after the window) or "pending"; ``reopened_within_30_days`` is true when
  it was disputed (which reopens the case) at most 30 days after that resolution.
- **Priority**: a case's ``support_count`` (``Supported`` events) and whether the committee
  designated it (``PriorityDesignated``); the support threshold per PPR is kept in
  ``metrics_ppr_settings`` (default 10), so a changed threshold applies at once.
- **Recorded breaches**: ``<target>_breach_recorded_at`` is the time of the case's
  ``SlaBreached`` event for that target (the service records one when a target is missed). The
  breach figures themselves are computed from due times, as above; this says the service noticed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.domain import DomainEventProtocol
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    select,
    update,
)

from domain.case import TERMINAL, Case, Party, Status
from domain.clock import MALAYSIA
from domain.ppr import DEFAULT_PRIORITY_SUPPORTS, Ppr
from domain.sla import is_first_response
from projections.buffer import RowBuffer
from projections.database import UtcDateTime, metadata
from projections.engine import Projection, upsert

#: A dispute this soon after a resolution counts as a reopen for the reopen rate.
REOPEN_WINDOW = timedelta(days=30)
PARTIES = tuple(party.value for party in Party)
#: SLA targets and the milestone column that stops each one's clock.
TARGETS = {
    "acknowledge": "acknowledged_at",
    "first_response": "first_response_at",
    "resolve": "resolved_at",
}

case_metrics = Table(
    "case_metrics",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("ppr_code", String(32), nullable=False),
    Column("category_code", String(32), nullable=False),
    Column("block", String(32), nullable=False),
    Column("title", String(140), nullable=False),
    Column("private", Boolean, nullable=False),
    Column("reporter_id", String(64), nullable=False),
    Column("reported_at", UtcDateTime, nullable=False),
    Column("month", String(7), nullable=False),
    Column("status", String(24), nullable=False),
    Column("acknowledged_at", UtcDateTime),
    Column("first_response_at", UtcDateTime),
    Column("resolved_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
    Column("close_kind", String(16)),
    Column("ended_at", UtcDateTime),
    Column("ended_status", String(24)),
    Column("acknowledge_due_at", UtcDateTime),
    Column("first_response_due_at", UtcDateTime),
    Column("resolve_due_at", UtcDateTime),
    *(Column(f"{target}_breach_recorded_at", UtcDateTime) for target in TARGETS),
    Column("whose_move", String(16)),
    Column("whose_move_since", UtcDateTime),
    *(Column(f"{party}_seconds", Float, nullable=False) for party in PARTIES),
    Column("support_count", Integer, nullable=False),
    Column("designated_priority", Boolean, nullable=False),
    Column("resolutions", Integer, nullable=False),
    Index("ix_case_metrics_ppr_month", "ppr_code", "month"),
    Index("ix_case_metrics_ppr_reported", "ppr_code", "reported_at"),
)

case_resolutions = Table(
    "case_resolutions",
    metadata,
    Column("case_id", String(36), nullable=False),
    Column("number", Integer, nullable=False),
    Column("ppr_code", String(32), nullable=False),
    Column("category_code", String(32), nullable=False),
    Column("block", String(32), nullable=False),
    Column("resolved_at", UtcDateTime, nullable=False),
    Column("month", String(7), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("answered_at", UtcDateTime),
    Column("reopened_within_30_days", Boolean, nullable=False),
    PrimaryKeyConstraint("case_id", "number"),
    Index("ix_case_resolutions_ppr_resolved", "ppr_code", "resolved_at"),
)

sla_targets = Table(
    "metrics_sla_targets",
    metadata,
    Column("ppr_code", String(32), nullable=False),
    Column("category_code", String(32), nullable=False),
    Column("acknowledge_hours", Integer, nullable=False),
    Column("first_response_hours", Integer, nullable=False),
    Column("resolve_hours", Integer, nullable=False),
    PrimaryKeyConstraint("ppr_code", "category_code"),
)

ppr_settings = Table(
    "metrics_ppr_settings",
    metadata,
    Column("ppr_id", String(36), primary_key=True),
    Column("ppr_code", String(32), nullable=False, unique=True),
    Column("priority_support_threshold", Integer, nullable=False),
)


def month_of(moment: datetime) -> str:
    """The calendar month in Malaysia (``YYYY-MM``) that a moment falls in."""
    return moment.astimezone(MALAYSIA).strftime("%Y-%m")


def due_times(reported_at: datetime, targets: dict[str, Any] | None) -> dict[str, datetime | None]:
    """Due time of each SLA target for a case reported at ``reported_at``."""
    return {
        f"{target}_due_at": (reported_at + timedelta(hours=targets[f"{target}_hours"]))
        if targets
        else None
        for target in TARGETS
    }


class CaseMetricsProjection(Projection):
    """Maintains ``case_metrics`` and ``case_resolutions``; see the module docstring for formulas."""

    name = "case_metrics"
    tables = (case_metrics, case_resolutions, sla_targets, ppr_settings)
    version = 4  # 4: recorded SLA breaches

    def __init__(self) -> None:
        self._cases = RowBuffer(case_metrics)
        self._claims = RowBuffer(case_resolutions)
        self._targets_of: dict[tuple[str, str], dict[str, Any] | None] = {}

    def start_batch(self) -> None:
        """Forget the previous batch's rows (it may have rolled back)."""
        self._cases.clear()
        self._claims.clear()
        self._targets_of.clear()

    def prefetch(self, conn: Connection, events: Sequence[DomainEventProtocol[Any]]) -> None:
        """Read the rows of every earlier-reported case the batch touches, in a few queries."""
        self._cases.prefetch(
            conn,
            [
                (str(event.originator_id),)
                for event in events
                if isinstance(event, Case.Event) and type(event).__name__ != "Reported"
            ],
        )

    def end_batch(self, conn: Connection) -> None:
        """Write the batch's new and changed rows."""
        self._flush(conn)

    def _flush(self, conn: Connection) -> None:
        self._cases.flush(conn)
        self._claims.flush(conn)

    def apply(self, conn: Connection, event: DomainEventProtocol[Any], position: int) -> None:
        """Dispatch PPR configuration and case events."""
        if isinstance(event, Ppr.Event):
            # Configuration changes reach across many cases' rows: write what the batch holds
            # first, so they see (and change) every row in the database.
            self._flush(conn)
            self._targets_of.clear()
            self._apply_ppr(conn, event)
        elif isinstance(event, Case.Event):
            self._apply_case(conn, event)

    # -- configuration -------------------------------------------------------------------------

    def _apply_ppr(self, conn: Connection, event: DomainEventProtocol[Any]) -> None:
        fields = vars(event)
        kind = type(event).__name__
        ppr_id = str(event.originator_id)
        if kind == "Registered":
            conn.execute(
                ppr_settings.insert().values(
                    ppr_id=ppr_id,
                    ppr_code=fields["code"],
                    priority_support_threshold=DEFAULT_PRIORITY_SUPPORTS,
                )
            )
            return
        code = conn.execute(
            select(ppr_settings.c.ppr_code).where(ppr_settings.c.ppr_id == ppr_id)
        ).scalar_one()
        if kind == "PrioritySupportThresholdChanged":
            conn.execute(
                update(ppr_settings)
                .where(ppr_settings.c.ppr_id == ppr_id)
                .values(priority_support_threshold=fields["supports"])
            )
        elif kind in ("CategoryAdded", "SlaTargetsChanged"):
            category = fields["code"] if kind == "CategoryAdded" else fields["category_code"]
            upsert(
                conn,
                sla_targets,
                {"ppr_code": code, "category_code": category, **fields["sla"]},
                ["ppr_code", "category_code"],
            )
            if kind == "SlaTargetsChanged":
                self._move_due_times(conn, code, category, fields["sla"])

    @staticmethod
    def _move_due_times(
        conn: Connection, ppr_code: str, category: str, targets: dict[str, Any]
    ) -> None:
        rows = conn.execute(
            select(case_metrics.c.case_id, case_metrics.c.reported_at).where(
                case_metrics.c.ppr_code == ppr_code, case_metrics.c.category_code == category
            )
        ).all()
        for row in rows:
            conn.execute(
                update(case_metrics)
                .where(case_metrics.c.case_id == row.case_id)
                .values(**due_times(row.reported_at, targets))
            )

    def _targets(self, conn: Connection, ppr_code: str, category: str) -> dict[str, Any] | None:
        if (ppr_code, category) not in self._targets_of:
            row = (
                conn.execute(
                    select(sla_targets).where(
                        sla_targets.c.ppr_code == ppr_code, sla_targets.c.category_code == category
                    )
                )
                .mappings()
                .first()
            )
            self._targets_of[ppr_code, category] = dict(row) if row else None
        return self._targets_of[ppr_code, category]

    # -- cases ---------------------------------------------------------------------------------

    def _apply_case(self, conn: Connection, event: DomainEventProtocol[Any]) -> None:
        fields = vars(event)
        kind = type(event).__name__
        case_id = str(event.originator_id)
        when: datetime = fields["occurred_at"]
        if kind == "Reported":
            self._cases.insert(
                {
                    "case_id": case_id,
                    "ppr_code": fields["ppr_code"],
                    "category_code": fields["category_code"],
                    "block": fields["block"],
                    "title": fields["title"],
                    "private": fields["private"],
                    "reporter_id": fields["actor_id"],
                    "reported_at": when,
                    "month": month_of(when),
                    "status": fields["status"],
                    "whose_move": fields["whose_move"],
                    "whose_move_since": when,
                    "support_count": 0,
                    "designated_priority": False,
                    "resolutions": 0,
                    **{f"{party}_seconds": 0.0 for party in PARTIES},
                    **due_times(
                        when,
                        self._targets(conn, fields["ppr_code"], fields["category_code"]),
                    ),
                }
            )
            return
        row = self._cases.get(conn, case_id)
        if row is None:
            raise LookupError(f"case_metrics: {kind} of case {case_id}, which was never reported")
        values: dict[str, Any] = {"status": fields["status"]}
        self._stage_time(row, fields, values)
        self._milestones(conn, row, kind, fields, values)
        if Status(fields["status"]) in TERMINAL and row["ended_at"] is None:
            values["ended_at"] = when
            values["ended_status"] = fields["status"]
        row.update(values)
        self._cases.changed(row)

    @staticmethod
    def _stage_time(row: dict[str, Any], fields: dict[str, Any], values: dict[str, Any]) -> None:
        """Close the current party's stint when the move passes to someone else (or to no one)."""
        if fields["whose_move"] == row["whose_move"]:
            return
        if row["whose_move"] is not None and row["whose_move_since"] is not None:
            stint = (fields["occurred_at"] - row["whose_move_since"]).total_seconds()
            column = f"{row['whose_move']}_seconds"
            values[column] = row[column] + max(stint, 0.0)
        values["whose_move"] = fields["whose_move"]
        values["whose_move_since"] = fields["occurred_at"]

    def _milestones(
        self,
        conn: Connection,
        row: dict[str, Any],
        kind: str,
        fields: dict[str, Any],
        values: dict[str, Any],
    ) -> None:
        when: datetime = fields["occurred_at"]
        case_id = row["case_id"]
        if kind == "Acknowledged" and row["acknowledged_at"] is None:
            values["acknowledged_at"] = when
        elif (
            row["first_response_at"] is None
            and row["ended_at"] is None  # a remark after the case ended answers nothing
            and is_first_response(kind, fields, row["reporter_id"])
        ):
            values["first_response_at"] = when
        elif kind == "Recategorised":
            values["category_code"] = fields["category_code"]
            values.update(
                due_times(
                    row["reported_at"],
                    self._targets(conn, row["ppr_code"], fields["category_code"]),
                )
            )
        elif kind == "Supported":
            values["support_count"] = row["support_count"] + 1
        elif kind == "PriorityDesignated":
            values["designated_priority"] = True
        elif kind == "SlaBreached":
            values[f"{fields['target']}_breach_recorded_at"] = when
        elif kind == "Resolved":
            if row["resolved_at"] is None:
                values["resolved_at"] = when
            values["resolutions"] = row["resolutions"] + 1
            self._claims.insert(
                {
                    "case_id": case_id,
                    "number": row["resolutions"] + 1,
                    "ppr_code": row["ppr_code"],
                    "category_code": values.get("category_code", row["category_code"]),
                    "block": row["block"],
                    "resolved_at": when,
                    "month": month_of(when),
                    "outcome": "pending",
                    "reopened_within_30_days": False,
                }
            )
        elif kind in ("ResolutionConfirmed", "ResolutionDisputed", "Closed"):
            if kind != "ResolutionDisputed":
                values["closed_at"] = when
                values["close_kind"] = "verified" if kind == "ResolutionConfirmed" else "auto"
            self._answer_claim(conn, case_id, row["resolutions"], kind, when)

    def _answer_claim(
        self, conn: Connection, case_id: str, number: int, kind: str, when: datetime
    ) -> None:
        outcome = {
            "ResolutionConfirmed": "confirmed",
            "ResolutionDisputed": "disputed",
            "Closed": "auto_closed",
        }[kind]
        claim = self._claims.get(conn, case_id, number)
        if claim is None:
            raise LookupError(f"case_metrics: {kind} of case {case_id} answers no claim of a fix")
        claim["outcome"] = outcome
        claim["answered_at"] = when
        claim["reopened_within_30_days"] = (
            outcome == "disputed" and when - claim["resolved_at"] <= REOPEN_WINDOW
        )
        self._claims.changed(claim)
