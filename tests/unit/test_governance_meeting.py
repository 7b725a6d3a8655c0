"""Committee meetings: agenda and tabled cases, attendance and quorum, motions, minutes, refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.actors import Actor
from domain.case import Status
from domain.committee import AgeBand, Gender
from domain.errors import IllegalTransition, InvalidValue, NotFound, NotPermitted
from domain.meeting import MeetingStatus, VoteMethod, resident_group
from domain.ppr import ppr_id
from tests.unit.governance_world import MEMBERS, OUTSIDER_IDS, OUTSIDERS, Governance
from tests.unit.world import ADMIN, COMMITTEE, OTHER_PPR, PPR, START, World

NEXT_WEEK = START + timedelta(days=7)


@pytest.fixture
def gov(world: World) -> Governance:
    """The governance steps on a PPR whose committee has five members, m1 to m5."""
    governance = Governance(world)
    governance.standing_committee(size=5)
    return governance


def motion(
    gov: Governance,
    meeting_id: UUID,
    *,
    text: str = "Minta pengurusan baiki lif",
    method: VoteMethod = VoteMethod.VOTE,
    votes_for: int = 0,
    votes_against: int = 0,
) -> None:
    """Record a motion on agenda item 1 with the given text, method and counts."""
    gov.app.record_motion(
        COMMITTEE,
        meeting_id,
        item_number=1,
        text=text,
        method=method,
        votes_for=votes_for,
        votes_against=votes_against,
    )


# -- scheduling -----------------------------------------------------------------------------------


def test_the_committee_schedules_a_meeting_with_a_numbered_agenda(gov: Governance) -> None:
    meeting_id = gov.schedule(
        place="  Dewan serbaguna  ",
        agenda=[("  Lif rosak  ", []), ("Kutipan sampah", [])],
    )

    meeting = gov.meeting(meeting_id)
    assert meeting.ppr_code == PPR
    assert (meeting.scheduled_for, meeting.place) == (NEXT_WEEK, "Dewan serbaguna")
    assert meeting.agenda == [
        {"number": 1, "title": "Lif rosak", "case_ids": []},
        {"number": 2, "title": "Kutipan sampah", "case_ids": []},
    ]
    assert meeting.status == MeetingStatus.SCHEDULED
    assert (meeting.held_at, meeting.quorum_met, meeting.minutes_published_at) == (None, None, None)
    assert (meeting.motions, meeting.members_present) == ([], [])
    assert gov.event_names(meeting_id) == ["Scheduled"]


def test_each_case_on_the_agenda_records_that_it_was_tabled(gov: Governance) -> None:
    lift = gov.world.report()
    water = gov.world.acknowledged()

    meeting_id = gov.schedule(agenda=[("Lif rosak", [str(lift)]), ("Air", [str(water)])])

    for case_id, item_number in ((lift, 1), (water, 2)):
        event = gov.last_event(case_id)
        assert type(event).__name__ == "Tabled"
        assert (event.meeting_id, event.item_number) == (str(meeting_id), item_number)
        assert (event.scheduled_for, event.occurred_at) == (NEXT_WEEK, START)
        assert (event.actor_id, event.actor_role) == ("committee-1", "committee")
    # Tabling changes neither the case's status nor whose move it is.
    assert gov.world.case(lift).status == Status.REPORTED
    assert gov.world.case(water).status == Status.ACKNOWLEDGED
    assert gov.world.version(lift) == 2


def test_a_case_on_two_agenda_items_is_tabled_twice(gov: Governance) -> None:
    case_id = gov.world.report()

    meeting_id = gov.schedule(agenda=[("Lif", [str(case_id)]), ("Keselamatan", [str(case_id)])])

    tabled = [e for e in gov.events(case_id) if type(e).__name__ == "Tabled"]
    assert [(e.meeting_id, e.item_number) for e in tabled] == [
        (str(meeting_id), 1),
        (str(meeting_id), 2),
    ]


def test_a_case_listed_twice_on_one_item_is_tabled_once(gov: Governance) -> None:
    case_id = gov.world.report()

    gov.schedule(case_id, case_id)

    assert gov.world.version(case_id) == 2


def test_a_case_of_another_ppr_cannot_be_tabled_and_nothing_is_saved(gov: Governance) -> None:
    ours = gov.world.report()
    theirs = gov.world.report(ppr_code=OTHER_PPR)

    with gov.refuses(InvalidValue, ours, theirs, field="agenda"):
        gov.schedule(ours, theirs)
    assert gov.world.last_event(ours).__class__.__name__ == "Reported"


@pytest.mark.parametrize(
    "case_id", ["00000000-0000-4000-8000-00000000dead", "not-a-case-id", str(ppr_id(PPR))]
)
def test_an_unknown_case_cannot_be_tabled_and_nothing_is_saved(
    gov: Governance, case_id: str
) -> None:
    ours = gov.world.report()

    with gov.refuses(InvalidValue, ours, field="agenda"):
        gov.schedule(agenda=[("Lif", [str(ours)]), ("Entah", [case_id])])


def test_a_meeting_without_a_committee_cannot_be_scheduled(gov: Governance) -> None:
    with gov.refuses(NotFound):
        gov.app.schedule_meeting(
            COMMITTEE, OTHER_PPR, scheduled_for=NEXT_WEEK, place="Dewan", agenda=[]
        )


@pytest.mark.parametrize("actor", OUTSIDERS, ids=OUTSIDER_IDS)
def test_only_the_committee_or_admin_may_schedule_a_meeting(gov: Governance, actor: Actor) -> None:
    case_id = gov.world.report()

    with gov.refuses(NotPermitted, case_id):
        gov.schedule(case_id, actor=actor)


@pytest.mark.parametrize(
    ("place", "title", "field"),
    [("", "Lif", "place"), ("x" * 201, "Lif", "place"), ("Dewan", "  ", "agenda")],
    ids=["empty place", "long place", "blank agenda title"],
)
def test_a_meeting_needs_a_place_and_titled_agenda_items(
    gov: Governance, place: str, title: str, field: str
) -> None:
    with gov.refuses(InvalidValue, field=field):
        gov.schedule(place=place, agenda=[(title, [])])


def test_an_unknown_meeting_is_not_found(gov: Governance) -> None:
    case_id = gov.world.report()

    with pytest.raises(NotFound):
        gov.meeting(uuid4())
    with pytest.raises(NotFound):
        gov.meeting(case_id)


# -- the agenda -----------------------------------------------------------------------------------


def test_an_agenda_item_added_before_the_meeting_tables_its_cases(gov: Governance) -> None:
    meeting_id = gov.schedule()
    case_id = gov.world.report()
    gov.clock.advance(hours=1)

    saved = gov.app.add_agenda_item(
        COMMITTEE, meeting_id, title=" Paip bocor ", case_ids=[str(case_id)]
    )

    assert saved.version == 2
    assert gov.meeting(meeting_id).agenda[-1] == {
        "number": 2,
        "title": "Paip bocor",
        "case_ids": [str(case_id)],
    }
    event = gov.last_event(case_id)
    assert (type(event).__name__, event.item_number) == ("Tabled", 2)
    assert event.occurred_at == START + timedelta(hours=1)


def test_an_agenda_item_may_be_about_no_case(gov: Governance) -> None:
    meeting_id = gov.schedule()

    gov.app.add_agenda_item(COMMITTEE, meeting_id, title="Hal-hal lain", case_ids=[])

    assert gov.event_names(meeting_id) == ["Scheduled", "AgendaItemAdded"]


def test_an_agenda_item_about_a_case_of_another_ppr_is_refused(gov: Governance) -> None:
    meeting_id = gov.schedule()
    theirs = gov.world.report(ppr_code=OTHER_PPR)

    with gov.refuses(InvalidValue, meeting_id, theirs, field="agenda"):
        gov.app.add_agenda_item(COMMITTEE, meeting_id, title="Lif", case_ids=[str(theirs)])


def test_the_agenda_cannot_change_once_the_meeting_is_held(gov: Governance) -> None:
    meeting_id = gov.held()

    with gov.refuses(IllegalTransition, meeting_id):
        gov.app.add_agenda_item(COMMITTEE, meeting_id, title="Lewat", case_ids=[])


def test_the_agenda_of_a_cancelled_meeting_cannot_change(gov: Governance) -> None:
    meeting_id = gov.schedule()
    gov.app.cancel_meeting(COMMITTEE, meeting_id, reason="Banjir")

    with gov.refuses(IllegalTransition, meeting_id):
        gov.app.add_agenda_item(COMMITTEE, meeting_id, title="Lewat", case_ids=[])


@pytest.mark.parametrize("actor", OUTSIDERS, ids=OUTSIDER_IDS)
def test_only_the_committee_or_admin_may_change_the_agenda(gov: Governance, actor: Actor) -> None:
    meeting_id = gov.schedule()

    with gov.refuses(NotPermitted, meeting_id):
        gov.app.add_agenda_item(actor, meeting_id, title="Lif", case_ids=[])


# -- holding --------------------------------------------------------------------------------------


def test_a_held_meeting_records_attendance_and_its_quorum(gov: Governance) -> None:
    meeting_id = gov.schedule()
    gov.clock.set(NEXT_WEEK)
    women_35 = resident_group(Gender.FEMALE, AgeBand.FROM_35)
    undeclared = resident_group(None, None)

    gov.hold(
        meeting_id,
        ("m1", "m2", "m3", "m1"),
        residents_attending={women_35: 12, undeclared: 4, "male/65+": 0},
        management_present=2,
    )

    meeting = gov.meeting(meeting_id)
    assert meeting.status == MeetingStatus.HELD
    assert meeting.held_at == NEXT_WEEK
    assert meeting.members_present == ["m1", "m2", "m3"]
    assert (meeting.quorum_required, meeting.quorum_met) == (3, True)
    event = gov.last_event(meeting_id)
    assert type(event).__name__ == "Held"
    assert event.members_seated == 5
    assert event.residents_attending == {"female/35-44": 12, "undeclared/undeclared": 4}
    assert event.management_present == 2


@pytest.mark.parametrize(
    ("present", "required", "met"),
    [(MEMBERS[:5], 3, True), (MEMBERS[:3], 3, True), (MEMBERS[:2], 3, False), ((), 3, False)],
    ids=["all five", "three of five", "two of five", "nobody"],
)
def test_quorum_is_more_than_half_of_the_members_seated(
    gov: Governance, present: tuple[str, ...], required: int, met: bool
) -> None:
    meeting_id = gov.schedule()

    gov.hold(meeting_id, present)

    assert (gov.meeting(meeting_id).quorum_required, gov.meeting(meeting_id).quorum_met) == (
        required,
        met,
    )


def test_with_four_members_two_present_is_no_quorum(gov: Governance) -> None:
    gov.app.step_down_member(COMMITTEE, PPR, member_id="m5")
    meeting_id = gov.schedule()

    gov.hold(meeting_id, ("m1", "m2"))

    assert (gov.meeting(meeting_id).quorum_required, gov.meeting(meeting_id).quorum_met) == (
        3,
        False,
    )


def test_a_fixed_quorum_rule_decides_whether_a_meeting_is_quorate(gov: Governance) -> None:
    gov.app.change_quorum_rule(COMMITTEE, PPR, quorum_minimum=2)
    meeting_id = gov.schedule()

    gov.hold(meeting_id, ("m1", "m2"))

    assert (gov.meeting(meeting_id).quorum_required, gov.meeting(meeting_id).quorum_met) == (
        2,
        True,
    )


def test_quorum_is_judged_against_the_committee_as_it_stood_at_the_meeting(
    gov: Governance,
) -> None:
    meeting_id = gov.schedule()
    gov.clock.set(NEXT_WEEK + timedelta(days=3))
    # Two members left after the meeting; the secretary types the meeting in afterwards.
    gov.app.step_down_member(COMMITTEE, PPR, member_id="m4")
    gov.app.step_down_member(COMMITTEE, PPR, member_id="m5")

    gov.hold(meeting_id, ("m1", "m2"), occurred_at=NEXT_WEEK)

    meeting = gov.meeting(meeting_id)
    assert (meeting.held_at, meeting.quorum_required, meeting.quorum_met) == (NEXT_WEEK, 3, False)
    assert gov.last_event(meeting_id).members_seated == 5


def test_the_quorum_rule_that_applies_is_the_one_in_force_at_the_meeting(gov: Governance) -> None:
    meeting_id = gov.schedule()
    gov.clock.set(NEXT_WEEK + timedelta(days=3))
    # The rule was relaxed after the meeting; the meeting is typed in afterwards.
    gov.app.change_quorum_rule(COMMITTEE, PPR, quorum_minimum=2)

    gov.hold(meeting_id, ("m1", "m2"), occurred_at=NEXT_WEEK)

    meeting = gov.meeting(meeting_id)
    assert (meeting.quorum_required, meeting.quorum_met) == (3, False)


def test_a_meeting_time_given_without_a_timezone_is_taken_as_utc(gov: Governance) -> None:
    meeting_id = gov.schedule()
    gov.clock.set(NEXT_WEEK + timedelta(days=1))

    gov.hold(meeting_id, ("m1", "m2", "m3"), occurred_at=NEXT_WEEK.replace(tzinfo=None))

    meeting = gov.meeting(meeting_id)
    assert (meeting.held_at, meeting.quorum_met) == (NEXT_WEEK, True)


def test_members_present_must_sit_on_the_committee(gov: Governance) -> None:
    meeting_id = gov.schedule()

    with gov.refuses(InvalidValue, meeting_id, field="members_present") as refusal:
        gov.hold(meeting_id, ("m1", "m2", "stranger"))
    assert "stranger" in str(refusal.value)


def test_a_member_who_stepped_down_before_the_meeting_was_not_present(gov: Governance) -> None:
    gov.app.step_down_member(COMMITTEE, PPR, member_id="m1")
    meeting_id = gov.schedule()

    with gov.refuses(InvalidValue, meeting_id, field="members_present"):
        gov.hold(meeting_id, ("m1", "m2", "m3"))


def test_a_member_seated_after_the_meeting_was_not_present(gov: Governance) -> None:
    meeting_id = gov.schedule()
    gov.clock.set(NEXT_WEEK + timedelta(days=1))
    gov.seat("m6")

    with gov.refuses(InvalidValue, meeting_id, field="members_present"):
        gov.hold(meeting_id, ("m1", "m2", "m6"), occurred_at=NEXT_WEEK)


def test_resident_counts_cannot_be_negative(gov: Governance) -> None:
    meeting_id = gov.schedule()

    with gov.refuses(InvalidValue, meeting_id, field="residents_attending"):
        gov.hold(meeting_id, residents_attending={"female/18-24": 3, "male/18-24": -1})


@pytest.mark.parametrize("group", ["women", "female/40-49", "female", "other/35-44"])
def test_residents_are_counted_only_under_known_groups(gov: Governance, group: str) -> None:
    meeting_id = gov.schedule()

    with gov.refuses(InvalidValue, meeting_id, field="residents_attending"):
        gov.hold(meeting_id, residents_attending={group: 2})


@pytest.mark.parametrize(
    ("field", "options"),
    [
        ("residents_attending", {"residents_attending": {"female/35-44": 10_001}}),
        ("management_present", {"management_present": 2**63}),
    ],
)
def test_impossible_attendance_counts_are_refused(
    gov: Governance, field: str, options: dict[str, Any]
) -> None:
    # A count no hall holds is a typing error; stored, it would also overflow the read model.
    meeting_id = gov.schedule()

    with gov.refuses(InvalidValue, meeting_id, field=field):
        gov.hold(meeting_id, **options)


def test_a_held_meeting_keeps_its_attendance(gov: Governance) -> None:
    meeting_id = gov.schedule()

    gov.hold(
        meeting_id,
        residents_attending={"female/35-44": 4, "undeclared/undeclared": 1},
        management_present=2,
    )

    meeting = gov.meeting(meeting_id)
    assert meeting.residents_attending == {"female/35-44": 4, "undeclared/undeclared": 1}
    assert meeting.management_present == 2


def test_management_present_cannot_be_negative(gov: Governance) -> None:
    meeting_id = gov.schedule()

    with gov.refuses(InvalidValue, meeting_id, field="management_present"):
        gov.hold(meeting_id, management_present=-1)


def test_a_meeting_is_held_only_once(gov: Governance) -> None:
    meeting_id = gov.held()

    with gov.refuses(IllegalTransition, meeting_id):
        gov.hold(meeting_id)


def test_a_cancelled_meeting_cannot_be_held(gov: Governance) -> None:
    meeting_id = gov.schedule()
    gov.app.cancel_meeting(COMMITTEE, meeting_id, reason="Banjir")

    with gov.refuses(IllegalTransition, meeting_id):
        gov.hold(meeting_id)


@pytest.mark.parametrize("actor", OUTSIDERS, ids=OUTSIDER_IDS)
def test_only_the_committee_or_admin_may_record_a_meeting(gov: Governance, actor: Actor) -> None:
    meeting_id = gov.schedule()

    with gov.refuses(NotPermitted, meeting_id):
        gov.app.hold_meeting(
            actor, meeting_id, members_present=["m1"], residents_attending={}, management_present=0
        )


def test_a_meeting_without_quorum_is_recorded_but_cannot_decide(gov: Governance) -> None:
    meeting_id = gov.held(present=("m1", "m2"))
    number = gov.vote(meeting_id, votes_for=2)

    meeting = gov.meeting(meeting_id)
    assert (meeting.status, meeting.quorum_met) == (MeetingStatus.HELD, False)
    assert meeting.motion(number)["carried"] is True
    with pytest.raises(IllegalTransition, match="no quorum"):
        meeting.require_decision_allowed(number)


# -- motions --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("votes_for", "votes_against", "abstentions", "carried"),
    [
        (3, 0, 0, True),
        (2, 1, 0, True),
        (1, 1, 1, False),
        (1, 2, 0, False),
        (1, 0, 2, True),
        (0, 0, 3, False),
        (0, 1, 0, False),
    ],
    ids=[
        "unanimous",
        "two to one",
        "tie with an abstention",
        "lost",
        "abstentions count for neither side",
        "everyone abstains",
        "one against",
    ],
)
def test_a_vote_carries_when_more_members_vote_for_than_against(
    gov: Governance, votes_for: int, votes_against: int, abstentions: int, carried: bool
) -> None:
    meeting_id = gov.held()

    number = gov.vote(meeting_id, votes_for, votes_against, abstentions)

    recorded = gov.meeting(meeting_id).motion(number)
    assert recorded == {
        "number": 1,
        "item_number": 1,
        "text": "Minta pengurusan baiki lif dalam 30 hari",
        "method": "vote",
        "votes_for": votes_for,
        "votes_against": votes_against,
        "abstentions": abstentions,
        "carried": carried,
    }
    assert type(gov.last_event(meeting_id)).__name__ == "MotionRecorded"


def test_motions_are_numbered_in_order(gov: Governance) -> None:
    meeting_id = gov.held()

    assert [gov.vote(meeting_id, 3), gov.vote(meeting_id, 1, 2), gov.vote(meeting_id, 2)] == [
        1,
        2,
        3,
    ]


def test_a_consensus_carries_and_records_no_counts(gov: Governance) -> None:
    meeting_id = gov.held()

    motion(gov, meeting_id, method=VoteMethod.CONSENSUS, votes_for=9, votes_against=9)

    recorded = gov.meeting(meeting_id).motion(1)
    assert recorded["method"] == "consensus"
    assert (recorded["votes_for"], recorded["votes_against"], recorded["abstentions"]) == (0, 0, 0)
    assert recorded["carried"] is True


@pytest.mark.parametrize(
    ("votes_for", "votes_against", "abstentions"),
    [(4, 0, 0), (2, 1, 1), (0, 0, 4)],
    ids=["four for", "four in all", "four abstain"],
)
def test_no_more_members_can_vote_than_were_present(
    gov: Governance, votes_for: int, votes_against: int, abstentions: int
) -> None:
    meeting_id = gov.held(present=("m1", "m2", "m3"))

    with gov.refuses(InvalidValue, meeting_id, field="votes_for"):
        gov.vote(meeting_id, votes_for, votes_against, abstentions)


def test_a_vote_needs_at_least_one_vote(gov: Governance) -> None:
    meeting_id = gov.held()

    with gov.refuses(InvalidValue, meeting_id, field="votes_for"):
        gov.vote(meeting_id, 0, 0, 0)


@pytest.mark.parametrize(
    ("votes_for", "votes_against", "abstentions"),
    [(-1, 0, 0), (3, -1, 0), (3, 0, -1)],
    ids=["for", "against", "abstentions"],
)
def test_vote_counts_cannot_be_negative(
    gov: Governance, votes_for: int, votes_against: int, abstentions: int
) -> None:
    meeting_id = gov.held()

    with gov.refuses(InvalidValue, meeting_id, field="votes_for"):
        gov.vote(meeting_id, votes_for, votes_against, abstentions)


@pytest.mark.parametrize("item_number", [0, 2, -1])
def test_a_motion_must_be_on_an_agenda_item(gov: Governance, item_number: int) -> None:
    meeting_id = gov.held()

    with gov.refuses(InvalidValue, meeting_id, field="item_number"):
        gov.vote(meeting_id, 3, item_number=item_number)


def test_a_motion_needs_text(gov: Governance) -> None:
    meeting_id = gov.held()

    with gov.refuses(InvalidValue, meeting_id, field="text"):
        motion(gov, meeting_id, text="  ", votes_for=3)


def test_no_motion_before_the_meeting_is_held(gov: Governance) -> None:
    meeting_id = gov.schedule()

    with gov.refuses(IllegalTransition, meeting_id):
        gov.vote(meeting_id, 3)


def test_no_motion_at_a_cancelled_meeting(gov: Governance) -> None:
    meeting_id = gov.schedule()
    gov.app.cancel_meeting(COMMITTEE, meeting_id, reason="Banjir")

    with gov.refuses(IllegalTransition, meeting_id):
        gov.vote(meeting_id, 3)


@pytest.mark.parametrize("actor", OUTSIDERS, ids=OUTSIDER_IDS)
def test_only_the_committee_or_admin_may_record_a_motion(gov: Governance, actor: Actor) -> None:
    meeting_id = gov.held()

    with gov.refuses(NotPermitted, meeting_id):
        gov.app.record_motion(
            actor, meeting_id, item_number=1, text="Usul", method=VoteMethod.CONSENSUS
        )


def test_an_unknown_motion_number_is_refused(gov: Governance) -> None:
    meeting_id = gov.held()

    with pytest.raises(InvalidValue) as refusal:
        gov.meeting(meeting_id).motion(1)
    assert refusal.value.field == "motion_number"


# -- minutes --------------------------------------------------------------------------------------


def test_the_minutes_of_a_held_meeting_are_published_with_their_time(gov: Governance) -> None:
    meeting_id = gov.schedule()
    gov.clock.set(NEXT_WEEK)
    gov.hold(meeting_id)
    gov.clock.advance(days=3)

    gov.app.publish_minutes(COMMITTEE, meeting_id, text="  Mesyuarat bermula 8.30 malam.  ")

    meeting = gov.meeting(meeting_id)
    assert meeting.minutes == "Mesyuarat bermula 8.30 malam."
    assert meeting.minutes_published_at == NEXT_WEEK + timedelta(days=3)
    assert type(gov.last_event(meeting_id)).__name__ == "MinutesPublished"


def test_minutes_are_published_only_once(gov: Governance) -> None:
    meeting_id = gov.held()
    gov.app.publish_minutes(COMMITTEE, meeting_id, text="Minit.")

    with gov.refuses(IllegalTransition, meeting_id):
        gov.app.publish_minutes(COMMITTEE, meeting_id, text="Minit yang dibetulkan.")


def test_minutes_are_published_only_after_the_meeting_is_held(gov: Governance) -> None:
    meeting_id = gov.schedule()

    with gov.refuses(IllegalTransition, meeting_id):
        gov.app.publish_minutes(COMMITTEE, meeting_id, text="Minit.")
    gov.app.cancel_meeting(COMMITTEE, meeting_id, reason="Banjir")
    with gov.refuses(IllegalTransition, meeting_id):
        gov.app.publish_minutes(COMMITTEE, meeting_id, text="Minit.")


@pytest.mark.parametrize("text", ["", "   ", "x" * 50_001], ids=["empty", "blank", "too long"])
def test_minutes_need_bounded_text(gov: Governance, text: str) -> None:
    meeting_id = gov.held()

    with gov.refuses(InvalidValue, meeting_id, field="text"):
        gov.app.publish_minutes(COMMITTEE, meeting_id, text=text)


@pytest.mark.parametrize("actor", OUTSIDERS, ids=OUTSIDER_IDS)
def test_only_the_committee_or_admin_may_publish_minutes(gov: Governance, actor: Actor) -> None:
    meeting_id = gov.held()

    with gov.refuses(NotPermitted, meeting_id):
        gov.app.publish_minutes(actor, meeting_id, text="Minit.")


# -- cancelling -----------------------------------------------------------------------------------


def test_a_scheduled_meeting_is_cancelled_with_a_reason(gov: Governance) -> None:
    meeting_id = gov.schedule()

    gov.app.cancel_meeting(ADMIN, meeting_id, reason="  Dewan dibanjiri  ")

    assert gov.meeting(meeting_id).status == MeetingStatus.CANCELLED
    event = gov.last_event(meeting_id)
    assert (type(event).__name__, event.reason) == ("Cancelled", "Dewan dibanjiri")


def test_a_cancellation_needs_a_reason(gov: Governance) -> None:
    meeting_id = gov.schedule()

    with gov.refuses(InvalidValue, meeting_id, field="reason"):
        gov.app.cancel_meeting(COMMITTEE, meeting_id, reason=" ")


def test_only_a_scheduled_meeting_can_be_cancelled(gov: Governance) -> None:
    held = gov.held()
    cancelled = gov.schedule()
    gov.app.cancel_meeting(COMMITTEE, cancelled, reason="Banjir")

    with gov.refuses(IllegalTransition, held):
        gov.app.cancel_meeting(COMMITTEE, held, reason="Terlambat")
    with gov.refuses(IllegalTransition, cancelled):
        gov.app.cancel_meeting(COMMITTEE, cancelled, reason="Sekali lagi")


@pytest.mark.parametrize("actor", OUTSIDERS, ids=OUTSIDER_IDS)
def test_only_the_committee_or_admin_may_cancel_a_meeting(gov: Governance, actor: Actor) -> None:
    meeting_id = gov.schedule()

    with gov.refuses(NotPermitted, meeting_id):
        gov.app.cancel_meeting(actor, meeting_id, reason="Banjir")
