"""Backfilling: committee and admin type in paper logbooks, so an event may have happened earlier.

Each event then keeps two times: ``occurred_at`` (when it happened, as told) and the library's
``timestamp`` (when it was recorded).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.actors import Actor
from domain.base import FUTURE_TOLERANCE
from domain.case import Party, Status
from domain.errors import InvalidValue, NotPermitted
from tests.unit.world import (
    ADMIN,
    AUDITOR,
    COMMITTEE,
    INTEGRATION,
    MANAGER,
    NEIGHBOUR,
    REPORTER,
    START,
    SYSTEM,
    World,
)

LAST_WEEK = START - timedelta(days=7)
MYT = timezone(timedelta(hours=8))


def test_the_committee_backfills_a_report_from_the_paper_logbook(world: World) -> None:
    # The committee types in a report written in the logbook last week.
    case_id = world.report(COMMITTEE, occurred_at=LAST_WEEK)

    case = world.case(case_id)
    assert case.reported_at == LAST_WEEK
    assert case.last_occurred_at == LAST_WEEK
    event = world.last_event(case_id)
    # Both times are kept: when it happened and when it was recorded.
    assert event.occurred_at == LAST_WEEK
    assert event.timestamp == START
    assert case.created_on == START


def test_a_backfilled_event_keeps_both_times_after_a_reload(world: World) -> None:
    case_id = world.report(COMMITTEE, occurred_at=LAST_WEEK)
    world.clock.advance(minutes=5)

    # The admin adds last week's acknowledgement and assignment.
    world.app.acknowledge_case(ADMIN, case_id, occurred_at=LAST_WEEK + timedelta(hours=2))
    world.app.assign_case(
        ADMIN, case_id, to=Party.CONTRACTOR, occurred_at=LAST_WEEK + timedelta(days=1)
    )

    events = world.events(case_id)
    assert [e.occurred_at for e in events] == [
        LAST_WEEK,
        LAST_WEEK + timedelta(hours=2),
        LAST_WEEK + timedelta(days=1),
    ]
    assert [e.timestamp for e in events] == [
        START,
        START + timedelta(minutes=5),
        START + timedelta(minutes=5),
    ]
    case = world.case(case_id)
    assert (case.status, case.last_occurred_at) == (
        Status.IN_PROGRESS,
        LAST_WEEK + timedelta(days=1),
    )


def test_the_system_may_backfill_a_close(world: World) -> None:
    case_id = world.resolved()
    world.clock.advance(days=20)
    # The timer ran late: it closes the case as of the moment the window ended.
    window_end = START + timedelta(days=14)

    world.app.close_case(SYSTEM, case_id, occurred_at=window_end)

    assert world.last_event(case_id).occurred_at == window_end


def test_a_dispute_made_in_time_on_paper_counts_when_typed_in_late(world: World) -> None:
    case_id = world.resolved()
    # The reporter disputed at a meeting on day 10; the committee types it in on day 20.
    world.clock.advance(days=20)

    world.app.dispute_resolution(
        COMMITTEE,
        case_id,
        reason="Dibangkitkan di mesyuarat.",
        occurred_at=START + timedelta(days=10),
    )

    assert world.case(case_id).status == Status.REOPENED


@pytest.mark.parametrize("actor", [REPORTER, MANAGER, INTEGRATION], ids=lambda a: a.role.value)
def test_only_committee_and_admin_may_backfill_a_report(world: World, actor: Actor) -> None:
    with world.refuses(None, NotPermitted):
        world.report(actor, occurred_at=LAST_WEEK)


def test_management_may_not_backfill_an_acknowledgement(world: World) -> None:
    case_id = world.report(COMMITTEE, occurred_at=LAST_WEEK)

    with world.refuses(case_id, NotPermitted):
        world.app.acknowledge_case(MANAGER, case_id, occurred_at=LAST_WEEK + timedelta(hours=1))


def test_a_resident_may_not_backfill_a_comment_or_a_support(world: World) -> None:
    case_id = world.report(COMMITTEE, occurred_at=LAST_WEEK)
    earlier = LAST_WEEK + timedelta(hours=1)

    with world.refuses(case_id, NotPermitted):
        world.app.comment_on_case(REPORTER, case_id, text="Saya juga.", occurred_at=earlier)
    with world.refuses(case_id, NotPermitted):
        world.app.support_case(NEIGHBOUR, case_id, occurred_at=earlier)


def test_a_resident_may_not_backfill_even_the_current_time(world: World) -> None:
    # Passing occurred_at at all is the privilege, whatever the value.
    with world.refuses(None, NotPermitted):
        world.report(REPORTER, occurred_at=START)


def test_an_auditor_is_refused_for_being_an_auditor_whatever_the_time(world: World) -> None:
    with world.refuses(None, NotPermitted):
        world.report(AUDITOR, occurred_at=LAST_WEEK)


@pytest.mark.parametrize("actor", [COMMITTEE, ADMIN], ids=lambda a: a.role.value)
def test_a_backfilled_time_is_never_in_the_future(world: World, actor: Actor) -> None:
    with world.refuses(None, InvalidValue, field="occurred_at"):
        world.report(actor, occurred_at=START + FUTURE_TOLERANCE + timedelta(seconds=1))


def test_a_backfilled_time_within_the_clock_skew_tolerance_is_accepted(world: World) -> None:
    case_id = world.report(COMMITTEE, occurred_at=START + FUTURE_TOLERANCE)

    assert world.case(case_id).reported_at == START + FUTURE_TOLERANCE


def test_a_later_command_in_the_future_is_refused_on_an_existing_case(world: World) -> None:
    case_id = world.report()

    with world.refuses(case_id, InvalidValue, field="occurred_at"):
        world.app.acknowledge_case(ADMIN, case_id, occurred_at=START + timedelta(hours=1))


def test_a_backfilled_event_is_never_before_the_cases_previous_event(world: World) -> None:
    case_id = world.report(COMMITTEE, occurred_at=LAST_WEEK)
    world.app.acknowledge_case(ADMIN, case_id, occurred_at=LAST_WEEK + timedelta(hours=2))

    # One second before the acknowledgement.
    with world.refuses(case_id, InvalidValue, field="occurred_at"):
        world.app.assign_case(
            ADMIN,
            case_id,
            to=Party.CONTRACTOR,
            occurred_at=LAST_WEEK + timedelta(hours=2, seconds=-1),
        )


def test_a_backfilled_event_may_share_the_time_of_the_previous_event(world: World) -> None:
    case_id = world.report(COMMITTEE, occurred_at=LAST_WEEK)

    world.app.comment_on_case(COMMITTEE, case_id, text="Dari buku log.", occurred_at=LAST_WEEK)

    assert world.last_event(case_id).occurred_at == LAST_WEEK


def test_a_live_event_is_never_dated_before_a_previous_event(world: World) -> None:
    # The committee's tablet runs a minute fast.
    ahead = START + timedelta(minutes=1)
    case_id = world.report(COMMITTEE, occurred_at=ahead)

    # Management acknowledges live, on a clock that is a minute behind that.
    world.app.acknowledge_case(MANAGER, case_id)

    event = world.last_event(case_id)
    assert event.occurred_at == ahead
    assert event.timestamp == START


def test_a_naive_backfilled_time_is_taken_as_utc(world: World) -> None:
    naive = datetime(2024, 3, 1, 8, 0)  # no timezone: the point of the test

    case_id = world.report(COMMITTEE, occurred_at=naive)

    assert world.case(case_id).reported_at == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def test_a_backfilled_time_in_another_timezone_is_stored_in_utc(world: World) -> None:
    # 09:00 in Kuala Lumpur on 1 March is 01:00 UTC.
    case_id = world.report(COMMITTEE, occurred_at=datetime(2024, 3, 1, 9, 0, tzinfo=MYT))

    reported_at = world.case(case_id).reported_at
    assert reported_at == datetime(2024, 3, 1, 1, 0, tzinfo=UTC)
    assert reported_at.utcoffset() == timedelta(0)
