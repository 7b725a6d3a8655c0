"""Perception figures and case-level CSAT on a fixed scenario whose every figure is worked out by hand.

The scenario (all of 2025, PPR-SRI-AMAN). Every survey asks the same four items:

- ``trust`` (1-5, trust_in_committee), ``works`` (1-5, perception_of_co_management),
  ``listened`` (yes/no, perception_of_co_management) and ``life`` (0-10, quality_of_life).

=========  ===================  ============================  ==================================
wave       survey               audience (known size)         respondents
=========  ===================  ============================  ==================================
2025-H1    ``h1`` (both)        residents (20), management    7 residents: aminah .. gita
                                (unknown)                     (gita answers after the close and
                                                              is refused); 5 managers: hafiz ..
                                                              lina
2025-H2    ``h2_residents``     residents (25)                7 residents: aminah .. gita (chong
                                                              tries twice and is refused)
2025-H2    ``h2_management``    management (6)                4 managers: hafiz .. kumar
=========  ===================  ============================  ==================================

Answers (trust, works, listened, life; "-" is a skipped item):

=======  ===========  ===========  =======  ===========
who      H1           H2           who      H1 / H2
=======  ===========  ===========  =======  ===========
aminah   5 4 1 8      5 5 1 9      hafiz    3 4 1 6 / 4 4 1 7
bala     4 3 1 7      4 4 1 8      indra    2 3 0 5 / 3 3 1 6
chong    2 2 0 5      3 2 0 6      jamal    4 4 1 7 / 4 5 1 8
devi     5 5 1 9      5 5 1 10     kumar    3 2 0 - / 2 3 0 5
eddy     3 - 1 4      4 3 1 5      lina     1 3 1 6 / (none)
farah    4 4 - -      4 - - 7
gita     (refused)    - 4 1 -
=======  ===========  ===========  =======  ===========

Cases (LIFT and WATER), for case-level CSAT: ``lift_good`` confirmed with 5, ``lift_poor``
confirmed with 3, ``lift_reopened`` disputed once then confirmed with 4, ``lift_pending``
resolved and not yet confirmed, ``lift_open`` never resolved; ``water_proxy`` confirmed with 4 by
the committee for the resident (typed in later from the logbook), ``water_poor`` confirmed with 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import MetaData, create_engine, select

from domain.actors import Actor, Role
from domain.case import Channel, Location
from domain.errors import AlreadyExists, IllegalTransition
from domain.survey import Audience
from projections.database import metadata as read_model_metadata
from projections.perception import survey_answers, surveys
from projections.perception_report import csat_report, perception_report
from service import tables as service_tables
from service.runtime import Runtime
from service.seal import unseal
from tests.concurrency import run_at_once
from tests.integration.scenario import (
    ADMIN,
    COMMITTEE,
    MANAGER,
    PPR,
    events,
    manual_clock,
    register_ppr,
    resident,
)

H1 = "2025-H1"
H2 = "2025-H2"
ITEMS: list[dict[str, Any]] = [
    {
        "code": "trust",
        "text_ms": "Saya percaya jawatankuasa penduduk.",
        "text_en": "I trust the residents' committee.",
        "scale": "likert_5",
        "construct": "trust_in_committee",
    },
    {
        "code": "works",
        "text_ms": "Pengurusan bersama berkesan.",
        "text_en": "Co-management works.",
        "scale": "likert_5",
        "construct": "perception_of_co_management",
    },
    {
        "code": "listened",
        "text_ms": "Pandangan saya didengar.",
        "text_en": "My views are listened to.",
        "scale": "yes_no",
        "construct": "perception_of_co_management",
    },
    {
        "code": "life",
        "text_ms": "Kualiti hidup di PPR ini (0-10).",
        "text_en": "Quality of life in this PPR (0-10).",
        "scale": "zero_to_ten",
        "construct": "quality_of_life",
    },
]
CODES = [item["code"] for item in ITEMS]

RESIDENT_NAMES = ("aminah", "bala", "chong", "devi", "eddy", "farah", "gita")
MANAGER_NAMES = ("hafiz", "indra", "jamal", "kumar", "lina")
RESIDENTS = {name: Actor(f"resident-{name}", Role.RESIDENT) for name in RESIDENT_NAMES}
MANAGERS = {name: Actor(f"manager-{name}", Role.MANAGEMENT) for name in MANAGER_NAMES}
#: Respondents who do nothing else in the scenario: they report no case and handle none.
ONLY_RESPONDENTS = [RESIDENTS["farah"], RESIDENTS["gita"], *MANAGERS.values()]

#: (trust, works, listened, life) per respondent; None is a skipped item.
H1_RESIDENTS = {
    "aminah": (5, 4, 1, 8),
    "bala": (4, 3, 1, 7),
    "chong": (2, 2, 0, 5),
    "devi": (5, 5, 1, 9),
    "eddy": (3, None, 1, 4),
    "farah": (4, 4, None, None),
}
H1_MANAGERS = {
    "hafiz": (3, 4, 1, 6),
    "indra": (2, 3, 0, 5),
    "jamal": (4, 4, 1, 7),
    "kumar": (3, 2, 0, None),
    "lina": (1, 3, 1, 6),
}
H2_RESIDENTS = {
    "aminah": (5, 5, 1, 9),
    "bala": (4, 4, 1, 8),
    "chong": (3, 2, 0, 6),
    "devi": (5, 5, 1, 10),
    "eddy": (4, 3, 1, 5),
    "farah": (4, None, None, 7),
    "gita": (None, 4, 1, None),
}
H2_MANAGERS = {
    "hafiz": (4, 4, 1, 7),
    "indra": (3, 3, 1, 6),
    "jamal": (4, 5, 1, 8),
    "kumar": (2, 3, 0, 5),
}


def utc(month: int, day: int, hour: int = 4) -> datetime:
    """A moment of 2025, in UTC."""
    return datetime(2025, month, day, hour, tzinfo=UTC)


@dataclass
class Story:
    """The ids the scenario created."""

    h1: UUID
    h2_residents: UUID
    h2_management: UUID
    lift_good: UUID
    lift_poor: UUID
    lift_reopened: UUID
    lift_pending: UUID
    lift_open: UUID
    water_proxy: UUID
    water_poor: UUID


def answers(values: tuple[int | None, ...]) -> dict[str, int | None]:
    """The four answers by item code (skipped items stay in, as None)."""
    return dict(zip(CODES, values, strict=True))


def create_survey(
    runtime: Runtime,
    wave: str,
    audiences: list[Audience],
    sizes: dict[str, int],
    items: list[dict[str, Any]] = ITEMS,
) -> UUID:
    """Draft a survey of the PPR for one half of 2025."""
    first_half = wave.endswith("H1")
    return runtime.app.create_survey(
        ADMIN,
        title=f"Persepsi pengurusan bersama {wave}",
        ppr_codes=[PPR],
        audiences=audiences,
        wave=wave,
        period_start=date(2025, 1, 1) if first_half else date(2025, 7, 1),
        period_end=date(2025, 6, 30) if first_half else date(2025, 12, 31),
        items=items,
        audience_sizes=sizes,
    ).id


def answer_all(
    runtime: Runtime,
    survey_id: UUID,
    audience: Audience,
    cast: dict[str, Actor],
    given: dict[str, tuple[int | None, ...]],
) -> None:
    """Each named respondent answers, with a self-declared block for residents."""
    for name, values in given.items():
        runtime.app.respond_to_survey(
            cast[name],
            survey_id,
            audience=audience,
            ppr_code=PPR,
            answers=answers(values),
            gender="female" if name in {"aminah", "devi", "farah", "gita", "lina"} else "male",
            block="A" if audience is Audience.RESIDENTS else None,
        )


def lift(runtime: Runtime, actor: Actor, title: str, category: str = "LIFT") -> UUID:
    """A resident reports a problem in block A (live, at the clock's time)."""
    return runtime.app.report_case(
        actor,
        ppr_code=PPR,
        location=Location(block="A", floor="4", unit="A-04-02"),
        category_code=category,
        title=title,
        description=f"{title}, please fix",
        channel=Channel.APP,
    ).id


def tell_story(runtime: Runtime, checkpoint: Callable[[], object] = lambda: None) -> Story:
    """Record the scenario of the module docstring; ``checkpoint`` runs between its chapters."""
    app = runtime.app
    with manual_clock(utc(1, 2)) as clock:
        register_ppr(app)  # block A, categories LIFT and WATER
        h1 = create_survey(
            runtime, H1, [Audience.RESIDENTS, Audience.MANAGEMENT], {"residents": 20}
        )
        clock.now = utc(1, 6)
        app.open_survey(ADMIN, h1)
        checkpoint()

        clock.now = utc(1, 20)
        answer_all(runtime, h1, Audience.RESIDENTS, RESIDENTS, H1_RESIDENTS)
        answer_all(runtime, h1, Audience.MANAGEMENT, MANAGERS, H1_MANAGERS)
        clock.now = utc(6, 30, 15)
        app.close_survey(ADMIN, h1)
        clock.now = utc(7, 1)
        with pytest.raises(IllegalTransition):  # a response after the close is refused
            app.respond_to_survey(
                RESIDENTS["gita"],
                h1,
                audience=Audience.RESIDENTS,
                ppr_code=PPR,
                answers={"trust": 5},
            )
        checkpoint()

        # Case-level CSAT: residents rate fixes when they confirm them
        clock.now = utc(2, 3)
        lift_good = lift(runtime, RESIDENTS["aminah"], "Lif A berhenti")
        lift_poor = lift(runtime, RESIDENTS["bala"], "Butang lif rosak")
        lift_reopened = lift(runtime, RESIDENTS["chong"], "Pintu lif tersekat")
        lift_pending = lift(runtime, RESIDENTS["devi"], "Lampu lif padam")
        lift_open = lift(runtime, RESIDENTS["eddy"], "Lif berbunyi bising")
        water_proxy = lift(runtime, Actor("resident-zul", Role.RESIDENT), "Paip bocor", "WATER")
        water_poor = lift(runtime, Actor("resident-yana", Role.RESIDENT), "Air keruh", "WATER")
        clock.now = utc(2, 4)
        for case_id in (lift_good, lift_poor, lift_reopened, lift_pending, water_proxy, water_poor):
            app.acknowledge_case(MANAGER, case_id)
            app.resolve_case(MANAGER, case_id, note="Dibaiki")
        clock.now = utc(2, 6)
        app.confirm_resolution(RESIDENTS["aminah"], lift_good, rating=5)
        app.confirm_resolution(RESIDENTS["bala"], lift_poor, rating=3)
        app.dispute_resolution(RESIDENTS["chong"], lift_reopened, reason="Masih tersekat")
        app.confirm_resolution(Actor("resident-yana", Role.RESIDENT), water_poor, rating=2)
        clock.now = utc(2, 8)
        app.resolve_case(MANAGER, lift_reopened, note="Rel pintu diganti")
        clock.now = utc(2, 14)  # the committee types in what the resident told it on 02-11
        app.confirm_resolution(COMMITTEE, water_proxy, rating=4, occurred_at=utc(2, 11))
        app.confirm_resolution(RESIDENTS["chong"], lift_reopened, rating=4)
        checkpoint()

        # H2: one survey per audience under the same wave label; the residents' items are
        # revised while the survey is still a draft
        clock.now = utc(7, 1)
        h2_residents = create_survey(
            runtime, H2, [Audience.RESIDENTS], {"residents": 25}, items=ITEMS[:2]
        )
        app.revise_survey_items(ADMIN, h2_residents, items=ITEMS)
        h2_management = create_survey(runtime, H2, [Audience.MANAGEMENT], {"management": 6})
        clock.now = utc(7, 2)
        app.open_survey(ADMIN, h2_residents)
        app.open_survey(ADMIN, h2_management)
        checkpoint()

        clock.now = utc(7, 20)
        answer_all(runtime, h2_residents, Audience.RESIDENTS, RESIDENTS, H2_RESIDENTS)
        with pytest.raises(AlreadyExists):  # chong answers again, with other answers
            app.respond_to_survey(
                RESIDENTS["chong"],
                h2_residents,
                audience=Audience.RESIDENTS,
                ppr_code=PPR,
                answers=answers((5, 5, 1, 10)),
            )
        answer_all(runtime, h2_management, Audience.MANAGEMENT, MANAGERS, H2_MANAGERS)
        clock.now = utc(12, 31)
        app.close_survey(ADMIN, h2_residents)
        app.close_survey(ADMIN, h2_management)
        checkpoint()
    return Story(
        h1=h1,
        h2_residents=h2_residents,
        h2_management=h2_management,
        lift_good=lift_good,
        lift_poor=lift_poor,
        lift_reopened=lift_reopened,
        lift_pending=lift_pending,
        lift_open=lift_open,
        water_proxy=water_proxy,
        water_poor=water_poor,
    )


@pytest.fixture
def story(runtime: Runtime) -> Story:
    """The scenario, recorded and projected."""
    told = tell_story(runtime)
    runtime.runner.catch_up()
    return told


def report_of(runtime: Runtime, **filters: Any) -> dict[str, Any]:
    with runtime.engine.connect() as conn:
        return perception_report(conn, [PPR], **filters)


def groups_of(runtime: Runtime, **filters: Any) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The report's groups by (wave, construct, audience), without the keys themselves."""
    keyed = {}
    for group in report_of(runtime, **filters)["groups"]:
        key = (group.pop("wave"), group.pop("construct"), group.pop("audience"))
        assert group.pop("ppr") == PPR
        keyed[key] = group
    return keyed


SUPPRESSED = {"suppressed": True}
CO_MANAGEMENT = "perception_of_co_management"
LIFE = "quality_of_life"
TRUST = "trust_in_committee"


# -- the survey figures ---------------------------------------------------------------------------


def test_the_first_wave_gives_each_audience_its_figures_and_suppresses_a_group_of_four(
    runtime: Runtime, story: Story
) -> None:
    groups = groups_of(runtime, wave=H1)
    assert list(groups) == [
        (H1, CO_MANAGEMENT, "management"),
        (H1, CO_MANAGEMENT, "residents"),
        (H1, LIFE, "management"),
        (H1, LIFE, "residents"),
        (H1, TRUST, "management"),
        (H1, TRUST, "residents"),
    ]
    # management, co-management: all 5 answered; no audience size was given, so no rate.
    # works 4 3 4 2 3: mean 16/5, median of 2 3 3 4 4, top-2-box 2/5;
    # listened 1 0 1 0 1: 3/5 yes; favourable (2 + 3) / 10
    assert groups[(H1, CO_MANAGEMENT, "management")] == {
        "suppressed": False,
        "n": 5,
        "response_rate_pct": None,
        "favourable_pct": 50.0,
        "scales": {
            "likert_5": {"answers": 5, "mean": 3.2, "median": 3, "top_2_box_pct": 40.0},
            "yes_no": {"answers": 5, "yes_pct": 60.0},
        },
    }
    # residents, co-management: eddy skipped works and farah skipped listened, but each answered
    # the other item, so n = 6. Response rate: 6 responses / 20 residents.
    # works 4 3 2 5 4: mean 18/5, median of 2 3 4 4 5, top-2-box 3/5;
    # listened 1 1 0 1 1: 4/5 yes; favourable (3 + 4) / 10
    assert groups[(H1, CO_MANAGEMENT, "residents")] == {
        "suppressed": False,
        "n": 6,
        "response_rate_pct": 30.0,
        "favourable_pct": 70.0,
        "scales": {
            "likert_5": {"answers": 5, "mean": 3.6, "median": 4, "top_2_box_pct": 60.0},
            "yes_no": {"answers": 5, "yes_pct": 80.0},
        },
    }
    # management, quality of life: kumar skipped it, so only 4 respondents: suppressed, no figures
    assert groups[(H1, LIFE, "management")] == SUPPRESSED
    # residents, quality of life: farah skipped it; 8 7 5 9 4: mean 33/5, median 7, 3/5 from 6 up
    assert groups[(H1, LIFE, "residents")] == {
        "suppressed": False,
        "n": 5,
        "response_rate_pct": 30.0,  # of the survey, not of the construct: still 6 / 20
        "favourable_pct": 60.0,
        "scales": {"zero_to_ten": {"answers": 5, "mean": 6.6, "median": 7, "pct_6_to_10": 60.0}},
    }
    # management, trust: 3 2 4 3 1: mean 13/5, median 3, top-2-box 1/5
    assert groups[(H1, TRUST, "management")] == {
        "suppressed": False,
        "n": 5,
        "response_rate_pct": None,
        "favourable_pct": 20.0,
        "scales": {"likert_5": {"answers": 5, "mean": 2.6, "median": 3, "top_2_box_pct": 20.0}},
    }
    # residents, trust: 5 4 2 5 3 4: mean 23/6 = 3.83, median (4 + 4) / 2, top-2-box 4/6
    assert groups[(H1, TRUST, "residents")] == {
        "suppressed": False,
        "n": 6,
        "response_rate_pct": 30.0,
        "favourable_pct": 66.67,
        "scales": {"likert_5": {"answers": 6, "mean": 3.83, "median": 4.0, "top_2_box_pct": 66.67}},
    }


def test_the_second_wave_joins_two_surveys_and_suppresses_four_managers_entirely(
    runtime: Runtime, story: Story
) -> None:
    groups = groups_of(runtime, wave=H2)
    # management: 4 respondents in every construct, so every group is suppressed
    for construct in (CO_MANAGEMENT, LIFE, TRUST):
        assert groups[(H2, construct, "management")] == SUPPRESSED
    # residents, co-management: farah skipped both items, gita answered both: n = 6.
    # Response rate 7 / 25 (chong's second response was refused).
    # works 5 4 2 5 3 4: mean 23/6 = 3.83, median of 2 3 4 4 5 5 = 4, top-2-box 4/6;
    # listened 1 1 0 1 1 1: 5/6 yes; favourable (4 + 5) / 12
    assert groups[(H2, CO_MANAGEMENT, "residents")] == {
        "suppressed": False,
        "n": 6,
        "response_rate_pct": 28.0,
        "favourable_pct": 75.0,
        "scales": {
            "likert_5": {"answers": 6, "mean": 3.83, "median": 4.0, "top_2_box_pct": 66.67},
            "yes_no": {"answers": 6, "yes_pct": 83.33},
        },
    }
    # residents, quality of life: 9 8 6 10 5 7: mean 45/6, median (7 + 8) / 2, 5/6 from 6 up
    assert groups[(H2, LIFE, "residents")] == {
        "suppressed": False,
        "n": 6,
        "response_rate_pct": 28.0,
        "favourable_pct": 83.33,
        "scales": {"zero_to_ten": {"answers": 6, "mean": 7.5, "median": 7.5, "pct_6_to_10": 83.33}},
    }
    # residents, trust: gita skipped it; 5 4 3 5 4 4: mean 25/6 = 4.17, median 4, top-2-box 5/6
    assert groups[(H2, TRUST, "residents")] == {
        "suppressed": False,
        "n": 6,
        "response_rate_pct": 28.0,
        "favourable_pct": 83.33,
        "scales": {"likert_5": {"answers": 6, "mean": 4.17, "median": 4.0, "top_2_box_pct": 83.33}},
    }


def test_the_gap_is_residents_minus_management_and_suppressed_when_either_side_is(
    runtime: Runtime, story: Story
) -> None:
    assert report_of(runtime)["gaps"] == [
        # 70.0 - 50.0 points
        {
            "ppr": PPR,
            "wave": H1,
            "construct": CO_MANAGEMENT,
            "suppressed": False,
            "gap_points": 20.0,
        },
        # management's group of 4 is suppressed, so the gap is too
        {"ppr": PPR, "wave": H1, "construct": LIFE, "suppressed": True, "gap_points": None},
        # 66.67 - 20.0 points
        {"ppr": PPR, "wave": H1, "construct": TRUST, "suppressed": False, "gap_points": 46.67},
        # every H2 management group has 4 respondents
        {
            "ppr": PPR,
            "wave": H2,
            "construct": CO_MANAGEMENT,
            "suppressed": True,
            "gap_points": None,
        },
        {"ppr": PPR, "wave": H2, "construct": LIFE, "suppressed": True, "gap_points": None},
        {"ppr": PPR, "wave": H2, "construct": TRUST, "suppressed": True, "gap_points": None},
    ]


def test_the_trend_follows_each_audiences_favourable_share_wave_by_wave(
    runtime: Runtime, story: Story
) -> None:
    def point(wave: str, favourable: float | None) -> dict[str, Any]:
        return {"wave": wave, "favourable_pct": favourable, "suppressed": favourable is None}

    trends = {
        (trend.pop("construct"), trend.pop("audience")): trend.pop("waves")
        for trend in report_of(runtime)["trends"]
    }
    assert trends == {
        (CO_MANAGEMENT, "management"): [point(H1, 50.0), point(H2, None)],
        (CO_MANAGEMENT, "residents"): [point(H1, 70.0), point(H2, 75.0)],  # up 5 points
        (LIFE, "management"): [point(H1, None), point(H2, None)],
        (LIFE, "residents"): [point(H1, 60.0), point(H2, 83.33)],
        (TRUST, "management"): [point(H1, 20.0), point(H2, None)],
        (TRUST, "residents"): [point(H1, 66.67), point(H2, 83.33)],
    }
    assert report_of(runtime)["minimum_group"] == 5


def test_filters_select_groups_without_changing_their_figures(
    runtime: Runtime, story: Story
) -> None:
    everything = groups_of(runtime)
    assert len(everything) == 12  # 2 waves x 3 constructs x 2 audiences
    for construct in (CO_MANAGEMENT, LIFE, TRUST):
        only = groups_of(runtime, construct=construct)
        assert only == {key: group for key, group in everything.items() if key[1] == construct}
    residents = groups_of(runtime, audience="residents")
    assert residents == {key: group for key, group in everything.items() if key[2] == "residents"}
    # one survey of H2: only its audience, with the same figures
    h2_residents = groups_of(runtime, survey_id=str(story.h2_residents))
    assert h2_residents == {key: everything[key] for key in h2_residents}
    assert {key[2] for key in h2_residents} == {"residents"}
    assert report_of(runtime, audience="residents")["gaps"] == []  # one side only: no gap
    with runtime.engine.connect() as conn:
        assert perception_report(conn, ["PPR-ELSEWHERE"])["groups"] == []


def test_the_surveys_read_model_counts_the_responses_and_keeps_skipped_items_out(
    runtime: Runtime, story: Story
) -> None:
    with runtime.engine.connect() as conn:
        rows = {row.survey_id: row for row in conn.execute(select(surveys)).all()}
        answer_rows = conn.execute(select(survey_answers)).all()
    # h1: 6 residents + 5 managers (gita's late answer refused); h2: 7 residents (chong's second
    # refused) and 4 managers
    assert {
        survey_id: (row.wave, row.status, row.response_count, row.audience_sizes)
        for survey_id, row in rows.items()
    } == {
        str(story.h1): (H1, "closed", 11, {"residents": 20}),
        str(story.h2_residents): (H2, "closed", 7, {"residents": 25}),
        str(story.h2_management): (H2, "closed", 4, {"management": 6}),
    }
    assert rows[str(story.h2_residents)].items == ITEMS  # as revised
    # one row per answered item: 44 items asked in h1 less 4 skipped (eddy 1, farah 2, kumar 1);
    # 28 in h2 residents less 4 skipped (farah 2, gita 2); 16 in h2 management
    per_survey = {
        survey_id: sum(1 for row in answer_rows if row.survey_id == survey_id) for survey_id in rows
    }
    assert per_survey == {
        str(story.h1): 40,
        str(story.h2_residents): 24,
        str(story.h2_management): 16,
    }
    assert len({row.response_id for row in answer_rows}) == 22
    blocks = {(row.audience, row.block) for row in answer_rows}
    assert blocks == {("residents", "A"), ("management", None)}


# -- case-level CSAT ------------------------------------------------------------------------------


def test_case_level_csat_counts_ratings_of_four_or_five_as_good_per_category(
    runtime: Runtime, story: Story
) -> None:
    with runtime.engine.connect() as conn:
        report = csat_report(conn, [PPR])
        elsewhere = csat_report(conn, ["PPR-ELSEWHERE"])
    assert report == [
        # rated 5 (good), 3 and 4 (good, after a dispute): 2 / 3 good; resolved at least once:
        # good, poor, reopened and pending (not open): 3 of 4 rated
        {
            "ppr": PPR,
            "category": "LIFT",
            "n": 3,
            "good": 2,
            "csat_pct": 66.67,
            "resolved": 4,
            "rating_rate_pct": 75.0,
        },
        # rated 4 (by the committee for the resident) and 2: 1 / 2 good; both resolved and rated
        {
            "ppr": PPR,
            "category": "WATER",
            "n": 2,
            "good": 1,
            "csat_pct": 50.0,
            "resolved": 2,
            "rating_rate_pct": 100.0,
        },
    ]
    assert elsewhere == []


# -- one response per respondent under concurrency --------------------------------------------------


@pytest.fixture
def open_survey(runtime: Runtime) -> UUID:
    """An open residents' survey of the PPR."""
    with manual_clock(utc(1, 2)):
        register_ppr(runtime.app)
        survey_id = create_survey(runtime, H1, [Audience.RESIDENTS], {"residents": 40})
        runtime.app.open_survey(ADMIN, survey_id)
    return survey_id


def test_ten_simultaneous_submissions_by_one_respondent_record_exactly_one_response(
    runtime: Runtime, open_survey: UUID
) -> None:
    respondent = RESIDENTS["aminah"]

    def submit(number: int) -> UUID:
        return runtime.app.respond_to_survey(
            respondent,
            open_survey,
            audience=Audience.RESIDENTS,
            ppr_code=PPR,
            answers={"trust": 1 + number % 5},
        )

    outcomes = run_at_once(10, submit)

    recorded = [outcome for outcome in outcomes if isinstance(outcome, UUID)]
    refused = [outcome for outcome in outcomes if not isinstance(outcome, UUID)]
    assert recorded == [runtime.app.response_id(open_survey, respondent.principal_id)]
    assert len(refused) == 9
    assert all(isinstance(error, AlreadyExists) for error in refused), refused
    assert runtime.app.get_survey(open_survey).response_count == 1
    runtime.runner.catch_up()
    with runtime.engine.connect() as conn:
        count = conn.execute(
            select(surveys.c.response_count).where(surveys.c.survey_id == str(open_survey))
        ).scalar_one()
        answered = conn.execute(select(survey_answers)).all()
    assert count == 1
    assert [(str(row.response_id), row.item_code) for row in answered] == [
        (str(recorded[0]), "trust")
    ]


def test_twenty_simultaneous_respondents_are_all_recorded(
    runtime: Runtime, open_survey: UUID
) -> None:
    def submit(number: int) -> UUID:
        return runtime.app.respond_to_survey(
            Actor(f"resident-crowd-{number:02d}", Role.RESIDENT),
            open_survey,
            audience=Audience.RESIDENTS,
            ppr_code=PPR,
            answers={"trust": 1 + number % 5, "life": number % 11},
        )

    outcomes = run_at_once(20, submit)

    assert all(isinstance(outcome, UUID) for outcome in outcomes), outcomes
    assert len(set(outcomes)) == 20
    assert runtime.app.get_survey(open_survey).response_count == 20
    runtime.runner.catch_up()
    with runtime.engine.connect() as conn:
        row = conn.execute(select(surveys).where(surveys.c.survey_id == str(open_survey))).one()
        responses = conn.execute(select(survey_answers.c.response_id).distinct()).scalars().all()
    assert row.response_count == 20
    assert {UUID(each) for each in responses} == set(outcomes)
    # trust 1 2 3 4 5, four times each: 8 of 20 answers are 4 or 5; 20 responses of 40 residents
    trust = groups_of(runtime, construct=TRUST)[(H1, TRUST, "residents")]
    assert (trust["n"], trust["response_rate_pct"], trust["favourable_pct"]) == (20, 50.0, 40.0)


# -- no link between a respondent and their answers ------------------------------------------------


def cell_text(value: Any) -> str:
    """A stored value as text, to search for principal ids."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def every_stored_cell(runtime: Runtime) -> dict[str, list[str]]:
    """Every cell of every table in both stores (read models, bookkeeping, events), as text."""
    engines = [runtime.engine]
    if runtime.settings.is_sqlite:  # the events live in a file of their own
        events_file = runtime.settings.event_store_env()["SQLITE_DBNAME"]
        engines.append(create_engine(f"sqlite:///{events_file}"))
    cells: dict[str, list[str]] = {}
    try:
        for engine in engines:
            reflected = MetaData()
            reflected.reflect(engine)
            with engine.connect() as conn:
                for table in reflected.sorted_tables:
                    cells[f"{engine.url.database}:{table.name}"] = [
                        cell_text(value)
                        for row in conn.execute(select(table)).tuples()
                        for value in row
                    ]
    finally:
        for engine in engines[1:]:
            engine.dispose()
    return cells


def test_no_stored_event_or_row_links_a_respondent_to_their_answers(
    runtime: Runtime, story: Story
) -> None:
    respondents = [*RESIDENTS.values(), *MANAGERS.values()]
    ids = [actor.principal_id for actor in respondents]

    # every stored event, decoded: survey and response events name no respondent
    notifications = runtime.app.recorder.select_notifications(start=None, limit=10_000)
    decoded = events(runtime.app)
    assert len(decoded) == len(notifications) < 10_000
    survey_events = [
        (notification, event)
        for notification, event in zip(notifications, decoded, strict=True)
        if notification.topic.startswith("domain.survey:")
    ]
    responses = [
        event for _, event in survey_events if "SurveyResponse" in type(event).__qualname__
    ]
    assert len(responses) == 11 + 7 + 4
    for notification, event in survey_events:
        # The stored bytes after the seal (decision 0013) are the JSON the library wrote.
        text = (
            unseal(notification.state).decode()
            + repr(vars(event))
            + str(notification.originator_id)
        )
        assert not [principal for principal in ids if principal in text], type(event).__qualname__
    for event in responses:
        assert set(vars(event)) == {
            "originator_id",
            "originator_version",
            "originator_topic",
            "timestamp",
            "survey_id",
            "ppr_code",
            "audience",
            "answers",
            "gender",
            "age_band",
            "block",
            "occurred_at",
        }

    # the perception read models name no respondent either
    perception_tables = (surveys, survey_answers)
    with runtime.engine.connect() as conn:
        for table in perception_tables:
            for row in conn.execute(select(table)).tuples():
                text = " ".join(cell_text(value) for value in row)
                assert not [principal for principal in ids if principal in text], table.name
    # and no read-model or bookkeeping table has a column that could hold one next to answers
    answer_columns = set(survey_answers.c.keys())
    assert not answer_columns & {"principal_id", "actor_id", "respondent_id", "reporter_id"}

    # every cell of every table of both stores: those who only answered surveys appear nowhere
    cells = every_stored_cell(runtime)
    assert any(name.endswith(":survey_answers") for name in cells)
    assert any(name.endswith("_events") for name in cells)  # the event store's own table
    assert set(read_model_metadata.tables) | set(service_tables.metadata.tables) <= {
        name.rsplit(":", 1)[1] for name in cells
    }
    for name, texts in cells.items():
        joined = "\n".join(texts)
        for actor in ONLY_RESPONDENTS:
            assert actor.principal_id not in joined, (name, actor.principal_id)
    # the search does see principal ids where they are stored: residents who reported cases
    assert any(RESIDENTS["aminah"].principal_id in "\n".join(texts) for texts in cells.values())

    # the link exists only through the application's secret key: the stored response ids are
    # the keyed hashes, which cannot be recomputed from the stored data alone
    expected = {
        runtime.app.response_id(survey_id, RESIDENTS[name].principal_id)
        for survey_id, given in ((story.h1, H1_RESIDENTS), (story.h2_residents, H2_RESIDENTS))
        for name in given
    }
    assert expected <= {event.originator_id for event in responses}


# -- rebuilding ---------------------------------------------------------------------------------


def perception_state(runtime: Runtime) -> dict[str, Any]:
    """Every perception row and every report answer the perception read model gives."""
    tables = runtime.runner.projection("perception").tables
    with runtime.engine.connect() as conn:
        rows = {
            table.name: sorted(
                (dict(row) for row in conn.execute(select(table)).mappings()),
                key=lambda row: json.dumps(row, sort_keys=True, default=str),
            )
            for table in tables
        }
        reports = {
            str(filters): perception_report(conn, [PPR], **filters)
            for filters in ({}, {"wave": H1}, {"construct": TRUST}, {"audience": "management"})
        }
        csat = csat_report(conn, [PPR])
    return {"rows": rows, "reports": reports, "csat": csat}


def test_rebuilding_from_zero_gives_the_incrementally_maintained_figures(
    runtime: Runtime,
) -> None:
    runner = runtime.runner
    tell_story(runtime, checkpoint=runner.catch_up)
    incremental = perception_state(runtime)
    assert len(incremental["rows"]["survey_answers"]) == 40 + 24 + 16
    assert incremental["reports"]["{}"]["gaps"][0]["gap_points"] == 20.0

    assert runner.rebuild("perception") == runner.head()
    assert perception_state(runtime) == incremental


def test_a_small_survey_merged_into_a_wave_suppresses_the_merged_group(runtime: Runtime) -> None:
    # Six residents answer survey A and one answers survey B, in the same wave: showing the merged
    # seven would let anyone subtract A's figures and read B's single answer.
    with manual_clock(utc(1, 2)):
        register_ppr(runtime.app)
        first = create_survey(runtime, H1, [Audience.RESIDENTS], {})
        second = create_survey(runtime, H1, [Audience.RESIDENTS], {})
        for survey_id in (first, second):
            runtime.app.open_survey(ADMIN, survey_id)
        for number in range(6):
            runtime.app.respond_to_survey(
                resident(500 + number),
                first,
                audience=Audience.RESIDENTS,
                ppr_code=PPR,
                answers={ITEMS[0]["code"]: 4},
            )
        runtime.app.respond_to_survey(
            resident(600),
            second,
            audience=Audience.RESIDENTS,
            ppr_code=PPR,
            answers={ITEMS[0]["code"]: 1},
        )
    runtime.runner.catch_up()

    with runtime.engine.connect() as conn:
        merged = perception_report(conn, [PPR], wave=H1)
        alone = perception_report(conn, [PPR], survey_id=str(first))

    construct = ITEMS[0]["construct"]
    merged_group = next(g for g in merged["groups"] if g["construct"] == construct)
    alone_group = next(g for g in alone["groups"] if g["construct"] == construct)
    assert merged_group["suppressed"] is True
    assert "n" not in merged_group
    assert (alone_group["suppressed"], alone_group["n"]) == (False, 6)
