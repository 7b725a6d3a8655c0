"""SLA clocks of one case, computed from its own events (the same definitions as the metrics).

A target's clock runs from the report to its milestone: the first ``Acknowledged``; the first
public response (``ManagementResponded``, or a public comment by management or the committee that
is not the reporter's, before the case ended); the first ``Resolved``. The due time is the report
time plus the target hours of the case's PPR and *current* category, so a recategorisation or a
changed target moves it. At ``WARNING_SHARE`` of the allowed time management is warned; a target
whose milestone came late, or that is still open past its due time, is breached; a case that
ended without the milestone is not counted, exactly as in ``projections/resolution_report.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.case import TERMINAL, Status


class SlaTarget(StrEnum):
    """The three targets a PPR sets per category (DESIGN §4)."""

    ACKNOWLEDGE = "acknowledge"
    FIRST_RESPONSE = "first_response"
    RESOLVE = "resolve"


#: Share of a target's time after which management is warned that it is about to be missed.
WARNING_SHARE = 0.8


@dataclass(frozen=True)
class SlaClock:
    """One target of one case: when it is due, when it was met, when the case ended."""

    target: SlaTarget
    reported_at: datetime
    due_at: datetime
    met_at: datetime | None
    ended_at: datetime | None

    @property
    def warn_at(self) -> datetime:
        """When ``WARNING_SHARE`` of the allowed time is used."""
        return self.reported_at + (self.due_at - self.reported_at) * WARNING_SHARE

    def open_at(self, moment: datetime) -> bool:
        """Whether the clock was still running at ``moment`` (not met, case not ended)."""
        met = self.met_at is not None and self.met_at <= moment
        ended = self.ended_at is not None and self.ended_at <= moment
        return not met and not ended

    def state(self, now: datetime) -> str:
        """``met``, ``breached`` (met late, or still open past its due time), ``running`` (open,
        not yet due: at the due moment itself it still runs) or ``not_applicable`` (the case
        ended without the milestone, which the metrics do not count)."""
        if self.met_at is not None:
            return "met" if self.met_at <= self.due_at else "breached"
        if self.ended_at is not None:
            return "not_applicable"
        return "breached" if now > self.due_at else "running"

    def breached(self, now: datetime) -> bool:
        """Whether the target is missed as the metrics count it."""
        return self.state(now) == "breached"


def is_first_response(kind: str, fields: dict[str, Any], reporter_id: str) -> bool:
    """Whether an event answers the case publicly: management's formal response (whoever gives
    it, management or an admin for them), or a public comment by management or the committee;
    never the reporter's own words. The caller checks it is the first and the case is open."""
    if kind not in ("ManagementResponded", "CommentAdded") or fields["actor_id"] == reporter_id:
        return False
    by_staff = fields["actor_role"] in ("management", "committee")
    return kind == "ManagementResponded" or (by_staff and not fields["internal"])


@dataclass(frozen=True)
class Milestones:
    """When a case first reached each milestone, and when it first ended."""

    ppr_code: str
    reported_at: datetime
    reached: dict[SlaTarget, datetime | None]
    ended_at: datetime | None
    category_code: str


def milestones(events: Iterable[Any]) -> Milestones:
    """Read a case's milestones from its events, oldest first."""
    reported_at: datetime | None = None
    reporter_id = ppr_code = category = ""
    reached: dict[SlaTarget, datetime | None] = dict.fromkeys(SlaTarget)
    ended_at: datetime | None = None
    for event in events:
        kind = type(event).__name__
        fields = vars(event)
        when: datetime = fields["occurred_at"]
        if kind == "Reported":
            reported_at, reporter_id = when, fields["actor_id"]
            ppr_code, category = fields["ppr_code"], fields["category_code"]
        elif kind == "Recategorised":
            category = fields["category_code"]
        elif kind == "Acknowledged" and reached[SlaTarget.ACKNOWLEDGE] is None:
            reached[SlaTarget.ACKNOWLEDGE] = when
        elif kind == "Resolved" and reached[SlaTarget.RESOLVE] is None:
            reached[SlaTarget.RESOLVE] = when
        elif (
            reached[SlaTarget.FIRST_RESPONSE] is None
            and ended_at is None
            and is_first_response(kind, fields, reporter_id)
        ):
            reached[SlaTarget.FIRST_RESPONSE] = when
        if ended_at is None and Status(fields["status"]) in TERMINAL:
            ended_at = when
    if reported_at is None:
        raise ValueError("a case's events start with Reported")
    return Milestones(ppr_code, reported_at, reached, ended_at, category)


def clock_for(
    target: SlaTarget, case_milestones: Milestones, targets: dict[str, int] | None
) -> SlaClock | None:
    """The clock of ``target`` under the category's targets (None when the category has none)."""
    if not targets:
        return None
    due = case_milestones.reported_at + timedelta(hours=targets[f"{target.value}_hours"])
    return SlaClock(
        target=target,
        reported_at=case_milestones.reported_at,
        due_at=due,
        met_at=case_milestones.reached[target],
        ended_at=case_milestones.ended_at,
    )
