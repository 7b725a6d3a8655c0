"""Committee decisions and management's answers to them, through to verified completion."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import event

from domain.actors import Actor, Role
from domain.base import K2KAggregate, occurred
from domain.clock import MALAYSIA
from domain.committee import COMMITTEE_KEEPERS
from domain.errors import IllegalTransition, InvalidValue, NotPermitted
from domain.meeting import Meeting

TEXT_MAX = 4000


class ActionBy(StrEnum):
    """Who must act on a decision."""

    MANAGEMENT = "management"
    COMMITTEE = "committee"
    CONTRACTOR = "contractor"
    AGENCY = "agency"


class Answer(StrEnum):
    """Management's answer to a decision."""

    ACCEPT = "accept"
    ACCEPT_IN_PART = "accept_in_part"
    REJECT = "reject"


class DecisionStatus(StrEnum):
    """Where a decision stands."""

    MADE = "made"
    ACCEPTED = "accepted"
    PARTLY_ACCEPTED = "partly_accepted"
    REJECTED = "rejected"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    VERIFIED = "verified"


ANSWERED = {
    Answer.ACCEPT: DecisionStatus.ACCEPTED,
    Answer.ACCEPT_IN_PART: DecisionStatus.PARTLY_ACCEPTED,
    Answer.REJECT: DecisionStatus.REJECTED,
}
#: States in which the work goes on (progress may be reported, the work marked done).
WORKING = frozenset(
    {DecisionStatus.ACCEPTED, DecisionStatus.PARTLY_ACCEPTED, DecisionStatus.IN_PROGRESS}
)
MANAGERS = frozenset({Role.MANAGEMENT, Role.ADMIN})


def _text(field: str, value: str | None, *, required: bool = True) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise InvalidValue(field, "must not be empty")
        return None
    if len(cleaned) > TEXT_MAX:
        raise InvalidValue(field, "must be at most {limit} characters", limit=TEXT_MAX)
    return cleaned


class Decision(K2KAggregate):
    """What a quorate committee meeting decided must happen, and what came of it."""

    @event("Made")
    def __init__(
        self,
        ppr_code: str,
        meeting_id: str,
        motion_number: int,
        text: str,
        case_ids: list[str],
        action_by: str,
        due_date: date,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
    ) -> None:
        self.ppr_code = ppr_code
        self.meeting_id = meeting_id
        self.motion_number = motion_number
        self.text = text
        self.case_ids = case_ids
        self.action_by = action_by
        self.due_date = due_date
        self.made_at = occurred_at
        self.status = DecisionStatus.MADE.value
        self.answer: str | None = None
        self.answer_reason: str | None = None
        self.answered_at: datetime | None = None
        self.commitment_date: date | None = None
        self.progress_percent = 0
        self.done_at: datetime | None = None
        self.verified_at: datetime | None = None
        self.last_occurred_at = occurred_at

    @classmethod
    def make(
        cls,
        actor: Actor,
        meeting: Meeting,
        *,
        motion_number: int,
        text: str,
        case_ids: list[str],
        action_by: ActionBy,
        due_date: date,
        occurred_at: datetime | None = None,
    ) -> Decision:
        """Record a decision of a held, quorate meeting on a carried motion."""
        if actor.role not in COMMITTEE_KEEPERS:
            raise NotPermitted("only the committee (or admin) records decisions")
        meeting.require_decision_allowed(motion_number)
        when = occurred(actor, occurred_at, meeting.held_at)
        if due_date < when.astimezone(MALAYSIA).date():
            raise InvalidValue("due_date", "must not be before the day of the decision")
        return cls(
            ppr_code=meeting.ppr_code,
            meeting_id=str(meeting.id),
            motion_number=motion_number,
            text=str(_text("text", text)),
            case_ids=list(dict.fromkeys(case_ids)),
            action_by=action_by.value,
            due_date=due_date,
            actor_id=actor.principal_id,
            actor_role=actor.role.value,
            occurred_at=when,
        )

    def _stamp(self, actor: Actor, occurred_at: datetime | None) -> dict[str, Any]:
        return {
            "actor_id": actor.principal_id,
            "actor_role": actor.role.value,
            "occurred_at": occurred(actor, occurred_at, self.last_occurred_at),
        }

    @property
    def current_status(self) -> DecisionStatus:
        """The status as an enum member."""
        return DecisionStatus(self.status)

    def respond(
        self,
        actor: Actor,
        answer: Answer,
        reason: str | None = None,
        commitment_date: date | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        """Management answers: accept, accept in part or reject (the last two with a reason)."""
        if actor.role not in MANAGERS:
            raise NotPermitted("only management answers committee decisions")
        if self.current_status is not DecisionStatus.MADE:
            raise IllegalTransition(
                "the decision was answered already ({decision_status})",
                decision_status=self.status,
            )
        reason = _text("reason", reason, required=answer is not Answer.ACCEPT)
        if answer is not Answer.REJECT and commitment_date is None:
            raise InvalidValue("commitment_date", "say by when management will act")
        stamp = self._stamp(actor, occurred_at)
        if (
            commitment_date is not None
            and commitment_date < stamp["occurred_at"].astimezone(MALAYSIA).date()
        ):
            raise InvalidValue("commitment_date", "must not be before the day of the answer")
        self._respond(
            answer=answer.value,
            reason=reason,
            commitment_date=commitment_date,
            status=ANSWERED[answer].value,
            **stamp,
        )

    @event("ManagementAnswered")
    def _respond(
        self,
        answer: str,
        reason: str | None,
        commitment_date: date | None,
        status: str,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
    ) -> None:
        self.answer = answer
        self.answer_reason = reason
        self.answered_at = occurred_at
        self.commitment_date = commitment_date
        self.status = status
        self.last_occurred_at = occurred_at

    def report_progress(
        self, actor: Actor, percent: int, note: str, occurred_at: datetime | None = None
    ) -> None:
        """Management reports how far the work has come."""
        if actor.role not in MANAGERS:
            raise NotPermitted("only management reports progress on decisions")
        if self.current_status not in WORKING:
            raise IllegalTransition(
                "cannot report progress on a decision that is {decision_status}",
                decision_status=self.status,
            )
        if not 0 <= percent <= 100:
            raise InvalidValue("percent", "must be between 0 and 100")
        self._report_progress(
            percent=percent,
            note=str(_text("note", note)),
            status=DecisionStatus.IN_PROGRESS.value,
            **self._stamp(actor, occurred_at),
        )

    @event("ProgressReported")
    def _report_progress(
        self,
        percent: int,
        note: str,
        status: str,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
    ) -> None:
        self.progress_percent = percent
        self.status = status
        self.last_occurred_at = occurred_at

    def mark_done(self, actor: Actor, note: str, occurred_at: datetime | None = None) -> None:
        """Management says the work is done; the committee then verifies it."""
        if actor.role not in MANAGERS:
            raise NotPermitted("only management marks decisions done")
        if self.current_status not in WORKING:
            raise IllegalTransition(
                "cannot mark a decision that is {decision_status} done",
                decision_status=self.status,
            )
        self._mark_done(
            note=str(_text("note", note)),
            status=DecisionStatus.DONE.value,
            **self._stamp(actor, occurred_at),
        )

    @event("MarkedDone")
    def _mark_done(
        self, note: str, status: str, actor_id: str, actor_role: str, occurred_at: datetime
    ) -> None:
        self.progress_percent = 100
        self.done_at = occurred_at
        self.status = status
        self.last_occurred_at = occurred_at

    def verify(
        self, actor: Actor, note: str | None = None, occurred_at: datetime | None = None
    ) -> None:
        """The committee confirms the work was done."""
        if actor.role not in COMMITTEE_KEEPERS:
            raise NotPermitted("only the committee verifies decisions")
        if self.current_status is not DecisionStatus.DONE:
            raise IllegalTransition(
                "cannot verify a decision that is {decision_status}", decision_status=self.status
            )
        self._verify(
            note=_text("note", note, required=False),
            status=DecisionStatus.VERIFIED.value,
            **self._stamp(actor, occurred_at),
        )

    @event("CompletionVerified")
    def _verify(
        self, note: str | None, status: str, actor_id: str, actor_role: str, occurred_at: datetime
    ) -> None:
        self.verified_at = occurred_at
        self.status = status
        self.last_occurred_at = occurred_at

    def dispute_completion(
        self, actor: Actor, reason: str, occurred_at: datetime | None = None
    ) -> None:
        """The committee says the work is not done; it goes back to management."""
        if actor.role not in COMMITTEE_KEEPERS:
            raise NotPermitted("only the committee disputes the completion of decisions")
        if self.current_status is not DecisionStatus.DONE:
            raise IllegalTransition(
                "cannot dispute a decision that is {decision_status}", decision_status=self.status
            )
        self._dispute_completion(
            reason=str(_text("reason", reason)),
            status=DecisionStatus.IN_PROGRESS.value,
            **self._stamp(actor, occurred_at),
        )

    @event("CompletionDisputed")
    def _dispute_completion(
        self, reason: str, status: str, actor_id: str, actor_role: str, occurred_at: datetime
    ) -> None:
        self.done_at = None
        self.status = status
        self.last_occurred_at = occurred_at
