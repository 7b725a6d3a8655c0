"""Scenario helpers for the governance unit tests: a committee, its meetings and its decisions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.actors import Actor, Role
from domain.committee import Committee, CommitteeRole, Selection
from domain.decision import ActionBy, Answer, Decision
from domain.errors import DomainError, InvalidValue
from domain.meeting import Meeting, VoteMethod
from tests.unit.world import COMMITTEE, MANAGER, PPR, START, World

TERM_START = date(2024, 1, 1)
TERM_END = date(2025, 12, 31)
#: The committee's members, seated by ``standing_committee`` in this order.
MEMBERS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7")
#: The day of START in Malaysia (START is 09:30 MYT).
TODAY = date(2024, 3, 4)

#: Everyone who may not keep the committee's records.
OUTSIDERS = [
    Actor("resident-1", Role.RESIDENT),
    Actor("manager-1", Role.MANAGEMENT),
    Actor("auditor-1", Role.AUDITOR),
    Actor("open311-1", Role.INTEGRATION),
]
OUTSIDER_IDS = ["resident", "management", "auditor", "integration"]


class Governance:
    """The application under test with governance steps that read like a scenario."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.app = world.app
        self.clock = world.clock

    # -- reading ---------------------------------------------------------------------------------

    def committee(self) -> Committee:
        """The committee of the PPR under test, as stored."""
        return self.app.get_committee(PPR)

    def meeting(self, meeting_id: UUID) -> Meeting:
        """A meeting, as stored."""
        return self.app.get_meeting(meeting_id)

    def decision(self, decision_id: UUID) -> Decision:
        """A decision, as stored."""
        return self.app.get_decision(decision_id)

    def events(self, aggregate_id: UUID) -> list[Any]:
        """Every recorded event of any aggregate, oldest first."""
        return list(self.app.events.get(aggregate_id))

    def event_names(self, aggregate_id: UUID) -> list[str]:
        """The class names of an aggregate's recorded events."""
        return [type(event).__name__ for event in self.events(aggregate_id)]

    def last_event(self, aggregate_id: UUID) -> Any:
        """The newest recorded event of an aggregate."""
        return self.events(aggregate_id)[-1]

    def version(self, aggregate_id: UUID) -> int:
        """The stored version of any aggregate."""
        return int(self.app.repository.get(aggregate_id).version)

    def steps(self, case_id: UUID) -> list[str]:
        """The decision steps a case's history shows, oldest first."""
        return [
            event.step
            for event in self.events(case_id)
            if type(event).__name__ == "DecisionStepRecorded"
        ]

    def seated(self, moment: datetime) -> list[str]:
        """Who sat on the committee at ``moment``."""
        return [stint["member_id"] for stint in self.committee().members_at(moment)]

    # -- committee -------------------------------------------------------------------------------

    def establish(self, quorum_minimum: int | None = None, actor: Actor = COMMITTEE) -> UUID:
        """Establish the PPR's committee for the 2024-2025 term."""
        saved = self.app.establish_committee(
            actor, PPR, term_start=TERM_START, term_end=TERM_END, quorum_minimum=quorum_minimum
        )
        return saved.id

    def seat(
        self,
        member_id: str,
        role: CommitteeRole = CommitteeRole.MEMBER,
        *,
        actor: Actor = COMMITTEE,
        **options: Any,
    ) -> None:
        """Seat a member (an elected ordinary member unless told otherwise)."""
        self.app.appoint_member(
            actor,
            PPR,
            member_id=member_id,
            name=options.pop("name", f"Ahli {member_id}"),
            role=role,
            selection=options.pop("selection", Selection.ELECTED),
            **options,
        )

    def standing_committee(self, size: int = 5, quorum_minimum: int | None = None) -> UUID:
        """An established committee with ``size`` ordinary members, m1, m2, ..."""
        committee = self.establish(quorum_minimum)
        for member_id in MEMBERS[:size]:
            self.seat(member_id)
        return committee

    # -- meetings --------------------------------------------------------------------------------

    def schedule(
        self,
        *case_ids: UUID,
        agenda: list[tuple[str, list[str]]] | None = None,
        actor: Actor = COMMITTEE,
        **options: Any,
    ) -> UUID:
        """Schedule next week's meeting; one agenda item about ``case_ids`` unless told otherwise."""
        saved = self.app.schedule_meeting(
            actor,
            PPR,
            scheduled_for=options.pop("scheduled_for", START + timedelta(days=7)),
            place=options.pop("place", "Dewan serbaguna"),
            agenda=agenda
            if agenda is not None
            else [("Lif rosak", [str(case_id) for case_id in case_ids])],
            **options,
        )
        return saved.id

    def hold(
        self, meeting_id: UUID, present: tuple[str, ...] = MEMBERS[:3], **options: Any
    ) -> None:
        """Record the meeting as held with these members present."""
        self.app.hold_meeting(
            COMMITTEE,
            meeting_id,
            members_present=list(present),
            residents_attending=options.pop("residents_attending", {}),
            management_present=options.pop("management_present", 1),
            **options,
        )

    def held(self, *case_ids: UUID, present: tuple[str, ...] = MEMBERS[:3]) -> UUID:
        """A meeting about ``case_ids`` that was held with these members present."""
        meeting_id = self.schedule(*case_ids)
        self.hold(meeting_id, present)
        return meeting_id

    def vote(
        self,
        meeting_id: UUID,
        votes_for: int,
        votes_against: int = 0,
        abstentions: int = 0,
        *,
        item_number: int = 1,
    ) -> int:
        """Record a motion on agenda item 1 decided by a vote; returns the motion's number."""
        saved = self.app.record_motion(
            COMMITTEE,
            meeting_id,
            item_number=item_number,
            text="Minta pengurusan baiki lif dalam 30 hari",
            method=VoteMethod.VOTE,
            votes_for=votes_for,
            votes_against=votes_against,
            abstentions=abstentions,
        )
        return int(self.meeting(saved.id).motions[-1]["number"])

    def carried(self, *case_ids: UUID) -> tuple[UUID, int]:
        """A quorate meeting (3 of 5 present) with a carried motion: (meeting id, motion number)."""
        meeting_id = self.held(*case_ids)
        return meeting_id, self.vote(meeting_id, votes_for=3)

    # -- decisions -------------------------------------------------------------------------------

    def decide(
        self,
        meeting_id: UUID,
        motion_number: int,
        *case_ids: UUID,
        actor: Actor = COMMITTEE,
        **options: Any,
    ) -> UUID:
        """Record the decision on a carried motion: management must fix the lift within 30 days."""
        saved = self.app.make_decision(
            actor,
            meeting_id,
            motion_number=motion_number,
            text=options.pop("text", "Pengurusan membaiki lif blok A"),
            case_ids=[str(case_id) for case_id in case_ids],
            action_by=options.pop("action_by", ActionBy.MANAGEMENT),
            due_date=options.pop("due_date", TODAY + timedelta(days=30)),
            **options,
        )
        return saved.id

    def decided(self, *case_ids: UUID) -> UUID:
        """A standing committee of five, a quorate meeting and a decision about ``case_ids``."""
        self.standing_committee()
        meeting_id, motion = self.carried(*case_ids)
        return self.decide(meeting_id, motion, *case_ids)

    def accepted(self, *case_ids: UUID) -> UUID:
        """A decision that management accepted, committing to act within two weeks."""
        decision_id = self.decided(*case_ids)
        self.app.respond_to_decision(
            MANAGER, decision_id, answer=Answer.ACCEPT, commitment_date=TODAY + timedelta(days=14)
        )
        return decision_id

    def done(self, *case_ids: UUID) -> UUID:
        """A decision that management accepted and then marked done."""
        decision_id = self.accepted(*case_ids)
        self.app.mark_decision_done(MANAGER, decision_id, note="Motor lif diganti.")
        return decision_id

    # -- refusing --------------------------------------------------------------------------------

    @contextmanager
    def refuses(
        self, error: type[DomainError], *aggregate_ids: UUID, field: str | None = None
    ) -> Iterator[pytest.ExceptionInfo[DomainError]]:
        """Expect ``error``, nothing recorded anywhere and ``aggregate_ids`` left at their versions."""
        versions = {aggregate_id: self.version(aggregate_id) for aggregate_id in aggregate_ids}
        recorded = self.world.recorded()
        with pytest.raises(error) as info:
            yield info
        assert self.world.recorded() == recorded
        assert {aggregate_id: self.version(aggregate_id) for aggregate_id in aggregate_ids} == (
            versions
        )
        if field is not None:
            assert isinstance(info.value, InvalidValue)
            assert info.value.field == field
