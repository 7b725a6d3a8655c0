"""The case lifecycle (DESIGN §4): every transition, every refusal, and what each event records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.actors import Actor, Role
from domain.application import K2K
from domain.case import TERMINAL, Case, Channel, Location, Party, Status
from domain.clock import clock_set_to
from domain.errors import (
    AlreadyExists,
    IllegalTransition,
    InvalidValue,
    NotFound,
    NotPermitted,
)
from domain.ppr import ppr_id
from tests.unit.world import (
    ADMIN,
    AUDITOR,
    COMMITTEE,
    INTEGRATION,
    MANAGER,
    NEIGHBOUR,
    OTHER_PPR,
    PPR,
    REPORTER,
    START,
    SYSTEM,
    World,
)

WINDOW = timedelta(days=14)  # the default dispute window of a PPR


# -- reporting ------------------------------------------------------------------------------------


def test_a_resident_reports_a_case_in_their_unit(world: World) -> None:
    # Report with the PPR code in lower case: it is stored normalised.
    case_id = world.report(ppr_code=PPR.lower())

    case = world.case(case_id)
    assert case.version == 1
    assert case.status == Status.REPORTED
    assert case.whose_move == Party.MANAGEMENT
    assert case.ppr_code == PPR
    assert (case.block, case.floor, case.unit, case.common_area) == ("A", "5", "A-05-12", None)
    assert case.category_code == "LIFT"
    assert case.reporter_id == REPORTER.principal_id
    assert case.reporter_role == Role.RESIDENT
    assert case.reported_at == START
    assert case.supporter_ids == []
    assert case.rating is None

    event = world.last_event(case_id)
    assert type(event).__name__ == "Reported"
    assert event.channel == Channel.APP
    assert event.title == "Lif blok A rosak"


def test_a_case_can_be_reported_for_a_common_area(world: World) -> None:
    case_id = world.report(location=Location("B", floor="G", common_area="Lobi"))

    case = world.case(case_id)
    assert (case.block, case.unit, case.common_area) == ("B", None, "Lobi")


def test_a_report_keeps_its_channel_and_its_anonymous_and_private_flags(world: World) -> None:
    case_id = world.report(channel=Channel.WHATSAPP, anonymous=True, private=True)

    case = world.case(case_id)
    assert (case.channel, case.anonymous, case.private) == ("whatsapp", True, True)


def test_title_and_description_are_stored_without_surrounding_spaces(world: World) -> None:
    case_id = world.report(title="  Paip bocor  ", description="\n Air menitis dari siling. \n")

    case = world.case(case_id)
    assert (case.title, case.description) == ("Paip bocor", "Air menitis dari siling.")


def test_a_title_of_exactly_140_characters_is_accepted(world: World) -> None:
    case_id = world.report(title="x" * 140)

    assert len(world.case(case_id).title) == 140


@pytest.mark.parametrize(
    ("title", "description", "field"),
    [
        ("", "Lif rosak.", "title"),
        ("   ", "Lif rosak.", "title"),
        ("x" * 141, "Lif rosak.", "title"),
        ("Lif rosak", "", "description"),
        ("Lif rosak", " \n\t ", "description"),
        ("Lif rosak", "x" * 4001, "description"),
    ],
    ids=[
        "empty title",
        "blank title",
        "long title",
        "empty description",
        "blank description",
        "long description",
    ],
)
def test_a_report_needs_a_bounded_title_and_description(
    world: World, title: str, description: str, field: str
) -> None:
    with world.refuses(None, InvalidValue, field=field):
        world.report(title=title, description=description)


@pytest.mark.parametrize(
    ("location", "field"),
    [
        (Location("A", unit="A-01-01", common_area="Lobi"), "unit"),
        (Location("A", floor="3"), "unit"),
        (Location("A", unit="", common_area=""), "unit"),
        (Location("A", unit="U" * 61), "unit"),
        (Location("A", common_area="C" * 61), "common_area"),
        (Location("A", floor="F" * 61, unit="A-01-01"), "floor"),
        (Location("Z", unit="Z-01-01"), "block"),
    ],
    ids=[
        "unit and common area",
        "neither unit nor common area",
        "both empty",
        "long unit",
        "long common area",
        "long floor",
        "unknown block",
    ],
)
def test_a_report_needs_a_known_block_and_either_a_unit_or_a_common_area(
    world: World, location: Location, field: str
) -> None:
    with world.refuses(None, InvalidValue, field=field):
        world.report(location=location)


def test_a_report_in_an_unknown_category_is_refused(world: World) -> None:
    with world.refuses(None, InvalidValue, field="category"):
        world.report(category_code="PESTS")


def test_a_report_in_an_unknown_ppr_is_refused(world: World) -> None:
    with world.refuses(None, InvalidValue, field="ppr"):
        world.report(ppr_code="NOWHERE")


@pytest.mark.parametrize("actor", [AUDITOR, SYSTEM], ids=lambda actor: actor.role.value)
def test_auditors_and_the_system_cannot_report_a_case(world: World, actor: Actor) -> None:
    with world.refuses(None, NotPermitted):
        world.report(actor)


@pytest.mark.parametrize(
    "actor", [COMMITTEE, MANAGER, ADMIN, INTEGRATION], ids=lambda actor: actor.role.value
)
def test_staff_and_integrations_may_report_a_case(world: World, actor: Actor) -> None:
    case_id = world.report(actor)

    assert world.case(case_id).reporter_role == actor.role


def test_a_report_lands_on_the_case_id_the_caller_chose(world: World) -> None:
    # The HTTP layer derives the id from the Idempotency-Key; the demo loader chooses its own.
    case_id = uuid4()

    assert world.report(case_id=case_id) == case_id

    case = world.case(case_id)
    assert (case.id, case.version, case.status) == (case_id, 1, Status.REPORTED)
    # The id is the event's originator id, not a field of the Reported event.
    event = world.last_event(case_id)
    assert event.originator_id == case_id
    assert "id" not in vars(event)


def test_reports_without_a_chosen_id_get_distinct_ids(world: World) -> None:
    first, second = world.report(), world.report()

    assert isinstance(first, UUID)
    assert first != second


def test_a_retried_report_with_the_same_case_id_is_refused_and_keeps_the_first(
    world: World,
) -> None:
    # A client retries a report it already sent, with the id it chose.
    case_id = uuid4()
    assert world.report(case_id=case_id, title="Lif rosak") == case_id

    with world.refuses(case_id, AlreadyExists):
        world.report(case_id=case_id, title="Lif rosak lagi")
    assert world.case(case_id).title == "Lif rosak"


def test_a_ppr_is_not_a_case(world: World) -> None:
    with pytest.raises(NotFound):
        world.app.get_case(ppr_id(PPR))


def test_an_unknown_case_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.app.acknowledge_case(MANAGER, uuid4())


# -- acknowledging ---------------------------------------------------------------------------------


def test_management_acknowledges_a_reported_case(world: World) -> None:
    case_id = world.report()

    # Management has seen it.
    saved = world.app.acknowledge_case(MANAGER, case_id, note="  Kami akan periksa.  ")

    assert saved.version == 2
    case = world.case(case_id)
    assert (case.status, case.whose_move) == (Status.ACKNOWLEDGED, Party.MANAGEMENT)
    event = world.last_event(case_id)
    assert type(event).__name__ == "Acknowledged"
    assert event.note == "Kami akan periksa."


@pytest.mark.parametrize(
    "actor", [REPORTER, COMMITTEE, AUDITOR, INTEGRATION], ids=lambda actor: actor.role.value
)
def test_only_management_or_an_admin_may_acknowledge(world: World, actor: Actor) -> None:
    case_id = world.report()

    with world.refuses(case_id, NotPermitted):
        world.app.acknowledge_case(actor, case_id)


def test_an_admin_may_acknowledge(world: World) -> None:
    case_id = world.report()

    world.app.acknowledge_case(ADMIN, case_id)

    assert world.case(case_id).status == Status.ACKNOWLEDGED


def test_a_case_is_acknowledged_only_once(world: World) -> None:
    case_id = world.acknowledged()

    with world.refuses(case_id, IllegalTransition):
        world.app.acknowledge_case(MANAGER, case_id)


# -- assigning -------------------------------------------------------------------------------------


def test_a_reported_case_cannot_be_assigned_before_it_is_acknowledged(world: World) -> None:
    case_id = world.report()

    with world.refuses(case_id, IllegalTransition):
        world.app.assign_case(MANAGER, case_id, to=Party.CONTRACTOR)


@pytest.mark.parametrize("party", [Party.MANAGEMENT, Party.COMMITTEE, Party.CONTRACTOR])
def test_an_assigned_case_is_in_progress_and_the_assignees_move(world: World, party: Party) -> None:
    case_id = world.acknowledged()

    # Hand the work over.
    world.app.assign_case(MANAGER, case_id, to=party, assignee=" Encik Rahman ", note="Segera")

    case = world.case(case_id)
    assert case.status == Status.IN_PROGRESS
    assert case.whose_move == party
    assert (case.assigned_to, case.assignee) == (party, "Encik Rahman")
    event = world.last_event(case_id)
    assert type(event).__name__ == "Assigned"
    assert (event.to, event.note, event.whose_move) == (party, "Segera", party)


def test_a_case_in_progress_can_be_reassigned(world: World) -> None:
    case_id = world.in_progress(to=Party.CONTRACTOR)

    # The contractor gave up; management takes it back.
    world.app.assign_case(COMMITTEE, case_id, to=Party.MANAGEMENT)

    case = world.case(case_id)
    assert (case.assigned_to, case.assignee, case.whose_move) == (
        Party.MANAGEMENT,
        None,
        Party.MANAGEMENT,
    )


def test_a_case_is_never_assigned_to_a_resident(world: World) -> None:
    case_id = world.acknowledged()

    with world.refuses(case_id, InvalidValue, field="to"):
        world.app.assign_case(MANAGER, case_id, to=Party.RESIDENT)


@pytest.mark.parametrize("actor", [REPORTER, AUDITOR, INTEGRATION], ids=lambda a: a.role.value)
def test_only_case_workers_may_assign(world: World, actor: Actor) -> None:
    case_id = world.acknowledged()

    with world.refuses(case_id, NotPermitted):
        world.app.assign_case(actor, case_id, to=Party.CONTRACTOR)


def test_a_resolved_case_cannot_be_assigned(world: World) -> None:
    case_id = world.resolved()

    with world.refuses(case_id, IllegalTransition):
        world.app.assign_case(MANAGER, case_id, to=Party.CONTRACTOR)


# -- responding ------------------------------------------------------------------------------------


def test_management_responds_publicly_with_a_commitment_date(world: World) -> None:
    case_id = world.in_progress(to=Party.CONTRACTOR)

    # Management promises the fix for next Friday.
    world.app.respond_to_case(
        MANAGER, case_id, message="Kontraktor datang Jumaat.", commitment_date=date(2024, 3, 8)
    )

    case = world.case(case_id)
    assert case.commitment_date == date(2024, 3, 8)
    assert type(case.commitment_date) is date
    # A response does not take the move away from the contractor.
    assert (case.status, case.whose_move) == (Status.IN_PROGRESS, Party.CONTRACTOR)
    event = world.last_event(case_id)
    assert type(event).__name__ == "ManagementResponded"
    assert (event.message, event.commitment_date) == ("Kontraktor datang Jumaat.", date(2024, 3, 8))


def test_a_response_to_an_acknowledged_case_puts_it_in_progress(world: World) -> None:
    case_id = world.acknowledged()

    world.app.respond_to_case(MANAGER, case_id, message="Kami sedang uruskan.")

    case = world.case(case_id)
    assert (case.status, case.whose_move, case.commitment_date) == (
        Status.IN_PROGRESS,
        Party.MANAGEMENT,
        None,
    )


def test_a_commitment_for_the_day_of_the_response_is_accepted(world: World) -> None:
    case_id = world.acknowledged()

    world.app.respond_to_case(MANAGER, case_id, message="Hari ini.", commitment_date=START.date())

    assert world.case(case_id).commitment_date == START.date()


def test_a_commitment_date_is_a_malaysian_calendar_day(world: World) -> None:
    # 01:30 UTC on 4 March is already 09:30 on 4 March in Kuala Lumpur; at 20:00 UTC it is the 5th.
    case_id = world.acknowledged()
    world.clock.set(datetime(2024, 3, 4, 20, 0, tzinfo=UTC))

    with world.refuses(case_id, InvalidValue, field="commitment_date"):
        world.app.respond_to_case(
            MANAGER, case_id, message="Hari ini.", commitment_date=date(2024, 3, 4)
        )


def test_a_commitment_date_before_the_day_of_the_response_is_refused(world: World) -> None:
    case_id = world.acknowledged()

    with world.refuses(case_id, InvalidValue, field="commitment_date"):
        world.app.respond_to_case(
            MANAGER, case_id, message="Semalam.", commitment_date=START.date() - timedelta(days=1)
        )


def test_a_commitment_date_is_checked_against_the_day_of_a_backfilled_response(
    world: World,
) -> None:
    # The case was reported on paper a week ago; the admin types in last week's answers.
    week_ago = START - timedelta(days=7)
    case_id = world.report(COMMITTEE, occurred_at=week_ago)
    world.app.acknowledge_case(ADMIN, case_id, occurred_at=week_ago + timedelta(hours=1))

    # A commitment for a day that was in the future when the response was given is fine.
    world.app.respond_to_case(
        ADMIN,
        case_id,
        message="Dibaiki dalam dua hari.",
        commitment_date=(week_ago + timedelta(days=2)).date(),
        occurred_at=week_ago + timedelta(hours=2),
    )

    assert world.case(case_id).commitment_date == (week_ago + timedelta(days=2)).date()


def test_a_later_response_without_a_date_keeps_the_commitment(world: World) -> None:
    case_id = world.acknowledged()
    world.app.respond_to_case(MANAGER, case_id, message="Jumaat.", commitment_date=date(2024, 3, 8))

    world.app.respond_to_case(MANAGER, case_id, message="Masih dalam jadual.")

    assert world.case(case_id).commitment_date == date(2024, 3, 8)


def test_a_response_needs_a_message(world: World) -> None:
    case_id = world.acknowledged()

    with world.refuses(case_id, InvalidValue, field="message"):
        world.app.respond_to_case(MANAGER, case_id, message="  ")


@pytest.mark.parametrize("actor", [COMMITTEE, REPORTER, AUDITOR], ids=lambda a: a.role.value)
def test_only_management_may_respond_for_management(world: World, actor: Actor) -> None:
    case_id = world.acknowledged()

    with world.refuses(case_id, NotPermitted):
        world.app.respond_to_case(actor, case_id, message="Kami uruskan.")


@pytest.mark.parametrize("setup", ["report", "resolved"])
def test_management_responds_only_while_the_case_is_in_work(world: World, setup: str) -> None:
    case_id = world.report() if setup == "report" else world.resolved()

    with world.refuses(case_id, IllegalTransition):
        world.app.respond_to_case(MANAGER, case_id, message="Kami uruskan.")


# -- recategorising --------------------------------------------------------------------------------


def test_the_committee_moves_a_case_to_another_category(world: World) -> None:
    case_id = world.in_progress(to=Party.CONTRACTOR)

    world.app.recategorise_case(COMMITTEE, case_id, category_code="WATER", reason="Paip, bukan lif")

    case = world.case(case_id)
    assert case.category_code == "WATER"
    # Status and whose move are unchanged.
    assert (case.status, case.whose_move) == (Status.IN_PROGRESS, Party.CONTRACTOR)
    event = world.last_event(case_id)
    assert type(event).__name__ == "Recategorised"
    assert (event.from_category, event.category_code, event.reason) == (
        "LIFT",
        "WATER",
        "Paip, bukan lif",
    )


def test_a_resolved_case_can_still_be_recategorised(world: World) -> None:
    case_id = world.resolved()

    world.app.recategorise_case(MANAGER, case_id, category_code="WATER")

    case = world.case(case_id)
    assert (case.category_code, case.status) == ("WATER", Status.RESOLVED)


def test_a_case_cannot_move_to_a_category_its_ppr_does_not_have(world: World) -> None:
    case_id = world.report()

    with world.refuses(case_id, InvalidValue, field="category"):
        world.app.recategorise_case(MANAGER, case_id, category_code="PESTS")


def test_a_case_cannot_move_to_the_category_it_is_in(world: World) -> None:
    case_id = world.report()

    with world.refuses(case_id, InvalidValue, field="category"):
        world.app.recategorise_case(MANAGER, case_id, category_code="LIFT")


def test_a_resident_cannot_recategorise_a_case(world: World) -> None:
    case_id = world.report()

    with world.refuses(case_id, NotPermitted):
        world.app.recategorise_case(REPORTER, case_id, category_code="WATER")


def test_a_closed_case_cannot_be_recategorised(world: World) -> None:
    case_id = world.resolved()
    world.app.confirm_resolution(REPORTER, case_id, rating=5)

    with world.refuses(case_id, IllegalTransition):
        world.app.recategorise_case(MANAGER, case_id, category_code="WATER")


# -- comments --------------------------------------------------------------------------------------


def test_a_resident_comments_publicly(world: World) -> None:
    case_id = world.in_progress(to=Party.CONTRACTOR)

    world.app.comment_on_case(NEIGHBOUR, case_id, text=" Lif blok saya pun sama. ")

    case = world.case(case_id)
    assert case.comment_count == 1
    assert (case.status, case.whose_move) == (Status.IN_PROGRESS, Party.CONTRACTOR)
    event = world.last_event(case_id)
    assert type(event).__name__ == "CommentAdded"
    assert (event.text, event.internal) == ("Lif blok saya pun sama.", False)


@pytest.mark.parametrize("actor", [MANAGER, COMMITTEE, ADMIN, SYSTEM], ids=lambda a: a.role.value)
def test_staff_add_internal_notes(world: World, actor: Actor) -> None:
    case_id = world.report()

    world.app.comment_on_case(actor, case_id, text="Penghuni ini kerap mengadu.", internal=True)

    assert world.last_event(case_id).internal is True
    assert world.case(case_id).comment_count == 1


@pytest.mark.parametrize("actor", [REPORTER, INTEGRATION], ids=lambda a: a.role.value)
def test_residents_and_integrations_cannot_add_internal_notes(world: World, actor: Actor) -> None:
    case_id = world.report()

    with world.refuses(case_id, NotPermitted):
        world.app.comment_on_case(actor, case_id, text="Rahsia.", internal=True)


@pytest.mark.parametrize("internal", [False, True])
def test_auditors_cannot_comment(world: World, internal: bool) -> None:
    case_id = world.report()

    with world.refuses(case_id, NotPermitted):
        world.app.comment_on_case(AUDITOR, case_id, text="Saya semak.", internal=internal)


def test_a_comment_needs_text(world: World) -> None:
    case_id = world.report()

    with world.refuses(case_id, InvalidValue, field="text"):
        world.app.comment_on_case(REPORTER, case_id, text=" ")


def test_a_comment_is_bounded(world: World) -> None:
    case_id = world.report()

    with world.refuses(case_id, InvalidValue, field="text"):
        world.app.comment_on_case(REPORTER, case_id, text="x" * 4001)


def test_a_closed_case_can_still_be_commented_on(world: World) -> None:
    case_id = world.resolved()
    world.app.confirm_resolution(REPORTER, case_id, rating=4)

    world.app.comment_on_case(REPORTER, case_id, text="Terima kasih!")

    case = world.case(case_id)
    assert (case.comment_count, case.status, case.whose_move) == (1, Status.CLOSED, None)


# -- support ("me too") ----------------------------------------------------------------------------


def test_another_resident_supports_a_case(world: World) -> None:
    case_id = world.report()

    world.app.support_case(NEIGHBOUR, case_id)

    case = world.case(case_id)
    assert case.supporter_ids == [NEIGHBOUR.principal_id]
    assert (case.status, case.whose_move) == (Status.REPORTED, Party.MANAGEMENT)
    event = world.last_event(case_id)
    assert type(event).__name__ == "Supported"
    assert event.actor_id == NEIGHBOUR.principal_id


def test_many_residents_support_a_case(world: World) -> None:
    case_id = world.report()

    for n in range(3, 6):
        world.app.support_case(Actor(f"resident-{n}", Role.RESIDENT), case_id)

    assert world.case(case_id).supporter_ids == ["resident-3", "resident-4", "resident-5"]


def test_a_resident_supports_a_case_only_once(world: World) -> None:
    case_id = world.report()
    world.app.support_case(NEIGHBOUR, case_id)

    with world.refuses(case_id, IllegalTransition):
        world.app.support_case(NEIGHBOUR, case_id)


def test_a_resident_cannot_support_their_own_case(world: World) -> None:
    case_id = world.report()

    with world.refuses(case_id, IllegalTransition):
        world.app.support_case(REPORTER, case_id)


@pytest.mark.parametrize(
    "actor", [COMMITTEE, MANAGER, ADMIN, AUDITOR, INTEGRATION], ids=lambda a: a.role.value
)
def test_only_residents_support_cases(world: World, actor: Actor) -> None:
    case_id = world.report()

    with world.refuses(case_id, NotPermitted):
        world.app.support_case(actor, case_id)


def test_a_resolved_case_can_still_be_supported(world: World) -> None:
    case_id = world.resolved()

    world.app.support_case(NEIGHBOUR, case_id)

    assert world.case(case_id).supporter_ids == [NEIGHBOUR.principal_id]


# -- resolving -------------------------------------------------------------------------------------


def test_management_resolves_a_case_and_the_reporter_has_the_next_move(world: World) -> None:
    case_id = world.in_progress()
    world.clock.advance(days=2)

    world.app.resolve_case(MANAGER, case_id, note="Motor lif diganti.")

    case = world.case(case_id)
    assert (case.status, case.whose_move) == (Status.RESOLVED, Party.RESIDENT)
    assert case.resolved_at == START + timedelta(days=2)
    event = world.last_event(case_id)
    assert type(event).__name__ == "Resolved"
    assert event.note == "Motor lif diganti."


def test_a_resolution_needs_a_note(world: World) -> None:
    case_id = world.in_progress()

    with world.refuses(case_id, InvalidValue, field="note"):
        world.app.resolve_case(MANAGER, case_id, note="")


def test_a_case_must_be_acknowledged_before_it_is_resolved(world: World) -> None:
    case_id = world.report()

    with world.refuses(case_id, IllegalTransition):
        world.app.resolve_case(MANAGER, case_id, note="Siap.")


def test_a_resolved_case_cannot_be_resolved_again(world: World) -> None:
    case_id = world.resolved()

    with world.refuses(case_id, IllegalTransition):
        world.app.resolve_case(MANAGER, case_id, note="Siap lagi.")


@pytest.mark.parametrize("actor", [REPORTER, AUDITOR, INTEGRATION], ids=lambda a: a.role.value)
def test_residents_cannot_resolve_a_case(world: World, actor: Actor) -> None:
    case_id = world.in_progress()

    with world.refuses(case_id, NotPermitted):
        world.app.resolve_case(actor, case_id, note="Siap.")


# -- confirming ------------------------------------------------------------------------------------


def test_the_reporter_confirms_the_fix_and_the_case_closes(world: World) -> None:
    case_id = world.resolved()

    world.app.confirm_resolution(REPORTER, case_id, rating=4, comment="Lif berfungsi.")

    case = world.case(case_id)
    assert (case.status, case.whose_move, case.rating) == (Status.CLOSED, None, 4)
    event = world.last_event(case_id)
    assert type(event).__name__ == "ResolutionConfirmed"
    assert (event.rating, event.comment, event.actor_id) == (4, "Lif berfungsi.", "resident-1")


@pytest.mark.parametrize("rating", [1, 5])
def test_ratings_from_one_to_five_are_accepted(world: World, rating: int) -> None:
    case_id = world.resolved()

    world.app.confirm_resolution(REPORTER, case_id, rating=rating)

    assert world.case(case_id).rating == rating


@pytest.mark.parametrize("rating", [0, 6, -1, 2.5, True], ids=["0", "6", "-1", "2.5", "True"])
def test_a_rating_outside_one_to_five_is_refused(world: World, rating: int) -> None:
    case_id = world.resolved()

    with world.refuses(case_id, InvalidValue, field="rating"):
        world.app.confirm_resolution(REPORTER, case_id, rating=rating)


@pytest.mark.parametrize("proxy", [COMMITTEE, ADMIN], ids=lambda a: a.role.value)
def test_the_committee_records_a_confirmation_on_the_reporters_behalf(
    world: World, proxy: Actor
) -> None:
    case_id = world.resolved()

    # The reporter told the committee in person.
    world.app.confirm_resolution(proxy, case_id, rating=3)

    case = world.case(case_id)
    assert (case.status, case.rating) == (Status.CLOSED, 3)
    assert world.last_event(case_id).actor_role == proxy.role


@pytest.mark.parametrize("actor", [NEIGHBOUR, MANAGER, AUDITOR], ids=lambda a: a.principal_id)
def test_nobody_else_may_confirm_the_fix(world: World, actor: Actor) -> None:
    case_id = world.resolved()

    with world.refuses(case_id, NotPermitted):
        world.app.confirm_resolution(actor, case_id, rating=5)


def test_a_fix_is_confirmed_only_after_it_is_claimed(world: World) -> None:
    case_id = world.in_progress()

    with world.refuses(case_id, IllegalTransition):
        world.app.confirm_resolution(REPORTER, case_id, rating=5)


def test_a_fix_is_confirmed_only_once(world: World) -> None:
    case_id = world.resolved()
    world.app.confirm_resolution(REPORTER, case_id, rating=5)

    with world.refuses(case_id, IllegalTransition):
        world.app.confirm_resolution(REPORTER, case_id, rating=1)


# -- disputing -------------------------------------------------------------------------------------


def test_the_reporter_disputes_the_fix_and_the_case_reopens_for_management(world: World) -> None:
    case_id = world.resolved()
    world.clock.advance(days=1)

    world.app.dispute_resolution(REPORTER, case_id, reason="Lif rosak semula petang tadi.")

    case = world.case(case_id)
    assert (case.status, case.whose_move, case.reopen_count) == (
        Status.REOPENED,
        Party.MANAGEMENT,
        1,
    )
    event = world.last_event(case_id)
    assert type(event).__name__ == "ResolutionDisputed"
    assert event.reason == "Lif rosak semula petang tadi."


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_a_dispute_needs_a_reason(world: World, reason: str) -> None:
    case_id = world.resolved()

    with world.refuses(case_id, InvalidValue, field="reason"):
        world.app.dispute_resolution(REPORTER, case_id, reason=reason)


def test_a_dispute_at_the_last_moment_of_the_window_is_accepted(world: World) -> None:
    case_id = world.resolved()
    world.clock.advance(days=14)

    world.app.dispute_resolution(REPORTER, case_id, reason="Masih rosak.")

    assert world.case(case_id).status == Status.REOPENED


def test_a_dispute_after_the_window_ends_is_refused(world: World) -> None:
    case_id = world.resolved()
    resolved_at = world.case(case_id).resolved_at
    assert resolved_at is not None

    # One second after the window.
    with (
        clock_set_to(lambda: resolved_at + WINDOW + timedelta(seconds=1)),
        world.refuses(case_id, IllegalTransition),
    ):
        world.app.dispute_resolution(REPORTER, case_id, reason="Masih rosak.")


def test_the_dispute_window_is_the_ppr_setting(world: World) -> None:
    world.app.change_dispute_window(ADMIN, PPR, days=3)
    case_id = world.resolved()
    world.clock.advance(days=3, seconds=1)

    with world.refuses(case_id, IllegalTransition):
        world.app.dispute_resolution(REPORTER, case_id, reason="Masih rosak.")


@pytest.mark.parametrize("actor", [NEIGHBOUR, MANAGER], ids=lambda a: a.principal_id)
def test_nobody_else_may_dispute_the_fix(world: World, actor: Actor) -> None:
    case_id = world.resolved()

    with world.refuses(case_id, NotPermitted):
        world.app.dispute_resolution(actor, case_id, reason="Tak puas hati.")


def test_the_committee_records_a_dispute_on_the_reporters_behalf(world: World) -> None:
    case_id = world.resolved()

    world.app.dispute_resolution(COMMITTEE, case_id, reason="Dilaporkan dalam mesyuarat.")

    assert world.case(case_id).status == Status.REOPENED


def test_only_a_claimed_fix_can_be_disputed(world: World) -> None:
    case_id = world.in_progress()

    with world.refuses(case_id, IllegalTransition):
        world.app.dispute_resolution(REPORTER, case_id, reason="Belum siap.")


def test_a_reopened_case_goes_round_again_with_a_fresh_window(world: World) -> None:
    case_id = world.resolved()
    world.clock.advance(days=10)
    world.app.dispute_resolution(REPORTER, case_id, reason="Masih rosak.")

    # Back to work: reassign, resolve again ten days later.
    world.app.assign_case(MANAGER, case_id, to=Party.CONTRACTOR)
    assert world.case(case_id).status == Status.IN_PROGRESS
    world.clock.advance(days=10)
    world.app.resolve_case(MANAGER, case_id, note="Kabel diganti.")

    # Twenty days after the first fix, the second fix can still be disputed.
    world.clock.advance(days=10)
    world.app.dispute_resolution(REPORTER, case_id, reason="Rosak lagi.")

    case = world.case(case_id)
    assert (case.status, case.reopen_count) == (Status.REOPENED, 2)


def test_a_reopened_case_can_be_resolved_directly(world: World) -> None:
    case_id = world.resolved()
    world.app.dispute_resolution(REPORTER, case_id, reason="Masih rosak.")

    world.app.resolve_case(MANAGER, case_id, note="Dibaiki semula.")

    assert world.case(case_id).status == Status.RESOLVED


# -- closing after the dispute window --------------------------------------------------------------


def test_the_system_closes_a_resolved_case_after_the_dispute_window(world: World) -> None:
    case_id = world.resolved()
    world.clock.advance(days=14, seconds=1)

    world.app.close_case(SYSTEM, case_id)

    case = world.case(case_id)
    assert (case.status, case.whose_move, case.rating) == (Status.CLOSED, None, None)
    event = world.last_event(case_id)
    assert type(event).__name__ == "Closed"
    assert (event.reason, event.actor_id, event.actor_role) == (
        "dispute_window_elapsed",
        "system",
        Role.SYSTEM,
    )


def test_a_resolved_case_is_not_closed_before_the_dispute_window_ends(world: World) -> None:
    case_id = world.resolved()
    world.clock.advance(days=14, seconds=-1)

    with world.refuses(case_id, IllegalTransition):
        world.app.close_case(SYSTEM, case_id)


def test_the_committee_may_close_after_the_window_too(world: World) -> None:
    case_id = world.resolved()
    world.clock.advance(days=15)

    world.app.close_case(COMMITTEE, case_id)

    assert world.case(case_id).status == Status.CLOSED


def test_a_resident_cannot_close_a_case(world: World) -> None:
    case_id = world.resolved()
    world.clock.advance(days=15)

    with world.refuses(case_id, NotPermitted):
        world.app.close_case(REPORTER, case_id)


def test_only_a_resolved_case_can_be_closed(world: World) -> None:
    case_id = world.in_progress()
    world.clock.advance(days=30)

    with world.refuses(case_id, IllegalTransition):
        world.app.close_case(SYSTEM, case_id)


def test_a_closed_case_cannot_be_disputed(world: World) -> None:
    case_id = world.resolved()
    world.clock.advance(days=15)
    world.app.close_case(SYSTEM, case_id)

    with world.refuses(case_id, IllegalTransition):
        world.app.dispute_resolution(REPORTER, case_id, reason="Rosak.")


# -- no further action -----------------------------------------------------------------------------


@pytest.mark.parametrize("setup", ["report", "acknowledged", "in_progress"])
def test_a_case_ends_with_no_further_action_and_a_reason(world: World, setup: str) -> None:
    case_id: UUID = getattr(world, setup)()

    world.app.decide_no_further_action(COMMITTEE, case_id, reason="Tanggungjawab TNB, bukan PPR.")

    case = world.case(case_id)
    assert (case.status, case.whose_move) == (Status.NO_FURTHER_ACTION, None)
    event = world.last_event(case_id)
    assert type(event).__name__ == "NoFurtherActionDecided"
    assert event.reason == "Tanggungjawab TNB, bukan PPR."


@pytest.mark.parametrize("reason", ["", "  \n "], ids=["empty", "blank"])
def test_no_further_action_needs_a_reason(world: World, reason: str) -> None:
    case_id = world.report()

    with world.refuses(case_id, InvalidValue, field="reason"):
        world.app.decide_no_further_action(MANAGER, case_id, reason=reason)


def test_a_resident_cannot_decide_no_further_action(world: World) -> None:
    case_id = world.report()

    with world.refuses(case_id, NotPermitted):
        world.app.decide_no_further_action(REPORTER, case_id, reason="Sudah baik.")


def test_a_claimed_fix_cannot_be_turned_into_no_further_action(world: World) -> None:
    case_id = world.resolved()

    with world.refuses(case_id, IllegalTransition):
        world.app.decide_no_further_action(MANAGER, case_id, reason="Tiada tindakan.")


# -- duplicates ------------------------------------------------------------------------------------


def test_a_case_is_marked_as_a_duplicate_of_an_earlier_report(world: World) -> None:
    original = world.report()
    case_id = world.report(NEIGHBOUR)

    world.app.mark_duplicate(COMMITTEE, case_id, duplicate_of=original)

    case = world.case(case_id)
    assert (case.status, case.whose_move, case.duplicate_of) == (
        Status.DUPLICATE,
        None,
        str(original),
    )
    assert type(world.last_event(case_id)).__name__ == "MarkedDuplicate"
    # The original is untouched.
    assert world.version(original) == 1


def test_a_duplicate_must_be_of_a_case_in_the_same_ppr(world: World) -> None:
    elsewhere = world.report(ppr_code=OTHER_PPR)
    case_id = world.report()

    with world.refuses(case_id, InvalidValue, field="duplicate_of"):
        world.app.mark_duplicate(COMMITTEE, case_id, duplicate_of=elsewhere)


def test_a_case_cannot_duplicate_itself(world: World) -> None:
    case_id = world.report()

    with world.refuses(case_id, InvalidValue, field="duplicate_of"):
        world.app.mark_duplicate(COMMITTEE, case_id, duplicate_of=case_id)


def test_a_case_cannot_duplicate_a_duplicate(world: World) -> None:
    original = world.report()
    first_copy = world.report(NEIGHBOUR)
    world.app.mark_duplicate(COMMITTEE, first_copy, duplicate_of=original)
    second_copy = world.report(Actor("resident-3", Role.RESIDENT))

    with world.refuses(second_copy, InvalidValue, field="duplicate_of"):
        world.app.mark_duplicate(COMMITTEE, second_copy, duplicate_of=first_copy)


def test_two_cases_cannot_duplicate_each_other(world: World) -> None:
    one = world.report()
    other = world.report(NEIGHBOUR)
    world.app.mark_duplicate(COMMITTEE, other, duplicate_of=one)

    with world.refuses(one, InvalidValue, field="duplicate_of"):
        world.app.mark_duplicate(COMMITTEE, one, duplicate_of=other)


def test_a_duplicate_of_an_unknown_case_is_refused(world: World) -> None:
    case_id = world.report()

    with world.refuses(case_id, InvalidValue, field="duplicate_of"):
        world.app.mark_duplicate(COMMITTEE, case_id, duplicate_of=uuid4())


def test_a_resident_cannot_mark_a_duplicate(world: World) -> None:
    original = world.report()
    case_id = world.report(NEIGHBOUR)

    with world.refuses(case_id, NotPermitted):
        world.app.mark_duplicate(NEIGHBOUR, case_id, duplicate_of=original)


def test_a_claimed_fix_cannot_be_marked_as_a_duplicate(world: World) -> None:
    original = world.report()
    case_id = world.resolved()

    with world.refuses(case_id, IllegalTransition):
        world.app.mark_duplicate(COMMITTEE, case_id, duplicate_of=original)


# -- withdrawing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("setup", ["report", "acknowledged", "in_progress"])
def test_the_reporter_withdraws_an_unresolved_case(world: World, setup: str) -> None:
    case_id: UUID = getattr(world, setup)()

    world.app.withdraw_case(REPORTER, case_id, reason="Sudah dibaiki sendiri.")

    case = world.case(case_id)
    assert (case.status, case.whose_move) == (Status.WITHDRAWN, None)
    event = world.last_event(case_id)
    assert type(event).__name__ == "Withdrawn"
    assert (event.reason, event.actor_id) == ("Sudah dibaiki sendiri.", REPORTER.principal_id)


def test_a_withdrawal_needs_no_reason(world: World) -> None:
    case_id = world.report()

    world.app.withdraw_case(REPORTER, case_id)

    assert world.last_event(case_id).reason is None


@pytest.mark.parametrize("actor", [NEIGHBOUR, MANAGER, COMMITTEE], ids=lambda a: a.principal_id)
def test_only_the_reporter_may_withdraw_a_case(world: World, actor: Actor) -> None:
    case_id = world.report()

    with world.refuses(case_id, NotPermitted):
        world.app.withdraw_case(actor, case_id)


def test_a_case_cannot_be_withdrawn_after_it_is_resolved(world: World) -> None:
    case_id = world.resolved()

    with world.refuses(case_id, IllegalTransition):
        world.app.withdraw_case(REPORTER, case_id)


# -- terminal outcomes -----------------------------------------------------------------------------


def _closed(world: World) -> UUID:
    case_id = world.resolved()
    world.app.confirm_resolution(REPORTER, case_id, rating=5)
    return case_id


def _no_further_action(world: World) -> UUID:
    case_id = world.acknowledged()
    world.app.decide_no_further_action(MANAGER, case_id, reason="Bukan di bawah PPR.")
    return case_id


def _duplicate(world: World) -> UUID:
    original = world.report(NEIGHBOUR)
    case_id = world.acknowledged()
    world.app.mark_duplicate(MANAGER, case_id, duplicate_of=original)
    return case_id


def _withdrawn(world: World) -> UUID:
    case_id = world.acknowledged()
    world.app.withdraw_case(REPORTER, case_id)
    return case_id


TERMINAL_OUTCOMES: dict[str, Callable[[World], UUID]] = {
    Status.CLOSED: _closed,
    Status.NO_FURTHER_ACTION: _no_further_action,
    Status.DUPLICATE: _duplicate,
    Status.WITHDRAWN: _withdrawn,
}

FURTHER_COMMANDS: dict[str, Callable[[K2K, UUID], object]] = {
    "acknowledge": lambda app, case_id: app.acknowledge_case(MANAGER, case_id),
    "assign": lambda app, case_id: app.assign_case(MANAGER, case_id, to=Party.CONTRACTOR),
    "respond": lambda app, case_id: app.respond_to_case(MANAGER, case_id, message="Ya."),
    "resolve": lambda app, case_id: app.resolve_case(MANAGER, case_id, note="Siap."),
    "confirm": lambda app, case_id: app.confirm_resolution(REPORTER, case_id, rating=5),
    "dispute": lambda app, case_id: app.dispute_resolution(REPORTER, case_id, reason="Rosak."),
    "close": lambda app, case_id: app.close_case(SYSTEM, case_id),
    "no further action": lambda app, case_id: app.decide_no_further_action(
        MANAGER, case_id, reason="Tiada."
    ),
    "withdraw": lambda app, case_id: app.withdraw_case(REPORTER, case_id),
    "support": lambda app, case_id: app.support_case(Actor("resident-9", Role.RESIDENT), case_id),
    "recategorise": lambda app, case_id: app.recategorise_case(
        MANAGER, case_id, category_code="WATER"
    ),
}


def test_the_terminal_outcomes_are_the_ones_of_the_design() -> None:
    assert set(TERMINAL_OUTCOMES) == TERMINAL


@pytest.mark.parametrize("outcome", list(TERMINAL_OUTCOMES))
@pytest.mark.parametrize("command", list(FURTHER_COMMANDS))
def test_nothing_but_comments_happens_after_an_outcome(
    world: World, outcome: str, command: str
) -> None:
    case_id = TERMINAL_OUTCOMES[outcome](world)
    assert world.case(case_id).status == outcome
    # Even after any dispute window has run out.
    world.clock.advance(days=30)

    with world.refuses(case_id, IllegalTransition):
        FURTHER_COMMANDS[command](world.app, case_id)


# -- what every event records ----------------------------------------------------------------------


def test_every_event_records_who_when_and_the_state_after_it(world: World) -> None:
    app, clock = world.app, world.clock
    # A lift case from report to a verified fix, one step an hour, with a dispute on the way.
    case_id = world.report()
    steps: list[Callable[[], object]] = [
        lambda: app.acknowledge_case(MANAGER, case_id, note="Diterima."),
        lambda: app.assign_case(MANAGER, case_id, to=Party.CONTRACTOR, assignee="Lif Jaya"),
        lambda: app.respond_to_case(
            MANAGER, case_id, message="Esok.", commitment_date=date(2024, 3, 5)
        ),
        lambda: app.comment_on_case(COMMITTEE, case_id, text="Dibincang.", internal=True),
        lambda: app.support_case(NEIGHBOUR, case_id),
        lambda: app.recategorise_case(ADMIN, case_id, category_code="WATER"),
        lambda: app.resolve_case(MANAGER, case_id, note="Siap."),
        lambda: app.dispute_resolution(REPORTER, case_id, reason="Rosak semula."),
        lambda: app.assign_case(COMMITTEE, case_id, to=Party.COMMITTEE),
        lambda: app.resolve_case(COMMITTEE, case_id, note="Siap betul."),
        lambda: app.confirm_resolution(REPORTER, case_id, rating=4),
    ]
    for step in steps:
        clock.advance(hours=1)
        step()

    events = world.events(case_id)
    assert [
        (type(e).__name__, e.actor_id, e.actor_role, e.status, e.whose_move) for e in events
    ] == [
        ("Reported", "resident-1", "resident", "reported", "management"),
        ("Acknowledged", "manager-1", "management", "acknowledged", "management"),
        ("Assigned", "manager-1", "management", "in_progress", "contractor"),
        ("ManagementResponded", "manager-1", "management", "in_progress", "contractor"),
        ("CommentAdded", "committee-1", "committee", "in_progress", "contractor"),
        ("Supported", "resident-2", "resident", "in_progress", "contractor"),
        ("Recategorised", "admin-1", "admin", "in_progress", "contractor"),
        ("Resolved", "manager-1", "management", "resolved", "resident"),
        ("ResolutionDisputed", "resident-1", "resident", "reopened", "management"),
        ("Assigned", "committee-1", "committee", "in_progress", "committee"),
        ("Resolved", "committee-1", "committee", "resolved", "resident"),
        ("ResolutionConfirmed", "resident-1", "resident", "closed", None),
    ]
    for hour, event in enumerate(events):
        # When: the domain clock's time, both as occurred_at and as the recorded timestamp.
        assert event.occurred_at == START + timedelta(hours=hour)
        assert event.timestamp == event.occurred_at
        assert event.originator_version == hour + 1
        # The stamped state is the state the aggregate has after the event.
        state = world.app.get_case(case_id, version=event.originator_version)
        assert (state.status, state.whose_move) == (event.status, event.whose_move)
        assert state.last_occurred_at == event.occurred_at


def test_every_kind_of_outcome_event_records_who_when_and_the_state_after_it(
    world: World,
) -> None:
    # One case for each terminal outcome, and an automatic close.
    outcomes = [maker(world) for maker in TERMINAL_OUTCOMES.values()]
    closed_by_timer = world.resolved()
    world.clock.advance(days=15)
    world.app.close_case(SYSTEM, closed_by_timer)

    for case_id in [*outcomes, closed_by_timer]:
        case = world.case(case_id)
        for event in world.events(case_id):
            assert isinstance(event, Case.Event)
            assert event.actor_id
            assert Role(event.actor_role)
            assert event.occurred_at.tzinfo is not None
            assert Status(event.status)
            assert event.whose_move is None or Party(event.whose_move)
        last = world.last_event(case_id)
        assert (last.status, last.whose_move) == (case.status, None)
        assert last.status in TERMINAL
