"""Committee decisions: made at a quorate meeting, answered by management, verified by the committee.

Every step is mirrored on each linked case as a ``DecisionStepRecorded`` event; every refusal records
nothing at all.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.actors import Actor
from domain.decision import ActionBy, Answer, DecisionStatus
from domain.errors import IllegalTransition, InvalidValue, NotFound, NotPermitted
from domain.meeting import VoteMethod
from tests.unit.governance_world import OUTSIDER_IDS, OUTSIDERS, TODAY, Governance
from tests.unit.world import (
    ADMIN,
    AUDITOR,
    COMMITTEE,
    INTEGRATION,
    MANAGER,
    OTHER_PPR,
    PPR,
    REPORTER,
    START,
    World,
)

IN_A_MONTH = TODAY + timedelta(days=30)
IN_TWO_WEEKS = TODAY + timedelta(days=14)
NOT_MANAGEMENT = [COMMITTEE, REPORTER, AUDITOR, INTEGRATION]
NOT_MANAGEMENT_IDS = ["committee", "resident", "auditor", "integration"]


@pytest.fixture
def gov(world: World) -> Governance:
    """The governance steps on the shared scenario (no committee yet)."""
    return Governance(world)


@pytest.fixture
def lift(world: World) -> UUID:
    """A broken lift case, reported at START."""
    return world.report()


@pytest.fixture
def pipe(world: World) -> UUID:
    """A leaking pipe case in block B, reported at START."""
    return world.report(category_code="WATER", title="Paip bocor", description="Air menitis.")


# -- making a decision ----------------------------------------------------------------------------


def test_a_quorate_meeting_decides_on_a_carried_motion(
    gov: Governance, lift: UUID, pipe: UUID
) -> None:
    gov.standing_committee()
    meeting_id, motion = gov.carried(lift, pipe)

    decision_id = gov.decide(
        meeting_id,
        motion,
        lift,
        pipe,
        lift,
        text="  Pengurusan membaiki lif dan paip  ",
        action_by=ActionBy.CONTRACTOR,
        due_date=IN_A_MONTH,
    )

    decision = gov.decision(decision_id)
    assert decision.ppr_code == PPR
    assert (decision.meeting_id, decision.motion_number) == (str(meeting_id), motion)
    assert decision.text == "Pengurusan membaiki lif dan paip"
    assert decision.case_ids == [str(lift), str(pipe)]
    assert (decision.action_by, decision.due_date) == ("contractor", IN_A_MONTH)
    assert (decision.made_at, decision.status) == (START, DecisionStatus.MADE)
    assert (decision.answer, decision.answered_at, decision.commitment_date) == (None, None, None)
    assert (decision.progress_percent, decision.done_at, decision.verified_at) == (0, None, None)
    assert gov.event_names(decision_id) == ["Made"]
    for case_id in (lift, pipe):
        event = gov.last_event(case_id)
        assert type(event).__name__ == "DecisionStepRecorded"
        assert (event.decision_id, event.step) == (str(decision_id), "made")
        assert event.summary == "Pengurusan membaiki lif dan paip"
        assert (event.occurred_at, event.step_occurred_at) == (START, START)
        assert (event.actor_id, event.actor_role) == ("committee-1", "committee")


@pytest.mark.parametrize("action_by", list(ActionBy), ids=str)
def test_a_decision_names_who_must_act(gov: Governance, action_by: ActionBy) -> None:
    gov.standing_committee()
    meeting_id, motion = gov.carried()

    decision_id = gov.decide(meeting_id, motion, action_by=action_by)

    assert gov.decision(decision_id).action_by == action_by.value


def test_a_decision_about_no_case_touches_no_case(gov: Governance, lift: UUID) -> None:
    gov.standing_committee()
    meeting_id, motion = gov.carried(lift)
    lift_version = gov.version(lift)

    gov.decide(meeting_id, motion)

    assert gov.version(lift) == lift_version


def test_a_case_named_twice_in_two_spellings_is_linked_once(gov: Governance, lift: UUID) -> None:
    gov.standing_committee()
    meeting_id, motion = gov.carried(lift)

    saved = gov.app.make_decision(
        COMMITTEE,
        meeting_id,
        motion_number=motion,
        text="Pengurusan membaiki lif blok A",
        case_ids=[str(lift), str(lift).upper(), f"urn:uuid:{lift}"],
        action_by=ActionBy.MANAGEMENT,
        due_date=TODAY + timedelta(days=30),
    )

    assert gov.decision(saved.id).case_ids == [str(lift)]


def test_a_decision_by_consensus_is_allowed(gov: Governance) -> None:
    gov.standing_committee()
    meeting_id = gov.held()
    gov.app.record_motion(
        COMMITTEE, meeting_id, item_number=1, text="Setuju", method=VoteMethod.CONSENSUS
    )

    decision_id = gov.decide(meeting_id, 1)

    assert gov.decision(decision_id).motion_number == 1


def test_a_scheduled_meeting_cannot_decide(gov: Governance, lift: UUID) -> None:
    gov.standing_committee()
    meeting_id = gov.schedule(lift)

    with gov.refuses(IllegalTransition, meeting_id, lift):
        gov.decide(meeting_id, 1, lift)


def test_a_cancelled_meeting_cannot_decide(gov: Governance, lift: UUID) -> None:
    gov.standing_committee()
    meeting_id = gov.schedule(lift)
    gov.app.cancel_meeting(COMMITTEE, meeting_id, reason="Banjir")

    with gov.refuses(IllegalTransition, meeting_id, lift):
        gov.decide(meeting_id, 1, lift)


def test_a_meeting_without_quorum_cannot_decide(gov: Governance, lift: UUID) -> None:
    gov.standing_committee()
    meeting_id = gov.held(lift, present=("m1", "m2"))
    motion = gov.vote(meeting_id, votes_for=2)

    with gov.refuses(IllegalTransition, meeting_id, lift) as refusal:
        gov.decide(meeting_id, motion, lift)
    assert "quorum" in str(refusal.value)


@pytest.mark.parametrize(
    ("votes_for", "votes_against", "abstentions"),
    [(1, 1, 1), (1, 2, 0), (0, 0, 3)],
    ids=["tie", "lost", "all abstain"],
)
def test_a_motion_that_was_not_carried_cannot_become_a_decision(
    gov: Governance, lift: UUID, votes_for: int, votes_against: int, abstentions: int
) -> None:
    gov.standing_committee()
    meeting_id = gov.held(lift)
    motion = gov.vote(meeting_id, votes_for, votes_against, abstentions)

    with gov.refuses(IllegalTransition, meeting_id, lift):
        gov.decide(meeting_id, motion, lift)


def test_a_decision_needs_a_motion_of_the_meeting(gov: Governance, lift: UUID) -> None:
    gov.standing_committee()
    meeting_id = gov.held(lift)

    with gov.refuses(InvalidValue, meeting_id, lift, field="motion_number"):
        gov.decide(meeting_id, 1, lift)


def test_a_decision_needs_a_known_meeting(gov: Governance, lift: UUID) -> None:
    gov.standing_committee()

    with gov.refuses(NotFound, lift):
        gov.decide(uuid4(), 1, lift)


def test_a_decision_is_due_no_earlier_than_the_day_it_is_made(gov: Governance, lift: UUID) -> None:
    gov.standing_committee()
    meeting_id, motion = gov.carried(lift)

    with gov.refuses(InvalidValue, meeting_id, lift, field="due_date"):
        gov.decide(meeting_id, motion, lift, due_date=TODAY - timedelta(days=1))
    decision_id = gov.decide(meeting_id, motion, lift, due_date=TODAY)
    assert gov.decision(decision_id).due_date == TODAY


def test_the_day_of_a_decision_is_the_day_in_malaysia(gov: Governance) -> None:
    gov.standing_committee()
    meeting_id, motion = gov.carried()
    # 17:00 UTC on 4 March is 01:00 on 5 March in Kuala Lumpur.
    gov.clock.set(datetime(2024, 3, 4, 17, 0, tzinfo=UTC))

    with gov.refuses(InvalidValue, meeting_id, field="due_date"):
        gov.decide(meeting_id, motion, due_date=date(2024, 3, 4))
    gov.decide(meeting_id, motion, due_date=date(2024, 3, 5))


def test_a_decision_about_a_case_of_another_ppr_is_refused(gov: Governance, lift: UUID) -> None:
    theirs = gov.world.report(ppr_code=OTHER_PPR)
    gov.standing_committee()
    meeting_id, motion = gov.carried(lift)

    with gov.refuses(InvalidValue, meeting_id, lift, theirs, field="case_ids"):
        gov.decide(meeting_id, motion, lift, theirs)


def test_a_decision_about_an_unknown_case_is_refused(gov: Governance, lift: UUID) -> None:
    gov.standing_committee()
    meeting_id, motion = gov.carried(lift)

    with gov.refuses(InvalidValue, meeting_id, lift, field="case_ids"):
        gov.decide(meeting_id, motion, lift, uuid4())


def test_a_decision_needs_text(gov: Governance) -> None:
    gov.standing_committee()
    meeting_id, motion = gov.carried()

    with gov.refuses(InvalidValue, meeting_id, field="text"):
        gov.decide(meeting_id, motion, text="   ")


@pytest.mark.parametrize("actor", OUTSIDERS, ids=OUTSIDER_IDS)
def test_only_the_committee_or_admin_may_record_a_decision(
    gov: Governance, lift: UUID, actor: Actor
) -> None:
    gov.standing_committee()
    meeting_id, motion = gov.carried(lift)

    with gov.refuses(NotPermitted, meeting_id, lift):
        gov.decide(meeting_id, motion, lift, actor=actor)


def test_an_unknown_decision_is_not_found(gov: Governance, lift: UUID) -> None:
    with pytest.raises(NotFound):
        gov.decision(uuid4())
    with pytest.raises(NotFound):
        gov.decision(lift)


# -- management's answer --------------------------------------------------------------------------


def test_management_accepts_a_decision_with_a_commitment_date(gov: Governance, lift: UUID) -> None:
    decision_id = gov.decided(lift)
    gov.clock.advance(days=2)

    saved = gov.app.respond_to_decision(
        MANAGER, decision_id, answer=Answer.ACCEPT, commitment_date=IN_TWO_WEEKS
    )

    assert saved.version == 2
    decision = gov.decision(decision_id)
    assert (decision.status, decision.answer) == (DecisionStatus.ACCEPTED, "accept")
    assert decision.answered_at == START + timedelta(days=2)
    assert decision.commitment_date == IN_TWO_WEEKS
    event = gov.last_event(decision_id)
    assert (type(event).__name__, event.reason) == ("ManagementAnswered", None)
    step = gov.last_event(lift)
    assert (step.step, step.summary) == ("management_answered", "accept")
    assert (step.actor_id, step.actor_role) == ("manager-1", "management")


def test_management_accepts_a_decision_in_part_with_a_reason(gov: Governance, lift: UUID) -> None:
    decision_id = gov.decided(lift)

    gov.app.respond_to_decision(
        MANAGER,
        decision_id,
        answer=Answer.ACCEPT_IN_PART,
        reason="  Lif sahaja; paip bukan tanggungjawab kami  ",
        commitment_date=IN_TWO_WEEKS,
    )

    decision = gov.decision(decision_id)
    assert (decision.status, decision.answer) == (
        DecisionStatus.PARTLY_ACCEPTED,
        "accept_in_part",
    )
    assert gov.last_event(decision_id).reason == "Lif sahaja; paip bukan tanggungjawab kami"
    assert gov.last_event(lift).summary == (
        "accept_in_part: Lif sahaja; paip bukan tanggungjawab kami"
    )


def test_management_rejects_a_decision_with_a_reason_and_no_commitment(
    gov: Governance, lift: UUID
) -> None:
    decision_id = gov.decided(lift)

    gov.app.respond_to_decision(ADMIN, decision_id, answer=Answer.REJECT, reason="Tiada bajet")

    decision = gov.decision(decision_id)
    assert (decision.status, decision.commitment_date) == (DecisionStatus.REJECTED, None)
    assert gov.last_event(lift).summary == "reject: Tiada bajet"


@pytest.mark.parametrize("answer", [Answer.ACCEPT_IN_PART, Answer.REJECT], ids=str)
@pytest.mark.parametrize("reason", [None, "", "   "], ids=["none", "empty", "blank"])
def test_accepting_in_part_or_rejecting_needs_a_reason(
    gov: Governance, lift: UUID, answer: Answer, reason: str | None
) -> None:
    decision_id = gov.decided(lift)

    with gov.refuses(InvalidValue, decision_id, lift, field="reason"):
        gov.app.respond_to_decision(
            MANAGER, decision_id, answer=answer, reason=reason, commitment_date=IN_TWO_WEEKS
        )


@pytest.mark.parametrize("answer", [Answer.ACCEPT, Answer.ACCEPT_IN_PART], ids=str)
def test_accepting_needs_a_commitment_date(gov: Governance, lift: UUID, answer: Answer) -> None:
    decision_id = gov.decided(lift)

    with gov.refuses(InvalidValue, decision_id, lift, field="commitment_date"):
        gov.app.respond_to_decision(MANAGER, decision_id, answer=answer, reason="Sebahagian")


def test_a_commitment_date_cannot_be_before_the_day_of_the_answer(
    gov: Governance, lift: UUID
) -> None:
    decision_id = gov.decided(lift)

    with gov.refuses(InvalidValue, decision_id, lift, field="commitment_date"):
        gov.app.respond_to_decision(
            MANAGER,
            decision_id,
            answer=Answer.ACCEPT,
            commitment_date=TODAY - timedelta(days=1),
        )


def test_a_blank_reason_for_accepting_is_not_kept(gov: Governance, lift: UUID) -> None:
    decision_id = gov.decided(lift)

    gov.app.respond_to_decision(
        MANAGER, decision_id, answer=Answer.ACCEPT, reason="   ", commitment_date=TODAY
    )

    assert gov.last_event(decision_id).reason is None
    assert gov.last_event(lift).summary == "accept"


@pytest.mark.parametrize("actor", NOT_MANAGEMENT, ids=NOT_MANAGEMENT_IDS)
def test_only_management_or_admin_answers_a_decision(
    gov: Governance, lift: UUID, actor: Actor
) -> None:
    decision_id = gov.decided(lift)

    with gov.refuses(NotPermitted, decision_id, lift):
        gov.app.respond_to_decision(
            actor, decision_id, answer=Answer.ACCEPT, commitment_date=IN_TWO_WEEKS
        )


@pytest.mark.parametrize("answer", list(Answer), ids=str)
def test_a_decision_is_answered_only_once(gov: Governance, lift: UUID, answer: Answer) -> None:
    decision_id = gov.decided(lift)
    gov.app.respond_to_decision(
        MANAGER, decision_id, answer=answer, reason="Sebab", commitment_date=IN_TWO_WEEKS
    )

    with gov.refuses(IllegalTransition, decision_id, lift):
        gov.app.respond_to_decision(
            MANAGER, decision_id, answer=Answer.ACCEPT, commitment_date=IN_TWO_WEEKS
        )


# -- progress and completion ----------------------------------------------------------------------


@pytest.mark.parametrize("answer", [Answer.ACCEPT, Answer.ACCEPT_IN_PART], ids=str)
def test_management_reports_progress_on_an_accepted_decision(
    gov: Governance, lift: UUID, answer: Answer
) -> None:
    decision_id = gov.decided(lift)
    gov.app.respond_to_decision(
        MANAGER, decision_id, answer=answer, reason="Sebab", commitment_date=IN_TWO_WEEKS
    )

    gov.app.report_decision_progress(
        MANAGER, decision_id, percent=40, note="  Alat ganti ditempah  "
    )
    gov.app.report_decision_progress(MANAGER, decision_id, percent=70, note="Motor tiba")

    decision = gov.decision(decision_id)
    assert (decision.status, decision.progress_percent) == (DecisionStatus.IN_PROGRESS, 70)
    event = gov.last_event(decision_id)
    assert (type(event).__name__, event.percent, event.note) == (
        "ProgressReported",
        70,
        "Motor tiba",
    )
    assert gov.last_event(lift).summary == "70%: Motor tiba"


@pytest.mark.parametrize("percent", [0, 100])
def test_progress_may_be_anything_from_0_to_100_percent(
    gov: Governance, lift: UUID, percent: int
) -> None:
    decision_id = gov.accepted(lift)

    gov.app.report_decision_progress(MANAGER, decision_id, percent=percent, note="Laporan")

    assert gov.decision(decision_id).progress_percent == percent


@pytest.mark.parametrize("percent", [-1, 101])
def test_progress_outside_0_to_100_percent_is_refused(
    gov: Governance, lift: UUID, percent: int
) -> None:
    decision_id = gov.accepted(lift)

    with gov.refuses(InvalidValue, decision_id, lift, field="percent"):
        gov.app.report_decision_progress(MANAGER, decision_id, percent=percent, note="Laporan")


def test_progress_needs_a_note(gov: Governance, lift: UUID) -> None:
    decision_id = gov.accepted(lift)

    with gov.refuses(InvalidValue, decision_id, lift, field="note"):
        gov.app.report_decision_progress(MANAGER, decision_id, percent=50, note=" ")


def test_progress_is_reported_only_while_the_work_goes_on(gov: Governance, lift: UUID) -> None:
    made = gov.decided(lift)
    meeting_id = gov.decision(made).meeting_id
    rejected = gov.decide(UUID(meeting_id), 1, lift)
    gov.app.respond_to_decision(MANAGER, rejected, answer=Answer.REJECT, reason="Tiada bajet")
    done = gov.decide(UUID(meeting_id), 1, lift)
    gov.app.respond_to_decision(MANAGER, done, answer=Answer.ACCEPT, commitment_date=TODAY)
    gov.app.mark_decision_done(MANAGER, done, note="Siap")
    verified = gov.decide(UUID(meeting_id), 1, lift)
    gov.app.respond_to_decision(MANAGER, verified, answer=Answer.ACCEPT, commitment_date=TODAY)
    gov.app.mark_decision_done(MANAGER, verified, note="Siap")
    gov.app.verify_decision(COMMITTEE, verified)

    for decision_id in (made, rejected, done, verified):
        with gov.refuses(IllegalTransition, decision_id, lift):
            gov.app.report_decision_progress(MANAGER, decision_id, percent=50, note="Laporan")
        with gov.refuses(IllegalTransition, decision_id, lift):
            gov.app.mark_decision_done(MANAGER, decision_id, note="Siap")


@pytest.mark.parametrize("actor", NOT_MANAGEMENT, ids=NOT_MANAGEMENT_IDS)
def test_only_management_or_admin_reports_progress_or_marks_work_done(
    gov: Governance, lift: UUID, actor: Actor
) -> None:
    decision_id = gov.accepted(lift)

    with gov.refuses(NotPermitted, decision_id, lift):
        gov.app.report_decision_progress(actor, decision_id, percent=50, note="Laporan")
    with gov.refuses(NotPermitted, decision_id, lift):
        gov.app.mark_decision_done(actor, decision_id, note="Siap")


def test_management_marks_the_work_done(gov: Governance, lift: UUID) -> None:
    decision_id = gov.accepted(lift)
    gov.app.report_decision_progress(MANAGER, decision_id, percent=30, note="Bermula")
    gov.clock.advance(days=5)

    gov.app.mark_decision_done(MANAGER, decision_id, note="  Motor lif diganti  ")

    decision = gov.decision(decision_id)
    assert (decision.status, decision.progress_percent) == (DecisionStatus.DONE, 100)
    assert decision.done_at == START + timedelta(days=5)
    assert gov.last_event(lift).summary == "Motor lif diganti"


def test_marking_done_needs_a_note(gov: Governance, lift: UUID) -> None:
    decision_id = gov.accepted(lift)

    with gov.refuses(InvalidValue, decision_id, lift, field="note"):
        gov.app.mark_decision_done(MANAGER, decision_id, note="")


# -- the committee's verdict ----------------------------------------------------------------------


def test_the_committee_verifies_the_work(gov: Governance, lift: UUID) -> None:
    decision_id = gov.done(lift)
    gov.clock.advance(days=1)

    gov.app.verify_decision(COMMITTEE, decision_id, note="  Lif berfungsi  ")

    decision = gov.decision(decision_id)
    assert (decision.status, decision.verified_at) == (
        DecisionStatus.VERIFIED,
        START + timedelta(days=1),
    )
    assert gov.last_event(decision_id).note == "Lif berfungsi"
    assert gov.last_event(lift).summary == "Lif berfungsi"


@pytest.mark.parametrize("note", [None, "", "   "], ids=["none", "empty", "blank"])
def test_a_verification_needs_no_note(gov: Governance, lift: UUID, note: str | None) -> None:
    decision_id = gov.done(lift)

    gov.app.verify_decision(ADMIN, decision_id, note=note)

    assert gov.last_event(decision_id).note is None
    assert gov.last_event(lift).summary == "verified"


def test_the_committee_disputes_the_work_and_it_goes_back_to_management(
    gov: Governance, lift: UUID
) -> None:
    decision_id = gov.done(lift)

    gov.app.dispute_decision_completion(COMMITTEE, decision_id, reason="  Lif masih rosak  ")

    decision = gov.decision(decision_id)
    assert (decision.status, decision.done_at) == (DecisionStatus.IN_PROGRESS, None)
    assert gov.last_event(decision_id).reason == "Lif masih rosak"
    assert gov.last_event(lift).summary == "Lif masih rosak"
    # Management works on and marks it done again; then the committee verifies.
    gov.app.report_decision_progress(MANAGER, decision_id, percent=90, note="Dibaiki semula")
    gov.app.mark_decision_done(MANAGER, decision_id, note="Siap semula")
    gov.app.verify_decision(COMMITTEE, decision_id)
    assert gov.decision(decision_id).status == DecisionStatus.VERIFIED


def test_a_dispute_needs_a_reason(gov: Governance, lift: UUID) -> None:
    decision_id = gov.done(lift)

    with gov.refuses(InvalidValue, decision_id, lift, field="reason"):
        gov.app.dispute_decision_completion(COMMITTEE, decision_id, reason="  ")


def test_only_work_marked_done_is_verified_or_disputed(gov: Governance, lift: UUID) -> None:
    made = gov.decided(lift)
    meeting_id = UUID(gov.decision(made).meeting_id)
    accepted = gov.decide(meeting_id, 1, lift)
    gov.app.respond_to_decision(MANAGER, accepted, answer=Answer.ACCEPT, commitment_date=TODAY)
    verified = gov.decide(meeting_id, 1, lift)
    gov.app.respond_to_decision(MANAGER, verified, answer=Answer.ACCEPT, commitment_date=TODAY)
    gov.app.mark_decision_done(MANAGER, verified, note="Siap")
    gov.app.verify_decision(COMMITTEE, verified)

    for decision_id in (made, accepted, verified):
        with gov.refuses(IllegalTransition, decision_id, lift):
            gov.app.verify_decision(COMMITTEE, decision_id)
        with gov.refuses(IllegalTransition, decision_id, lift):
            gov.app.dispute_decision_completion(COMMITTEE, decision_id, reason="Belum siap")


@pytest.mark.parametrize("actor", OUTSIDERS, ids=OUTSIDER_IDS)
def test_only_the_committee_or_admin_verifies_or_disputes(
    gov: Governance, lift: UUID, actor: Actor
) -> None:
    decision_id = gov.done(lift)

    with gov.refuses(NotPermitted, decision_id, lift):
        gov.app.verify_decision(actor, decision_id)
    with gov.refuses(NotPermitted, decision_id, lift):
        gov.app.dispute_decision_completion(actor, decision_id, reason="Belum siap")


# -- the cases' timelines -------------------------------------------------------------------------


def test_every_step_of_a_decision_appears_on_each_linked_case(
    gov: Governance, lift: UUID, pipe: UUID
) -> None:
    decision_id = gov.decided(lift, pipe)
    gov.app.respond_to_decision(
        MANAGER, decision_id, answer=Answer.ACCEPT, commitment_date=IN_TWO_WEEKS
    )
    gov.app.report_decision_progress(MANAGER, decision_id, percent=50, note="Separuh")
    gov.app.mark_decision_done(MANAGER, decision_id, note="Siap")
    gov.app.dispute_decision_completion(COMMITTEE, decision_id, reason="Paip masih bocor")
    gov.app.mark_decision_done(MANAGER, decision_id, note="Siap semula")
    gov.app.verify_decision(COMMITTEE, decision_id)

    expected = [
        "made",
        "management_answered",
        "progress_reported",
        "marked_done",
        "completion_disputed",
        "marked_done",
        "completion_verified",
    ]
    assert gov.steps(lift) == gov.steps(pipe) == expected
    assert gov.event_names(decision_id) == [
        "Made",
        "ManagementAnswered",
        "ProgressReported",
        "MarkedDone",
        "CompletionDisputed",
        "MarkedDone",
        "CompletionVerified",
    ]
    for case_id in (lift, pipe):
        steps = [e for e in gov.events(case_id) if type(e).__name__ == "DecisionStepRecorded"]
        assert {e.decision_id for e in steps} == {str(decision_id)}
    # The cases' own state is untouched by the decision's steps.
    assert gov.world.case(lift).status == "reported"


def test_a_decision_step_on_a_case_with_later_events_is_kept_in_order(
    gov: Governance, lift: UUID
) -> None:
    gov.standing_committee()
    meeting_id, motion = gov.carried(lift)
    gov.clock.advance(days=2)
    gov.app.comment_on_case(REPORTER, lift, text="Masih rosak")
    gov.clock.advance(days=1)

    # The secretary types in the decision as made at the meeting, three days ago.
    decision_id = gov.decide(meeting_id, motion, lift, occurred_at=START)

    assert gov.decision(decision_id).made_at == START
    step = gov.last_event(lift)
    assert step.step_occurred_at == START
    assert step.occurred_at == START + timedelta(days=2)  # not before the comment


# -- backfilling ----------------------------------------------------------------------------------


def test_the_committee_backfills_a_whole_meeting_and_its_decision(
    gov: Governance, lift: UUID
) -> None:
    gov.standing_committee()
    meeting_id = gov.schedule(lift)
    gov.clock.advance(days=10)
    held_at = START + timedelta(days=7)

    gov.hold(meeting_id, occurred_at=held_at)
    gov.app.record_motion(
        COMMITTEE,
        meeting_id,
        item_number=1,
        text="Baiki lif",
        method=VoteMethod.VOTE,
        votes_for=3,
        occurred_at=held_at + timedelta(hours=1),
    )
    gov.app.publish_minutes(
        COMMITTEE, meeting_id, text="Minit.", occurred_at=held_at + timedelta(days=1)
    )
    decision_id = gov.decide(meeting_id, 1, lift, occurred_at=held_at + timedelta(hours=1))

    meeting = gov.meeting(meeting_id)
    assert (meeting.held_at, meeting.quorum_met) == (held_at, True)
    assert meeting.minutes_published_at == held_at + timedelta(days=1)
    assert gov.decision(decision_id).made_at == held_at + timedelta(hours=1)
    assert gov.last_event(lift).step_occurred_at == held_at + timedelta(hours=1)


def test_a_decision_cannot_be_backfilled_before_its_meeting_was_held(
    gov: Governance, lift: UUID
) -> None:
    gov.standing_committee()
    gov.clock.advance(days=1)
    meeting_id, motion = gov.carried(lift)

    with gov.refuses(InvalidValue, meeting_id, lift, field="occurred_at"):
        gov.decide(meeting_id, motion, lift, occurred_at=START)


def test_the_admin_may_backfill_managements_answer_from_a_letter(
    gov: Governance, lift: UUID
) -> None:
    decision_id = gov.decided(lift)
    gov.clock.advance(days=5)

    gov.app.respond_to_decision(
        ADMIN,
        decision_id,
        answer=Answer.ACCEPT,
        commitment_date=IN_TWO_WEEKS,
        occurred_at=START + timedelta(days=1),
    )

    assert gov.decision(decision_id).answered_at == START + timedelta(days=1)
    assert gov.last_event(lift).step_occurred_at == START + timedelta(days=1)


def test_management_may_not_backfill_its_own_answer(gov: Governance, lift: UUID) -> None:
    decision_id = gov.decided(lift)
    gov.clock.advance(days=5)

    with gov.refuses(NotPermitted, decision_id, lift):
        gov.app.respond_to_decision(
            MANAGER,
            decision_id,
            answer=Answer.ACCEPT,
            commitment_date=IN_TWO_WEEKS,
            occurred_at=START + timedelta(days=1),
        )


def test_management_may_not_backfill_progress_or_completion(gov: Governance, lift: UUID) -> None:
    decision_id = gov.accepted(lift)
    gov.clock.advance(days=5)
    earlier = START + timedelta(days=1)

    with gov.refuses(NotPermitted, decision_id, lift):
        gov.app.report_decision_progress(
            MANAGER, decision_id, percent=50, note="Separuh", occurred_at=earlier
        )
    with gov.refuses(NotPermitted, decision_id, lift):
        gov.app.mark_decision_done(MANAGER, decision_id, note="Siap", occurred_at=earlier)
