"""Catch-up fills the read models: the case list's counters and dates, the timeline, the directory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from domain.case import Case, Party
from projections.case_list import case_list
from projections.case_timeline import case_timeline
from projections.events import event_type
from projections.ppr_directory import pprs
from service.runtime import Runtime
from tests.integration.scenario import (
    ADMIN,
    COMMITTEE,
    MANAGER,
    PPR,
    START,
    events,
    manual_clock,
    register_ppr,
    report,
    resident,
)


@dataclass
class Story:
    """The cases of the catch-up scenario and the moments that matter."""

    lift: UUID
    backfilled: UUID
    duplicate: UUID
    recategorised: UUID
    resolved_at: datetime
    closed_at: datetime
    late_comment_at: datetime
    backfilled_occurred_at: datetime
    backfilled_recorded_at: datetime


def tell_story(runtime: Runtime) -> Story:
    """Register the PPR and work four cases to different ends (24 events)."""
    app = runtime.app
    with manual_clock() as clock:
        register_ppr(app)
        app.change_dispute_window(ADMIN, PPR, 10)

        # The lift case: supported twice, worked by a contractor, resolved, confirmed, then a
        # resident comments on the closed case.
        clock.advance(minutes=5)
        lift = report(app, resident(1), "Lift B stuck on floor 7")
        clock.advance(minutes=10)
        app.support_case(resident(2), lift)
        app.support_case(resident(3), lift)
        clock.advance(hours=1)
        app.acknowledge_case(MANAGER, lift, note="Seen")
        app.assign_case(MANAGER, lift, to=Party.CONTRACTOR, assignee="Syarikat Lif Jaya")
        app.comment_on_case(resident(1), lift, text="Still stuck this morning")
        app.comment_on_case(MANAGER, lift, text="Contractor invoice pending", internal=True)
        app.comment_on_case(MANAGER, lift, text="Contractor comes on Friday")
        app.respond_to_case(MANAGER, lift, message="Part ordered", commitment_date=date(2025, 3, 7))
        resolved_at = clock.advance(days=3)
        app.resolve_case(MANAGER, lift, note="Motor replaced")
        closed_at = clock.advance(days=1)
        app.confirm_resolution(resident(1), lift, rating=4, comment="Works again")
        late_comment_at = clock.advance(days=2)
        app.comment_on_case(resident(2), lift, text="Thank you all")

        # A paper logbook entry the committee types in three days late; management ends it.
        backfilled_occurred_at = START - timedelta(days=3)
        backfilled_recorded_at = clock.advance(minutes=1)
        backfilled = report(
            app, COMMITTEE, "Rubbish chute blocked", occurred_at=backfilled_occurred_at
        )
        clock.advance(minutes=1)
        app.acknowledge_case(MANAGER, backfilled)
        app.decide_no_further_action(MANAGER, backfilled, reason="Town council's responsibility")

        # A second report of the lift problem, supported once, then merged into the first.
        clock.advance(minutes=1)
        duplicate = report(app, resident(4), "Lift broken again?")
        app.support_case(resident(1), duplicate)
        app.mark_duplicate(MANAGER, duplicate, duplicate_of=lift)

        # A report filed under the wrong category.
        clock.advance(minutes=1)
        recategorised = report(app, resident(5), "Water dripping from ceiling")
        app.recategorise_case(MANAGER, recategorised, category_code="WATER", reason="Plumbing")
    return Story(
        lift=lift,
        backfilled=backfilled,
        duplicate=duplicate,
        recategorised=recategorised,
        resolved_at=resolved_at,
        closed_at=closed_at,
        late_comment_at=late_comment_at,
        backfilled_occurred_at=backfilled_occurred_at,
        backfilled_recorded_at=backfilled_recorded_at,
    )


def case_row(runtime: Runtime, case_id: UUID) -> dict[str, Any]:
    with runtime.engine.connect() as conn:
        row = conn.execute(select(case_list).where(case_list.c.case_id == str(case_id)))
        return dict(row.mappings().one())


def timeline(runtime: Runtime, case_id: UUID) -> list[dict[str, Any]]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(case_timeline)
            .where(case_timeline.c.case_id == str(case_id))
            .order_by(case_timeline.c.version)
        )
        return [dict(row) for row in rows.mappings()]


@pytest.fixture
def story(runtime: Runtime) -> Story:
    """The scenario, recorded and projected."""
    told = tell_story(runtime)
    assert runtime.runner.catch_up() == len(runtime.runner.projections) * 25
    return told


def test_catch_up_lists_every_case_with_its_current_status_and_whose_move(
    runtime: Runtime, story: Story
) -> None:
    expected = {
        story.lift: ("closed", None),
        story.backfilled: ("no_further_action", None),
        story.duplicate: ("duplicate", None),
        story.recategorised: ("reported", "management"),
    }
    for case_id, (status, whose_move) in expected.items():
        row = case_row(runtime, case_id)
        case = runtime.app.get_case(case_id)
        assert (row["status"], row["whose_move"]) == (status, whose_move)
        assert (row["status"], row["whose_move"]) == (case.status, case.whose_move)
        assert row["version"] == case.version
        assert row["ppr_code"] == PPR


def test_the_case_list_counts_supports_and_public_comments_but_not_internal_notes(
    runtime: Runtime, story: Story
) -> None:
    lift = case_row(runtime, story.lift)
    assert lift["support_count"] == 2
    assert lift["public_comment_count"] == 3  # the internal note is not counted
    duplicate = case_row(runtime, story.duplicate)
    assert (duplicate["support_count"], duplicate["public_comment_count"]) == (1, 0)
    assert duplicate["duplicate_of"] == str(story.lift)


def test_the_case_list_keeps_when_a_case_was_resolved_and_closed(
    runtime: Runtime, story: Story
) -> None:
    lift = case_row(runtime, story.lift)
    assert lift["resolved_at"] == story.resolved_at
    assert lift["closed_at"] == story.closed_at
    assert lift["updated_at"] == story.late_comment_at
    assert lift["rating"] == 4
    assert lift["assigned_to"] == "contractor"
    open_case = case_row(runtime, story.recategorised)
    assert (open_case["resolved_at"], open_case["closed_at"]) == (None, None)
    assert open_case["category_code"] == "WATER"


def test_a_comment_on_a_closed_case_does_not_move_its_closed_at(
    runtime: Runtime, story: Story
) -> None:
    lift = case_row(runtime, story.lift)
    assert lift["updated_at"] == story.late_comment_at
    assert lift["closed_at"] == story.closed_at


def test_the_case_list_dates_a_backfilled_report_when_it_happened(
    runtime: Runtime, story: Story
) -> None:
    row = case_row(runtime, story.backfilled)
    assert row["reported_at"] == story.backfilled_occurred_at
    assert row["reporter_role"] == "committee"
    assert row["closed_at"] is not None
    assert row["closed_at"] > story.backfilled_recorded_at


def test_the_timeline_has_one_row_per_event_in_version_order(
    runtime: Runtime, story: Story
) -> None:
    rows = timeline(runtime, story.lift)
    assert [row["event_type"] for row in rows] == [
        "reported",
        "supported",
        "supported",
        "acknowledged",
        "assigned",
        "comment_added",
        "comment_added",
        "comment_added",
        "management_responded",
        "resolved",
        "resolution_confirmed",
        "comment_added",
    ]
    assert [row["version"] for row in rows] == list(range(1, 13))
    assert [row["position"] for row in rows] == sorted({row["position"] for row in rows})
    assert [row["internal"] for row in rows].count(True) == 1
    assert rows[6]["internal"] is True
    assert rows[6]["details"] == {"text": "Contractor invoice pending", "internal": True}
    for row in rows:
        assert isinstance(row["occurred_at"], datetime)
        assert isinstance(row["recorded_at"], datetime)


def test_the_timeline_holds_exactly_the_case_events_of_the_log(
    runtime: Runtime, story: Story
) -> None:
    case_events = [event for event in events(runtime.app) if isinstance(event, Case.Event)]
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(case_timeline.c.case_id, case_timeline.c.version, case_timeline.c.event_type)
        ).all()
    assert len(case_events) == 20
    assert sorted(rows) == sorted(
        (str(event.originator_id), event.originator_version, event_type(event))
        for event in case_events
    )


def test_the_timeline_records_what_each_event_changed(runtime: Runtime, story: Story) -> None:
    changes = [row["changes"] for row in timeline(runtime, story.lift)]
    assert changes == [
        {"status": [None, "reported"], "whose_move": [None, "management"]},
        {},
        {},
        {"status": ["reported", "acknowledged"]},
        {"status": ["acknowledged", "in_progress"], "whose_move": ["management", "contractor"]},
        {},
        {},
        {},
        {},
        {"status": ["in_progress", "resolved"], "whose_move": ["contractor", "resident"]},
        {"status": ["resolved", "closed"], "whose_move": ["resident", None]},
        {},
    ]
    recategorised = timeline(runtime, story.recategorised)
    assert recategorised[1]["changes"] == {"category": ["LIFT", "WATER"]}
    assert recategorised[1]["details"]["reason"] == "Plumbing"


def test_the_timeline_keeps_a_backfilled_occurred_at_apart_from_when_it_was_recorded(
    runtime: Runtime, story: Story
) -> None:
    reported, acknowledged, ended = timeline(runtime, story.backfilled)
    assert reported["occurred_at"] == story.backfilled_occurred_at
    assert reported["recorded_at"] == story.backfilled_recorded_at
    assert reported["actor_id"] == COMMITTEE.principal_id
    assert reported["actor_role"] == "committee"
    assert acknowledged["occurred_at"] == acknowledged["recorded_at"]
    assert acknowledged["occurred_at"] > reported["recorded_at"]
    assert ended["status"] == "no_further_action"
    assert ended["details"] == {"reason": "Town council's responsibility"}


def test_the_ppr_directory_holds_the_latest_configuration(runtime: Runtime, story: Story) -> None:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(pprs)).mappings().all()
    assert len(rows) == 1
    row = rows[0]
    assert (row["code"], row["name"], row["dispute_window_days"]) == (PPR, "PPR Sri Aman", 10)
    assert row["blocks"] == {"A": {"code": "A", "name": "Blok A", "floors": 17}}
    assert sorted(row["categories"]) == ["LIFT", "WATER"]
    assert row["categories"]["LIFT"]["sla"] == {
        "acknowledge_hours": 4,
        "first_response_hours": 24,
        "resolve_hours": 72,
    }
    assert row["version"] == runtime.app.get_ppr(PPR).version
