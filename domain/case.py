"""The case aggregate: one problem reported by a resident, from report to an honest outcome.

Every event records who acted (principal id and role), when it happened (``occurred_at``, which
committee and admin may set in the past to backfill paper logbooks) and, so that readers never have
to re-derive the state machine, the case's status and whose move it is *after* the event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain import clock
from domain.actors import Actor, Role
from domain.base import K2KAggregate, occurred, refuse_control_characters
from domain.errors import IllegalTransition, InvalidValue, NotPermitted

TITLE_MAX = 140
TEXT_MAX = 4000
#: A report carries at most this many photos, and its reporter adds no more than that in all.
REPORT_PHOTOS_MAX = 3
#: Photos one case holds in all: the reporter's plus committee's and management's ("after" shots).
CASE_PHOTOS_MAX = 10
#: The forms a stored photo may take (the service re-encodes every upload to one of them).
PHOTO_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class Status(StrEnum):
    """Where a case stands (DESIGN §4)."""

    REPORTED = "reported"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    NO_FURTHER_ACTION = "no_further_action"
    DUPLICATE = "duplicate"
    WITHDRAWN = "withdrawn"


#: Outcomes: nothing but comments happens to a case after one of these.
TERMINAL = frozenset({Status.CLOSED, Status.NO_FURTHER_ACTION, Status.DUPLICATE, Status.WITHDRAWN})
#: States in which management (or whoever is assigned) is working the case.
IN_WORK = frozenset({Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED})
#: States in which the case can still be withdrawn, closed without action or merged.
UNRESOLVED = frozenset({Status.REPORTED}) | IN_WORK


class Party(StrEnum):
    """Who holds the next move on a case."""

    MANAGEMENT = "management"
    COMMITTEE = "committee"
    CONTRACTOR = "contractor"
    RESIDENT = "resident"


#: Parties a case can be assigned to (a resident is never assigned work).
ASSIGNABLE = frozenset({Party.MANAGEMENT, Party.COMMITTEE, Party.CONTRACTOR})


class Channel(StrEnum):
    """How the report reached us."""

    APP = "app"
    WEB = "web"
    PHONE = "phone"
    WHATSAPP = "whatsapp"
    PAPER = "paper"
    MEETING = "meeting"
    OPEN311 = "open311"


CASE_WORKERS = frozenset({Role.MANAGEMENT, Role.COMMITTEE, Role.ADMIN})
MANAGERS = frozenset({Role.MANAGEMENT, Role.ADMIN})
REPORTERS = frozenset(
    {Role.RESIDENT, Role.COMMITTEE, Role.MANAGEMENT, Role.ADMIN, Role.INTEGRATION}
)
COMMENTERS = REPORTERS
INTERNAL_COMMENTERS = CASE_WORKERS | {Role.SYSTEM}
#: Who may record a resident's confirmation or dispute on their behalf (given in person or on paper).
ON_BEHALF_OF_RESIDENT = frozenset({Role.COMMITTEE, Role.ADMIN})


@dataclass(frozen=True)
class Location:
    """Where in the PPR: a block, and either a unit or a common area, with an optional floor."""

    block: str
    floor: str | None = None
    unit: str | None = None
    common_area: str | None = None

    def validate(self) -> None:
        """A location names a unit or a common area, not both and not neither."""
        if bool(self.unit) == bool(self.common_area):
            raise InvalidValue("unit", "give either a unit or a common area (not both)")
        for name in ("floor", "unit", "common_area"):
            value = getattr(self, name)
            if value is not None and len(value) > 60:
                raise InvalidValue(name, "must be at most 60 characters")
            if value is not None:
                refuse_control_characters(name, value)


@dataclass(frozen=True)
class PhotoRef:
    """A stored photo as a case records it: the SHA-256 of its bytes and what they are, never the bytes.

    The bytes live in the photo store under the hash; the service stores them (stripped of their
    metadata) before it records the event, so an event never names a photo that is not stored.
    """

    sha256: str
    content_type: str
    byte_size: int
    width: int
    height: int

    def validate(self) -> None:
        """A hash of 64 lower-case hex digits, a known content type and positive sizes."""
        if not (isinstance(self.sha256, str) and _SHA256_HEX.fullmatch(self.sha256)):
            raise InvalidValue("photo", "sha256 must be 64 lower-case hexadecimal digits")
        if self.content_type not in PHOTO_CONTENT_TYPES:
            allowed = ", ".join(sorted(PHOTO_CONTENT_TYPES))
            raise InvalidValue("photo", "content_type must be one of {types}", types=allowed)
        for name in ("byte_size", "width", "height"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidValue("photo", "{name} must be a positive whole number", name=name)


def _require(actor: Actor, roles: frozenset[Role], doing: str) -> None:
    if actor.role not in roles:
        allowed = ", ".join(sorted(role.value for role in roles))
        raise NotPermitted(
            "a {role} may not {doing} (allowed: {roles})",
            role=actor.role.value,
            doing=doing,
            roles=allowed,
        )


def _text(field: str, value: str | None, limit: int, *, required: bool) -> str | None:
    cleaned = refuse_control_characters(field, (value or "").strip())
    if not cleaned:
        if required:
            raise InvalidValue(field, "must not be empty")
        return None
    if len(cleaned) > limit:
        raise InvalidValue(field, "must be at most {limit} characters", limit=limit)
    return cleaned


def _required_text(field: str, value: str | None, limit: int = TEXT_MAX) -> str:
    cleaned = _text(field, value, limit, required=True)
    assert cleaned is not None
    return cleaned


class Case(K2KAggregate):
    """A reported problem and everything that happened to it."""

    @event("Reported")
    def __init__(
        self,
        ppr_code: str,
        block: str,
        floor: str | None,
        unit: str | None,
        common_area: str | None,
        category_code: str,
        title: str,
        description: str,
        channel: str,
        anonymous: bool,
        private: bool,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
        id: UUID | None = None,  # report() may choose the id; the event does not store it
    ) -> None:
        self.ppr_code = ppr_code
        self.block = block
        self.floor = floor
        self.unit = unit
        self.common_area = common_area
        self.category_code = category_code
        self.title = title
        self.description = description
        self.channel = channel
        self.anonymous = anonymous
        self.private = private
        self.reporter_id = actor_id
        self.reporter_role = actor_role
        self.reported_at = occurred_at
        self.assigned_to: str | None = None
        self.assignee: str | None = None
        self.commitment_date: date | None = None
        self.supporter_ids: list[str] = []
        self.comment_count = 0
        self.public_comment_count = 0
        self.closed_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.reopen_count = 0
        self.rating: int | None = None
        self.duplicate_of: str | None = None
        self.designated_priority = False
        #: SLA targets whose breach is recorded (see ``recorded_breaches`` for older snapshots).
        self.sla_breaches: list[str] = []
        #: Attached photos, oldest first (see ``photos`` for snapshots from before photos).
        self.attached_photos: list[dict[str, Any]] = []
        self._record(occurred_at, status, whose_move)

    def _record(self, occurred_at: datetime, status: str, whose_move: str | None) -> None:
        self.last_occurred_at = occurred_at
        self.status = status
        self.whose_move = whose_move
        # The outcome's time is when it was first reached; later comments do not move it.
        if self.closed_at is None and Status(status) in TERMINAL:
            self.closed_at = occurred_at

    # -- reporting ---------------------------------------------------------------------------

    @classmethod
    def report(
        cls,
        actor: Actor,
        *,
        ppr_code: str,
        location: Location,
        category_code: str,
        title: str,
        description: str,
        channel: Channel,
        anonymous: bool = False,
        private: bool = False,
        occurred_at: datetime | None = None,
        case_id: UUID | None = None,
    ) -> Case:
        """Report a new problem. The PPR's blocks and categories are checked by the application."""
        _require(actor, REPORTERS, "report a case")
        location.validate()
        kwargs: dict[str, Any] = {}
        if case_id is not None:
            kwargs["id"] = case_id
        return cls(
            ppr_code=ppr_code,
            block=location.block,
            floor=location.floor,
            unit=location.unit,
            common_area=location.common_area,
            category_code=category_code,
            title=_required_text("title", title, TITLE_MAX),
            description=_required_text("description", description),
            channel=channel.value,
            anonymous=anonymous,
            private=private,
            actor_id=actor.principal_id,
            actor_role=actor.role.value,
            occurred_at=occurred(actor, occurred_at, None),
            status=Status.REPORTED.value,
            whose_move=Party.MANAGEMENT.value,
            **kwargs,
        )

    # -- helpers -----------------------------------------------------------------------------

    @property
    def current_status(self) -> Status:
        """The status as an enum member."""
        return Status(self.status)

    def is_reporter(self, actor: Actor) -> bool:
        """Whether ``actor`` reported this case."""
        return actor.principal_id == self.reporter_id

    def _stamp(
        self, actor: Actor, occurred_at: datetime | None, status: Status, whose_move: Party | None
    ) -> dict[str, Any]:
        return {
            "actor_id": actor.principal_id,
            "actor_role": actor.role.value,
            "occurred_at": occurred(actor, occurred_at, self.last_occurred_at),
            "status": status.value,
            "whose_move": whose_move.value if whose_move else None,
        }

    def _unchanged(self, actor: Actor, occurred_at: datetime | None) -> dict[str, Any]:
        move = Party(self.whose_move) if self.whose_move else None
        return self._stamp(actor, occurred_at, self.current_status, move)

    def _require_status(self, allowed: frozenset[Status], doing: str) -> None:
        if self.current_status not in allowed:
            raise IllegalTransition(
                "cannot {doing} a case that is {status}", doing=doing, status=self.status
            )

    def _require_reporter_or_proxy(self, actor: Actor, doing: str) -> None:
        if not (self.is_reporter(actor) or actor.role in ON_BEHALF_OF_RESIDENT):
            raise NotPermitted(
                "only the reporter (or the committee for them) may {doing}", doing=doing
            )

    # -- management and committee work --------------------------------------------------------

    def acknowledge(
        self, actor: Actor, note: str | None = None, occurred_at: datetime | None = None
    ) -> None:
        """Management confirms it has seen the case and will act."""
        _require(actor, MANAGERS, "acknowledge a case")
        self._require_status(frozenset({Status.REPORTED}), "acknowledge")
        self._acknowledge(
            note=_text("note", note, TEXT_MAX, required=False),
            **self._stamp(actor, occurred_at, Status.ACKNOWLEDGED, Party.MANAGEMENT),
        )

    @event("Acknowledged")
    def _acknowledge(
        self,
        note: str | None,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self._record(occurred_at, status, whose_move)

    def recategorise(
        self,
        actor: Actor,
        category_code: str,
        reason: str | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        """Move the case to another category (the PPR's categories are checked by the application)."""
        _require(actor, CASE_WORKERS, "recategorise a case")
        self._require_status(UNRESOLVED | {Status.RESOLVED}, "recategorise")
        if category_code == self.category_code:
            raise InvalidValue(
                "category", "the case is already in {category}", category=category_code
            )
        self._recategorise(
            from_category=self.category_code,
            category_code=category_code,
            reason=_text("reason", reason, TEXT_MAX, required=False),
            **self._unchanged(actor, occurred_at),
        )

    @event("Recategorised")
    def _recategorise(
        self,
        from_category: str,
        category_code: str,
        reason: str | None,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self.category_code = category_code
        self._record(occurred_at, status, whose_move)

    def assign(
        self,
        actor: Actor,
        to: Party,
        assignee: str | None = None,
        note: str | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        """Give the work to management, the committee or a contractor; it becomes their move."""
        _require(actor, CASE_WORKERS, "assign a case")
        if to not in ASSIGNABLE:
            raise InvalidValue("to", "assign to management, committee or contractor")
        if self.current_status is Status.REPORTED:
            raise IllegalTransition("acknowledge the case before assigning it")
        self._require_status(IN_WORK, "assign")
        self._assign(
            to=to.value,
            assignee=_text("assignee", assignee, 120, required=False),
            note=_text("note", note, TEXT_MAX, required=False),
            **self._stamp(actor, occurred_at, Status.IN_PROGRESS, to),
        )

    @event("Assigned")
    def _assign(
        self,
        to: str,
        assignee: str | None,
        note: str | None,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self.assigned_to = to
        self.assignee = assignee
        self._record(occurred_at, status, whose_move)

    def respond(
        self,
        actor: Actor,
        message: str,
        commitment_date: date | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        """Management answers publicly, optionally committing to a date for the fix."""
        _require(actor, MANAGERS, "respond for management")
        self._require_status(IN_WORK, "respond to")
        stamp = self._unchanged(actor, occurred_at)
        # Commitment dates are calendar days in Malaysia, where the response is read.
        response_day = stamp["occurred_at"].astimezone(clock.MALAYSIA).date()
        if commitment_date is not None and commitment_date < response_day:
            raise InvalidValue("commitment_date", "must not be before the day of the response")
        stamp["status"] = Status.IN_PROGRESS.value
        self._respond(
            message=_required_text("message", message), commitment_date=commitment_date, **stamp
        )

    @event("ManagementResponded")
    def _respond(
        self,
        message: str,
        commitment_date: date | None,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        if commitment_date is not None:
            self.commitment_date = commitment_date
        self._record(occurred_at, status, whose_move)

    def resolve(self, actor: Actor, note: str, occurred_at: datetime | None = None) -> None:
        """Claim the problem is fixed; the reporter now confirms or disputes it."""
        _require(actor, CASE_WORKERS, "resolve a case")
        self._require_status(IN_WORK, "resolve")
        self._resolve(
            note=_required_text("note", note),
            **self._stamp(actor, occurred_at, Status.RESOLVED, Party.RESIDENT),
        )

    @event("Resolved")
    def _resolve(
        self,
        note: str,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self.resolved_at = occurred_at
        self._record(occurred_at, status, whose_move)

    # -- the resident's answer ----------------------------------------------------------------

    def dispute_window_ends(self, dispute_window_days: int) -> datetime:
        """When the reporter's right to dispute the current resolution runs out."""
        assert self.resolved_at is not None
        return self.resolved_at + timedelta(days=dispute_window_days)

    def confirm(
        self,
        actor: Actor,
        rating: int,
        comment: str | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        """The reporter confirms the fix (resident-verified) with a 1-5 satisfaction rating."""
        self._require_reporter_or_proxy(actor, "confirm a fix")
        self._require_status(frozenset({Status.RESOLVED}), "confirm the fix of")
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise InvalidValue("rating", "must be a whole number from 1 to 5")
        self._confirm(
            rating=rating,
            comment=_text("comment", comment, TEXT_MAX, required=False),
            **self._stamp(actor, occurred_at, Status.CLOSED, None),
        )

    @event("ResolutionConfirmed")
    def _confirm(
        self,
        rating: int,
        comment: str | None,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self.rating = rating
        self._record(occurred_at, status, whose_move)

    def dispute(
        self,
        actor: Actor,
        reason: str,
        dispute_window_days: int,
        occurred_at: datetime | None = None,
    ) -> None:
        """The reporter says the fix did not work; the case reopens and goes back to management."""
        self._require_reporter_or_proxy(actor, "dispute a fix")
        self._require_status(frozenset({Status.RESOLVED}), "dispute the fix of")
        stamp = self._stamp(actor, occurred_at, Status.REOPENED, Party.MANAGEMENT)
        ends = self.dispute_window_ends(dispute_window_days)
        if stamp["occurred_at"] > ends:
            raise IllegalTransition("the dispute window closed at {ends}", ends=ends.isoformat())
        self._dispute(reason=_required_text("reason", reason), **stamp)

    @event("ResolutionDisputed")
    def _dispute(
        self,
        reason: str,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self.reopen_count += 1
        self._record(occurred_at, status, whose_move)

    def close(
        self, actor: Actor, dispute_window_days: int, occurred_at: datetime | None = None
    ) -> None:
        """Close a resolved case whose dispute window ran out without a dispute."""
        _require(actor, CASE_WORKERS | {Role.SYSTEM}, "close a case")
        self._require_status(frozenset({Status.RESOLVED}), "close")
        stamp = self._stamp(actor, occurred_at, Status.CLOSED, None)
        ends = self.dispute_window_ends(dispute_window_days)
        if stamp["occurred_at"] < ends:
            raise IllegalTransition(
                "the reporter may dispute the fix until {ends}; close after that",
                ends=ends.isoformat(),
            )
        self._close(reason="dispute_window_elapsed", **stamp)

    @event("Closed")
    def _close(
        self,
        reason: str,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self._record(occurred_at, status, whose_move)

    # -- other outcomes ----------------------------------------------------------------------

    def decide_no_further_action(
        self, actor: Actor, reason: str, occurred_at: datetime | None = None
    ) -> None:
        """End the case without a fix, saying why (not our responsibility, cannot be done, ...)."""
        _require(actor, CASE_WORKERS, "close a case without action")
        self._require_status(UNRESOLVED, "close without action")
        self._decide_no_further_action(
            reason=_required_text("reason", reason),
            **self._stamp(actor, occurred_at, Status.NO_FURTHER_ACTION, None),
        )

    @event("NoFurtherActionDecided")
    def _decide_no_further_action(
        self,
        reason: str,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self._record(occurred_at, status, whose_move)

    def mark_duplicate(
        self, actor: Actor, original: Case, occurred_at: datetime | None = None
    ) -> None:
        """Merge into an earlier report of the same problem in the same PPR."""
        _require(actor, CASE_WORKERS, "mark a case as a duplicate")
        self._require_status(UNRESOLVED, "mark as duplicate")
        if original.id == self.id:
            raise InvalidValue("duplicate_of", "a case cannot duplicate itself")
        if original.ppr_code != self.ppr_code:
            raise InvalidValue("duplicate_of", "the original case must be in the same PPR")
        if original.duplicate_of is not None:
            raise InvalidValue(
                "duplicate_of",
                "that case is itself a duplicate of {original}",
                original=original.duplicate_of,
            )
        self._mark_duplicate(
            duplicate_of=str(original.id),
            **self._stamp(actor, occurred_at, Status.DUPLICATE, None),
        )

    @event("MarkedDuplicate")
    def _mark_duplicate(
        self,
        duplicate_of: str,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self.duplicate_of = duplicate_of
        self._record(occurred_at, status, whose_move)

    def withdraw(
        self, actor: Actor, reason: str | None = None, occurred_at: datetime | None = None
    ) -> None:
        """The reporter takes the report back."""
        if not (self.is_reporter(actor) or actor.role is Role.ADMIN):
            raise NotPermitted("only the reporter (or an admin) may withdraw a case")
        self._require_status(UNRESOLVED, "withdraw")
        self._withdraw(
            reason=_text("reason", reason, TEXT_MAX, required=False),
            **self._stamp(actor, occurred_at, Status.WITHDRAWN, None),
        )

    @event("Withdrawn")
    def _withdraw(
        self,
        reason: str | None,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self._record(occurred_at, status, whose_move)

    # -- conversation --------------------------------------------------------------------------

    def add_comment(
        self, actor: Actor, text: str, internal: bool = False, occurred_at: datetime | None = None
    ) -> None:
        """Add a public comment, or an internal note that only committee and management see."""
        _require(actor, COMMENTERS | {Role.SYSTEM}, "comment on a case")
        if internal and actor.role not in INTERNAL_COMMENTERS:
            raise NotPermitted("only committee and management may add internal notes")
        self._add_comment(
            text=_required_text("text", text),
            internal=internal,
            **self._unchanged(actor, occurred_at),
        )

    @event("CommentAdded")
    def _add_comment(
        self,
        text: str,
        internal: bool,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self.comment_count += 1
        if not internal:
            self.public_comment_count += 1
        self._record(occurred_at, status, whose_move)

    # -- governance links -----------------------------------------------------------------------

    def _mirror(self, actor: Actor, when: datetime) -> dict[str, Any]:
        """The stamp of an event that mirrors another aggregate's validated event onto this case.

        Its time is the mirrored event's, moved up to the case's last event if the mirrored one
        was backfilled further back, so the case's events stay in order.
        """
        move = Party(self.whose_move) if self.whose_move else None
        return {
            "actor_id": actor.principal_id,
            "actor_role": actor.role.value,
            "occurred_at": max(when, self.last_occurred_at),
            "status": self.status,
            "whose_move": move.value if move else None,
        }

    def table(
        self,
        actor: Actor,
        meeting_id: str,
        item_number: int,
        scheduled_for: datetime,
        when: datetime,
    ) -> None:
        """The committee puts the case on a meeting's agenda."""
        _require(actor, CASE_WORKERS | {Role.SYSTEM}, "table a case")
        self._table(
            meeting_id=meeting_id,
            item_number=item_number,
            scheduled_for=scheduled_for,
            **self._mirror(actor, when),
        )

    @event("Tabled")
    def _table(
        self,
        meeting_id: str,
        item_number: int,
        scheduled_for: datetime,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self._record(occurred_at, status, whose_move)

    def record_decision_step(
        self, actor: Actor, decision_id: str, step: str, summary: str, when: datetime
    ) -> None:
        """A committee decision about this case moved on; the case's history shows each step."""
        self._record_decision_step(
            decision_id=decision_id,
            step=step,
            summary=summary,
            step_occurred_at=when,
            **self._mirror(actor, when),
        )

    @event("DecisionStepRecorded")
    def _record_decision_step(
        self,
        decision_id: str,
        step: str,
        summary: str,
        step_occurred_at: datetime,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self._record(occurred_at, status, whose_move)

    def designate_priority(
        self, actor: Actor, reason: str, occurred_at: datetime | None = None
    ) -> None:
        """The committee makes the case a community priority, saying why (minutes, a petition)."""
        _require(actor, frozenset({Role.COMMITTEE, Role.ADMIN}), "designate a priority")
        if self.designated_priority:
            raise IllegalTransition("the case is a designated priority already")
        if self.current_status in TERMINAL:
            raise IllegalTransition(
                "cannot make a case that is {status} a priority", status=self.status
            )
        self._designate_priority(
            reason=_required_text("reason", reason), **self._unchanged(actor, occurred_at)
        )

    @event("PriorityDesignated")
    def _designate_priority(
        self,
        reason: str,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self.designated_priority = True
        self._record(occurred_at, status, whose_move)

    def support(self, actor: Actor, occurred_at: datetime | None = None) -> None:
        """A resident says "me too": once per resident, never by the reporter."""
        _require(actor, frozenset({Role.RESIDENT}), "support a case")
        if self.is_reporter(actor):
            raise IllegalTransition("you reported this case; support is for other residents")
        if actor.principal_id in self.supporter_ids:
            raise IllegalTransition("you already support this case")
        if self.current_status in TERMINAL:
            raise IllegalTransition("cannot support a case that is {status}", status=self.status)
        self._support(**self._unchanged(actor, occurred_at))

    @event("Supported")
    def _support(
        self,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self.supporter_ids.append(actor_id)
        self._record(occurred_at, status, whose_move)

    # -- service level --------------------------------------------------------------------------

    @property
    def recorded_breaches(self) -> list[str]:
        """SLA targets whose breach is recorded; a snapshot from before breaches has none."""
        return list(getattr(self, "sla_breaches", []))

    def record_sla_breach(
        self, actor: Actor, target: str, due_at: datetime, target_hours: int
    ) -> None:
        """The service records, once per target, that the case missed it (history and metrics show it).

        Whether the target was missed is judged by the application from the case's events and the
        PPR's targets (``domain.sla``); the case guards that it is recorded only once.
        """
        _require(actor, frozenset({Role.SYSTEM}), "record an SLA breach")
        if target in self.recorded_breaches:
            raise IllegalTransition(
                "the {target} target's breach is recorded already", target=target
            )
        self._record_sla_breach(
            target=target, due_at=due_at, target_hours=target_hours, **self._mirror(actor, due_at)
        )

    @event("SlaBreached")
    def _record_sla_breach(
        self,
        target: str,
        due_at: datetime,
        target_hours: int,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self.sla_breaches = [*self.recorded_breaches, target]
        self._record(occurred_at, status, whose_move)

    # -- photos -----------------------------------------------------------------------------

    @property
    def photos(self) -> list[dict[str, Any]]:
        """Attached photos, oldest first; a snapshot from before photos has none."""
        return list(getattr(self, "attached_photos", []))

    def photo(self, sha256: str) -> dict[str, Any] | None:
        """The attached photo with this hash, or None."""
        return next((photo for photo in self.photos if photo["sha256"] == sha256), None)

    def check_may_attach_photo(self, actor: Actor) -> None:
        """Refuse unless ``actor`` may attach one more photo now (checked before an upload is stored).

        The reporter documents their own problem; committee and management add evidence of the
        work (an "after" photo with a fix). Other residents support the case instead, so that a
        report shows what its reporter chose to show. A finished case's record is closed to new
        photos: the outcome was judged on what it held (comments remain for later remarks).
        """
        if not (self.is_reporter(actor) or actor.role in CASE_WORKERS):
            raise NotPermitted("only the reporter, the committee and management may attach photos")
        if self.current_status in TERMINAL:
            raise IllegalTransition(
                "cannot attach photos to a case that is {status}", status=self.status
            )
        photos = self.photos
        if len(photos) >= CASE_PHOTOS_MAX:
            raise IllegalTransition("a case holds at most {most} photos", most=CASE_PHOTOS_MAX)
        if self.is_reporter(actor) and actor.role not in CASE_WORKERS:
            own = sum(1 for photo in photos if photo["attached_by"] == actor.principal_id)
            if own >= REPORT_PHOTOS_MAX:
                raise IllegalTransition(
                    "a reporter attaches at most {most} photos to their case",
                    most=REPORT_PHOTOS_MAX,
                )

    def attach_photo(
        self, actor: Actor, photo: PhotoRef, occurred_at: datetime | None = None
    ) -> None:
        """Attach a stored photo; the same photo (the same hash) twice on one case is refused."""
        photo.validate()
        self.check_may_attach_photo(actor)
        if self.photo(photo.sha256) is not None:
            raise IllegalTransition("this photo is attached to the case already")
        self._attach_photo(
            sha256=photo.sha256,
            content_type=photo.content_type,
            byte_size=photo.byte_size,
            width=photo.width,
            height=photo.height,
            **self._unchanged(actor, occurred_at),
        )

    @event("PhotoAttached")
    def _attach_photo(
        self,
        sha256: str,
        content_type: str,
        byte_size: int,
        width: int,
        height: int,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        status: str,
        whose_move: str | None,
    ) -> None:
        self.attached_photos = [
            *self.photos,
            {
                "sha256": sha256,
                "content_type": content_type,
                "byte_size": byte_size,
                "width": width,
                "height": height,
                "attached_by": actor_id,
                "attached_by_role": actor_role,
                "attached_at": occurred_at,
            },
        ]
        self._record(occurred_at, status, whose_move)
