"""Perception surveys: drafting, items, opening and closing, and one anonymous response each."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain.actors import Actor, Role
from domain.application import K2K
from domain.errors import AlreadyExists, IllegalTransition, InvalidValue, NotFound, NotPermitted
from domain.survey import (
    CONSTRUCTS,
    Audience,
    Survey,
    SurveyResponse,
    SurveyStatus,
    validate_items,
)
from domain.survey_starter import MANAGEMENT, RESIDENTS, STARTERS
from tests.unit.world import (
    ADMIN,
    AUDITOR,
    COMMITTEE,
    INTEGRATION,
    MANAGER,
    OTHER_PPR,
    PPR,
    REPORTER,
    SYSTEM,
    World,
)

H1_START = date(2024, 1, 1)
H1_END = date(2024, 6, 30)

#: One item per scale; trust and co-management on 1-5, life on 0-10, "heard" yes/no.
ITEMS: list[dict[str, Any]] = [
    {
        "code": "trust",
        "text_ms": "Saya percaya jawatankuasa.",
        "text_en": "I trust the committee.",
        "scale": "likert_5",
        "construct": "trust_in_committee",
    },
    {
        "code": "life",
        "text_ms": "Kualiti hidup (0-10).",
        "text_en": "Quality of life (0-10).",
        "scale": "zero_to_ten",
        "construct": "quality_of_life",
    },
    {
        "code": "heard",
        "text_ms": "Suara saya didengar.",
        "text_en": "My voice is heard.",
        "scale": "yes_no",
        "construct": "perception_of_co_management",
    },
]

NOT_ADMINS = [REPORTER, MANAGER, COMMITTEE, AUDITOR, INTEGRATION]
NOT_ADMIN_IDS = ["resident", "management", "committee", "auditor", "integration"]


def item(**changes: Any) -> dict[str, Any]:
    """The first of ITEMS with some fields changed (a field set to None is left out)."""
    changed = {**ITEMS[0], **changes}
    return {key: value for key, value in changed.items() if value is not None}


def draft(app: K2K, actor: Actor = ADMIN, **options: Any) -> UUID:
    """Draft a residents-and-management survey of PPR for the first half of 2024."""
    arguments: dict[str, Any] = {
        "title": "Persepsi pengurusan bersama",
        "ppr_codes": [PPR],
        "audiences": [Audience.RESIDENTS, Audience.MANAGEMENT],
        "wave": "2024-H1",
        "period_start": H1_START,
        "period_end": H1_END,
        "items": ITEMS,
        **options,
    }
    return app.create_survey(actor, **arguments).id


def opened(app: K2K, **options: Any) -> UUID:
    """A drafted survey that takes responses."""
    survey_id = draft(app, **options)
    app.open_survey(ADMIN, survey_id)
    return survey_id


def respond(
    app: K2K,
    survey_id: UUID,
    actor: Actor = REPORTER,
    *,
    audience: Audience = Audience.RESIDENTS,
    ppr_code: str = PPR,
    answers: dict[str, Any] | None = None,
    **options: Any,
) -> UUID:
    """Answer the survey (4 on trust, 7 on life, yes to heard unless told otherwise)."""
    return app.respond_to_survey(
        actor,
        survey_id,
        audience=audience,
        ppr_code=ppr_code,
        answers={"trust": 4, "life": 7, "heard": 1} if answers is None else answers,
        **options,
    )


def event_names(app: K2K, aggregate_id: UUID) -> list[str]:
    """The class names of an aggregate's recorded events."""
    return [type(event).__name__ for event in app.events.get(aggregate_id)]


def response(app: K2K, response_id: UUID) -> SurveyResponse:
    """A stored response."""
    found = app.repository.get(response_id)
    assert isinstance(found, SurveyResponse)
    return found


# -- drafting -----------------------------------------------------------------------------------


def test_an_admin_drafts_a_survey_with_its_pprs_audiences_wave_period_and_items(
    world: World,
) -> None:
    saved = world.app.create_survey(
        ADMIN,
        title="  Persepsi pengurusan bersama  ",
        ppr_codes=[PPR, OTHER_PPR, PPR],
        audiences=[Audience.MANAGEMENT, Audience.RESIDENTS, Audience.MANAGEMENT],
        wave=" 2024-H1 ",
        period_start=H1_START,
        period_end=H1_END,
        items=[{**ITEMS[0], "code": " Trust ", "construct": " Trust_In_Committee "}],
        audience_sizes={"residents": 400, "management": 12},
    )

    survey = world.app.get_survey(saved.id)
    assert saved.version == survey.version == 1
    assert survey.title == "Persepsi pengurusan bersama"
    assert survey.ppr_codes == [OTHER_PPR, PPR]  # sorted, each once
    assert survey.audiences == ["management", "residents"]
    assert (survey.wave, survey.period_start, survey.period_end) == ("2024-H1", H1_START, H1_END)
    assert survey.items == [{**ITEMS[0], "code": "trust", "construct": "trust_in_committee"}]
    assert survey.audience_sizes == {"residents": 400, "management": 12}
    assert (survey.status, survey.response_count) == (SurveyStatus.DRAFT, 0)
    assert event_names(world.app, saved.id) == ["Created"]
    created = next(iter(world.app.events.get(saved.id)))
    assert (created.actor_id, created.actor_role) == ("admin-1", "admin")


def test_the_service_itself_may_draft_a_survey(world: World) -> None:
    survey_id = draft(world.app, SYSTEM)

    assert world.app.get_survey(survey_id).status == SurveyStatus.DRAFT


@pytest.mark.parametrize("actor", NOT_ADMINS, ids=NOT_ADMIN_IDS)
def test_only_an_admin_may_draft_a_survey(world: World, actor: Actor) -> None:
    with world.refuses(None, NotPermitted):
        draft(world.app, actor)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"wave": ""}, "wave"),
        ({"wave": "w" * 41}, "wave"),
        ({"ppr_codes": []}, "pprs"),
        ({"ppr_codes": [PPR, "PPRXX"]}, "pprs"),
        ({"audiences": []}, "audiences"),
        ({"period_start": H1_END, "period_end": H1_START}, "period_end"),
        ({"audience_sizes": {"committee": 9}}, "audience_sizes"),
        ({"audience_sizes": {"residents": 0}}, "audience_sizes"),
        ({"audience_sizes": {"residents": -5}}, "audience_sizes"),
        ({"items": []}, "items"),
    ],
    ids=[
        "blank title",
        "long title",
        "blank wave",
        "long wave",
        "no PPR",
        "unknown PPR",
        "no audience",
        "period ends before it starts",
        "size of an audience not asked",
        "audience of nobody",
        "negative audience",
        "no items",
    ],
)
def test_a_survey_with_a_bad_value_is_refused(
    world: World, options: dict[str, Any], field: str
) -> None:
    with world.refuses(None, InvalidValue, field=field):
        draft(world.app, **options)


def test_a_survey_may_run_for_a_single_day_and_leave_audience_sizes_unknown(world: World) -> None:
    survey_id = draft(world.app, period_start=H1_START, period_end=H1_START)

    survey = world.app.get_survey(survey_id)
    assert (survey.period_start, survey.period_end) == (H1_START, H1_START)
    assert survey.audience_sizes == {}


@pytest.mark.parametrize(
    "items",
    [
        [item(code=None)],
        [item(code="")],
        [item(code="has space")],
        [item(code="_leading")],
        [item(code="c" * 41)],
        [item(code="trust"), item(code="TRUST")],
        [item(text_ms=None)],
        [item(text_ms="  ")],
        [item(text_en="")],
        [item(text_en="e" * 501)],
        [item(scale=None)],
        [item(scale="likert_7")],
        [item(construct=None)],
        [item(construct="trust in committee")],
        [item(code=f"q{number}") for number in range(61)],
    ],
    ids=[
        "no code",
        "blank code",
        "code with a space",
        "code starting with an underscore",
        "code of 41 characters",
        "code used twice",
        "no BM text",
        "blank BM text",
        "blank EN text",
        "EN text of 501 characters",
        "no scale",
        "unknown scale",
        "no construct",
        "construct that is not a code",
        "61 items",
    ],
)
def test_items_without_a_code_wording_scale_or_construct_are_refused(
    world: World, items: list[dict[str, Any]]
) -> None:
    with world.refuses(None, InvalidValue, field="items"):
        draft(world.app, items=items)


def test_an_admin_may_tag_items_with_a_construct_of_their_own(world: World) -> None:
    assert "safety" not in CONSTRUCTS
    survey_id = draft(world.app, items=[item(construct="safety"), item(code="q2")])

    assert [each["construct"] for each in world.app.get_survey(survey_id).items] == [
        "safety",
        "trust_in_committee",
    ]


def test_item_validation_keeps_only_the_known_fields_and_accepts_sixty_items() -> None:
    cleaned = validate_items([{**ITEMS[1], "colour": "red"}])
    assert cleaned == [ITEMS[1]]
    assert len(validate_items([item(code=f"q{number}") for number in range(60)])) == 60


# -- opening and closing ------------------------------------------------------------------------


def test_a_survey_is_drafted_then_opened_then_closed(world: World) -> None:
    survey_id = draft(world.app)

    opened_at = world.clock.advance(days=1)
    saved = world.app.open_survey(ADMIN, survey_id)
    assert (saved.version, world.app.get_survey(survey_id).status) == (2, SurveyStatus.OPEN)

    closed_at = world.clock.advance(days=30)
    saved = world.app.close_survey(ADMIN, survey_id, expected_version=2)
    assert (saved.version, world.app.get_survey(survey_id).status) == (3, SurveyStatus.CLOSED)

    events = list(world.app.events.get(survey_id))
    assert [type(event).__name__ for event in events] == ["Created", "Opened", "Closed"]
    assert [event.occurred_at for event in events[1:]] == [opened_at, closed_at]


@pytest.mark.parametrize("actor", NOT_ADMINS, ids=NOT_ADMIN_IDS)
def test_only_an_admin_may_open_or_close_a_survey(world: World, actor: Actor) -> None:
    survey_id = draft(world.app)
    with world.refuses(None, NotPermitted):
        world.app.open_survey(actor, survey_id)

    world.app.open_survey(ADMIN, survey_id)
    with world.refuses(None, NotPermitted):
        world.app.close_survey(actor, survey_id)
    assert world.app.get_survey(survey_id).status == SurveyStatus.OPEN


def test_a_survey_opens_only_from_draft_and_closes_only_when_open(world: World) -> None:
    survey_id = draft(world.app)
    with world.refuses(None, IllegalTransition):
        world.app.close_survey(ADMIN, survey_id)  # a draft

    world.app.open_survey(ADMIN, survey_id)
    with world.refuses(None, IllegalTransition):
        world.app.open_survey(ADMIN, survey_id)  # open already

    world.app.close_survey(ADMIN, survey_id)
    with world.refuses(None, IllegalTransition):
        world.app.close_survey(ADMIN, survey_id)  # closed already
    with world.refuses(None, IllegalTransition):
        world.app.open_survey(ADMIN, survey_id)  # a closed survey stays closed


def test_an_unknown_survey_is_not_found(world: World) -> None:
    unknown = UUID(int=7)
    with world.refuses(None, NotFound):
        world.app.open_survey(ADMIN, unknown)
    with world.refuses(None, NotFound):
        respond(world.app, unknown)


# -- revising items -----------------------------------------------------------------------------


def test_the_items_may_change_while_drafted_and_while_open_until_the_first_response(
    world: World,
) -> None:
    survey_id = draft(world.app)
    world.app.revise_survey_items(ADMIN, survey_id, items=ITEMS[:2])
    assert [each["code"] for each in world.app.get_survey(survey_id).items] == ["trust", "life"]

    world.app.open_survey(ADMIN, survey_id)
    world.app.revise_survey_items(ADMIN, survey_id, items=ITEMS, expected_version=3)

    survey = world.app.get_survey(survey_id)
    assert survey.items == ITEMS
    assert event_names(world.app, survey_id) == [
        "Created",
        "ItemsRevised",
        "Opened",
        "ItemsRevised",
    ]


def test_the_items_cannot_change_once_a_response_exists(world: World) -> None:
    survey_id = opened(world.app)
    respond(world.app, survey_id)

    with world.refuses(None, IllegalTransition) as refused:
        world.app.revise_survey_items(ADMIN, survey_id, items=ITEMS[:1])
    assert "once a response exists" in str(refused.value)
    assert world.app.get_survey(survey_id).items == ITEMS


def test_the_items_of_a_closed_survey_cannot_change(world: World) -> None:
    survey_id = opened(world.app)
    world.app.close_survey(ADMIN, survey_id)

    with world.refuses(None, IllegalTransition):
        world.app.revise_survey_items(ADMIN, survey_id, items=ITEMS[:1])


@pytest.mark.parametrize("actor", NOT_ADMINS, ids=NOT_ADMIN_IDS)
def test_only_an_admin_may_revise_the_items(world: World, actor: Actor) -> None:
    survey_id = draft(world.app)

    with world.refuses(None, NotPermitted):
        world.app.revise_survey_items(actor, survey_id, items=ITEMS[:1])


def test_revised_items_are_validated_like_new_ones(world: World) -> None:
    survey_id = draft(world.app)

    with world.refuses(None, InvalidValue, field="items"):
        world.app.revise_survey_items(ADMIN, survey_id, items=[item(scale="stars")])
    with world.refuses(None, InvalidValue, field="items"):
        world.app.revise_survey_items(ADMIN, survey_id, items=[])


# -- responding ---------------------------------------------------------------------------------


def test_a_resident_answers_an_open_survey_once_and_the_survey_counts_it(world: World) -> None:
    survey_id = opened(world.app)

    response_id = respond(world.app, survey_id, gender="female", age_band="35-44", block="A")

    assert response_id == world.app.response_id(survey_id, REPORTER.principal_id)
    stored = response(world.app, response_id)
    assert (stored.survey_id, stored.ppr_code, stored.audience) == (
        str(survey_id),
        PPR,
        "residents",
    )
    assert stored.answers == {"trust": 4, "life": 7, "heard": 1}
    assert (stored.gender, stored.age_band, stored.block) == ("female", "35-44", "A")
    survey = world.app.get_survey(survey_id)
    assert (survey.response_count, survey.version) == (1, 3)
    assert event_names(world.app, survey_id)[-1] == "ResponseCounted"
    assert event_names(world.app, response_id) == ["Submitted"]


def test_management_and_the_committee_answer_for_their_own_audience(world: World) -> None:
    survey_id = opened(
        world.app, audiences=[Audience.MANAGEMENT, Audience.COMMITTEE], ppr_codes=[PPR, OTHER_PPR]
    )

    respond(world.app, survey_id, MANAGER, audience=Audience.MANAGEMENT)
    respond(world.app, survey_id, COMMITTEE, audience=Audience.COMMITTEE, ppr_code=OTHER_PPR)

    assert world.app.get_survey(survey_id).response_count == 2


def test_skipped_items_are_allowed_and_left_out_of_the_response(world: World) -> None:
    survey_id = opened(world.app)

    response_id = respond(world.app, survey_id, answers={"trust": 2, "life": None, "heard": None})
    other_id = respond(
        world.app, survey_id, Actor("resident-2", Role.RESIDENT), answers={"life": 0}
    )

    assert response(world.app, response_id).answers == {"trust": 2}
    assert response(world.app, other_id).answers == {"life": 0}  # 0 is an answer, not a skip


def test_every_value_on_each_scale_is_accepted(world: World) -> None:
    survey_id = opened(world.app)
    answers = [(1, 0, 0), (2, 1, 1), (3, 5, 0), (4, 9, 1), (5, 10, 1)]

    for number, (trust, life, heard) in enumerate(answers, start=1):
        respond(
            world.app,
            survey_id,
            Actor(f"resident-{number}", Role.RESIDENT),
            answers={"trust": trust, "life": life, "heard": heard},
        )

    assert world.app.get_survey(survey_id).response_count == 5


@pytest.mark.parametrize(
    "answers",
    [
        {"trust": 0},
        {"trust": 6},
        {"life": -1},
        {"life": 11},
        {"heard": 2},
        {"heard": -1},
        {"trust": 4.0},
        {"trust": "4"},
        {"heard": True},
        {"trust": 4, "wellbeing": 3},
        {"wellbeing": None},
        {},
        {"trust": None, "life": None, "heard": None},
    ],
    ids=[
        "0 on 1-5",
        "6 on 1-5",
        "-1 on 0-10",
        "11 on 0-10",
        "2 on yes/no",
        "-1 on yes/no",
        "a float",
        "a string",
        "a boolean",
        "an unknown item",
        "an unknown item skipped",
        "no answers",
        "every item skipped",
    ],
)
def test_answers_off_the_scale_to_unknown_items_or_to_nothing_are_refused(
    world: World, answers: dict[str, Any]
) -> None:
    survey_id = opened(world.app)

    with world.refuses(None, InvalidValue, field="answers"):
        respond(world.app, survey_id, answers=answers)
    assert world.app.get_survey(survey_id).response_count == 0


def test_a_draft_survey_takes_no_responses(world: World) -> None:
    survey_id = draft(world.app)

    with world.refuses(None, IllegalTransition):
        respond(world.app, survey_id)


def test_a_response_after_closing_is_refused(world: World) -> None:
    survey_id = opened(world.app)
    respond(world.app, survey_id)
    world.app.close_survey(ADMIN, survey_id)

    with world.refuses(None, IllegalTransition) as refused:
        respond(world.app, survey_id, Actor("resident-2", Role.RESIDENT))
    assert "closed" in str(refused.value)
    assert world.app.get_survey(survey_id).response_count == 1


def test_an_audience_the_survey_does_not_ask_is_refused(world: World) -> None:
    survey_id = opened(world.app, audiences=[Audience.RESIDENTS])

    with world.refuses(None, NotPermitted):
        respond(world.app, survey_id, MANAGER, audience=Audience.MANAGEMENT)


@pytest.mark.parametrize(
    ("actor", "audience"),
    [
        (MANAGER, Audience.RESIDENTS),
        (COMMITTEE, Audience.RESIDENTS),
        (REPORTER, Audience.MANAGEMENT),
        (ADMIN, Audience.MANAGEMENT),
        (AUDITOR, Audience.RESIDENTS),
        (INTEGRATION, Audience.RESIDENTS),
    ],
    ids=[
        "management as residents",
        "committee as residents",
        "resident as management",
        "admin as management",
        "auditor as residents",
        "integration as residents",
    ],
)
def test_only_someone_in_the_audiences_role_may_answer_for_it(
    world: World, actor: Actor, audience: Audience
) -> None:
    survey_id = opened(world.app)

    with world.refuses(None, NotPermitted):
        respond(world.app, survey_id, actor, audience=audience)


@pytest.mark.parametrize("ppr_code", [OTHER_PPR, "PPRXX"], ids=["another PPR", "unknown PPR"])
def test_a_response_for_a_ppr_the_survey_does_not_cover_is_refused(
    world: World, ppr_code: str
) -> None:
    survey_id = opened(world.app)

    with world.refuses(None, NotPermitted):
        respond(world.app, survey_id, ppr_code=ppr_code)


def test_a_second_response_by_the_same_respondent_is_refused_even_with_other_answers(
    world: World,
) -> None:
    survey_id = opened(world.app)
    first = respond(world.app, survey_id)

    with world.refuses(None, AlreadyExists):
        respond(world.app, survey_id, answers={"trust": 1})
    with world.refuses(None, AlreadyExists):
        respond(world.app, survey_id, ppr_code=OTHER_PPR, gender="male")

    assert response(world.app, first).answers == {"trust": 4, "life": 7, "heard": 1}
    assert world.app.get_survey(survey_id).response_count == 1


def test_a_respondent_answers_each_survey_once_and_others_answer_too(world: World) -> None:
    first_wave = opened(world.app)
    second_wave = opened(world.app, wave="2024-H2")

    mine = {respond(world.app, first_wave), respond(world.app, second_wave)}
    neighbour = respond(world.app, first_wave, Actor("resident-2", Role.RESIDENT))

    assert len(mine | {neighbour}) == 3
    assert world.app.get_survey(first_wave).response_count == 2
    assert world.app.get_survey(second_wave).response_count == 1


# -- anonymity ----------------------------------------------------------------------------------


def test_a_response_is_stored_under_a_keyed_hash_and_its_events_name_no_one(
    world: World,
) -> None:
    survey_id = opened(world.app)
    respondent = Actor("resident-7c1e", Role.RESIDENT)

    response_id = respond(world.app, survey_id, respondent, gender="male", block="B")

    # the id is the same for the same survey and respondent, and differs for anyone else
    assert response_id == world.app.response_id(survey_id, respondent.principal_id)
    assert response_id != world.app.response_id(survey_id, "resident-7c1f")
    assert response_id != world.app.response_id(UUID(int=1), respondent.principal_id)
    assert response_id.version == 4
    # nothing that names the respondent is in any event of the response or the survey
    for aggregate_id in (response_id, survey_id):
        for event in world.app.events.get(aggregate_id):
            assert respondent.principal_id not in repr(vars(event))
            assert getattr(event, "actor_id", ADMIN.principal_id) == ADMIN.principal_id
    counted = list(world.app.events.get(survey_id))[-1]
    assert set(vars(counted)) == {"originator_id", "originator_version", "timestamp", "occurred_at"}


def test_the_response_id_depends_on_the_secret_key(world: World) -> None:
    survey_id = UUID(int=42)
    other = K2K(env={"PERSISTENCE_MODULE": "eventsourcing.popo", "K2K_RESPONSE_KEY": "another"})
    try:
        assert other.response_id(survey_id, "resident-1") != world.app.response_id(
            survey_id, "resident-1"
        )
    finally:
        other.close()


# -- starter instruments ------------------------------------------------------------------------


@pytest.mark.parametrize("audience", ["residents", "management"])
def test_each_starter_instrument_has_about_ten_valid_items_over_the_k2k_constructs(
    audience: str,
) -> None:
    starter = STARTERS[audience]

    assert 8 <= len(starter) <= 12
    assert validate_items(starter) == starter  # already clean: codes, BM and EN, scale, construct
    assert {each["construct"] for each in starter} == set(CONSTRUCTS)
    assert len({each["code"] for each in starter}) == len(starter)
    assert all(each["text_ms"] != each["text_en"] for each in starter)


def test_there_are_starter_instruments_for_residents_and_for_management() -> None:
    assert STARTERS == {"residents": RESIDENTS, "management": MANAGEMENT}
    assert set(STARTERS) == {Audience.RESIDENTS.value, Audience.MANAGEMENT.value}


def test_an_admin_copies_a_starter_instrument_into_a_survey_and_may_adapt_the_copy(
    world: World,
) -> None:
    pristine = copy.deepcopy(STARTERS)
    residents_survey = draft(world.app, audiences=[Audience.RESIDENTS], items=RESIDENTS)
    management_survey = draft(world.app, audiences=[Audience.MANAGEMENT], items=MANAGEMENT)

    adapted = copy.deepcopy(RESIDENTS)
    adapted[0]["text_en"] = "I trust our committee."
    adapted.append(item(code="safety", construct="safety"))
    world.app.revise_survey_items(ADMIN, residents_survey, items=adapted)

    assert world.app.get_survey(residents_survey).items == adapted
    assert world.app.get_survey(management_survey).items == MANAGEMENT
    assert pristine == STARTERS  # the built-in instrument is untouched


def test_a_survey_made_from_a_starter_shares_no_item_with_it() -> None:
    pristine = copy.deepcopy(MANAGEMENT)
    survey = Survey.create(
        ADMIN,
        title="Persepsi pengurusan",
        ppr_codes=[PPR],
        audiences=[Audience.MANAGEMENT],
        wave="2024-H1",
        period_start=H1_START,
        period_end=H1_END,
        items=MANAGEMENT,
    )

    survey.items[0]["text_en"] = "changed in memory"
    assert pristine == MANAGEMENT
