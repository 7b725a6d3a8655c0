"""The residents' committee of a PPR: its term, its members over time, and its quorum rule."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.actors import Actor, Role
from domain.base import K2KAggregate, occurred
from domain.errors import IllegalTransition, InvalidValue, NotPermitted


class CommitteeRole(StrEnum):
    """Seats on a committee."""

    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    SECRETARY = "secretary"
    TREASURER = "treasurer"
    BLOCK_REPRESENTATIVE = "block_representative"
    MEMBER = "member"


#: Seats held by one person at a time.
SINGLE_SEATS = frozenset(
    {
        CommitteeRole.CHAIR,
        CommitteeRole.VICE_CHAIR,
        CommitteeRole.SECRETARY,
        CommitteeRole.TREASURER,
    }
)
#: The leadership whose gender and age shares K2K reports (DESIGN §6).
LEADERSHIP = frozenset({CommitteeRole.CHAIR, CommitteeRole.SECRETARY, CommitteeRole.TREASURER})


class Gender(StrEnum):
    """Self-declared gender, for inclusion figures only (optional)."""

    FEMALE = "female"
    MALE = "male"


class AgeBand(StrEnum):
    """Self-declared age band, for inclusion figures only (optional)."""

    UNDER_25 = "18-24"
    FROM_25 = "25-34"
    FROM_35 = "35-44"
    FROM_45 = "45-54"
    FROM_55 = "55-64"
    OVER_65 = "65+"


class Selection(StrEnum):
    """How a member got the seat."""

    ELECTED = "elected"
    APPOINTED = "appointed"


COMMITTEE_KEEPERS = frozenset({Role.COMMITTEE, Role.ADMIN, Role.SYSTEM})


def committee_id(ppr_code: str) -> UUID:
    """The id of a PPR's committee: one committee per PPR."""
    return uuid5(NAMESPACE_URL, f"k2k:committee:{ppr_code.strip().upper()}")


def _require_keeper(actor: Actor, doing: str) -> None:
    if actor.role not in COMMITTEE_KEEPERS:
        raise NotPermitted("only the committee (or admin) may {doing}", doing=doing)


def _quorum_rule(minimum: int | None) -> int | None:
    if minimum is not None and not 1 <= minimum <= 100:
        raise InvalidValue("quorum_minimum", "must be between 1 and 100 members (or unset)")
    return minimum


class Committee(K2KAggregate):
    """A PPR's residents' committee."""

    @staticmethod
    def create_id(ppr_code: str, **_: Any) -> UUID:
        """One committee per PPR."""
        return committee_id(ppr_code)

    @event("Established")
    def __init__(
        self,
        ppr_code: str,
        term_start: date,
        term_end: date,
        quorum_minimum: int | None,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
    ) -> None:
        self.ppr_code = ppr_code
        self.term_start = term_start
        self.term_end = term_end
        self.quorum_minimum = quorum_minimum
        #: Every quorum rule in force: from when, and the fixed minimum (None: more than half).
        self.quorum_rules: list[tuple[datetime, int | None]] = [(occurred_at, quorum_minimum)]
        #: Every seat ever held: who, which seat, from when and (once stepped down) until when.
        self.stints: list[dict[str, Any]] = []
        self.last_occurred_at = occurred_at

    @classmethod
    def establish(
        cls,
        actor: Actor,
        ppr_code: str,
        term_start: date,
        term_end: date,
        quorum_minimum: int | None = None,
        occurred_at: datetime | None = None,
    ) -> Committee:
        """Establish the committee of a PPR for a term."""
        _require_keeper(actor, "establish a committee")
        if term_end <= term_start:
            raise InvalidValue("term_end", "must be after term_start")
        return cls(
            ppr_code=ppr_code,
            term_start=term_start,
            term_end=term_end,
            quorum_minimum=_quorum_rule(quorum_minimum),
            actor_id=actor.principal_id,
            actor_role=actor.role.value,
            occurred_at=occurred(actor, occurred_at, None),
        )

    # -- membership ------------------------------------------------------------------------------

    def members_at(self, moment: datetime) -> list[dict[str, Any]]:
        """The seats held at ``moment`` (a member who joined or left at that instant: joined, left)."""
        return [
            stint
            for stint in self.stints
            if stint["since"] <= moment and (stint["until"] is None or stint["until"] > moment)
        ]

    def current_members(self) -> list[dict[str, Any]]:
        """The seats held now."""
        return [stint for stint in self.stints if stint["until"] is None]

    def quorum_at(self, moment: datetime) -> int:
        """Members who must be present for a quorum at ``moment``: the rule then, else more than half."""
        minimum = self.quorum_rules[0][1]
        for since, rule in self.quorum_rules:
            if since <= moment:
                minimum = rule
        if minimum is not None:
            return minimum
        return len(self.members_at(moment)) // 2 + 1

    def appoint(
        self,
        actor: Actor,
        member_id: str,
        name: str,
        role: CommitteeRole,
        selection: Selection,
        block: str | None = None,
        gender: Gender | None = None,
        age_band: AgeBand | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        """Seat a member (elected or appointed), with optional self-declared gender and age band."""
        _require_keeper(actor, "change the committee")
        member_id = member_id.strip()
        name = name.strip()
        if not member_id or len(member_id) > 64:
            raise InvalidValue("member_id", "must be 1-64 characters")
        if not name or len(name) > 120:
            raise InvalidValue("name", "must be 1-120 characters")
        if any(stint["member_id"] == member_id for stint in self.current_members()):
            raise IllegalTransition(
                "{member_id} sits on the committee already", member_id=member_id
            )
        if role in SINGLE_SEATS and any(
            stint["role"] == role.value for stint in self.current_members()
        ):
            raise IllegalTransition("the committee has a {seat} already", seat=role.value)
        if role is CommitteeRole.BLOCK_REPRESENTATIVE and not block:
            raise InvalidValue("block", "a block representative represents a block")
        self._appoint(
            member_id=member_id,
            name=name,
            role=role.value,
            selection=selection.value,
            block=block,
            gender=gender.value if gender else None,
            age_band=age_band.value if age_band else None,
            actor_id=actor.principal_id,
            actor_role=actor.role.value,
            occurred_at=occurred(actor, occurred_at, self.last_occurred_at),
        )

    @event("MemberJoined")
    def _appoint(
        self,
        member_id: str,
        name: str,
        role: str,
        selection: str,
        block: str | None,
        gender: str | None,
        age_band: str | None,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
    ) -> None:
        self.stints.append(
            {
                "member_id": member_id,
                "name": name,
                "role": role,
                "selection": selection,
                "block": block,
                "gender": gender,
                "age_band": age_band,
                "since": occurred_at,
                "until": None,
            }
        )
        self.last_occurred_at = occurred_at

    def step_down(
        self,
        actor: Actor,
        member_id: str,
        reason: str | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        """A member leaves the committee."""
        _require_keeper(actor, "change the committee")
        if not any(stint["member_id"] == member_id for stint in self.current_members()):
            raise IllegalTransition(
                "{member_id} does not sit on the committee", member_id=member_id
            )
        self._step_down(
            member_id=member_id,
            reason=(reason or "").strip() or None,
            actor_id=actor.principal_id,
            actor_role=actor.role.value,
            occurred_at=occurred(actor, occurred_at, self.last_occurred_at),
        )

    @event("MemberSteppedDown")
    def _step_down(
        self,
        member_id: str,
        reason: str | None,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
    ) -> None:
        for stint in self.stints:
            if stint["member_id"] == member_id and stint["until"] is None:
                stint["until"] = occurred_at
        self.last_occurred_at = occurred_at

    def change_quorum_rule(
        self, actor: Actor, quorum_minimum: int | None, occurred_at: datetime | None = None
    ) -> None:
        """Set a fixed quorum, or (None) go back to "more than half of the members"."""
        _require_keeper(actor, "change the quorum rule")
        self._change_quorum_rule(
            quorum_minimum=_quorum_rule(quorum_minimum),
            actor_id=actor.principal_id,
            actor_role=actor.role.value,
            occurred_at=occurred(actor, occurred_at, self.last_occurred_at),
        )

    @event("QuorumRuleChanged")
    def _change_quorum_rule(
        self, quorum_minimum: int | None, actor_id: str, actor_role: str, occurred_at: datetime
    ) -> None:
        self.quorum_minimum = quorum_minimum
        self.quorum_rules.append((occurred_at, quorum_minimum))
        self.last_occurred_at = occurred_at

    def start_term(
        self,
        actor: Actor,
        term_start: date,
        term_end: date,
        occurred_at: datetime | None = None,
    ) -> None:
        """Begin a new term (after an AGM); members carry over until they step down."""
        _require_keeper(actor, "start a new term")
        if term_end <= term_start:
            raise InvalidValue("term_end", "must be after term_start")
        if term_start < self.term_start:
            raise InvalidValue("term_start", "a new term cannot start before the current one")
        self._start_term(
            term_start=term_start,
            term_end=term_end,
            actor_id=actor.principal_id,
            actor_role=actor.role.value,
            occurred_at=occurred(actor, occurred_at, self.last_occurred_at),
        )

    @event("TermStarted")
    def _start_term(
        self,
        term_start: date,
        term_end: date,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
    ) -> None:
        self.term_start = term_start
        self.term_end = term_end
        self.last_occurred_at = occurred_at
