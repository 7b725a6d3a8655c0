"""Perception surveys through the HTTP API: drafting, answering, anonymity and the figures.

Surveys are drafted, opened and closed by the admin; residents and management answer once each,
and nothing stored or returned links an answer to who gave it. The figures come from a
hand-computed scenario over two waves and both audiences in a PPR of its own (``waves``), with
a suppressed group, skipped items and case-level CSAT. Other tests make their own surveys on the
module's shared storage (SRP and LSB) and compare before and after, never absolute counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from domain.actors import Role
from domain.survey_starter import STARTERS
from service.tables import idempotency_keys
from tests.e2e.conftest import (
    REPORT,
    SLA,
    Caller,
    Cast,
    draft_survey,
    open_survey,
    succeed,
    survey_body,
)

PROBLEM_JSON = "application/problem+json"
SURVEYS = "/api/v1/surveys"
PERCEPTION = "/api/v1/metrics/perception"


def item(code: str, scale: str, construct: str) -> dict[str, str]:
    """A survey item with BM and EN wording."""
    return {
        "code": code,
        "text_ms": f"Soalan {code}",
        "text_en": f"Question {code}",
        "scale": scale,
        "construct": construct,
    }


#: The scenario's own instrument: one item per scale, one of them on a construct an admin added.
ITEMS = [
    item("trust_committee", "likert_5", "trust_in_committee"),
    item("quality_of_life", "zero_to_ten", "quality_of_life"),
    item("feel_safe", "yes_no", "safety_at_night"),
]


def assert_refused(response: Any, status: int) -> dict[str, Any]:
    """A refusal with the given status, as problem+json; returns the problem."""
    assert response.status_code == status, response.get_json()
    assert response.headers["Content-Type"] == PROBLEM_JSON
    problem = dict(response.get_json())
    assert problem["status"] == status
    return problem


def fields_named(problem: dict[str, Any]) -> set[str]:
    """The top-level fields a 422 names (a nested field is named like ``items.scale``)."""
    return {name.split(".")[0] for name in problem["errors"]}


def get_json(caller: Caller, path: str, **query: Any) -> Any:
    """GET that must succeed; returns the body."""
    response = caller.get(path, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def answer(caller: Caller, survey_id: str, answers: Mapping[str, Any], **extra: Any) -> Any:
    """POST an answer to a survey as ``caller``; returns the response."""
    headers = extra.pop("headers", None)
    body = {"answers": answers, **extra}
    return caller.post(f"{SURVEYS}/{survey_id}/responses", json=body, headers=headers)


def answered(caller: Caller, survey_id: str, answers: Mapping[str, Any], **extra: Any) -> None:
    """An answer that must be received."""
    response = answer(caller, survey_id, answers, **extra)
    assert response.status_code == 201, response.get_json()


def fresh_ppr(cast: Cast) -> str:
    """Register a PPR of the test's own (block A; LIFT and WATER) and return its code."""
    code = f"S{uuid.uuid4().hex[:8].upper()}"
    succeed(cast.admin, "/api/v1/pprs", {"code": code, "name": "PPR Persepsi"})
    succeed(
        cast.admin, f"/api/v1/pprs/{code}/blocks", {"code": "A", "name": "Blok A", "floors": 17}
    )
    for category in ("LIFT", "WATER"):
        body = {"code": category, "name_ms": category, "name_en": category, "sla": SLA}
        succeed(cast.admin, f"/api/v1/pprs/{code}/categories", body)
    return code


# -- drafting, opening and closing ----------------------------------------------------------------


def test_an_admin_drafts_a_survey_from_a_copy_of_the_starter_instrument(
    shared_cast: Cast,
) -> None:
    response = shared_cast.admin.post(
        SURVEYS, json=survey_body(["srp"], starter="management", audiences=["management"])
    )

    assert response.status_code == 201, response.get_json()
    survey = response.get_json()
    assert response.headers["Location"] == f"{SURVEYS}/{survey['id']}"
    assert response.headers["ETag"] == f'"{survey["version"]}"'
    assert survey["status"] == "draft"
    assert survey["pprs"] == ["SRP"]
    assert survey["audiences"] == ["management"]
    assert survey["response_count"] == 0
    assert survey["items"] == STARTERS["management"]


def test_an_admin_drafts_a_survey_from_their_own_items_with_a_construct_of_their_own(
    shared_cast: Cast,
) -> None:
    own = [item("Safe_At_Night", "yes_no", "Safety_At_Night"), ITEMS[0]]
    body = survey_body(["SRP", "LSB"], starter=None, items=own, audience_sizes={"residents": 800})

    survey = succeed(shared_cast.admin, SURVEYS, body)

    assert survey["pprs"] == ["LSB", "SRP"]
    assert [each["code"] for each in survey["items"]] == ["safe_at_night", "trust_committee"]
    assert survey["items"][0]["construct"] == "safety_at_night"
    assert survey["items"][0]["text_ms"] == "Soalan Safe_At_Night"
    assert survey["audience_sizes"] == {"residents": 800}
    assert get_json(shared_cast.admin, f"{SURVEYS}/{survey['id']}") == survey


def test_an_admin_opens_and_then_closes_a_survey_each_step_a_new_version(
    shared_cast: Cast,
) -> None:
    admin = shared_cast.admin
    drafted = draft_survey(admin, ["SRP"])
    path = f"{SURVEYS}/{drafted['id']}"

    opened = admin.post(f"{path}/open")
    closed = admin.post(f"{path}/close")

    assert opened.status_code == closed.status_code == 200
    assert opened.get_json()["status"] == "open"
    assert closed.get_json()["status"] == "closed"
    assert drafted["version"] < opened.get_json()["version"] < closed.get_json()["version"]
    assert closed.headers["ETag"] == f'"{closed.get_json()["version"]}"'


@pytest.mark.parametrize(("state", "step"), [("draft", "close"), ("closed", "open")])
def test_a_survey_opens_only_from_draft_and_closes_only_when_open(
    shared_cast: Cast, state: str, step: str
) -> None:
    admin = shared_cast.admin
    survey = draft_survey(admin, ["SRP"])
    path = f"{SURVEYS}/{survey['id']}"
    if state == "closed":
        succeed(admin, f"{path}/open")
        succeed(admin, f"{path}/close")
    before = shared_cast.log_head()

    response = admin.post(f"{path}/{step}")

    assert_refused(response, 409)
    assert shared_cast.log_head() == before
    assert get_json(admin, path)["status"] == state


def test_a_stale_if_match_on_opening_a_survey_is_refused(shared_cast: Cast) -> None:
    survey = draft_survey(shared_cast.admin, ["SRP"])
    stale = {"If-Match": f'"{survey["version"] - 1}"'}

    response = shared_cast.admin.post(f"{SURVEYS}/{survey['id']}/open", headers=stale)

    assert_refused(response, 412)


NON_ADMINS = ["resident", "committee", "management", "auditor", "integration"]


@pytest.mark.parametrize("who", NON_ADMINS)
def test_only_the_admin_drafts_opens_closes_or_revises_surveys(shared_cast: Cast, who: str) -> None:
    caller: Caller = getattr(shared_cast, who)
    draft = draft_survey(shared_cast.admin, ["SRP"])
    opened = open_survey(shared_cast.admin, ["SRP"])
    before = shared_cast.log_head()

    refusals = [
        caller.post(SURVEYS, json=survey_body(["SRP"])),
        caller.post(f"{SURVEYS}/{draft['id']}/open"),
        caller.post(f"{SURVEYS}/{opened['id']}/close"),
        caller.call("PUT", f"{SURVEYS}/{draft['id']}/items", json={"items": ITEMS}),
    ]

    for response in refusals:
        assert_refused(response, 403)
    assert shared_cast.log_head() == before


BAD_ITEMS = [
    pytest.param([{**ITEMS[0], "scale": "likert_7"}], id="unknown-scale"),
    pytest.param([ITEMS[0], {**ITEMS[1], "code": "trust_committee"}], id="code-used-twice"),
    pytest.param([{**ITEMS[0], "code": "Trust in committee"}], id="code-with-spaces"),
    pytest.param([{**ITEMS[0], "construct": "trust in committee"}], id="construct-not-a-code"),
    pytest.param([{key: v for key, v in ITEMS[0].items() if key != "text_ms"}], id="no-bm-text"),
    pytest.param([{**ITEMS[0], "text_en": "   "}], id="blank-en-text"),
    pytest.param([], id="no-items"),
    pytest.param([ITEMS[0]] * 61, id="too-many-items"),
]


@pytest.mark.parametrize("items", BAD_ITEMS)
def test_items_that_break_the_rules_are_refused_naming_items(
    shared_cast: Cast, items: list[dict[str, Any]]
) -> None:
    before = shared_cast.log_head()

    response = shared_cast.admin.post(SURVEYS, json=survey_body(["SRP"], starter=None, items=items))

    problem = assert_refused(response, 422)
    assert fields_named(problem) == {"items"}
    assert shared_cast.log_head() == before


@pytest.mark.parametrize(
    "choice",
    [
        pytest.param({"items": ITEMS, "starter": "residents"}, id="both"),
        pytest.param({"starter": None}, id="neither"),
    ],
)
def test_a_survey_needs_either_its_own_items_or_a_starter_not_both(
    shared_cast: Cast, choice: dict[str, Any]
) -> None:
    response = shared_cast.admin.post(SURVEYS, json=survey_body(["SRP"], **choice))

    problem = assert_refused(response, 422)
    assert fields_named(problem) == {"items"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"starter": "committee"}, "starter", id="unknown-starter"),
        pytest.param({"pprs": ["NOWHERE"]}, "pprs", id="unknown-ppr"),
        pytest.param({"audiences": ["tenants"]}, "audiences", id="unknown-audience"),
        pytest.param({"period_end": "2025-12-31"}, "period_end", id="ends-before-it-starts"),
        pytest.param({"audience_sizes": {"committee": 9}}, "audience_sizes", id="size-not-asked"),
    ],
)
def test_other_bad_survey_fields_are_refused_naming_the_field(
    shared_cast: Cast, overrides: dict[str, Any], field: str
) -> None:
    body = {**survey_body(["SRP"]), **overrides}
    before = shared_cast.log_head()

    response = shared_cast.admin.post(SURVEYS, json=body)

    problem = assert_refused(response, 422)
    assert fields_named(problem) == {field}
    assert shared_cast.log_head() == before


def test_the_starter_instruments_ask_both_audiences_about_ten_items_in_bm_and_en(
    shared_cast: Cast,
) -> None:
    starters = get_json(shared_cast.resident, f"{SURVEYS}/starter-instruments")

    assert set(starters) == {"residents", "management"}
    for items in starters.values():
        assert 8 <= len(items) <= 12
        assert all(each["text_ms"] and each["text_en"] for each in items)
        assert {each["scale"] for each in items} <= {"likert_5", "zero_to_ten", "yes_no"}
    constructs = {each["construct"] for each in starters["residents"]}
    assert {"trust_in_committee", "trust_in_management", "perception_of_co_management"} <= (
        constructs
    )


def test_the_starter_instruments_need_a_token(shared_cast: Cast) -> None:
    response = shared_cast.without_token().get(f"{SURVEYS}/starter-instruments")

    assert_refused(response, 401)


def test_residents_see_the_open_and_closed_surveys_of_their_ppr_but_not_drafts(
    shared_cast: Cast,
) -> None:
    admin = shared_cast.admin
    draft = draft_survey(admin, ["SRP"])
    opened = open_survey(admin, ["SRP"])
    closed = open_survey(admin, ["SRP"])
    succeed(admin, f"{SURVEYS}/{closed['id']}/close")
    elsewhere = open_survey(admin, ["LSB"])
    shared_cast.project()
    ours = {draft["id"], opened["id"], closed["id"], elsewhere["id"]}

    def listed(caller: Caller) -> dict[str, str]:
        body = get_json(caller, SURVEYS)
        return {survey["id"]: survey["status"] for survey in body if survey["id"] in ours}

    assert listed(shared_cast.resident) == {opened["id"]: "open", closed["id"]: "closed"}
    assert listed(shared_cast.management) == {opened["id"]: "open", closed["id"]: "closed"}
    assert listed(shared_cast.other_ppr_resident) == {elsewhere["id"]: "open"}
    assert listed(admin) == {
        draft["id"]: "draft",
        opened["id"]: "open",
        closed["id"]: "closed",
        elsewhere["id"]: "open",
    }
    row = next(
        survey for survey in get_json(shared_cast.resident, SURVEYS) if survey["id"] == opened["id"]
    )
    assert row["items"] == STARTERS["residents"]
    assert row["pprs"] == ["SRP"]


def test_a_survey_of_another_ppr_is_not_found(shared_cast: Cast) -> None:
    survey = open_survey(shared_cast.admin, ["SRP"])

    for path in ("", "/results"):
        response = shared_cast.other_ppr_resident.get(f"{SURVEYS}/{survey['id']}{path}")
        assert_refused(response, 404)


# -- answering ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["resident", "management"])
def test_residents_and_management_answer_and_get_back_only_a_receipt(
    shared_cast: Cast, who: str
) -> None:
    caller: Caller = getattr(shared_cast, who)
    survey = open_survey(shared_cast.admin, ["SRP"])

    response = answer(caller, survey["id"], {"trust_committee": 4, "quality_of_life": 7})

    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"received": True}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Location" not in response.headers
    assert "ETag" not in response.headers
    assert get_json(shared_cast.admin, f"{SURVEYS}/{survey['id']}")["response_count"] == 1


def test_a_second_answer_by_the_same_person_is_refused_and_the_first_stands(
    shared_cast: Cast,
) -> None:
    survey = open_survey(shared_cast.admin, ["SRP"])
    answered(shared_cast.neighbour, survey["id"], {"trust_committee": 5})
    before = shared_cast.log_head()

    again = answer(shared_cast.neighbour, survey["id"], {"trust_committee": 1})
    shared_cast.project()

    assert_refused(again, 409)
    assert shared_cast.log_head() == before
    assert get_json(shared_cast.admin, f"{SURVEYS}/{survey['id']}")["response_count"] == 1


@pytest.mark.parametrize("state", ["draft", "closed"])
def test_a_draft_or_closed_survey_takes_no_answers(shared_cast: Cast, state: str) -> None:
    survey = draft_survey(shared_cast.admin, ["SRP"])
    if state == "closed":
        succeed(shared_cast.admin, f"{SURVEYS}/{survey['id']}/open")
        succeed(shared_cast.admin, f"{SURVEYS}/{survey['id']}/close")
    before = shared_cast.log_head()

    response = answer(shared_cast.resident, survey["id"], {"trust_committee": 4})

    assert_refused(response, 409)
    assert shared_cast.log_head() == before


@pytest.mark.parametrize("who", ["auditor", "integration", "admin"])
def test_auditors_integrations_and_the_admin_do_not_answer_surveys(
    shared_cast: Cast, who: str
) -> None:
    survey = open_survey(shared_cast.admin, ["SRP"])
    before = shared_cast.log_head()

    response = answer(getattr(shared_cast, who), survey["id"], {"trust_committee": 4})

    assert_refused(response, 403)
    assert shared_cast.log_head() == before


@pytest.mark.parametrize(
    ("audiences", "who"),
    [(["residents"], "management"), (["management"], "resident"), (["residents"], "committee")],
)
def test_a_survey_takes_answers_only_from_the_audiences_it_asks(
    shared_cast: Cast, audiences: list[str], who: str
) -> None:
    survey = open_survey(shared_cast.admin, ["SRP"], audiences=audiences)
    before = shared_cast.log_head()

    response = answer(getattr(shared_cast, who), survey["id"], {"trust_committee": 4})

    assert_refused(response, 403)
    assert shared_cast.log_head() == before


def test_a_resident_of_another_ppr_cannot_find_the_survey_to_answer(shared_cast: Cast) -> None:
    survey = open_survey(shared_cast.admin, ["SRP"])

    response = answer(shared_cast.other_ppr_resident, survey["id"], {"trust_committee": 4})

    assert_refused(response, 404)


def test_a_respondent_covering_several_pprs_of_the_survey_says_which_one(
    shared_cast: Cast,
) -> None:
    survey = open_survey(shared_cast.admin, ["SRP", "LSB"])
    both = shared_cast.caller(Role.MANAGEMENT, ["SRP", "LSB"], "Pegawai Wilayah")

    unnamed = answer(both, survey["id"], {"trust_committee": 4})
    named = answer(both, survey["id"], {"trust_committee": 4}, ppr="lsb")

    assert fields_named(assert_refused(unnamed, 422)) == {"ppr"}
    assert named.status_code == 201, named.get_json()


BAD_ANSWERS = [
    pytest.param({"trust_committee": 6}, id="likert-above-5"),
    pytest.param({"trust_committee": 0}, id="likert-below-1"),
    pytest.param({"quality_of_life": 11}, id="zero-to-ten-above-10"),
    pytest.param({"feel_safe": 2}, id="yes-no-not-0-or-1"),
    pytest.param({"no_such_item": 3}, id="unknown-item"),
    pytest.param({"trust_committee": "4"}, id="text-not-a-number"),
    pytest.param({"trust_committee": 3.5}, id="not-whole"),
    pytest.param({"feel_safe": True}, id="boolean"),
    pytest.param({}, id="nothing-answered"),
    pytest.param({"trust_committee": None, "feel_safe": None}, id="everything-skipped"),
]


@pytest.mark.parametrize("answers", BAD_ANSWERS)
def test_answers_off_the_scale_or_to_unknown_items_are_refused_naming_answers(
    shared_cast: Cast, answers: dict[str, Any]
) -> None:
    survey = open_survey(shared_cast.admin, ["SRP"], starter=None, items=ITEMS)
    before = shared_cast.log_head()

    response = answer(shared_cast.resident, survey["id"], answers)

    problem = assert_refused(response, 422)
    assert fields_named(problem) == {"answers"}
    assert shared_cast.log_head() == before
    # A refused answer does not use up the respondent's one answer.
    answered(shared_cast.resident, survey["id"], {"trust_committee": 3})


def test_skipped_items_are_allowed_and_bad_group_attributes_are_refused(
    shared_cast: Cast,
) -> None:
    survey = open_survey(shared_cast.admin, ["SRP"], starter=None, items=ITEMS)
    attributes = {"gender": "female", "age_band": "35-44", "block": " a "}

    bad = answer(shared_cast.resident, survey["id"], {"trust_committee": 4}, gender="unknown")
    skipping = answer(
        shared_cast.resident, survey["id"], {"trust_committee": 4, "feel_safe": None}, **attributes
    )

    assert fields_named(assert_refused(bad, 422)) == {"gender"}
    assert skipping.status_code == 201, skipping.get_json()


def test_the_items_change_freely_until_the_first_answer_and_never_after(
    shared_cast: Cast,
) -> None:
    admin = shared_cast.admin
    survey = open_survey(admin, ["SRP"])
    path = f"{SURVEYS}/{survey['id']}/items"

    revised = admin.call("PUT", path, json={"items": ITEMS})
    answered(shared_cast.resident, survey["id"], {"trust_committee": 4})
    before = shared_cast.log_head()
    refused = admin.call("PUT", path, json={"items": ITEMS[:1]})

    assert revised.status_code == 200, revised.get_json()
    assert revised.get_json()["items"] == ITEMS
    assert_refused(refused, 409)
    assert shared_cast.log_head() == before
    assert get_json(admin, f"{SURVEYS}/{survey['id']}")["items"] == ITEMS


def test_the_items_of_a_closed_survey_do_not_change(shared_cast: Cast) -> None:
    survey = open_survey(shared_cast.admin, ["SRP"])
    succeed(shared_cast.admin, f"{SURVEYS}/{survey['id']}/close")

    response = shared_cast.admin.call(
        "PUT", f"{SURVEYS}/{survey['id']}/items", json={"items": ITEMS}
    )

    assert_refused(response, 409)


def test_revised_items_that_break_the_rules_are_refused_naming_items(shared_cast: Cast) -> None:
    survey = draft_survey(shared_cast.admin, ["SRP"])
    bad = [{**ITEMS[0], "scale": "stars"}]

    response = shared_cast.admin.call("PUT", f"{SURVEYS}/{survey['id']}/items", json={"items": bad})

    assert fields_named(assert_refused(response, 422)) == {"items"}


# -- anonymity ------------------------------------------------------------------------------------


def _keys_of(cast: Cast, caller: Caller) -> list[str]:
    with cast.runtime.engine.connect() as conn:
        rows = conn.execute(
            select(idempotency_keys.c.key).where(
                idempotency_keys.c.principal_id == caller.principal_id
            )
        ).all()
    return [row.key for row in rows]


def test_an_answer_sent_with_an_idempotency_key_leaves_no_record_of_the_key(
    shared_cast: Cast,
) -> None:
    respondent = shared_cast.caller(Role.RESIDENT, ["SRP"], "Puan Kalsom")
    survey = open_survey(shared_cast.admin, ["SRP"])
    key = {"Idempotency-Key": f"answer-{uuid.uuid4()}"}

    first = answer(respondent, survey["id"], {"trust_committee": 2}, headers=key)
    repeat = answer(respondent, survey["id"], {"trust_committee": 2}, headers=key)
    keys_after_answering = _keys_of(shared_cast, respondent)
    # The same caller's keyed report is recorded, so the table is read where keys do go.
    report = respondent.post("/api/v1/cases", json=REPORT, headers={"Idempotency-Key": "lift-1"})

    assert first.status_code == 201, first.get_json()
    assert keys_after_answering == []
    # The repeat is not a replay of a stored answer: the survey itself refuses it.
    assert_refused(repeat, 409)
    assert "Idempotent-Replayed" not in repeat.headers
    assert report.status_code == 201
    assert _keys_of(shared_cast, respondent) == ["lift-1"]


def test_nothing_recorded_or_returned_for_an_answer_names_who_gave_it(shared_cast: Cast) -> None:
    name = f"Responden {uuid.uuid4().hex[:6]}"
    respondent = shared_cast.caller(Role.RESIDENT, ["SRP"], name)
    survey = open_survey(shared_cast.admin, ["SRP"])
    before = shared_cast.log_head()

    response = answer(
        respondent, survey["id"], {"trust_committee": 5}, gender="male", age_band="25-34"
    )
    shared_cast.project()

    assert response.status_code == 201, response.get_json()
    app = shared_cast.runtime.app
    notifications = app.recorder.select_notifications(start=before + 1, limit=100)
    events = [app.mapper.to_domain_event(notification) for notification in notifications]
    assert sorted(type(event).__qualname__ for event in events) == [
        "Survey.ResponseCounted",
        "SurveyResponse.Submitted",
    ]
    identities = (respondent.principal_id, respondent.token_id, name)
    stored = [repr(vars(event)) for event in events]
    stored += [notification.state.decode(errors="replace") for notification in notifications]
    for text in stored:
        assert not any(identity in text for identity in identities), text
    path = f"{SURVEYS}/{survey['id']}"
    seen = [
        response.get_data(as_text=True),
        str(dict(response.headers)),
        respondent.get(path).get_data(as_text=True),
        respondent.get(SURVEYS).get_data(as_text=True),
        shared_cast.admin.get(f"{path}/results").get_data(as_text=True),
        shared_cast.admin.get(PERCEPTION).get_data(as_text=True),
    ]
    for text in seen:
        assert not any(identity in text for identity in identities), text


# -- results and perception figures ---------------------------------------------------------------


@dataclass
class Waves:
    """The hand-computed scenario: a PPR of its own, two waves, its people and its surveys."""

    ppr: str
    first: str  # wave 2025-H2: no audience sizes known
    second: str  # wave 2026-H1: 10 residents and 5 managers asked
    committee: Caller
    resident: Caller
    integration: Caller


#: Wave 2025-H2, five residents and one manager. The fourth resident skips quality of life, so
#: only four answered it: that group (and the lone manager's) is suppressed.
FIRST_WAVE_RESIDENTS: list[dict[str, int | None]] = [
    {"trust_committee": 5, "quality_of_life": 8, "feel_safe": 1},
    {"trust_committee": 4, "quality_of_life": 6, "feel_safe": 1},
    {"trust_committee": 3, "quality_of_life": 5, "feel_safe": 0},
    {"trust_committee": 2, "quality_of_life": None, "feel_safe": 1},
    {"trust_committee": 4, "quality_of_life": 9, "feel_safe": 0},
]
FIRST_WAVE_MANAGER = {"trust_committee": 4}
#: Wave 2026-H1: five residents (no one answers feel_safe) and five managers (trust only).
SECOND_WAVE_RESIDENTS: list[dict[str, int | None]] = [
    {"trust_committee": 5, "quality_of_life": 7},
    {"trust_committee": 5, "quality_of_life": 7},
    {"trust_committee": 4, "quality_of_life": 7},
    {"trust_committee": 4, "quality_of_life": 7},
    {"trust_committee": 1, "quality_of_life": 2},
]
SECOND_WAVE_MANAGERS: list[dict[str, int | None]] = [{"trust_committee": 4}] * 5


@pytest.fixture(scope="module")
def waves(shared_cast: Cast) -> Waves:
    """Both waves answered, plus three cases for CSAT: LIFT rated 5 and 2, WATER resolved only."""
    cast = shared_cast
    ppr = fresh_ppr(cast)
    residents = [cast.caller(Role.RESIDENT, [ppr], f"Penduduk {n}") for n in range(5)]
    managers = [cast.caller(Role.MANAGEMENT, [ppr], f"Pegawai {n}") for n in range(5)]
    first = open_survey(cast.admin, [ppr], starter=None, items=ITEMS, wave="2025-H2")
    second = open_survey(
        cast.admin,
        [ppr],
        starter=None,
        items=ITEMS,
        wave="2026-H1",
        audience_sizes={"residents": 10, "management": 5},
    )
    for resident, answers in zip(residents, FIRST_WAVE_RESIDENTS, strict=True):
        answered(resident, first["id"], answers)
    answered(managers[0], first["id"], FIRST_WAVE_MANAGER)
    for resident, answers in zip(residents, SECOND_WAVE_RESIDENTS, strict=True):
        answered(resident, second["id"], answers)
    for manager, answers in zip(managers, SECOND_WAVE_MANAGERS, strict=True):
        answered(manager, second["id"], answers)
    succeed(cast.admin, f"{SURVEYS}/{first['id']}/close")

    for category, rating in (("LIFT", 5), ("LIFT", 2), ("WATER", None)):
        case = succeed(residents[0], "/api/v1/cases", {**REPORT, "ppr": ppr, "category": category})
        path = f"/api/v1/cases/{case['id']}"
        succeed(managers[0], f"{path}/acknowledge")
        succeed(managers[0], f"{path}/resolve", {"note": "Siap."})
        if rating is not None:
            succeed(residents[0], f"{path}/confirm", {"rating": rating})
    cast.project()
    return Waves(
        ppr=ppr,
        first=first["id"],
        second=second["id"],
        committee=cast.caller(Role.COMMITTEE, [ppr], "Setiausaha"),
        resident=residents[0],
        integration=cast.caller(Role.INTEGRATION, [ppr], "Sistem Bandar"),
    )


def suppressed(wave: str, construct: str, audience: str) -> dict[str, Any]:
    """A suppressed group: no figures at all (not zero)."""
    return {"wave": wave, "construct": construct, "audience": audience, "suppressed": True}


def likert(n: int, mean: float, median: float, top_2_box: float) -> dict[str, Any]:
    """A group answering only the Likert item."""
    return {"likert_5": {"answers": n, "mean": mean, "median": median, "top_2_box_pct": top_2_box}}


FIRST_WAVE_GROUPS = [
    suppressed("2025-H2", "quality_of_life", "residents"),
    {
        "wave": "2025-H2",
        "construct": "safety_at_night",
        "audience": "residents",
        "suppressed": False,
        "n": 5,
        "response_rate_pct": None,
        "favourable_pct": 60.0,
        "scales": {"yes_no": {"answers": 5, "yes_pct": 60.0}},
    },
    suppressed("2025-H2", "trust_in_committee", "management"),
    {
        "wave": "2025-H2",
        "construct": "trust_in_committee",
        "audience": "residents",
        "suppressed": False,
        "n": 5,
        "response_rate_pct": None,
        "favourable_pct": 60.0,  # 5 and 4 and 4 of 5, 4, 3, 2, 4
        "scales": likert(5, 3.6, 4, 60.0),
    },
]
SECOND_WAVE_GROUPS = [
    {
        "wave": "2026-H1",
        "construct": "quality_of_life",
        "audience": "residents",
        "suppressed": False,
        "n": 5,
        "response_rate_pct": 50.0,  # 5 of the 10 residents asked
        "favourable_pct": 80.0,
        "scales": {"zero_to_ten": {"answers": 5, "mean": 6.0, "median": 7, "pct_6_to_10": 80.0}},
    },
    {
        "wave": "2026-H1",
        "construct": "trust_in_committee",
        "audience": "management",
        "suppressed": False,
        "n": 5,
        "response_rate_pct": 100.0,
        "favourable_pct": 100.0,
        "scales": likert(5, 4.0, 4, 100.0),
    },
    {
        "wave": "2026-H1",
        "construct": "trust_in_committee",
        "audience": "residents",
        "suppressed": False,
        "n": 5,
        "response_rate_pct": 50.0,
        "favourable_pct": 80.0,
        "scales": likert(5, 3.8, 4, 80.0),
    },
]


def without_ppr(rows: list[dict[str, Any]], ppr: str) -> list[dict[str, Any]]:
    """The rows of ``ppr``, without the ``ppr`` key (the scenario's PPR is random)."""
    assert all(row["ppr"] == ppr for row in rows), rows
    return [{key: value for key, value in row.items() if key != "ppr"} for row in rows]


def test_the_perception_figures_match_the_hand_computed_waves(waves: Waves) -> None:
    body = get_json(waves.committee, PERCEPTION, ppr=waves.ppr)

    assert body["minimum_group"] == 5
    assert without_ppr(body["groups"], waves.ppr) == FIRST_WAVE_GROUPS + SECOND_WAVE_GROUPS


def test_groups_under_five_respondents_are_shown_as_suppressed_not_as_zero(waves: Waves) -> None:
    body = get_json(waves.committee, PERCEPTION, ppr=waves.ppr, wave="2025-H2")

    hidden = [group for group in body["groups"] if group["suppressed"]]
    assert [(group["construct"], group["audience"]) for group in hidden] == [
        ("quality_of_life", "residents"),  # four answered it: one skipped
        ("trust_in_committee", "management"),  # one manager answered
    ]
    for group in hidden:
        assert not {"n", "mean", "favourable_pct", "scales"} & set(group)


def test_the_gap_is_residents_minus_management_and_suppressed_with_its_groups(
    waves: Waves,
) -> None:
    body = get_json(waves.committee, PERCEPTION, ppr=waves.ppr)

    # Only trust in committee was answered by both sides; management skipped the rest.
    assert without_ppr(body["gaps"], waves.ppr) == [
        {
            "wave": "2025-H2",
            "construct": "trust_in_committee",
            "suppressed": True,
            "gap_points": None,
        },
        {
            "wave": "2026-H1",
            "construct": "trust_in_committee",
            "suppressed": False,
            "gap_points": -20.0,  # 80 % of residents against 100 % of management
        },
    ]


def test_the_trend_follows_each_audience_and_construct_wave_by_wave(waves: Waves) -> None:
    body = get_json(waves.committee, PERCEPTION, ppr=waves.ppr)

    def point(wave: str, favourable: float | None) -> dict[str, Any]:
        return {"wave": wave, "favourable_pct": favourable, "suppressed": favourable is None}

    assert without_ppr(body["trends"], waves.ppr) == [
        {
            "construct": "quality_of_life",
            "audience": "residents",
            "waves": [point("2025-H2", None), point("2026-H1", 80.0)],
        },
        {
            "construct": "safety_at_night",
            "audience": "residents",
            "waves": [point("2025-H2", 60.0)],
        },
        {
            "construct": "trust_in_committee",
            "audience": "management",
            "waves": [point("2025-H2", None), point("2026-H1", 100.0)],
        },
        {
            "construct": "trust_in_committee",
            "audience": "residents",
            "waves": [point("2025-H2", 60.0), point("2026-H1", 80.0)],
        },
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"wave": "2026-H1"}, SECOND_WAVE_GROUPS),
        ({"audience": "management"}, [FIRST_WAVE_GROUPS[2], SECOND_WAVE_GROUPS[1]]),
        ({"construct": "quality_of_life"}, [FIRST_WAVE_GROUPS[0], SECOND_WAVE_GROUPS[0]]),
        ({"wave": "2030-H1"}, []),
    ],
)
def test_the_perception_figures_narrow_to_a_wave_audience_or_construct(
    waves: Waves, query: dict[str, str], expected: list[dict[str, Any]]
) -> None:
    body = get_json(waves.committee, PERCEPTION, ppr=waves.ppr, **query)

    assert without_ppr(body["groups"], waves.ppr) == expected


def test_an_unknown_audience_is_refused_naming_audience(waves: Waves) -> None:
    response = waves.committee.get(PERCEPTION, query_string={"audience": "tenants"})

    assert fields_named(assert_refused(response, 422)) == {"audience"}


def test_a_surveys_results_hold_only_its_own_wave(waves: Waves) -> None:
    second = get_json(waves.committee, f"{SURVEYS}/{waves.second}/results")
    first = get_json(waves.committee, f"{SURVEYS}/{waves.first}/results")

    assert without_ppr(second["groups"], waves.ppr) == SECOND_WAVE_GROUPS
    assert without_ppr(first["groups"], waves.ppr) == FIRST_WAVE_GROUPS
    assert len(second["gaps"]) == 1
    assert second["minimum_group"] == 5


def test_residents_read_the_perception_figures_of_their_ppr(waves: Waves) -> None:
    staff = get_json(waves.committee, PERCEPTION, ppr=waves.ppr)

    scoped = get_json(waves.resident, PERCEPTION, ppr=waves.ppr.lower())
    unscoped = get_json(waves.resident, PERCEPTION)
    results = get_json(waves.resident, f"{SURVEYS}/{waves.second}/results")

    assert scoped == unscoped == staff
    assert without_ppr(results["groups"], waves.ppr) == SECOND_WAVE_GROUPS


def test_the_perception_figures_include_case_level_csat_per_category(waves: Waves) -> None:
    body = get_json(waves.resident, PERCEPTION, ppr=waves.ppr)

    assert without_ppr(body["csat"], waves.ppr) == [
        {
            "category": "LIFT",
            "n": 2,
            "good": 1,  # rated 5; the other was rated 2
            "csat_pct": 50.0,
            "resolved": 2,
            "rating_rate_pct": 100.0,
        },
        {
            "category": "WATER",
            "n": 0,
            "good": 0,
            "csat_pct": None,
            "resolved": 1,
            "rating_rate_pct": 0.0,
        },
    ]


def test_integrations_read_no_perception_figures_or_survey_results(waves: Waves) -> None:
    for path in (PERCEPTION, f"{PERCEPTION}?ppr={waves.ppr}", f"{SURVEYS}/{waves.second}/results"):
        assert_refused(waves.integration.get(path), 403)


def test_callers_of_other_pprs_see_none_of_its_perception_figures(
    shared_cast: Cast, waves: Waves
) -> None:
    asked = shared_cast.other_ppr_resident.get(PERCEPTION, query_string={"ppr": waves.ppr})
    everything = get_json(shared_cast.other_ppr_management, PERCEPTION)
    results = shared_cast.other_ppr_management.get(f"{SURVEYS}/{waves.second}/results")

    assert_refused(asked, 403)
    assert waves.ppr not in {row["ppr"] for key in ("groups", "csat") for row in everything[key]}
    assert_refused(results, 404)


def test_auditors_and_the_admin_see_the_perception_figures_of_every_ppr(
    shared_cast: Cast, waves: Waves
) -> None:
    staff = get_json(waves.committee, PERCEPTION, ppr=waves.ppr)

    for caller in (shared_cast.auditor, shared_cast.admin):
        one = get_json(caller, PERCEPTION, ppr=waves.ppr)
        everything = get_json(caller, PERCEPTION)
        assert one == staff
        assert {group["ppr"] for group in everything["groups"]} >= {waves.ppr}
