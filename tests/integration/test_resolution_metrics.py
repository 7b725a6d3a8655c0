"""Resolution metrics on a fixed scenario whose every figure is worked out by hand.

The scenario (all times UTC; Malaysia is UTC+8, so 04:00 UTC is noon in Sri Aman):

- PPR-SRI-AMAN, blocks A and B, dispute window 14 days, priority threshold lowered to 3 supports.
  SLA targets (acknowledge / first response / resolve, hours): LIFT 4 / 24 / 72, WATER 2 / 12 / 48.
- "now" is 2025-05-01 04:00.

=============  =====  =====  ==========  ==================================================
case           cat.   block  reported    what happened (hours after the report)
=============  =====  =====  ==========  ==================================================
reopened       LIFT   A      03-03 04:00 ack 2, internal note 3, reporter comment 4, response 6,
                                         contractor 7, resolved 48, disputed 168, resolved 216,
                                         confirmed 240
auto_closed    WATER  B      03-04 04:00 ack 5, committee comment 9, resolved 60, system close 408
ended_early    WATER  A      03-10 04:00 no further action 24 (never acknowledged)
withdrawn      WATER  A      03-20 04:00 ack 1, withdrawn 24
with_committee LIFT   B      03-25 04:00 2 supports, ack 2, committee 2, internal note 24; open
supported      LIFT   A      03-31 17:00 3 supports, ack 1, staff comment 9, committee 9,
                             (04-01 MYT) resolved 48, confirmed 72 (priority, verified fixed)
duplicate      LIFT   A      04-02 04:00 duplicate of "supported" 1
designated     WATER  B      04-07 04:00 ack 1, designated 1, response 24, contractor 24; open
unacknowledged LIFT   B      04-28 08:00 nothing; open (68 hours at now)
=============  =====  =====  ==========  ==================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from domain.actors import Actor
from domain.case import Channel, Location, Party
from domain.clock import MALAYSIA
from domain.ppr import SlaTargets
from projections.resolution_report import (
    Filters,
    priority_report,
    resolution_report,
    sla_of_case,
)
from service.runtime import Runtime
from tests.integration.scenario import (
    ADMIN,
    COMMITTEE,
    MANAGER,
    PPR,
    manual_clock,
    register_ppr,
    resident,
)

NOW = datetime(2025, 5, 1, 4, 0, tzinfo=UTC)
ALL = Filters(ppr_codes=[PPR])
LIFT_TARGETS = {"acknowledge_hours": 4, "first_response_hours": 24, "resolve_hours": 72}
WATER_TARGETS = {"acknowledge_hours": 2, "first_response_hours": 12, "resolve_hours": 48}
NO_BACKLOG = {
    "n": 0,
    "median_days": None,
    "p90_days": None,
    "older_than_7_days": 0,
    "older_than_30_days": 0,
    "older_than_90_days": 0,
}


def utc(month: int, day: int, hour: int = 4, minute: int = 0) -> datetime:
    """A moment of 2025, in UTC."""
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Cases:
    """The scenario's cases, in the order they were reported."""

    reopened: UUID
    auto_closed: UUID
    ended_early: UUID
    withdrawn: UUID
    with_committee: UUID
    supported: UUID
    duplicate: UUID
    designated: UUID
    unacknowledged: UUID


def report(runtime: Runtime, actor: Actor, title: str, category: str, block: str) -> UUID:
    """A resident reports a problem in a unit of ``block`` (live, at the clock's time)."""
    return runtime.app.report_case(
        actor,
        ppr_code=PPR,
        location=Location(block=block, floor="3", unit=f"{block}-03-07"),
        category_code=category,
        title=title,
        description=f"{title}, please fix",
        channel=Channel.APP,
    ).id


def tell_story(runtime: Runtime, checkpoint: Callable[[], object] = lambda: None) -> Cases:
    """Record the scenario of the module docstring; ``checkpoint`` runs after each case.

    Each case's story is told in turn, with the domain clock following it: management and
    residents act live at the clock's time, while committee and admin entries are often typed in
    later from the paper logbook with an earlier ``occurred_at``.
    """
    app = runtime.app
    with manual_clock(utc(3, 1)) as clock:
        register_ppr(app)  # block A, LIFT 4/24/72, WATER 2/12/48, dispute window 14 days
        app.add_block(ADMIN, PPR, "B", "Blok B", 17)
        app.change_priority_support_threshold(ADMIN, PPR, 3)
        checkpoint()

        clock.now = utc(3, 3, 4)
        reopened = report(runtime, resident(1), "Lift A stops between floors", "LIFT", "A")
        clock.now = utc(3, 3, 6)  # +2 h
        app.acknowledge_case(MANAGER, reopened)
        clock.now = utc(3, 3, 7)  # +3 h: an internal note is not a response
        app.comment_on_case(MANAGER, reopened, text="Call the lift contractor", internal=True)
        clock.now = utc(3, 3, 8)  # +4 h: nor is the reporter's own comment
        app.comment_on_case(resident(1), reopened, text="It stopped again today")
        clock.now = utc(3, 3, 10)  # +6 h: the first response
        app.respond_to_case(MANAGER, reopened, message="The contractor comes tomorrow")
        clock.now = utc(3, 3, 11)  # +7 h
        app.assign_case(MANAGER, reopened, to=Party.CONTRACTOR, assignee="Lif Jaya")
        clock.now = utc(3, 5)  # +48 h
        app.resolve_case(MANAGER, reopened, note="Door sensor replaced")
        clock.now = utc(3, 10)  # +168 h, 5 days after the claim
        app.dispute_resolution(resident(1), reopened, reason="Stops again on floor 9")
        clock.now = utc(3, 12)  # +216 h
        app.resolve_case(MANAGER, reopened, note="Controller board replaced")
        clock.now = utc(3, 13)  # +240 h
        app.confirm_resolution(resident(1), reopened, rating=4)
        checkpoint()

        clock.now = utc(3, 4, 4)
        auto_closed = report(runtime, resident(2), "Pipe leaking in the corridor", "WATER", "B")
        clock.now = utc(3, 4, 9)  # +5 h
        app.acknowledge_case(MANAGER, auto_closed)
        clock.now = utc(3, 21, 4)  # the logbook is typed in on the day the system closes the case
        app.comment_on_case(
            COMMITTEE, auto_closed, text="Plumber booked", occurred_at=utc(3, 4, 13)
        )  # +9 h
        app.resolve_case(
            COMMITTEE, auto_closed, note="Joint resealed", occurred_at=utc(3, 6, 16)
        )  # +60 h; the dispute window runs to 03-20 16:00
        app.close_case(Actor.system(), auto_closed)  # +408 h = 17 days
        checkpoint()

        clock.now = utc(3, 10)
        ended_early = report(runtime, resident(4), "Water pressure low", "WATER", "A")
        clock.now = utc(3, 11)  # +24 h, never acknowledged
        app.decide_no_further_action(MANAGER, ended_early, reason="Syabas supply problem")
        checkpoint()

        clock.now = utc(3, 20)
        withdrawn = report(runtime, resident(8), "Tap dripping", "WATER", "A")
        clock.now = utc(3, 20, 5)  # +1 h
        app.acknowledge_case(MANAGER, withdrawn)
        clock.now = utc(3, 21)  # +24 h
        app.withdraw_case(resident(8), withdrawn, reason="Fixed it myself")
        checkpoint()

        clock.now = utc(3, 25)
        with_committee = report(runtime, resident(10), "Lift B button broken", "LIFT", "B")
        clock.now = utc(3, 25, 5)
        app.support_case(resident(11), with_committee)
        clock.now = utc(3, 25, 5, 30)
        app.support_case(resident(12), with_committee)  # 2 supports: below the threshold of 3
        clock.now = utc(3, 25, 6)  # +2 h
        app.acknowledge_case(MANAGER, with_committee)
        app.assign_case(MANAGER, with_committee, to=Party.COMMITTEE)
        clock.now = utc(3, 26)  # +24 h: an internal committee note does not stop the clock
        app.comment_on_case(COMMITTEE, with_committee, text="Ask for quotes", internal=True)
        checkpoint()

        clock.now = utc(3, 31, 17)  # 04-01 01:00 in Malaysia: an April case
        supported = report(runtime, resident(6), "Lift C out of service", "LIFT", "A")
        for number, minute in ((7, 10), (8, 20), (9, 30)):
            clock.now = utc(3, 31, 17, minute)
            app.support_case(resident(number), supported)
        clock.now = utc(3, 31, 18)  # +1 h
        app.acknowledge_case(MANAGER, supported)
        clock.now = utc(4, 1, 2)  # +9 h: a public comment by management is a response
        app.comment_on_case(MANAGER, supported, text="The committee follows this one up")
        app.assign_case(MANAGER, supported, to=Party.COMMITTEE)
        clock.now = utc(4, 3, 17)
        app.resolve_case(
            COMMITTEE, supported, note="Motor rewound", occurred_at=utc(4, 2, 17)
        )  # +48 h
        app.confirm_resolution(resident(6), supported, rating=5)  # +72 h
        checkpoint()

        clock.now = utc(4, 2)
        duplicate = report(runtime, resident(5), "Lift C not working", "LIFT", "A")
        clock.now = utc(4, 2, 12)
        app.mark_duplicate(
            COMMITTEE, duplicate, duplicate_of=supported, occurred_at=utc(4, 2, 5)
        )  # +1 h
        checkpoint()

        clock.now = utc(4, 7)
        designated = report(runtime, resident(7), "No water on floor 12", "WATER", "B")
        clock.now = utc(4, 7, 5)  # +1 h
        app.acknowledge_case(MANAGER, designated)
        clock.now = utc(4, 7, 6)
        app.designate_priority(
            COMMITTEE, designated, reason="Agreed at the March meeting", occurred_at=utc(4, 7, 5)
        )
        clock.now = utc(4, 8)  # +24 h
        app.respond_to_case(MANAGER, designated, message="Pump replacement ordered")
        app.assign_case(MANAGER, designated, to=Party.CONTRACTOR, assignee="Pam Maju")
        checkpoint()

        clock.now = utc(4, 28, 8)
        unacknowledged = report(runtime, resident(3), "Lift B smells of burning", "LIFT", "B")
        checkpoint()
    return Cases(
        reopened=reopened,
        auto_closed=auto_closed,
        ended_early=ended_early,
        withdrawn=withdrawn,
        with_committee=with_committee,
        supported=supported,
        duplicate=duplicate,
        designated=designated,
        unacknowledged=unacknowledged,
    )


@pytest.fixture
def cases(runtime: Runtime) -> Cases:
    """The scenario, recorded and projected."""
    told = tell_story(runtime)
    runtime.runner.catch_up()
    return told


def report_of(runtime: Runtime, group_by: str | None = None, **filters: Any) -> dict[str, Any]:
    with runtime.engine.connect() as conn:
        return resolution_report(conn, Filters(ppr_codes=[PPR], **filters), group_by, NOW)


def groups_of(runtime: Runtime, group_by: str) -> dict[str, dict[str, Any]]:
    return {group["key"]: group for group in report_of(runtime, group_by)["groups"]}


def sla_states(runtime: Runtime, case_id: UUID, now: datetime = NOW) -> dict[str, dict[str, Any]]:
    with runtime.engine.connect() as conn:
        answer = sla_of_case(conn, str(case_id), now)
    assert answer is not None
    return {figure.pop("target"): figure for figure in answer["targets"]}


def test_durations_count_the_cases_that_reached_each_milestone_with_median_and_p90(
    runtime: Runtime, cases: Cases
) -> None:
    total = report_of(runtime)["total"]
    assert total["cases"] == {"n": 9}
    # acknowledged after 2 (reopened), 5 (auto_closed), 1 (withdrawn), 2 (with_committee),
    # 1 (supported), 1 (designated): sorted 1 1 1 2 2 5; median (1 + 2) / 2; p90 = 6th of 6
    assert total["time_to_acknowledge"] == {"n": 6, "median_hours": 1.5, "p90_hours": 5.0}
    # responded after 6 (reopened; not the note at 3 or the reporter at 4), 9 (committee comment
    # on auto_closed), 9 (management comment on supported), 24 (designated): median (9 + 9) / 2
    assert total["time_to_first_response"] == {"n": 4, "median_hours": 9.0, "p90_hours": 24.0}
    # first claim of a fix: 48 (reopened; not its second at 216), 60 (auto_closed), 48 (supported)
    assert total["time_to_resolve"] == {"n": 3, "median_hours": 48.0, "p90_hours": 60.0}
    # closed after 240 (reopened, verified), 408 (auto_closed, auto), 72 (supported, verified)
    assert total["time_to_close"] == {
        "n": 3,
        "median_hours": 240.0,
        "p90_hours": 408.0,
        "verified": {"n": 2, "median_hours": 156.0, "p90_hours": 240.0},  # (72 + 240) / 2
        "auto": {"n": 1, "median_hours": 408.0, "p90_hours": 408.0},
    }


def test_sla_figures_count_stopped_and_ongoing_breaches_but_not_cases_that_ended_first(
    runtime: Runtime, cases: Cases
) -> None:
    answer = report_of(runtime)
    assert answer["targets"] == {PPR: {"LIFT": LIFT_TARGETS, "WATER": WATER_TARGETS}}
    assert answer["now"] == NOW
    assert answer["total"]["sla"] == {
        # stopped: reopened 2<=4, auto_closed 5>2, withdrawn 1<=2, with_committee 2<=4,
        # supported 1<=4, designated 1<=2; ongoing: unacknowledged (due 04-28 12:00);
        # ended_early and duplicate ended unacknowledged and are not counted. 2 / 7
        "acknowledge": {
            "n": 7,
            "stopped": 6,
            "breached": 2,
            "ongoing_breached": 1,
            "breach_pct": 28.57,
        },
        # stopped: reopened 6<=24, auto_closed 9<=12, supported 9<=24, designated 24>12;
        # ongoing: with_committee (due 03-26 04:00), unacknowledged (due 04-29 08:00). 3 / 6
        "first_response": {
            "n": 6,
            "stopped": 4,
            "breached": 3,
            "ongoing_breached": 2,
            "breach_pct": 50.0,
        },
        # stopped: reopened 48<=72, auto_closed 60>48, supported 48<=72; ongoing: with_committee
        # (due 03-28), designated (due 04-09); unacknowledged is due 05-01 08:00, after now. 3 / 5
        "resolve": {
            "n": 5,
            "stopped": 3,
            "breached": 3,
            "ongoing_breached": 2,
            "breach_pct": 60.0,
        },
    }


def test_reopen_rate_and_fix_outcomes_count_the_cases_resolved_in_the_period(
    runtime: Runtime, cases: Cases
) -> None:
    total = report_of(runtime)["total"]
    # resolved cases: reopened (claim 1 disputed after 5 days, claim 2 confirmed), auto_closed
    # (auto-closed), supported (confirmed)
    assert total["reopen_rate"] == {"n": 3, "reopened": 1, "rate_pct": 33.33}
    # reopened counts as disputed and as confirmed: the shares add up to more than 100 %
    assert total["fix_outcomes"] == {
        "n": 3,
        "confirmed": 2,
        "disputed": 1,
        "auto_closed": 1,
        "pending": 0,
        "confirmed_pct": 66.67,
        "disputed_pct": 33.33,
        "auto_closed_pct": 33.33,
        "pending_pct": 0.0,
    }


def test_the_backlog_holds_the_open_cases_with_their_ages_at_now(
    runtime: Runtime, cases: Cases
) -> None:
    # open at now: unacknowledged 68 h = 2.83 days, designated 24 days, with_committee 37 days
    assert report_of(runtime)["total"]["backlog"] == {
        "at": NOW,
        "n": 3,
        "median_days": 24.0,
        "p90_days": 37.0,
        "older_than_7_days": 2,
        "older_than_30_days": 1,
        "older_than_90_days": 0,
    }


def test_a_period_ending_earlier_measures_the_backlog_at_its_end(
    runtime: Runtime, cases: Cases
) -> None:
    end = datetime(2025, 4, 1, tzinfo=MALAYSIA)  # 03-31 16:00 UTC
    answer = report_of(runtime, start=datetime(2025, 3, 1, tzinfo=MALAYSIA), end=end)
    total = answer["total"]
    # reported in March (Malaysia): reopened, auto_closed, ended_early, withdrawn, with_committee
    assert total["cases"] == {"n": 5}
    # only with_committee is open at the end of March: 03-25 04:00 to 03-31 16:00 = 6.5 days
    assert total["backlog"] == {
        **NO_BACKLOG,
        "at": end,
        "n": 1,
        "median_days": 6.5,
        "p90_days": 6.5,
    }
    # resolved in March: reopened (twice) and auto_closed (supported's claim was on 04-02)
    assert total["reopen_rate"] == {"n": 2, "reopened": 1, "rate_pct": 50.0}


def test_stage_time_adds_up_each_partys_turns_and_runs_open_cases_to_now(
    runtime: Runtime, cases: Cases
) -> None:
    assert report_of(runtime)["total"]["stage_time"] == {
        # reopened 7 + 48, auto_closed 60, ended_early 24, withdrawn 24, with_committee 2,
        # supported 9, duplicate 1, designated 24, unacknowledged 68 (still running):
        # sorted 1 2 9 24 24 24 55 60 68; median the 5th; p90 the 9th
        "management": {"n": 9, "median_hours": 24.0, "p90_hours": 68.0, "total_hours": 267.0},
        # supported 39 (04-01 02:00 to 04-02 17:00); with_committee 03-25 06:00 to now = 886
        "committee": {"n": 2, "median_hours": 462.5, "p90_hours": 886.0, "total_hours": 925.0},
        # reopened 41 (03-03 11:00 to 03-05 04:00); designated 04-08 04:00 to now = 552
        "contractor": {"n": 2, "median_hours": 296.5, "p90_hours": 552.0, "total_hours": 593.0},
        # reopened 120 + 24; auto_closed 348 (03-06 16:00 to 03-21 04:00); supported 24
        "resident": {"n": 3, "median_hours": 144.0, "p90_hours": 348.0, "total_hours": 516.0},
    }


def test_grouping_by_category_splits_cases_claims_and_backlog(
    runtime: Runtime, cases: Cases
) -> None:
    groups = groups_of(runtime, "category")
    assert list(groups) == ["LIFT", "WATER"]
    lift, water = groups["LIFT"], groups["WATER"]
    # LIFT: reopened, with_committee, supported, duplicate, unacknowledged
    assert lift["cases"] == {"n": 5}
    assert lift["time_to_acknowledge"] == {"n": 3, "median_hours": 2.0, "p90_hours": 2.0}
    # stopped: reopened 48, supported 48 (both met); ongoing: with_committee
    assert lift["sla"]["resolve"] == {
        "n": 3,
        "stopped": 2,
        "breached": 1,
        "ongoing_breached": 1,
        "breach_pct": 33.33,
    }
    # LIFT cases resolved: reopened (twice) and supported
    assert lift["reopen_rate"] == {"n": 2, "reopened": 1, "rate_pct": 50.0}
    # unacknowledged 2.83 days and with_committee 37 days: median (2.83 + 37) / 2 = 19.92
    assert lift["backlog"] == {
        "at": NOW,
        "n": 2,
        "median_days": 19.92,
        "p90_days": 37.0,
        "older_than_7_days": 1,
        "older_than_30_days": 1,
        "older_than_90_days": 0,
    }
    # WATER: auto_closed, ended_early, withdrawn, designated
    assert water["cases"] == {"n": 4}
    assert water["time_to_acknowledge"] == {"n": 3, "median_hours": 1.0, "p90_hours": 5.0}
    # stopped: auto_closed 60 > 48; ongoing: designated
    assert water["sla"]["resolve"] == {
        "n": 2,
        "stopped": 1,
        "breached": 2,
        "ongoing_breached": 1,
        "breach_pct": 100.0,
    }
    assert water["fix_outcomes"]["auto_closed"] == 1
    assert water["fix_outcomes"]["auto_closed_pct"] == 100.0
    assert water["backlog"]["n"] == 1
    assert water["backlog"]["median_days"] == 24.0


def test_grouping_by_block_gives_a_block_without_open_cases_an_empty_backlog(
    runtime: Runtime, cases: Cases
) -> None:
    groups = groups_of(runtime, "block")
    assert list(groups) == ["A", "B"]
    block_a, block_b = groups["A"], groups["B"]
    # A: reopened, ended_early, withdrawn, supported, duplicate; none open
    assert block_a["cases"] == {"n": 5}
    assert block_a["backlog"] == {**NO_BACKLOG, "at": NOW}
    assert block_a["time_to_close"]["verified"] == {
        "n": 2,
        "median_hours": 156.0,
        "p90_hours": 240.0,
    }
    assert block_a["time_to_close"]["auto"] == {"n": 0, "median_hours": None, "p90_hours": None}
    # B: auto_closed, with_committee, designated, unacknowledged
    assert block_b["cases"] == {"n": 4}
    assert block_b["backlog"]["n"] == 3
    assert block_b["stage_time"]["contractor"] == {
        "n": 1,
        "median_hours": 552.0,
        "p90_hours": 552.0,
        "total_hours": 552.0,
    }


def test_grouping_by_month_uses_malaysian_months_and_each_months_end_for_the_backlog(
    runtime: Runtime, cases: Cases
) -> None:
    groups = groups_of(runtime, "month")
    assert list(groups) == ["2025-03", "2025-04"]
    march, april = groups["2025-03"], groups["2025-04"]
    # March: reopened, auto_closed, ended_early, withdrawn, with_committee ("supported" was
    # reported on 03-31 17:00 UTC, already April in Malaysia)
    assert march["cases"] == {"n": 5}
    # acknowledged after 2, 5, 1, 2: median (2 + 2) / 2, p90 the 4th of 4
    assert march["time_to_acknowledge"] == {"n": 4, "median_hours": 2.0, "p90_hours": 5.0}
    assert march["reopen_rate"] == {"n": 2, "reopened": 1, "rate_pct": 50.0}
    assert march["backlog"] == {
        **NO_BACKLOG,
        "at": datetime(2025, 4, 1, tzinfo=MALAYSIA),
        "n": 1,
        "median_days": 6.5,  # with_committee, 03-25 04:00 to 03-31 16:00
        "p90_days": 6.5,
    }
    # April: supported, duplicate, designated, unacknowledged
    assert april["cases"] == {"n": 4}
    # supported's claim (04-02 17:00 UTC, 04-03 in Malaysia), confirmed
    assert april["fix_outcomes"]["n"] == 1
    assert april["fix_outcomes"]["confirmed_pct"] == 100.0
    # at 04-30 16:00 UTC: unacknowledged 2 d 8 h = 2.33, designated 23.5, with_committee 36.5
    assert april["backlog"] == {
        "at": datetime(2025, 5, 1, tzinfo=MALAYSIA),
        "n": 3,
        "median_days": 23.5,
        "p90_days": 36.5,
        "older_than_7_days": 2,
        "older_than_30_days": 1,
        "older_than_90_days": 0,
    }


def test_priorities_are_cases_with_enough_supports_or_designated_by_the_committee(
    runtime: Runtime, cases: Cases
) -> None:
    with runtime.engine.connect() as conn:
        answer = priority_report(conn, ALL)
        march = priority_report(
            conn,
            Filters(
                ppr_codes=[PPR],
                start=datetime(2025, 3, 1, tzinfo=MALAYSIA),
                end=datetime(2025, 4, 1, tzinfo=MALAYSIA),
            ),
        )
    # supported: 3 supports (threshold 3), verified fixed; designated: by the committee, open;
    # with_committee has only 2 supports
    assert answer["thresholds"] == {PPR: 3}
    assert (answer["n"], answer["solved"], answer["solved_pct"]) == (2, 1, 50.0)
    assert answer["by_month"] == [{"month": "2025-04", "n": 2, "solved": 1, "solved_pct": 50.0}]
    assert [
        (row["id"], row["support_count"], row["designated"], row["solved"])
        for row in answer["cases"]
    ] == [
        (str(cases.supported), 3, False, True),
        (str(cases.designated), 0, True, False),
    ]
    # "supported" was reported on 04-01 in Malaysia, so March has no priority case
    assert (march["n"], march["solved"], march["solved_pct"], march["cases"]) == (0, 0, None, [])


def test_the_sla_of_a_case_says_met_breached_running_or_not_applicable(
    runtime: Runtime, cases: Cases
) -> None:
    reopened = sla_states(runtime, cases.reopened)
    assert reopened["first_response"] == {
        "target_hours": 24,
        "due_at": utc(3, 4, 4),
        "stopped_at": utc(3, 3, 10),  # the response, not the internal note or reporter comment
        "state": "met",
        "elapsed_hours": 6.0,
        "remaining_hours": None,
        "breached_by_hours": None,
        "breach_recorded_at": None,  # no relay runs here: nothing was recorded
    }
    auto_closed = sla_states(runtime, cases.auto_closed)
    assert auto_closed["acknowledge"]["state"] == "breached"
    assert auto_closed["acknowledge"]["breached_by_hours"] == 3.0  # 5 h against 2 h
    assert auto_closed["first_response"]["state"] == "met"
    assert auto_closed["resolve"] == {
        "target_hours": 48,
        "due_at": utc(3, 6, 4),
        "stopped_at": utc(3, 6, 16),
        "state": "breached",
        "elapsed_hours": 60.0,
        "remaining_hours": None,
        "breached_by_hours": 12.0,
        "breach_recorded_at": None,  # no relay runs here: nothing was recorded
    }
    unacknowledged = sla_states(runtime, cases.unacknowledged)
    # 68 hours open: 64 past the 4-hour target, 44 past the 24-hour one, 4 left of 72
    assert unacknowledged["acknowledge"] == {
        "target_hours": 4,
        "due_at": utc(4, 28, 12),
        "stopped_at": None,
        "state": "breached",
        "elapsed_hours": 68.0,
        "remaining_hours": None,
        "breached_by_hours": 64.0,
        "breach_recorded_at": None,  # no relay runs here: nothing was recorded
    }
    assert unacknowledged["first_response"]["breached_by_hours"] == 44.0
    assert unacknowledged["resolve"] == {
        "target_hours": 72,
        "due_at": utc(5, 1, 8),
        "stopped_at": None,
        "state": "running",
        "elapsed_hours": 68.0,
        "remaining_hours": 4.0,
        "breached_by_hours": None,
        "breach_recorded_at": None,  # no relay runs here: nothing was recorded
    }
    # at the very moment it falls due, a target is still running with no time left
    at_due = sla_states(runtime, cases.unacknowledged, now=utc(5, 1, 8))["resolve"]
    assert (at_due["state"], at_due["remaining_hours"], at_due["breached_by_hours"]) == (
        "running",
        0.0,
        None,
    )
    designated = sla_states(runtime, cases.designated)
    assert designated["acknowledge"]["state"] == "met"
    assert designated["first_response"]["breached_by_hours"] == 12.0  # 24 h against 12 h
    # open 24 days against 48 hours: 576 - 48
    assert designated["resolve"]["state"] == "breached"
    assert designated["resolve"]["breached_by_hours"] == 528.0
    ended_early = sla_states(runtime, cases.ended_early)
    for target in ("acknowledge", "first_response", "resolve"):
        assert ended_early[target]["state"] == "not_applicable"
        assert ended_early[target]["elapsed_hours"] == 24.0  # to the decision
        assert ended_early[target]["remaining_hours"] is None
        assert ended_early[target]["breached_by_hours"] is None


def test_changing_a_categorys_targets_rejudges_its_past_cases_without_a_rebuild(
    runtime: Runtime, cases: Cases
) -> None:
    with manual_clock(NOW):
        runtime.app.change_sla_targets(ADMIN, PPR, "WATER", SlaTargets(6, 8, 72))
    # the one new event, applied once by each projection: nothing is rebuilt
    assert runtime.runner.catch_up() == len(runtime.runner.projections)
    answer = report_of(runtime)
    assert answer["targets"] == {
        PPR: {
            "LIFT": LIFT_TARGETS,
            "WATER": {"acknowledge_hours": 6, "first_response_hours": 8, "resolve_hours": 72},
        }
    }
    assert answer["total"]["sla"] == {
        # auto_closed's 5 h now meets 6 h; only unacknowledged (ongoing) is left. 1 / 7
        "acknowledge": {
            "n": 7,
            "stopped": 6,
            "breached": 1,
            "ongoing_breached": 1,
            "breach_pct": 14.29,
        },
        # auto_closed's 9 h now misses 8 h: designated and auto_closed stopped breached,
        # with_committee and unacknowledged ongoing. 4 / 6
        "first_response": {
            "n": 6,
            "stopped": 4,
            "breached": 4,
            "ongoing_breached": 2,
            "breach_pct": 66.67,
        },
        # auto_closed's 60 h meets 72 h; designated is still open past 04-10 04:00. 2 / 5
        "resolve": {
            "n": 5,
            "stopped": 3,
            "breached": 2,
            "ongoing_breached": 2,
            "breach_pct": 40.0,
        },
    }
    auto_closed = sla_states(runtime, cases.auto_closed)
    assert {target: figure["state"] for target, figure in auto_closed.items()} == {
        "acknowledge": "met",
        "first_response": "breached",
        "resolve": "met",
    }
    assert auto_closed["first_response"]["target_hours"] == 8
    assert auto_closed["first_response"]["breached_by_hours"] == 1.0
    assert auto_closed["resolve"]["due_at"] == utc(3, 7, 4)  # 03-04 04:00 + 72 h
    # LIFT cases keep their targets
    assert sla_states(runtime, cases.unacknowledged)["acknowledge"]["breached_by_hours"] == 64.0


def metrics_state(runtime: Runtime, cases: Cases) -> dict[str, Any]:
    """Every metrics row and every report answer the metrics read model gives."""
    tables = runtime.runner.projection("case_metrics").tables
    with runtime.engine.connect() as conn:
        rows = {
            table.name: sorted(
                (dict(row) for row in conn.execute(select(table)).mappings()),
                key=lambda row: tuple(str(row[column.name]) for column in table.primary_key),
            )
            for table in tables
        }
        reports = {
            str(group_by): resolution_report(conn, ALL, group_by, NOW)
            for group_by in (None, "category", "block", "month")
        }
        priorities = priority_report(conn, ALL)
        slas = {str(case_id): sla_of_case(conn, str(case_id), NOW) for case_id in astuple(cases)}
    return {"rows": rows, "reports": reports, "priorities": priorities, "slas": slas}


def test_rebuilding_from_zero_gives_the_incrementally_maintained_numbers(
    runtime: Runtime,
) -> None:
    runner = runtime.runner
    cases = tell_story(runtime, checkpoint=runner.catch_up)
    with manual_clock(NOW):
        runtime.app.change_sla_targets(ADMIN, PPR, "WATER", SlaTargets(6, 8, 72))
        runner.catch_up()
        runtime.app.recategorise_case(
            COMMITTEE,
            cases.with_committee,
            category_code="WATER",
            reason="It is the pump room door",
            occurred_at=utc(4, 15),
        )
        runner.catch_up("case_metrics")
        runtime.app.change_sla_targets(ADMIN, PPR, "LIFT", SlaTargets(8, 48, 96))
        runtime.app.support_case(resident(20), cases.unacknowledged)
        runner.catch_up()
        late = report(runtime, resident(21), "Meter box flooded", "WATER", "A")
        runtime.app.acknowledge_case(MANAGER, late)
        runner.catch_up()

    incremental = metrics_state(runtime, cases)
    with_committee = sla_states(runtime, cases.with_committee)
    # recategorised to WATER after its targets changed: 6 / 8 / 72 hours from 03-25 04:00
    assert [figure["due_at"] for figure in with_committee.values()] == [
        utc(3, 25, 10),
        utc(3, 25, 12),
        utc(3, 28),
    ]
    assert incremental["reports"]["None"]["targets"][PPR]["LIFT"]["resolve_hours"] == 96

    assert runner.rebuild("case_metrics") == runner.head()
    assert metrics_state(runtime, cases) == incremental
