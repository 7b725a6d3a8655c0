"""Governance read models: committee seats over time, meetings, and the decision register.

- ``committees``: one row per PPR's committee: term and quorum rule (None: more than half).
- ``committee_seats``: one row per seat held (member, role, selection, block, self-declared gender
  and age band, ``since`` and, once stepped down, ``until``), so the committee at any moment is the
  rows with ``since <= T < until`` (or no ``until``).
- ``meetings``: one row per meeting with its agenda, attendance (members present, residents by
  ``gender/age band`` group and those who signed the register by id, management present), the
  quorum required and whether it was met, its motions with their votes, and when the minutes
  were published.
- ``decisions``: the public decision register: one row per decision with its meeting and motion
  (and that motion's votes), linked cases, who must act and by when, management's answer, reason
  and commitment date, progress, and when it was done and verified.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import DomainEventProtocol
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    select,
    update,
)

from domain.committee import Committee
from domain.decision import Decision
from domain.meeting import Meeting
from projections.buffer import RowBuffer
from projections.database import UtcDateTime, metadata
from projections.engine import Projection

committees = Table(
    "committees",
    metadata,
    Column("committee_id", String(36), primary_key=True),
    Column("ppr_code", String(32), nullable=False, unique=True),
    Column("term_start", Date, nullable=False),
    Column("term_end", Date, nullable=False),
    Column("quorum_minimum", Integer),
)

committee_seats = Table(
    "committee_seats",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ppr_code", String(32), nullable=False),
    Column("member_id", String(64), nullable=False),
    Column("name", String(120), nullable=False),
    Column("role", String(32), nullable=False),
    Column("selection", String(16), nullable=False),
    Column("block", String(32)),
    Column("gender", String(16)),
    Column("age_band", String(8)),
    Column("since", UtcDateTime, nullable=False),
    Column("until", UtcDateTime),
    Index("ix_committee_seats_ppr", "ppr_code", "since"),
)

meetings = Table(
    "meetings",
    metadata,
    Column("meeting_id", String(36), primary_key=True),
    Column("ppr_code", String(32), nullable=False),
    Column("scheduled_for", UtcDateTime, nullable=False),
    Column("place", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("agenda", JSON, nullable=False),
    Column("held_at", UtcDateTime),
    Column("members_present", JSON(none_as_null=True)),
    Column("members_seated", Integer),
    Column("quorum_required", Integer),
    Column("quorum_met", Boolean),
    Column("residents_attending", JSON(none_as_null=True)),
    Column("resident_ids", JSON(none_as_null=True)),
    Column("management_present", Integer),
    Column("motions", JSON, nullable=False),
    Column("minutes", Text),
    Column("minutes_published_at", UtcDateTime),
    Column("version", Integer, nullable=False),
    Index("ix_meetings_ppr_scheduled", "ppr_code", "scheduled_for"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("decision_id", String(36), primary_key=True),
    Column("ppr_code", String(32), nullable=False),
    Column("meeting_id", String(36), nullable=False),
    Column("motion_number", Integer, nullable=False),
    Column("motion", JSON, nullable=False),
    Column("text", Text, nullable=False),
    Column("case_ids", JSON, nullable=False),
    Column("action_by", String(16), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("made_at", UtcDateTime, nullable=False),
    Column("status", String(24), nullable=False),
    Column("answer", String(24)),
    Column("answer_reason", Text),
    Column("answered_at", UtcDateTime),
    Column("commitment_date", Date),
    Column("progress_percent", Integer, nullable=False),
    Column("progress_note", Text),
    Column("done_at", UtcDateTime),
    Column("verified_at", UtcDateTime),
    Column("version", Integer, nullable=False),
    Index("ix_decisions_ppr_made", "ppr_code", "made_at"),
)


class GovernanceProjection(Projection):
    """Maintains ``committee_seats``, ``meetings`` and ``decisions`` (see the module docstring)."""

    name = "governance"
    tables = (committees, committee_seats, meetings, decisions)

    def __init__(self) -> None:
        self._meetings = RowBuffer(meetings)
        self._decisions = RowBuffer(decisions)

    def start_batch(self) -> None:
        """Forget the previous batch's rows (it may have rolled back)."""
        self._meetings.clear()
        self._decisions.clear()

    def end_batch(self, conn: Connection) -> None:
        """Write the batch's new and changed meetings and decisions."""
        self._meetings.flush(conn)
        self._decisions.flush(conn)

    def apply(self, conn: Connection, event: DomainEventProtocol[Any], position: int) -> None:
        """Dispatch committee, meeting and decision events."""
        if isinstance(event, Committee.Event):
            self._committee(conn, event)
        elif isinstance(event, Meeting.Event):
            self._meeting(conn, event)
        elif isinstance(event, Decision.Event):
            self._decision(conn, event)

    @staticmethod
    def _committee(conn: Connection, event: DomainEventProtocol[Any]) -> None:
        fields = vars(event)
        kind = type(event).__name__
        committee = str(event.originator_id)
        if kind == "Established":
            conn.execute(
                committees.insert().values(
                    committee_id=committee,
                    ppr_code=fields["ppr_code"],
                    term_start=fields["term_start"],
                    term_end=fields["term_end"],
                    quorum_minimum=fields["quorum_minimum"],
                )
            )
            return
        ppr_code = conn.execute(
            select(committees.c.ppr_code).where(committees.c.committee_id == committee)
        ).scalar_one()
        seat = committee_seats.c
        if kind == "MemberJoined":
            conn.execute(
                committee_seats.insert().values(
                    ppr_code=ppr_code,
                    member_id=fields["member_id"],
                    name=fields["name"],
                    role=fields["role"],
                    selection=fields["selection"],
                    block=fields["block"],
                    gender=fields["gender"],
                    age_band=fields["age_band"],
                    since=fields["occurred_at"],
                )
            )
        elif kind == "MemberSteppedDown":
            conn.execute(
                update(committee_seats)
                .where(
                    seat.ppr_code == ppr_code,
                    seat.member_id == fields["member_id"],
                    seat.until.is_(None),
                )
                .values(until=fields["occurred_at"])
            )
        elif kind == "QuorumRuleChanged":
            conn.execute(
                update(committees)
                .where(committees.c.committee_id == committee)
                .values(quorum_minimum=fields["quorum_minimum"])
            )
        elif kind == "TermStarted":
            conn.execute(
                update(committees)
                .where(committees.c.committee_id == committee)
                .values(term_start=fields["term_start"], term_end=fields["term_end"])
            )

    def _meeting(self, conn: Connection, event: DomainEventProtocol[Any]) -> None:
        fields = vars(event)
        kind = type(event).__name__
        meeting_id = str(event.originator_id)
        if kind == "Scheduled":
            self._meetings.insert(
                {
                    "meeting_id": meeting_id,
                    "ppr_code": fields["ppr_code"],
                    "scheduled_for": fields["scheduled_for"],
                    "place": fields["place"],
                    "status": "scheduled",
                    "agenda": fields["agenda"],
                    "motions": [],
                    "version": event.originator_version,
                }
            )
            return
        row = self._meetings.get(conn, meeting_id)
        if row is None:
            raise LookupError(f"governance: {kind} of meeting {meeting_id}, never scheduled")
        values: dict[str, Any] = {"version": event.originator_version}
        if kind == "AgendaItemAdded":
            values["agenda"] = [
                *row["agenda"],
                {
                    "number": fields["number"],
                    "title": fields["title"],
                    "case_ids": fields["case_ids"],
                },
            ]
        elif kind == "Held":
            values.update(
                status="held",
                held_at=fields["occurred_at"],
                members_present=fields["members_present"],
                members_seated=fields["members_seated"],
                quorum_required=fields["quorum_required"],
                quorum_met=fields["quorum_met"],
                residents_attending=fields["residents_attending"],
                resident_ids=fields["resident_ids"],
                management_present=fields["management_present"],
            )
        elif kind == "MotionRecorded":
            motion = {
                name: fields[name]
                for name in (
                    "number",
                    "item_number",
                    "text",
                    "method",
                    "votes_for",
                    "votes_against",
                    "abstentions",
                    "carried",
                )
            }
            values["motions"] = [*row["motions"], motion]
        elif kind == "MinutesPublished":
            values.update(minutes=fields["text"], minutes_published_at=fields["occurred_at"])
        elif kind == "Cancelled":
            values["status"] = "cancelled"
        row.update(values)
        self._meetings.changed(row)

    def _decision(self, conn: Connection, event: DomainEventProtocol[Any]) -> None:
        fields = vars(event)
        kind = type(event).__name__
        decision_id = str(event.originator_id)
        if kind == "Made":
            meeting = self._meetings.get(conn, fields["meeting_id"])
            if meeting is None:
                raise LookupError(f"governance: decision {decision_id} of an unknown meeting")
            motion = next(m for m in meeting["motions"] if m["number"] == fields["motion_number"])
            self._decisions.insert(
                {
                    "decision_id": decision_id,
                    "ppr_code": fields["ppr_code"],
                    "meeting_id": fields["meeting_id"],
                    "motion_number": fields["motion_number"],
                    "motion": dict(motion),
                    "text": fields["text"],
                    "case_ids": fields["case_ids"],
                    "action_by": fields["action_by"],
                    "due_date": fields["due_date"],
                    "made_at": fields["occurred_at"],
                    "status": "made",
                    "progress_percent": 0,
                    "version": event.originator_version,
                }
            )
            return
        row = self._decisions.get(conn, decision_id)
        if row is None:
            raise LookupError(f"governance: {kind} of decision {decision_id}, never made")
        values: dict[str, Any] = {"version": event.originator_version, "status": fields["status"]}
        if kind == "ManagementAnswered":
            values.update(
                answer=fields["answer"],
                answer_reason=fields["reason"],
                answered_at=fields["occurred_at"],
                commitment_date=fields["commitment_date"],
            )
        elif kind == "ProgressReported":
            values.update(progress_percent=fields["percent"], progress_note=fields["note"])
        elif kind == "MarkedDone":
            values.update(progress_percent=100, done_at=fields["occurred_at"])
        elif kind == "CompletionVerified":
            values["verified_at"] = fields["occurred_at"]
        elif kind == "CompletionDisputed":
            values["done_at"] = None
        row.update(values)
        self._decisions.changed(row)


__all__ = ["GovernanceProjection", "committee_seats", "committees", "decisions", "meetings"]
