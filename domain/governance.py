"""The governance commands of the application: committees, meetings, decisions.

A mixin of :class:`domain.application.K2K`, kept apart so each file reads as one subject. Steps
that concern cases (tabling a case, every step of a decision about cases) record an event on each
case too, saved atomically with the meeting or decision.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain import clock
from domain.actors import Actor
from domain.base import K2KAggregate, Saved
from domain.case import Case
from domain.committee import AgeBand, Committee, CommitteeRole, Gender, Selection, committee_id
from domain.decision import ActionBy, Answer, Decision
from domain.errors import (
    AlreadyExists,
    ConcurrentChange,
    InvalidValue,
    NotFound,
    VersionMismatch,
)
from domain.meeting import Meeting, VoteMethod
from domain.ppr import Ppr

A = TypeVar("A", bound=K2KAggregate)
#: Linked cases may be busy (comments, supports); the governance step is retried on fresh cases.
LINKED_RETRY_ATTEMPTS = 20


def _summary(head: str, text: str | None) -> str:
    """A decision step's line in a case's timeline: ``head: text``, or the head alone."""
    cleaned = (text or "").strip()
    return f"{head}: {cleaned}" if cleaned else head


class GovernanceCommands(Application[UUID]):
    """Commands on committees, meetings and decisions (a base of :class:`K2K`)."""

    def get_ppr(self, code: str) -> Ppr:
        """The PPR with this code (defined by the application)."""
        raise NotImplementedError

    def get_case(self, case_id: UUID, version: int | None = None) -> Case:
        """A case (defined by the application)."""
        raise NotImplementedError

    # -- loading ---------------------------------------------------------------------------------

    def _get(self, kind: type[A], aggregate_id: UUID, missing: str, **details: object) -> A:
        """The aggregate, or NotFound saying ``missing`` (its ``{id}`` and other ``details``)."""
        try:
            aggregate: A = self.repository.get(aggregate_id)
        except AggregateNotFoundError as error:
            raise NotFound(missing, id=aggregate_id, **details) from error
        if not isinstance(aggregate, kind):
            raise NotFound(missing, id=aggregate_id, **details)
        return aggregate

    def get_committee(self, ppr_code: str) -> Committee:
        """The committee of a PPR."""
        return self._get(
            Committee, committee_id(ppr_code), "no committee for PPR {ppr!r}", ppr=ppr_code
        )

    def get_meeting(self, meeting_id: UUID) -> Meeting:
        """A meeting."""
        return self._get(Meeting, meeting_id, "no meeting {id}")

    def get_decision(self, decision_id: UUID) -> Decision:
        """A decision."""
        return self._get(Decision, decision_id, "no decision {id}")

    @staticmethod
    def _case_ids(case_ids: list[str], field: str) -> list[str]:
        """Case ids in one spelling (a UUID's canonical form), each once."""
        canonical = []
        for raw in case_ids:
            try:
                canonical.append(str(UUID(str(raw))))
            except ValueError as error:
                raise InvalidValue(field, "{raw!r} is not a case id", raw=raw) from error
        return list(dict.fromkeys(canonical))

    def _linked_cases(self, ppr_code: str, case_ids: list[str], field: str) -> list[Case]:
        cases = []
        for raw in self._case_ids(case_ids, field):
            try:
                case = self.get_case(UUID(raw))
            except NotFound as error:
                raise InvalidValue(field, "no case {case}", case=raw) from error
            if case.ppr_code != ppr_code:
                raise InvalidValue(field, "case {case} belongs to another PPR", case=raw)
            cases.append(case)
        return cases

    def _save_with_cases(
        self,
        load: Callable[[], Any],
        expected_version: int | None,
        change: Callable[[Any], list[Case]],
    ) -> Saved:
        """Apply a governance command and the case events it implies, saved in one transaction.

        The linked cases can be changed by others at the same time; since the mirrored events do
        not depend on the cases' state, the whole step is retried on fresh copies.
        """
        for attempt in range(LINKED_RETRY_ATTEMPTS):
            aggregate = load()
            if expected_version is not None and aggregate.version != expected_version:
                raise VersionMismatch(expected_version, aggregate.version)
            cases = change(aggregate)
            try:
                self.save(aggregate, *cases)
            except IntegrityError as error:
                current = load().version
                if expected_version is not None and current != expected_version:
                    # The version the caller named stopped being current while we worked.
                    raise VersionMismatch(expected_version, current) from error
                if attempt + 1 >= LINKED_RETRY_ATTEMPTS:
                    break
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
                continue
            return Saved(aggregate.id, aggregate.version)
        raise ConcurrentChange("something changed at the same time; reload and try again")

    # -- committees ------------------------------------------------------------------------------

    def establish_committee(
        self,
        actor: Actor,
        ppr_code: str,
        *,
        term_start: date,
        term_end: date,
        quorum_minimum: int | None = None,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """Establish a PPR's committee (one per PPR)."""
        ppr = self.get_ppr(ppr_code)
        committee = Committee.establish(
            actor, ppr.code, term_start, term_end, quorum_minimum, occurred_at
        )
        try:
            self.save(committee)
        except IntegrityError as error:
            raise AlreadyExists("PPR {ppr} has a committee already", ppr=ppr.code) from error
        return Saved(committee.id, committee.version)

    def _change_committee(
        self,
        ppr_code: str,
        expected_version: int | None,
        change: Callable[[Committee], None],
    ) -> Saved:
        def apply(committee: Committee) -> list[Case]:
            change(committee)
            return []

        return self._save_with_cases(lambda: self.get_committee(ppr_code), expected_version, apply)

    def appoint_member(
        self,
        actor: Actor,
        ppr_code: str,
        *,
        member_id: str,
        name: str,
        role: CommitteeRole,
        selection: Selection,
        block: str | None = None,
        gender: Gender | None = None,
        age_band: AgeBand | None = None,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Seat a committee member."""
        if block is not None:
            block = block.strip().upper()
            self.get_ppr(ppr_code).require_block(block)
        return self._change_committee(
            ppr_code,
            expected_version,
            lambda committee: committee.appoint(
                actor, member_id, name, role, selection, block, gender, age_band, occurred_at
            ),
        )

    def step_down_member(
        self,
        actor: Actor,
        ppr_code: str,
        *,
        member_id: str,
        reason: str | None = None,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """A committee member leaves."""
        return self._change_committee(
            ppr_code,
            expected_version,
            lambda committee: committee.step_down(actor, member_id, reason, occurred_at),
        )

    def change_quorum_rule(
        self,
        actor: Actor,
        ppr_code: str,
        *,
        quorum_minimum: int | None,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Set a fixed quorum or go back to "more than half"."""
        return self._change_committee(
            ppr_code,
            expected_version,
            lambda committee: committee.change_quorum_rule(actor, quorum_minimum, occurred_at),
        )

    def start_committee_term(
        self,
        actor: Actor,
        ppr_code: str,
        *,
        term_start: date,
        term_end: date,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Begin a new committee term (after an AGM); seats carry over until members step down."""
        return self._change_committee(
            ppr_code,
            expected_version,
            lambda committee: committee.start_term(actor, term_start, term_end, occurred_at),
        )

    # -- meetings --------------------------------------------------------------------------------

    def schedule_meeting(
        self,
        actor: Actor,
        ppr_code: str,
        *,
        scheduled_for: datetime,
        place: str,
        agenda: list[tuple[str, list[str]]],
        occurred_at: datetime | None = None,
    ) -> Saved:
        """Schedule a committee meeting; each case on the agenda records that it was tabled."""
        committee = self.get_committee(ppr_code)
        agenda = [(title, self._case_ids(ids, "agenda")) for title, ids in agenda]
        for attempt in range(LINKED_RETRY_ATTEMPTS):
            meeting = Meeting.schedule(
                actor, committee.ppr_code, scheduled_for, place, agenda, occurred_at
            )
            cases = self._table_cases(actor, meeting, meeting.agenda)
            try:
                self.save(meeting, *cases)
            except IntegrityError:
                if attempt + 1 >= LINKED_RETRY_ATTEMPTS:
                    break
                continue
            return Saved(meeting.id, meeting.version)
        raise ConcurrentChange("a tabled case changed at the same time; try again")

    def _table_cases(
        self, actor: Actor, meeting: Meeting, items: list[dict[str, Any]]
    ) -> list[Case]:
        tabled: dict[UUID, Case] = {}
        for item in items:
            for loaded in self._linked_cases(meeting.ppr_code, item["case_ids"], "agenda"):
                case = tabled.setdefault(loaded.id, loaded)
                case.table(
                    actor,
                    str(meeting.id),
                    item["number"],
                    meeting.scheduled_for,
                    meeting.last_occurred_at,
                )
        return list(tabled.values())

    def add_agenda_item(
        self,
        actor: Actor,
        meeting_id: UUID,
        *,
        title: str,
        case_ids: list[str],
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Add an agenda item (tabling its cases)."""

        canonical = self._case_ids(case_ids, "case_ids")

        def change(meeting: Meeting) -> list[Case]:
            number = meeting.add_agenda_item(actor, title, canonical, occurred_at)
            return self._table_cases(actor, meeting, [meeting.agenda[number - 1]])

        return self._save_with_cases(lambda: self.get_meeting(meeting_id), expected_version, change)

    def hold_meeting(
        self,
        actor: Actor,
        meeting_id: UUID,
        *,
        members_present: list[str],
        residents_attending: dict[str, int],
        management_present: int,
        resident_ids: list[str] | None = None,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Record a held meeting; quorum is judged against the committee as it stood then."""

        def change(meeting: Meeting) -> list[Case]:
            committee = self.get_committee(meeting.ppr_code)
            held_at = clock.as_utc(occurred_at) if occurred_at else self._now(meeting)
            seated = [stint["member_id"] for stint in committee.members_at(held_at)]
            meeting.hold(
                actor,
                members_present=members_present,
                members_seated=seated,
                quorum_required=committee.quorum_at(held_at),
                residents_attending=residents_attending,
                management_present=management_present,
                resident_ids=resident_ids,
                occurred_at=occurred_at,
            )
            return []

        return self._save_with_cases(lambda: self.get_meeting(meeting_id), expected_version, change)

    @staticmethod
    def _now(meeting: Meeting) -> datetime:
        return max(clock.now(), meeting.last_occurred_at)

    def record_motion(
        self,
        actor: Actor,
        meeting_id: UUID,
        *,
        item_number: int,
        text: str,
        method: VoteMethod,
        votes_for: int = 0,
        votes_against: int = 0,
        abstentions: int = 0,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Record a motion and its vote at a held meeting."""

        def change(meeting: Meeting) -> list[Case]:
            meeting.record_motion(
                actor,
                item_number=item_number,
                text=text,
                method=method,
                votes_for=votes_for,
                votes_against=votes_against,
                abstentions=abstentions,
                occurred_at=occurred_at,
            )
            return []

        return self._save_with_cases(lambda: self.get_meeting(meeting_id), expected_version, change)

    def publish_minutes(
        self,
        actor: Actor,
        meeting_id: UUID,
        *,
        text: str,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Publish a held meeting's minutes."""

        def change(meeting: Meeting) -> list[Case]:
            meeting.publish_minutes(actor, text, occurred_at)
            return []

        return self._save_with_cases(lambda: self.get_meeting(meeting_id), expected_version, change)

    def cancel_meeting(
        self,
        actor: Actor,
        meeting_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Call off a scheduled meeting."""

        def change(meeting: Meeting) -> list[Case]:
            meeting.cancel(actor, reason, occurred_at)
            return []

        return self._save_with_cases(lambda: self.get_meeting(meeting_id), expected_version, change)

    # -- decisions -------------------------------------------------------------------------------

    def make_decision(
        self,
        actor: Actor,
        meeting_id: UUID,
        *,
        motion_number: int,
        text: str,
        case_ids: list[str],
        action_by: ActionBy,
        due_date: date,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """Record a decision on a carried motion of a quorate meeting; its cases record it too."""
        meeting = self.get_meeting(meeting_id)
        case_ids = self._case_ids(case_ids, "case_ids")
        for attempt in range(LINKED_RETRY_ATTEMPTS):
            decision = Decision.make(
                actor,
                meeting,
                motion_number=motion_number,
                text=text,
                case_ids=case_ids,
                action_by=action_by,
                due_date=due_date,
                occurred_at=occurred_at,
            )
            cases = self._mirror_step(actor, decision, "made", decision.text)
            try:
                self.save(decision, *cases)
            except IntegrityError:
                if attempt + 1 >= LINKED_RETRY_ATTEMPTS:
                    break
                continue
            return Saved(decision.id, decision.version)
        raise ConcurrentChange("a linked case changed at the same time; try again")

    def _mirror_step(self, actor: Actor, decision: Decision, step: str, summary: str) -> list[Case]:
        cases = self._linked_cases(decision.ppr_code, decision.case_ids, "case_ids")
        for case in cases:
            case.record_decision_step(
                actor, str(decision.id), step, summary, decision.last_occurred_at
            )
        return cases

    def _decision_step(
        self,
        decision_id: UUID,
        expected_version: int | None,
        actor: Actor,
        step: str,
        summary: Callable[[Decision], str],
        change: Callable[[Decision], None],
    ) -> Saved:
        def apply(decision: Decision) -> list[Case]:
            change(decision)
            return self._mirror_step(actor, decision, step, summary(decision))

        return self._save_with_cases(
            lambda: self.get_decision(decision_id), expected_version, apply
        )

    def respond_to_decision(
        self,
        actor: Actor,
        decision_id: UUID,
        *,
        answer: Answer,
        reason: str | None = None,
        commitment_date: date | None = None,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Management answers a decision."""
        return self._decision_step(
            decision_id,
            expected_version,
            actor,
            "management_answered",
            lambda decision: _summary(answer.value, reason),
            lambda decision: decision.respond(actor, answer, reason, commitment_date, occurred_at),
        )

    def report_decision_progress(
        self,
        actor: Actor,
        decision_id: UUID,
        *,
        percent: int,
        note: str,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Management reports progress on a decision."""
        return self._decision_step(
            decision_id,
            expected_version,
            actor,
            "progress_reported",
            lambda decision: _summary(f"{percent}%", note),
            lambda decision: decision.report_progress(actor, percent, note, occurred_at),
        )

    def mark_decision_done(
        self,
        actor: Actor,
        decision_id: UUID,
        *,
        note: str,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Management marks a decision done."""
        return self._decision_step(
            decision_id,
            expected_version,
            actor,
            "marked_done",
            lambda decision: note.strip(),
            lambda decision: decision.mark_done(actor, note, occurred_at),
        )

    def verify_decision(
        self,
        actor: Actor,
        decision_id: UUID,
        *,
        note: str | None = None,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """The committee verifies a decision's completion."""
        return self._decision_step(
            decision_id,
            expected_version,
            actor,
            "completion_verified",
            lambda decision: (note or "").strip() or "verified",
            lambda decision: decision.verify(actor, note, occurred_at),
        )

    def dispute_decision_completion(
        self,
        actor: Actor,
        decision_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """The committee disputes that a decision was carried out."""
        return self._decision_step(
            decision_id,
            expected_version,
            actor,
            "completion_disputed",
            lambda decision: reason.strip(),
            lambda decision: decision.dispute_completion(actor, reason, occurred_at),
        )
