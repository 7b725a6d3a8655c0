"""Governance metrics on a fixed scenario whose every figure is worked out by hand.

The scenario (all times UTC; Malaysia is UTC+8, so 04:00 UTC is noon in Sri Aman):

- PPR-SRI-AMAN with blocks A, B, C and D; three cases: ``lift`` (block A), ``pipe`` (B), ``lamp`` (C).
- The committee is established on 01-06 (quorum: more than half) with six members:

  ======  ===========  =====  ======  ========  =========================================
  member  role         block  gender  age band  seat
  ======  ===========  =====  ======  ========  =========================================
  aminah  chair        A      female  45-54     01-06 onwards
  bala    vice chair   B      male    55-64     01-06 onwards
  chong   secretary    C      male    35-44     01-06 to 04-20 (steps down)
  devi    treasurer    B      female  25-34     01-06 onwards
  eddy    block rep.   D      (undeclared)      01-06 onwards
  farah   member       -      female  65+       01-06 onwards
  gita    secretary    A      female  25-34     05-05 onwards
  ======  ===========  =====  ======  ========  =========================================

  On 04-01 the quorum rule becomes a fixed 3 members.

- Meetings:

  ==  =========  ==================================  ========  ========  ==========================
  M   held       members present (seated, quorum)    residents  mgmt      minutes
  ==  =========  ==================================  ========  ========  ==========================
  M1  02-10      5 (6, 4) quorate                    9 (r1-4)  2         02-12 04:00: lag 2 days
  M2  03-03      3 (6, 4) no quorum                  3 (r2,5)  0         03-10 16:00: lag 7.5 days
  M3  -          cancelled on 03-20                  -         -         -
  M4  04-14      3 (6, 3 by the new rule) quorate    8 (r1,5,6)  1       never published
  ==  =========  ==================================  ========  ========  ==========================

  M1 motions: 1 (item 1) carried 4-1-0, 2 (item 2) by consensus, 3 (item 3) lost 1-3-1.
  M4 motions: 1 (item 1) carried 2-0-1, 2 (item 2, added later) by consensus.

- Decisions (made on the day of their meeting, D1-D3 at 06:00, D4 at 07:00):

  ==  =======  ==========  ===========  =====================================================
  D   motion   cases       due          what came of it
  ==  =======  ==========  ===========  =====================================================
  D1  M1 #1    lift, lamp  03-20        accepted 02-13 06:00 (3 days), 50 %, done 03-05,
                                        disputed 03-08, 90 %, done 03-18, verified 03-25
  D2  M1 #2    pipe        04-15        accepted in part 02-20 06:00 (10 days), 30 %
  D3  M4 #1    lift        05-15        rejected 04-15 18:00 (1.5 days)
  D4  M4 #2    (none)      06-02        unanswered
  ==  =======  ==========  ===========  =====================================================

- "now" is 06-02 04:00 (noon of 06-02 in Malaysia).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from domain.actors import Actor
from domain.case import Channel, Location
from domain.clock import MALAYSIA
from domain.committee import AgeBand, CommitteeRole, Gender, Selection
from domain.decision import ActionBy, Answer
from domain.meeting import VoteMethod
from projections.case_timeline import case_timeline
from projections.governance_report import governance_report
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

NOW = datetime(2025, 6, 2, 4, 0, tzinfo=UTC)
#: The first half of 2025 in Malaysia: "now" falls inside it, so T = now.
HALF_START = datetime(2025, 1, 1, tzinfo=MALAYSIA)
HALF_END = datetime(2025, 7, 1, tzinfo=MALAYSIA)
#: The first quarter in Malaysia: it ends on 03-31 16:00 UTC, before now, so T = its end.
QUARTER_END = datetime(2025, 4, 1, tzinfo=MALAYSIA)


def utc(month: int, day: int, hour: int = 4, minute: int = 0) -> datetime:
    """A moment of 2025, in UTC."""
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Story:
    """The ids the scenario created."""

    lift: UUID
    pipe: UUID
    lamp: UUID
    m1: UUID
    m2: UUID
    m3: UUID
    m4: UUID
    d1: UUID
    d2: UUID
    d3: UUID
    d4: UUID


def report(runtime: Runtime, actor: Actor, title: str, block: str) -> UUID:
    """A resident reports a lift problem in a unit of ``block`` (live, at the clock's time)."""
    return runtime.app.report_case(
        actor,
        ppr_code=PPR,
        location=Location(block=block, floor="3", unit=f"{block}-03-07"),
        category_code="LIFT",
        title=title,
        description=f"{title}, please fix",
        channel=Channel.APP,
    ).id


def seat(
    runtime: Runtime,
    member_id: str,
    role: CommitteeRole,
    block: str | None,
    gender: Gender | None,
    age_band: AgeBand | None,
) -> None:
    """Seat a member at the clock's time."""
    runtime.app.appoint_member(
        COMMITTEE,
        PPR,
        member_id=member_id,
        name=member_id.title(),
        role=role,
        selection=Selection.APPOINTED
        if role is CommitteeRole.BLOCK_REPRESENTATIVE
        else Selection.ELECTED,
        block=block,
        gender=gender,
        age_band=age_band,
    )


def tell_story(runtime: Runtime, checkpoint: Callable[[], object] = lambda: None) -> Story:
    """Record the scenario of the module docstring; ``checkpoint`` runs between its chapters.

    Management acts live at the clock's time; the committee often types its paper records in
    later with an earlier ``occurred_at``.
    """
    app = runtime.app
    with manual_clock(utc(1, 2)) as clock:
        register_ppr(app)  # block A, categories LIFT and WATER
        for block in ("B", "C", "D"):
            app.add_block(ADMIN, PPR, block, f"Blok {block}", 17)
        checkpoint()

        clock.now = utc(1, 6)
        app.establish_committee(
            COMMITTEE, PPR, term_start=date(2025, 1, 1), term_end=date(2026, 12, 31)
        )
        seat(runtime, "aminah", CommitteeRole.CHAIR, "A", Gender.FEMALE, AgeBand.FROM_45)
        seat(runtime, "bala", CommitteeRole.VICE_CHAIR, "B", Gender.MALE, AgeBand.FROM_55)
        seat(runtime, "chong", CommitteeRole.SECRETARY, "C", Gender.MALE, AgeBand.FROM_35)
        seat(runtime, "devi", CommitteeRole.TREASURER, "B", Gender.FEMALE, AgeBand.FROM_25)
        seat(runtime, "eddy", CommitteeRole.BLOCK_REPRESENTATIVE, "D", None, None)
        seat(runtime, "farah", CommitteeRole.MEMBER, None, Gender.FEMALE, AgeBand.OVER_65)
        checkpoint()

        clock.now = utc(2, 1)
        lift = report(runtime, resident(1), "Lif Blok A rosak", "A")
        pipe = report(runtime, resident(2), "Paip bocor Blok B", "B")
        lamp = report(runtime, resident(3), "Lampu koridor Blok C padam", "C")

        # M1: scheduled a week ahead, tabling lift and pipe
        clock.now = utc(2, 3)
        m1 = app.schedule_meeting(
            COMMITTEE,
            PPR,
            scheduled_for=utc(2, 10),
            place="Dewan serbaguna",
            agenda=[
                ("Lif Blok A rosak", [str(lift)]),
                ("Paip bocor Blok B", [str(pipe)]),
                ("Lampu jalan", []),
            ],
        ).id
        clock.now = utc(2, 10, 6)  # typed in from the logbook two hours after the meeting
        app.hold_meeting(
            COMMITTEE,
            m1,
            members_present=["aminah", "bala", "chong", "devi", "eddy"],
            residents_attending={"female/35-44": 4, "male/45-54": 3, "undeclared/undeclared": 2},
            resident_ids=["r-01", "r-02", "r-03", "r-04"],
            management_present=2,
            occurred_at=utc(2, 10),
        )
        for item, method, votes, minute in (
            (1, VoteMethod.VOTE, (4, 1, 0), 30),
            (2, VoteMethod.CONSENSUS, (0, 0, 0), 40),
            (3, VoteMethod.VOTE, (1, 3, 1), 50),  # lost
        ):
            app.record_motion(
                COMMITTEE,
                m1,
                item_number=item,
                text=f"Usul perkara {item}",
                method=method,
                votes_for=votes[0],
                votes_against=votes[1],
                abstentions=votes[2],
                occurred_at=utc(2, 10, 4, minute),
            )
        d1 = app.make_decision(
            COMMITTEE,
            m1,
            motion_number=1,
            text="Pengurusan membaiki lif Blok A dan lampu koridor Blok C",
            case_ids=[str(lift), str(lamp)],
            action_by=ActionBy.MANAGEMENT,
            due_date=date(2025, 3, 20),
        ).id
        d2 = app.make_decision(
            COMMITTEE,
            m1,
            motion_number=2,
            text="Pengurusan menggantikan paip utama Blok B",
            case_ids=[str(pipe)],
            action_by=ActionBy.MANAGEMENT,
            due_date=date(2025, 4, 15),
        ).id
        checkpoint()

        clock.now = utc(2, 12)  # 2 days after M1
        app.publish_minutes(COMMITTEE, m1, text="Minit mesyuarat 1")
        clock.now = utc(2, 13, 6)  # 3 days after D1
        app.respond_to_decision(
            MANAGER, d1, answer=Answer.ACCEPT, commitment_date=date(2025, 3, 15)
        )
        clock.now = utc(2, 20, 6)  # 10 days after D2
        app.respond_to_decision(
            MANAGER,
            d2,
            answer=Answer.ACCEPT_IN_PART,
            reason="Paip utama sahaja; paip dalam unit tanggungjawab penghuni",
            commitment_date=date(2025, 4, 10),
        )
        clock.now = utc(2, 24)
        m2 = app.schedule_meeting(
            COMMITTEE,
            PPR,
            scheduled_for=utc(3, 3),
            place="Dewan serbaguna",
            agenda=[("Kemajuan keputusan", [])],
        ).id
        clock.now = utc(2, 25)
        app.report_decision_progress(MANAGER, d1, percent=50, note="Motor lif dipesan")
        checkpoint()

        clock.now = utc(3, 3)  # M2, live: three of six present, four needed
        app.hold_meeting(
            COMMITTEE,
            m2,
            members_present=["aminah", "devi", "farah"],
            residents_attending={"female/25-34": 2, "male/45-54": 1, "female/35-44": 0},
            resident_ids=["r-02", "r-05", "r-02"],
            management_present=0,
        )
        clock.now = utc(3, 5)
        app.mark_decision_done(MANAGER, d1, note="Motor lif diganti")
        clock.now = utc(3, 8)
        app.dispute_decision_completion(COMMITTEE, d1, reason="Lampu koridor masih padam")
        clock.now = utc(3, 10, 16)  # 7.5 days after M2
        app.publish_minutes(COMMITTEE, m2, text="Minit mesyuarat 2 (tiada korum)")
        clock.now = utc(3, 12)
        app.report_decision_progress(MANAGER, d2, percent=30, note="Sebut harga diterima")
        clock.now = utc(3, 14)
        m3 = app.schedule_meeting(
            COMMITTEE,
            PPR,
            scheduled_for=utc(3, 24),
            place="Dewan serbaguna",
            agenda=[("Lampu koridor Blok C", [str(lamp)])],
        ).id
        clock.now = utc(3, 15)
        app.report_decision_progress(MANAGER, d1, percent=90, note="Lampu dipesan")
        clock.now = utc(3, 18)
        app.mark_decision_done(MANAGER, d1, note="Lampu koridor diganti")
        clock.now = utc(3, 21)
        app.cancel_meeting(
            COMMITTEE, m3, reason="Dewan ditutup untuk pembaikan", occurred_at=utc(3, 20)
        )
        clock.now = utc(3, 25)
        app.verify_decision(COMMITTEE, d1, note="Disahkan oleh wakil blok")
        checkpoint()

        clock.now = utc(4, 1)
        app.change_quorum_rule(COMMITTEE, PPR, quorum_minimum=3)
        clock.now = utc(4, 7)
        m4 = app.schedule_meeting(
            COMMITTEE,
            PPR,
            scheduled_for=utc(4, 14),
            place="Surau Blok B",
            agenda=[("Lif Blok A rosak lagi", [str(lift)])],
        ).id
        clock.now = utc(4, 8)
        app.add_agenda_item(COMMITTEE, m4, title="Gotong-royong Blok C", case_ids=[str(lamp)])
        clock.now = utc(4, 14, 6)
        app.hold_meeting(
            COMMITTEE,
            m4,
            members_present=["aminah", "chong", "eddy"],
            residents_attending={"female/35-44": 5, "female/65+": 1, "male/18-24": 2},
            resident_ids=["r-01", "r-05", "r-06"],
            management_present=1,
            occurred_at=utc(4, 14),
        )
        app.record_motion(
            COMMITTEE,
            m4,
            item_number=1,
            text="Kontraktor lif dipanggil semula",
            method=VoteMethod.VOTE,
            votes_for=2,
            votes_against=0,
            abstentions=1,
            occurred_at=utc(4, 14, 4, 30),
        )
        app.record_motion(
            COMMITTEE,
            m4,
            item_number=2,
            text="Gotong-royong pada bulan Jun",
            method=VoteMethod.CONSENSUS,
            occurred_at=utc(4, 14, 4, 40),
        )
        d3 = app.make_decision(
            COMMITTEE,
            m4,
            motion_number=1,
            text="Kontraktor lif membaiki semula lif Blok A",
            case_ids=[str(lift)],
            action_by=ActionBy.CONTRACTOR,
            due_date=date(2025, 5, 15),
        ).id
        clock.now = utc(4, 14, 7)
        d4 = app.make_decision(
            COMMITTEE,
            m4,
            motion_number=2,
            text="Jawatankuasa menganjurkan gotong-royong",
            case_ids=[],
            action_by=ActionBy.COMMITTEE,
            due_date=date(2025, 6, 2),
        ).id
        checkpoint()

        clock.now = utc(4, 15, 18)  # 1.5 days after D3
        app.respond_to_decision(
            MANAGER, d3, answer=Answer.REJECT, reason="Lif masih di bawah waranti pemaju"
        )
        clock.now = utc(4, 20)
        app.step_down_member(COMMITTEE, PPR, member_id="chong", reason="Berpindah rumah")
        clock.now = utc(5, 5)
        seat(runtime, "gita", CommitteeRole.SECRETARY, "A", Gender.FEMALE, AgeBand.FROM_25)
        checkpoint()
    return Story(lift, pipe, lamp, m1, m2, m3, m4, d1, d2, d3, d4)


@pytest.fixture
def story(runtime: Runtime) -> Story:
    """The scenario, recorded and projected."""
    told = tell_story(runtime)
    runtime.runner.catch_up()
    return told


def report_of(
    runtime: Runtime,
    start: datetime | None = HALF_START,
    end: datetime | None = HALF_END,
    now: datetime = NOW,
) -> dict[str, Any]:
    with runtime.engine.connect() as conn:
        return governance_report(conn, [PPR], start, end, now)


def shares(**seats: int) -> dict[str, Any]:
    """The report's shares for these seat counts per group."""
    total = sum(seats.values())
    return {
        "n": total,
        "groups": {
            group: {"seats": count, "share_pct": round(100 * count / total, 2)}
            for group, count in seats.items()
        },
    }


def test_meetings_and_attendance_count_the_meetings_held_in_the_period(
    runtime: Runtime, story: Story
) -> None:
    answer = report_of(runtime)
    assert (answer["now"], answer["at"]) == (NOW, NOW)  # the period runs past now
    # held: M1, M2, M4 (M3 was cancelled); quorate: M1 (5 >= 4) and M4 (3 >= 3): 2 / 3
    assert answer["meetings"] == {"n": 3, "held": 3, "quorum_met": 2, "quorum_met_pct": 66.67}
    assert answer["attendance"] == {
        "n": 3,
        "residents_by_group": {
            "female/25-34": 2,  # M2
            "female/35-44": 9,  # M1 4 + M4 5 (M2's 0 is dropped)
            "female/65+": 1,  # M4
            "male/18-24": 2,  # M4
            "male/45-54": 4,  # M1 3 + M2 1
            "undeclared/undeclared": 2,  # M1
        },
        "residents_total": 20,  # M1 9 + M2 3 + M4 8
        "distinct_residents_signed": 6,  # r-01 .. r-06 (r-01, r-02, r-05 came twice)
        "management_present_total": 3,  # 2 + 0 + 1
    }


def test_seats_leadership_and_blocks_are_taken_at_now_when_the_period_runs_past_it(
    runtime: Runtime, story: Story
) -> None:
    answer = report_of(runtime)
    # seated at now: aminah, bala, devi, eddy, farah, gita (chong stepped down on 04-20)
    assert answer["seats"] == {
        "by_gender": {
            "n": 6,
            "groups": {
                "female": {"seats": 4, "share_pct": 66.67},  # aminah, devi, farah, gita
                "male": {"seats": 1, "share_pct": 16.67},  # bala
                "undeclared": {"seats": 1, "share_pct": 16.67},  # eddy
            },
        },
        "by_age_band": {
            "n": 6,
            "groups": {
                "25-34": {"seats": 2, "share_pct": 33.33},  # devi, gita
                "45-54": {"seats": 1, "share_pct": 16.67},  # aminah
                "55-64": {"seats": 1, "share_pct": 16.67},  # bala
                "65+": {"seats": 1, "share_pct": 16.67},  # farah
                "undeclared": {"seats": 1, "share_pct": 16.67},  # eddy
            },
        },
    }
    # chair aminah, secretary gita, treasurer devi (the vice chair is not leadership)
    assert answer["leadership"] == {
        "by_gender": {"n": 3, "groups": {"female": {"seats": 3, "share_pct": 100.0}}},
        "by_age_band": {
            "n": 3,
            "groups": {
                "25-34": {"seats": 2, "share_pct": 66.67},  # devi, gita
                "45-54": {"seats": 1, "share_pct": 33.33},  # aminah
            },
        },
    }
    # A: aminah, gita; B: bala, devi; C: nobody since chong left; D: eddy; farah has no block
    assert answer["blocks"] == {
        "n": 4,
        "seats_by_block": {"A": 2, "B": 2, "C": 0, "D": 1},
        "unrepresented": ["C"],
    }


def test_decisions_count_answers_verifications_and_overdue_ones_made_in_the_period(
    runtime: Runtime, story: Story
) -> None:
    decisions = report_of(runtime)["decisions"]
    assert decisions == {
        "n": 4,
        "made": 4,  # D1, D2, D3, D4
        "answered": 3,  # D1 accept, D2 accept in part, D3 reject; D4 unanswered
        "response_rate_pct": 75.0,
        # D3 1.5, D1 3, D2 10 days: median the 2nd, p90 the ceil(2.7) = 3rd
        "time_to_respond": {"n": 3, "median_days": 3.0, "p90_days": 10.0},
        "verified": 1,  # D1 (after a dispute)
        "implemented_pct": 25.0,
        "rejected": 1,  # D3
        # at 06-02 (Malaysia): D2 (due 04-15) is past due; D3 (due 05-15) was rejected, so it is
        # counted as rejected, not overdue; D4 is due today, so not yet; D1 is verified
        "overdue": 1,
        "overdue_ids": [str(story.d2)],
    }


def test_minutes_lag_runs_from_holding_to_publishing_and_counts_unpublished_minutes(
    runtime: Runtime, story: Story
) -> None:
    # M1 2 days, M2 7.5 days: median (2 + 7.5) / 2, p90 the 2nd of 2; M4's are not published
    assert report_of(runtime)["minutes"] == {
        "n": 3,  # the meetings held
        "lag": {"n": 2, "median_days": 4.75, "p90_days": 7.5},
        "unpublished": 1,
    }


def test_a_period_ending_earlier_takes_seats_and_overdue_decisions_at_its_end(
    runtime: Runtime, story: Story
) -> None:
    answer = report_of(runtime, HALF_START, QUARTER_END)
    assert answer["at"] == QUARTER_END  # 03-31 16:00 UTC, before now
    # M1 and M2 were held in the first quarter; only M1 was quorate
    assert answer["meetings"] == {"n": 2, "held": 2, "quorum_met": 1, "quorum_met_pct": 50.0}
    assert answer["attendance"] == {
        "n": 2,
        "residents_by_group": {
            "female/25-34": 2,  # M2
            "female/35-44": 4,  # M1
            "male/45-54": 4,  # M1 3 + M2 1
            "undeclared/undeclared": 2,  # M1
        },
        "residents_total": 12,
        "distinct_residents_signed": 5,  # r-01 .. r-05
        "management_present_total": 2,
    }
    # seated at T: aminah, bala, chong, devi, eddy, farah (gita came in May)
    assert answer["seats"] == {
        "by_gender": shares(female=3, male=2, undeclared=1),
        "by_age_band": {
            "n": 6,
            "groups": {
                band: {"seats": 1, "share_pct": 16.67}
                for band in ("25-34", "35-44", "45-54", "55-64", "65+", "undeclared")
            },
        },
    }
    # chair aminah, secretary chong, treasurer devi
    assert answer["leadership"] == {
        "by_gender": {
            "n": 3,
            "groups": {
                "female": {"seats": 2, "share_pct": 66.67},
                "male": {"seats": 1, "share_pct": 33.33},
            },
        },
        "by_age_band": {
            "n": 3,
            "groups": {
                band: {"seats": 1, "share_pct": 33.33} for band in ("25-34", "35-44", "45-54")
            },
        },
    }
    # chong still represented block C
    assert answer["blocks"] == {
        "n": 4,
        "seats_by_block": {"A": 1, "B": 2, "C": 1, "D": 1},
        "unrepresented": [],
    }
    assert answer["decisions"] == {
        "n": 2,
        "made": 2,  # D1, D2 (D3 and D4 were made in April)
        "answered": 2,
        "response_rate_pct": 100.0,
        "time_to_respond": {"n": 2, "median_days": 6.5, "p90_days": 10.0},  # 3 and 10 days
        "verified": 1,  # D1, on 03-25
        "implemented_pct": 50.0,
        "rejected": 0,
        # at 04-01 (Malaysia) D2's due date, 04-15, has not passed yet
        "overdue": 0,
        "overdue_ids": [],
    }
    assert answer["minutes"] == {
        "n": 2,  # the meetings held
        "lag": {"n": 2, "median_days": 4.75, "p90_days": 7.5},
        "unpublished": 0,
    }


def test_a_decision_due_today_is_overdue_from_the_next_malaysian_day(
    runtime: Runtime, story: Story
) -> None:
    # 06-02 16:00 UTC is midnight in Malaysia: D4's due day, 06-02, has just passed
    just_before = report_of(runtime, now=utc(6, 2, 15, 59))["decisions"]
    assert (just_before["overdue"], just_before["overdue_ids"]) == (1, [str(story.d2)])
    next_day = report_of(runtime, now=utc(6, 2, 16))["decisions"]
    assert (next_day["overdue"], next_day["overdue_ids"]) == (2, [str(story.d2), str(story.d4)])


def test_the_read_models_record_quorum_motions_and_each_decisions_standing(
    runtime: Runtime, story: Story
) -> None:
    governance = runtime.runner.projection("governance")
    committees, seats, meetings, decisions = governance.tables
    with runtime.engine.connect() as conn:
        meeting_rows = {row.meeting_id: row for row in conn.execute(select(meetings)).all()}
        decision_rows = {row.decision_id: row for row in conn.execute(select(decisions)).all()}
        committee = conn.execute(select(committees)).one()
        stints = conn.execute(
            select(seats.c.member_id, seats.c.since, seats.c.until).order_by(seats.c.id)
        ).all()
    assert committee.quorum_minimum == 3
    assert [tuple(stint) for stint in stints] == [
        ("aminah", utc(1, 6), None),
        ("bala", utc(1, 6), None),
        ("chong", utc(1, 6), utc(4, 20)),
        ("devi", utc(1, 6), None),
        ("eddy", utc(1, 6), None),
        ("farah", utc(1, 6), None),
        ("gita", utc(5, 5), None),
    ]
    # (status, held, seated, quorum required, met, motions carried)
    assert {
        meeting_id: (
            row.status,
            row.held_at,
            row.members_seated,
            row.quorum_required,
            row.quorum_met,
            [motion["carried"] for motion in row.motions],
        )
        for meeting_id, row in meeting_rows.items()
    } == {
        str(story.m1): ("held", utc(2, 10), 6, 4, True, [True, True, False]),
        str(story.m2): ("held", utc(3, 3), 6, 4, False, []),  # 6 // 2 + 1 = 4
        str(story.m3): ("cancelled", None, None, None, None, []),
        str(story.m4): ("held", utc(4, 14), 6, 3, True, [True, True]),  # the fixed rule of 04-01
    }
    assert [item["case_ids"] for item in meeting_rows[str(story.m4)].agenda] == [
        [str(story.lift)],
        [str(story.lamp)],
    ]
    assert meeting_rows[str(story.m2)].residents_attending == {"female/25-34": 2, "male/45-54": 1}
    assert meeting_rows[str(story.m2)].resident_ids == ["r-02", "r-05"]
    # (status, answer, progress, done, verified, votes of its motion)
    assert {
        decision_id: (
            row.status,
            row.answer,
            row.progress_percent,
            row.done_at,
            row.verified_at,
            (row.motion["method"], row.motion["votes_for"], row.motion["votes_against"]),
        )
        for decision_id, row in decision_rows.items()
    } == {
        str(story.d1): ("verified", "accept", 100, utc(3, 18), utc(3, 25), ("vote", 4, 1)),
        str(story.d2): ("in_progress", "accept_in_part", 30, None, None, ("consensus", 0, 0)),
        str(story.d3): ("rejected", "reject", 0, None, None, ("vote", 2, 0)),
        str(story.d4): ("made", None, 0, None, None, ("consensus", 0, 0)),
    }
    assert decision_rows[str(story.d2)].answer_reason == (
        "Paip utama sahaja; paip dalam unit tanggungjawab penghuni"
    )
    assert decision_rows[str(story.d2)].commitment_date == date(2025, 4, 10)
    assert decision_rows[str(story.d3)].commitment_date is None


def case_history(runtime: Runtime, case_id: UUID) -> list[tuple[str, str, str]]:
    """The governance events of a case: (event, meeting or decision id, item number or step)."""
    history = []
    for event in runtime.app.events.get(case_id):
        kind = type(event).__name__
        if kind == "Tabled":
            history.append((kind, event.meeting_id, str(event.item_number)))
        elif kind == "DecisionStepRecorded":
            history.append((kind, event.decision_id, event.step))
    return history


def test_each_decision_step_shows_in_the_history_of_every_linked_case(
    runtime: Runtime, story: Story
) -> None:
    m1, m3, m4 = str(story.m1), str(story.m3), str(story.m4)
    d1, d2, d3 = str(story.d1), str(story.d2), str(story.d3)
    d1_steps = [
        ("DecisionStepRecorded", d1, step)
        for step in (
            "made",
            "management_answered",
            "progress_reported",
            "marked_done",
            "completion_disputed",
            "progress_reported",
            "marked_done",
            "completion_verified",
        )
    ]
    assert case_history(runtime, story.lift) == [
        ("Tabled", m1, "1"),
        *d1_steps,
        ("Tabled", m4, "1"),
        ("DecisionStepRecorded", d3, "made"),
        ("DecisionStepRecorded", d3, "management_answered"),
    ]
    # lamp was never on M1's agenda but D1 concerns it; M3 and M4 tabled it
    assert (
        case_history(runtime, story.lamp)
        == [
            *d1_steps[:5],  # made to disputed
            ("Tabled", m3, "1"),  # M3 was scheduled on 03-14, after the dispute
            *d1_steps[5:],
            ("Tabled", m4, "2"),  # added to M4's agenda
        ]
    )
    assert case_history(runtime, story.pipe) == [
        ("Tabled", m1, "2"),
        ("DecisionStepRecorded", d2, "made"),
        ("DecisionStepRecorded", d2, "management_answered"),
        ("DecisionStepRecorded", d2, "progress_reported"),
    ]
    # the case timeline read model shows the same steps with their summaries and times
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(case_timeline.c.event_type, case_timeline.c.occurred_at, case_timeline.c.details)
            .where(case_timeline.c.case_id == str(story.pipe))
            .order_by(case_timeline.c.version)
        ).all()
    assert [(row.event_type, row.occurred_at, row.details.get("summary")) for row in rows[1:]] == [
        ("tabled", utc(2, 3), None),
        ("decision_step_recorded", utc(2, 10, 6), "Pengurusan menggantikan paip utama Blok B"),
        (
            "decision_step_recorded",
            utc(2, 20, 6),
            "accept_in_part: Paip utama sahaja; paip dalam unit tanggungjawab penghuni",
        ),
        ("decision_step_recorded", utc(3, 12), "30%: Sebut harga diterima"),
    ]
    assert rows[0].event_type == "reported"


def governance_state(runtime: Runtime) -> dict[str, Any]:
    """Every governance row and the reports the governance read model gives."""
    tables = runtime.runner.projection("governance").tables
    with runtime.engine.connect() as conn:
        rows = {
            table.name: sorted(
                (dict(row) for row in conn.execute(select(table)).mappings()),
                key=lambda row: tuple(str(row[column.name]) for column in table.primary_key),
            )
            for table in tables
        }
    reports = {
        "half": report_of(runtime),
        "quarter": report_of(runtime, HALF_START, QUARTER_END),
        "all time": report_of(runtime, None, None),
    }
    return {"rows": rows, "reports": reports}


def test_rebuilding_from_zero_gives_the_incrementally_maintained_governance_figures(
    runtime: Runtime,
) -> None:
    runner = runtime.runner
    # governance catches up alone at some chapters and with everything else at others
    chapters = iter(range(100))

    def checkpoint() -> None:
        if next(chapters) % 2:
            runner.catch_up("governance")
        else:
            runner.catch_up()

    story = tell_story(runtime, checkpoint)
    with manual_clock(utc(5, 20)):
        runtime.app.report_decision_progress(MANAGER, story.d2, percent=60, note="Paip tiba")
        runner.catch_up("governance")
        runtime.app.respond_to_decision(
            MANAGER, story.d4, answer=Answer.ACCEPT, commitment_date=date(2025, 6, 30)
        )
        runtime.app.step_down_member(COMMITTEE, PPR, member_id="farah")
        runner.catch_up()

    incremental = governance_state(runtime)
    assert len(incremental["rows"]["committee_seats"]) == 7
    assert incremental["reports"]["half"]["decisions"]["answered"] == 4
    assert incremental["reports"]["half"]["seats"]["by_gender"]["n"] == 5

    assert runner.rebuild("governance") == runner.head()
    assert governance_state(runtime) == incremental


def test_a_decision_verified_after_the_period_was_overdue_at_its_end(
    runtime: Runtime, story: Story
) -> None:
    # D1 was due 03-20 and verified on 03-25: at the end of 03-22 (Malaysia) it was overdue
    answer = report_of(runtime, end=datetime(2025, 3, 23, tzinfo=MALAYSIA))["decisions"]

    assert (answer["overdue"], answer["overdue_ids"]) == (1, [str(story.d1)])
