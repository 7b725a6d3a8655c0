"""Committee meetings: agenda, attendance and quorum, motions and votes, published minutes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import event

from domain import clock
from domain.actors import Actor
from domain.base import K2KAggregate, occurred
from domain.committee import COMMITTEE_KEEPERS, AgeBand, Gender
from domain.errors import IllegalTransition, InvalidValue, NotPermitted

TEXT_MAX = 4000
MINUTES_MAX = 50_000
#: More people than any PPR hall holds: a count above it is a typing error, refused.
MAX_ATTENDANCE = 10_000


class MeetingStatus(StrEnum):
    """Where a meeting stands."""

    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class VoteMethod(StrEnum):
    """How a motion was decided."""

    VOTE = "vote"
    CONSENSUS = "consensus"


def _require_keeper(actor: Actor, doing: str) -> None:
    if actor.role not in COMMITTEE_KEEPERS:
        raise NotPermitted("only the committee (or admin) may {doing}", doing=doing)


def _text(field: str, value: str, limit: int = TEXT_MAX) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InvalidValue(field, "must not be empty")
    if len(cleaned) > limit:
        raise InvalidValue(field, "must be at most {limit} characters", limit=limit)
    return cleaned


def resident_group(gender: Gender | None, age_band: AgeBand | None) -> str:
    """The key under which residents attending are counted: ``gender/age band`` (or "undeclared")."""
    return (
        f"{gender.value if gender else 'undeclared'}/{age_band.value if age_band else 'undeclared'}"
    )


#: Every key residents may be counted under: each gender and age band, either undeclared.
RESIDENT_GROUPS = frozenset(
    resident_group(gender, band) for gender in (*Gender, None) for band in (*AgeBand, None)
)


class Meeting(K2KAggregate):
    """One meeting of a PPR's committee."""

    @event("Scheduled")
    def __init__(
        self,
        ppr_code: str,
        scheduled_for: datetime,
        place: str,
        agenda: list[dict[str, Any]],
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
    ) -> None:
        self.ppr_code = ppr_code
        self.scheduled_for = scheduled_for
        self.place = place
        self.agenda = agenda
        self.status = MeetingStatus.SCHEDULED.value
        self.held_at: datetime | None = None
        self.members_present: list[str] = []
        self.quorum_required: int | None = None
        self.quorum_met: bool | None = None
        self.residents_attending: dict[str, int] | None = None
        self.resident_ids: list[str] = []
        self.management_present: int | None = None
        self.motions: list[dict[str, Any]] = []
        self.minutes: str | None = None
        self.minutes_published_at: datetime | None = None
        self.last_occurred_at = occurred_at

    @classmethod
    def schedule(
        cls,
        actor: Actor,
        ppr_code: str,
        scheduled_for: datetime,
        place: str,
        agenda: list[tuple[str, list[str]]],
        occurred_at: datetime | None = None,
    ) -> Meeting:
        """Schedule a meeting with an agenda of (title, case ids) items."""
        _require_keeper(actor, "schedule a meeting")
        return cls(
            ppr_code=ppr_code,
            scheduled_for=clock.as_utc(scheduled_for),
            place=_text("place", place, 200),
            agenda=[
                {"number": number, "title": _text("agenda", title, 300), "case_ids": case_ids}
                for number, (title, case_ids) in enumerate(agenda, start=1)
            ],
            actor_id=actor.principal_id,
            actor_role=actor.role.value,
            occurred_at=occurred(actor, occurred_at, None),
        )

    def _stamp(self, actor: Actor, occurred_at: datetime | None) -> dict[str, Any]:
        return {
            "actor_id": actor.principal_id,
            "actor_role": actor.role.value,
            "occurred_at": occurred(actor, occurred_at, self.last_occurred_at),
        }

    def _require_status(self, status: MeetingStatus, doing: str) -> None:
        if self.status != status.value:
            raise IllegalTransition(
                "cannot {doing} a meeting that is {meeting_status}",
                doing=doing,
                meeting_status=self.status,
            )

    def add_agenda_item(
        self, actor: Actor, title: str, case_ids: list[str], occurred_at: datetime | None = None
    ) -> int:
        """Add an item (optionally about cases) before the meeting is held; returns its number."""
        _require_keeper(actor, "change the agenda")
        self._require_status(MeetingStatus.SCHEDULED, "change the agenda of")
        number = len(self.agenda) + 1
        self._add_agenda_item(
            number=number,
            title=_text("title", title, 300),
            case_ids=case_ids,
            **self._stamp(actor, occurred_at),
        )
        return number

    @event("AgendaItemAdded")
    def _add_agenda_item(
        self,
        number: int,
        title: str,
        case_ids: list[str],
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
    ) -> None:
        self.agenda.append({"number": number, "title": title, "case_ids": case_ids})
        self.last_occurred_at = occurred_at

    def hold(
        self,
        actor: Actor,
        *,
        members_present: list[str],
        members_seated: list[str],
        quorum_required: int,
        residents_attending: dict[str, int],
        management_present: int,
        resident_ids: list[str] | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        """Record that the meeting took place, with who attended and whether it was quorate.

        ``residents_attending`` counts residents by ``gender/age band`` group; ``resident_ids``
        optionally names residents who signed the attendance register (for distinct attendance).

        ``members_seated`` and ``quorum_required`` come from the committee as it stood when the
        meeting was held. A meeting without quorum is recorded all the same; it cannot decide.
        """
        _require_keeper(actor, "record a meeting")
        self._require_status(MeetingStatus.SCHEDULED, "hold")
        present = list(dict.fromkeys(members_present))
        strangers = sorted(set(present) - set(members_seated))
        if strangers:
            raise InvalidValue(
                "members_present",
                "not on the committee then: {strangers}",
                strangers=", ".join(strangers),
            )
        for group, count in residents_attending.items():
            if group not in RESIDENT_GROUPS:
                raise InvalidValue(
                    "residents_attending",
                    "{group!r} is not a group: use 'gender/age band' such as 'female/35-44' "
                    "(either part may be 'undeclared')",
                    group=group,
                )
            if not 0 <= count <= MAX_ATTENDANCE:
                raise InvalidValue(
                    "residents_attending",
                    "{group}: a count must be 0-{most}",
                    group=group,
                    most=MAX_ATTENDANCE,
                )
        if not 0 <= management_present <= MAX_ATTENDANCE:
            raise InvalidValue("management_present", "must be 0-{most}", most=MAX_ATTENDANCE)
        self._hold(
            members_present=present,
            members_seated=len(members_seated),
            quorum_required=quorum_required,
            quorum_met=len(present) >= quorum_required,
            residents_attending={k: v for k, v in residents_attending.items() if v},
            management_present=management_present,
            resident_ids=list(dict.fromkeys(resident_ids or [])),
            **self._stamp(actor, occurred_at),
        )

    @event("Held")
    def _hold(
        self,
        members_present: list[str],
        members_seated: int,
        quorum_required: int,
        quorum_met: bool,
        residents_attending: dict[str, int],
        management_present: int,
        resident_ids: list[str],
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
    ) -> None:
        self.status = MeetingStatus.HELD.value
        self.held_at = occurred_at
        self.members_present = members_present
        self.quorum_required = quorum_required
        self.quorum_met = quorum_met
        self.residents_attending = residents_attending
        self.resident_ids = resident_ids
        self.management_present = management_present
        self.last_occurred_at = occurred_at

    def record_motion(
        self,
        actor: Actor,
        *,
        item_number: int,
        text: str,
        method: VoteMethod,
        votes_for: int = 0,
        votes_against: int = 0,
        abstentions: int = 0,
        occurred_at: datetime | None = None,
    ) -> int:
        """Record a motion and its outcome; returns the motion's number.

        A vote carries when more members vote for than against (abstentions count for neither);
        no more members can vote than were present. Consensus carries by definition.
        """
        _require_keeper(actor, "record a motion")
        self._require_status(MeetingStatus.HELD, "record a motion at")
        if not any(item["number"] == item_number for item in self.agenda):
            raise InvalidValue("item_number", "the agenda has no item {number}", number=item_number)
        if method is VoteMethod.CONSENSUS:
            votes_for = votes_against = abstentions = 0
            carried = True
        else:
            if min(votes_for, votes_against, abstentions) < 0:
                raise InvalidValue("votes_for", "vote counts cannot be negative")
            if votes_for + votes_against + abstentions > len(self.members_present):
                raise InvalidValue(
                    "votes_for",
                    "more votes than the {present} members present",
                    present=len(self.members_present),
                )
            if votes_for + votes_against + abstentions == 0:
                raise InvalidValue("votes_for", "a vote needs at least one vote")
            carried = votes_for > votes_against
        number = len(self.motions) + 1
        self._record_motion(
            number=number,
            item_number=item_number,
            text=_text("text", text),
            method=method.value,
            votes_for=votes_for,
            votes_against=votes_against,
            abstentions=abstentions,
            carried=carried,
            **self._stamp(actor, occurred_at),
        )
        return number

    @event("MotionRecorded")
    def _record_motion(
        self,
        number: int,
        item_number: int,
        text: str,
        method: str,
        votes_for: int,
        votes_against: int,
        abstentions: int,
        carried: bool,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
    ) -> None:
        self.motions.append(
            {
                "number": number,
                "item_number": item_number,
                "text": text,
                "method": method,
                "votes_for": votes_for,
                "votes_against": votes_against,
                "abstentions": abstentions,
                "carried": carried,
            }
        )
        self.last_occurred_at = occurred_at

    def motion(self, number: int) -> dict[str, Any]:
        """The motion with this number."""
        for motion in self.motions:
            if motion["number"] == number:
                return motion
        raise InvalidValue("motion_number", "the meeting has no motion {number}", number=number)

    def require_decision_allowed(self, motion_number: int) -> dict[str, Any]:
        """A decision needs a held, quorate meeting and a carried motion."""
        if self.status != MeetingStatus.HELD.value:
            raise IllegalTransition(
                "the meeting is {meeting_status}; decisions come from held meetings",
                meeting_status=self.status,
            )
        if not self.quorum_met:
            raise IllegalTransition("the meeting had no quorum, so it cannot make decisions")
        motion = self.motion(motion_number)
        if not motion["carried"]:
            raise IllegalTransition("motion {number} was not carried", number=motion_number)
        return motion

    def publish_minutes(self, actor: Actor, text: str, occurred_at: datetime | None = None) -> None:
        """Publish the minutes of a held meeting (once; corrections go in a later meeting)."""
        _require_keeper(actor, "publish minutes")
        self._require_status(MeetingStatus.HELD, "publish the minutes of")
        if self.minutes_published_at is not None:
            raise IllegalTransition("the minutes are published already")
        self._publish_minutes(
            text=_text("text", text, MINUTES_MAX), **self._stamp(actor, occurred_at)
        )

    @event("MinutesPublished")
    def _publish_minutes(
        self, text: str, actor_id: str, actor_role: str, occurred_at: datetime
    ) -> None:
        self.minutes = text
        self.minutes_published_at = occurred_at
        self.last_occurred_at = occurred_at

    def cancel(self, actor: Actor, reason: str, occurred_at: datetime | None = None) -> None:
        """Call off a scheduled meeting."""
        _require_keeper(actor, "cancel a meeting")
        self._require_status(MeetingStatus.SCHEDULED, "cancel")
        self._cancel(reason=_text("reason", reason), **self._stamp(actor, occurred_at))

    @event("Cancelled")
    def _cancel(self, reason: str, actor_id: str, actor_role: str, occurred_at: datetime) -> None:
        self.status = MeetingStatus.CANCELLED.value
        self.last_occurred_at = occurred_at


__all__ = ["RESIDENT_GROUPS", "Meeting", "MeetingStatus", "VoteMethod", "resident_group"]
