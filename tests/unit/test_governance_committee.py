"""The residents' committee: its term, its seats over time, its quorum rule, and every refusal."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.actors import Actor
from domain.committee import AgeBand, CommitteeRole, Gender, Selection, committee_id
from domain.errors import AlreadyExists, IllegalTransition, InvalidValue, NotFound, NotPermitted
from tests.unit.governance_world import (
    OUTSIDER_IDS,
    OUTSIDERS,
    TERM_END,
    TERM_START,
    Governance,
)
from tests.unit.world import ADMIN, COMMITTEE, MANAGER, OTHER_PPR, PPR, START, SYSTEM, World

SINGLE_SEATS = [
    CommitteeRole.CHAIR,
    CommitteeRole.VICE_CHAIR,
    CommitteeRole.SECRETARY,
    CommitteeRole.TREASURER,
]


@pytest.fixture
def gov(world: World) -> Governance:
    """The governance steps on the shared scenario."""
    return Governance(world)


# -- establishing ---------------------------------------------------------------------------------


def test_the_committee_establishes_itself_for_a_term_with_no_members_yet(gov: Governance) -> None:
    # The PPR code may be given in lower case: it is the PPR's code that is stored.
    saved = gov.app.establish_committee(
        COMMITTEE, PPR.lower(), term_start=TERM_START, term_end=TERM_END
    )

    committee = gov.committee()
    assert (saved.id, saved.version) == (committee_id(PPR), 1)
    assert committee.ppr_code == PPR
    assert (committee.term_start, committee.term_end) == (TERM_START, TERM_END)
    assert committee.quorum_minimum is None
    assert committee.stints == []
    assert committee.current_members() == []
    event = gov.last_event(saved.id)
    assert type(event).__name__ == "Established"
    assert (event.actor_id, event.actor_role, event.occurred_at) == (
        "committee-1",
        "committee",
        START,
    )


@pytest.mark.parametrize("actor", [ADMIN, SYSTEM], ids=["admin", "system"])
def test_the_admin_may_establish_a_committee_too(gov: Governance, actor: Actor) -> None:
    gov.establish(actor=actor)

    assert gov.committee().ppr_code == PPR


def test_a_committee_may_be_established_with_a_fixed_quorum(gov: Governance) -> None:
    gov.establish(quorum_minimum=4)

    assert gov.committee().quorum_minimum == 4


@pytest.mark.parametrize("actor", OUTSIDERS, ids=OUTSIDER_IDS)
def test_only_the_committee_or_admin_may_establish_a_committee(
    gov: Governance, actor: Actor
) -> None:
    with gov.refuses(NotPermitted):
        gov.establish(actor=actor)


@pytest.mark.parametrize(
    "term_end", [TERM_START, TERM_START - timedelta(days=1)], ids=["same day", "day before"]
)
def test_a_term_must_end_after_it_starts(gov: Governance, term_end: date) -> None:
    with gov.refuses(InvalidValue, field="term_end"):
        gov.app.establish_committee(COMMITTEE, PPR, term_start=TERM_START, term_end=term_end)


@pytest.mark.parametrize("quorum_minimum", [0, -1, 101], ids=["zero", "negative", "over 100"])
def test_a_fixed_quorum_must_be_between_one_and_a_hundred_members(
    gov: Governance, quorum_minimum: int
) -> None:
    with gov.refuses(InvalidValue, field="quorum_minimum"):
        gov.establish(quorum_minimum=quorum_minimum)


def test_a_ppr_has_only_one_committee(gov: Governance) -> None:
    committee = gov.establish()

    with gov.refuses(AlreadyExists, committee):
        gov.app.establish_committee(
            ADMIN, PPR.lower(), term_start=date(2026, 1, 1), term_end=date(2027, 12, 31)
        )
    assert gov.committee().term_start == TERM_START


def test_each_ppr_has_its_own_committee(gov: Governance) -> None:
    gov.establish()
    gov.app.establish_committee(COMMITTEE, OTHER_PPR, term_start=TERM_START, term_end=TERM_END)

    assert gov.app.get_committee(OTHER_PPR).ppr_code == OTHER_PPR
    assert committee_id(PPR) != committee_id(OTHER_PPR)


def test_a_committee_for_an_unknown_ppr_is_refused(gov: Governance) -> None:
    with gov.refuses(NotFound):
        gov.app.establish_committee(COMMITTEE, "PPRXX", term_start=TERM_START, term_end=TERM_END)


def test_a_ppr_without_a_committee_has_none_to_read_or_change(gov: Governance) -> None:
    with pytest.raises(NotFound):
        gov.committee()
    with gov.refuses(NotFound):
        gov.seat("m1")
    with gov.refuses(NotFound):
        gov.app.step_down_member(COMMITTEE, PPR, member_id="m1")
    with gov.refuses(NotFound):
        gov.app.change_quorum_rule(COMMITTEE, PPR, quorum_minimum=3)


# -- appointing -----------------------------------------------------------------------------------


def test_a_member_is_seated_with_role_selection_block_gender_and_age_band(
    gov: Governance,
) -> None:
    committee = gov.establish()
    gov.clock.advance(days=1)

    gov.seat(
        " m1 ",
        CommitteeRole.BLOCK_REPRESENTATIVE,
        name="  Puan Siti Aminah  ",
        selection=Selection.APPOINTED,
        block=" b ",
        gender=Gender.FEMALE,
        age_band=AgeBand.FROM_45,
    )

    assert gov.committee().current_members() == [
        {
            "member_id": "m1",
            "name": "Puan Siti Aminah",
            "role": "block_representative",
            "selection": "appointed",
            "block": "B",
            "gender": "female",
            "age_band": "45-54",
            "since": START + timedelta(days=1),
            "until": None,
        }
    ]
    event = gov.last_event(committee)
    assert type(event).__name__ == "MemberJoined"
    assert (event.member_id, event.role, event.block) == ("m1", "block_representative", "B")
    assert gov.version(committee) == 2


def test_gender_age_band_and_block_are_optional_for_an_ordinary_member(gov: Governance) -> None:
    gov.establish()
    gov.seat("m1")

    (stint,) = gov.committee().current_members()
    assert (stint["role"], stint["selection"]) == ("member", "elected")
    assert (stint["block"], stint["gender"], stint["age_band"]) == (None, None, None)


def test_a_full_committee_seats_every_role(gov: Governance) -> None:
    gov.establish()
    for number, role in enumerate(CommitteeRole, start=1):
        block = "A" if role is CommitteeRole.BLOCK_REPRESENTATIVE else None
        gov.seat(f"m{number}", role, block=block)

    roles = [stint["role"] for stint in gov.committee().current_members()]
    assert roles == [
        "chair",
        "vice_chair",
        "secretary",
        "treasurer",
        "block_representative",
        "member",
    ]


@pytest.mark.parametrize("role", SINGLE_SEATS, ids=str)
def test_a_single_seat_cannot_be_filled_twice_while_it_is_held(
    gov: Governance, role: CommitteeRole
) -> None:
    committee = gov.establish()
    gov.seat("m1", role)

    with gov.refuses(IllegalTransition, committee):
        gov.seat("m2", role)


@pytest.mark.parametrize("role", SINGLE_SEATS, ids=str)
def test_a_single_seat_can_be_filled_again_once_its_holder_steps_down(
    gov: Governance, role: CommitteeRole
) -> None:
    gov.establish()
    gov.seat("m1", role)
    gov.app.step_down_member(COMMITTEE, PPR, member_id="m1")

    gov.seat("m2", role)

    assert [(s["member_id"], s["role"]) for s in gov.committee().current_members()] == [
        ("m2", role.value)
    ]


def test_many_ordinary_members_and_block_representatives_sit_together(gov: Governance) -> None:
    gov.establish()
    gov.seat("m1")
    gov.seat("m2")
    gov.seat("m3", CommitteeRole.BLOCK_REPRESENTATIVE, block="A")
    gov.seat("m4", CommitteeRole.BLOCK_REPRESENTATIVE, block="A")
    gov.seat("m5", CommitteeRole.BLOCK_REPRESENTATIVE, block="B")

    assert len(gov.committee().current_members()) == 5


@pytest.mark.parametrize("block", [None, "", "  "], ids=["none", "empty", "blank"])
def test_a_block_representative_needs_a_block(gov: Governance, block: str | None) -> None:
    committee = gov.establish()

    with gov.refuses(InvalidValue, committee, field="block"):
        gov.seat("m1", CommitteeRole.BLOCK_REPRESENTATIVE, block=block)


@pytest.mark.parametrize(
    "role", [CommitteeRole.BLOCK_REPRESENTATIVE, CommitteeRole.MEMBER], ids=str
)
def test_a_members_block_must_be_a_block_of_the_ppr(gov: Governance, role: CommitteeRole) -> None:
    committee = gov.establish()

    with gov.refuses(InvalidValue, committee, field="block"):
        gov.seat("m1", role, block="Z")


def test_the_same_member_cannot_be_seated_twice_even_in_another_role(gov: Governance) -> None:
    committee = gov.establish()
    gov.seat("m1")

    with gov.refuses(IllegalTransition, committee):
        gov.seat("m1", CommitteeRole.CHAIR)
    with gov.refuses(IllegalTransition, committee):
        gov.seat(" m1 ")


@pytest.mark.parametrize(
    ("member_id", "name", "field"),
    [
        ("", "Encik Ali", "member_id"),
        ("   ", "Encik Ali", "member_id"),
        ("m" * 65, "Encik Ali", "member_id"),
        ("m1", "", "name"),
        ("m1", " \t ", "name"),
        ("m1", "n" * 121, "name"),
    ],
    ids=["empty id", "blank id", "long id", "empty name", "blank name", "long name"],
)
def test_a_member_needs_a_bounded_id_and_name(
    gov: Governance, member_id: str, name: str, field: str
) -> None:
    committee = gov.establish()

    with gov.refuses(InvalidValue, committee, field=field):
        gov.seat(member_id, name=name)


def test_an_id_of_64_and_a_name_of_120_characters_are_accepted(gov: Governance) -> None:
    gov.establish()
    gov.seat("m" * 64, name="n" * 120)

    (stint,) = gov.committee().current_members()
    assert (len(stint["member_id"]), len(stint["name"])) == (64, 120)


@pytest.mark.parametrize("actor", OUTSIDERS, ids=OUTSIDER_IDS)
def test_only_the_committee_or_admin_may_seat_members(gov: Governance, actor: Actor) -> None:
    committee = gov.establish()

    with gov.refuses(NotPermitted, committee):
        gov.seat("m1", actor=actor)


def test_the_admin_may_seat_members(gov: Governance) -> None:
    gov.establish()
    gov.seat("m1", actor=ADMIN)

    assert gov.last_event(committee_id(PPR)).actor_role == "admin"


# -- stepping down --------------------------------------------------------------------------------


def test_a_member_steps_down_with_a_reason(gov: Governance) -> None:
    committee = gov.standing_committee(size=2)
    gov.clock.advance(days=30)

    saved = gov.app.step_down_member(
        COMMITTEE, PPR, member_id="m1", reason="  Berpindah ke Johor  "
    )

    assert saved.version == 4
    assert [s["member_id"] for s in gov.committee().current_members()] == ["m2"]
    (left,) = (s for s in gov.committee().stints if s["member_id"] == "m1")
    assert left["until"] == START + timedelta(days=30)
    event = gov.last_event(committee)
    assert type(event).__name__ == "MemberSteppedDown"
    assert (event.member_id, event.reason) == ("m1", "Berpindah ke Johor")


def test_a_blank_reason_for_stepping_down_is_stored_as_none(gov: Governance) -> None:
    committee = gov.standing_committee(size=1)

    gov.app.step_down_member(COMMITTEE, PPR, member_id="m1", reason="   ")

    assert gov.last_event(committee).reason is None


def test_only_a_sitting_member_can_step_down(gov: Governance) -> None:
    committee = gov.standing_committee(size=1)
    gov.app.step_down_member(COMMITTEE, PPR, member_id="m1")

    with gov.refuses(IllegalTransition, committee):
        gov.app.step_down_member(COMMITTEE, PPR, member_id="m1")
    with gov.refuses(IllegalTransition, committee):
        gov.app.step_down_member(COMMITTEE, PPR, member_id="stranger")


@pytest.mark.parametrize("actor", OUTSIDERS, ids=OUTSIDER_IDS)
def test_only_the_committee_or_admin_may_step_a_member_down(gov: Governance, actor: Actor) -> None:
    committee = gov.standing_committee(size=1)

    with gov.refuses(NotPermitted, committee):
        gov.app.step_down_member(actor, PPR, member_id="m1")


def test_a_member_who_stepped_down_may_be_seated_again(gov: Governance) -> None:
    gov.standing_committee(size=1)
    gov.clock.advance(days=10)
    gov.app.step_down_member(COMMITTEE, PPR, member_id="m1")
    gov.clock.advance(days=10)

    gov.seat("m1", CommitteeRole.TREASURER)

    stints = [(s["role"], s["since"], s["until"]) for s in gov.committee().stints]
    assert stints == [
        ("member", START, START + timedelta(days=10)),
        ("treasurer", START + timedelta(days=20), None),
    ]


# -- membership over time -------------------------------------------------------------------------


def test_the_membership_at_any_past_moment_is_recoverable(gov: Governance) -> None:
    day = timedelta(days=1)
    gov.establish()
    gov.seat("m1", CommitteeRole.CHAIR)
    gov.seat("m2")
    gov.clock.set(START + 3 * day)
    gov.seat("m3")
    gov.clock.set(START + 5 * day)
    gov.app.step_down_member(COMMITTEE, PPR, member_id="m1")
    gov.seat("m4", CommitteeRole.CHAIR)
    gov.clock.set(START + 7 * day)
    gov.seat("m1")

    assert gov.seated(START - timedelta(seconds=1)) == []
    # A member who joined at that very instant has joined.
    assert gov.seated(START) == ["m1", "m2"]
    assert gov.seated(START + 3 * day - timedelta(seconds=1)) == ["m1", "m2"]
    assert gov.seated(START + 3 * day) == ["m1", "m2", "m3"]
    # A member who left at that very instant has left.
    assert gov.seated(START + 5 * day - timedelta(seconds=1)) == ["m1", "m2", "m3"]
    assert gov.seated(START + 5 * day) == ["m2", "m3", "m4"]
    assert gov.seated(START + 7 * day) == ["m2", "m3", "m4", "m1"]
    assert gov.seated(START + 365 * day) == ["m2", "m3", "m4", "m1"]
    chairs = [
        s["member_id"] for s in gov.committee().members_at(START + 4 * day) if s["role"] == "chair"
    ]
    assert chairs == ["m1"]


def test_the_committee_backfills_membership_changes_from_its_records(gov: Governance) -> None:
    gov.clock.advance(days=30)
    last_month = START
    committee = gov.app.establish_committee(
        COMMITTEE, PPR, term_start=TERM_START, term_end=TERM_END, occurred_at=last_month
    ).id
    gov.app.appoint_member(
        COMMITTEE,
        PPR,
        member_id="m1",
        name="Encik Ali",
        role=CommitteeRole.CHAIR,
        selection=Selection.ELECTED,
        occurred_at=last_month + timedelta(days=1),
    )
    gov.app.step_down_member(ADMIN, PPR, member_id="m1", occurred_at=last_month + timedelta(days=2))

    assert gov.seated(last_month + timedelta(days=1)) == ["m1"]
    assert gov.seated(last_month + timedelta(days=2)) == []
    assert [e.occurred_at for e in gov.events(committee)] == [
        last_month,
        last_month + timedelta(days=1),
        last_month + timedelta(days=2),
    ]
    assert {e.timestamp for e in gov.events(committee)} == {START + timedelta(days=30)}


def test_a_membership_change_cannot_be_backfilled_before_the_committees_last_event(
    gov: Governance,
) -> None:
    committee = gov.standing_committee(size=1)

    with gov.refuses(InvalidValue, committee, field="occurred_at"):
        gov.app.step_down_member(
            COMMITTEE, PPR, member_id="m1", occurred_at=START - timedelta(days=1)
        )


def test_a_membership_change_cannot_be_backfilled_into_the_future(gov: Governance) -> None:
    committee = gov.standing_committee(size=1)

    with gov.refuses(InvalidValue, committee, field="occurred_at"):
        gov.app.step_down_member(
            COMMITTEE, PPR, member_id="m1", occurred_at=START + timedelta(hours=1)
        )


# -- quorum ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "quorum"),
    [(0, 1), (1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (6, 4), (7, 4)],
    ids=str,
)
def test_the_default_quorum_is_more_than_half_of_the_members(
    gov: Governance, members: int, quorum: int
) -> None:
    gov.standing_committee(size=members)

    assert gov.committee().quorum_at(START) == quorum


def test_the_default_quorum_follows_the_membership_at_that_moment(gov: Governance) -> None:
    gov.standing_committee(size=5)
    gov.clock.advance(days=10)
    gov.app.step_down_member(COMMITTEE, PPR, member_id="m5")
    gov.clock.advance(days=10)
    gov.app.step_down_member(COMMITTEE, PPR, member_id="m4")
    gov.app.step_down_member(COMMITTEE, PPR, member_id="m3")

    committee = gov.committee()
    assert committee.quorum_at(START) == 3  # five members
    assert committee.quorum_at(START + timedelta(days=10)) == 3  # four members
    assert committee.quorum_at(START + timedelta(days=20)) == 2  # two members


def test_a_fixed_quorum_rule_overrides_more_than_half(gov: Governance) -> None:
    committee = gov.standing_committee(size=5)

    saved = gov.app.change_quorum_rule(COMMITTEE, PPR, quorum_minimum=2)

    assert saved.version == gov.version(committee)
    assert gov.committee().quorum_minimum == 2
    assert gov.committee().quorum_at(START) == 2
    event = gov.last_event(committee)
    assert (type(event).__name__, event.quorum_minimum) == ("QuorumRuleChanged", 2)


def test_a_fixed_quorum_may_exceed_the_members_seated(gov: Governance) -> None:
    gov.standing_committee(size=2, quorum_minimum=4)

    assert gov.committee().quorum_at(START) == 4


def test_clearing_the_quorum_rule_goes_back_to_more_than_half(gov: Governance) -> None:
    gov.standing_committee(size=4, quorum_minimum=2)
    gov.clock.advance(days=1)

    gov.app.change_quorum_rule(COMMITTEE, PPR, quorum_minimum=None)

    assert gov.committee().quorum_minimum is None
    assert gov.committee().quorum_at(START + timedelta(days=1)) == 3


def test_the_quorum_rule_in_force_at_a_past_moment_applies_to_that_moment(
    gov: Governance,
) -> None:
    gov.standing_committee(size=4)
    gov.clock.advance(days=10)
    gov.app.change_quorum_rule(COMMITTEE, PPR, quorum_minimum=2)
    gov.clock.advance(days=10)
    gov.app.change_quorum_rule(COMMITTEE, PPR, quorum_minimum=None)

    committee = gov.committee()
    assert committee.quorum_at(START + timedelta(days=5)) == 3  # more than half of 4
    assert committee.quorum_at(START + timedelta(days=15)) == 2  # the fixed rule
    assert committee.quorum_at(START + timedelta(days=25)) == 3  # back to more than half


@pytest.mark.parametrize("quorum_minimum", [0, 101], ids=["zero", "over 100"])
def test_a_changed_quorum_rule_must_be_between_one_and_a_hundred(
    gov: Governance, quorum_minimum: int
) -> None:
    committee = gov.standing_committee(size=3)

    with gov.refuses(InvalidValue, committee, field="quorum_minimum"):
        gov.app.change_quorum_rule(COMMITTEE, PPR, quorum_minimum=quorum_minimum)


@pytest.mark.parametrize("actor", OUTSIDERS, ids=OUTSIDER_IDS)
def test_only_the_committee_or_admin_may_change_the_quorum_rule(
    gov: Governance, actor: Actor
) -> None:
    committee = gov.standing_committee(size=3)

    with gov.refuses(NotPermitted, committee):
        gov.app.change_quorum_rule(actor, PPR, quorum_minimum=2)


# -- backfill rights ------------------------------------------------------------------------------


def test_management_may_not_backfill_a_committee_change(gov: Governance) -> None:
    committee = gov.establish()

    with gov.refuses(NotPermitted, committee):
        gov.seat("m1", actor=MANAGER, occurred_at=START - timedelta(days=1))
