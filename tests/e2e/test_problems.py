"""Bad input gets a 4xx problem+json that says what is wrong, field by field, and changes nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from tests.e2e.conftest import REPORT, Cast

PROBLEM_JSON = "application/problem+json"
FUTURE = (datetime.now(tz=UTC) + timedelta(days=3)).isoformat()
PAST = (datetime.now(tz=UTC) - timedelta(days=3)).isoformat()


def _state(cast: Cast) -> tuple[int, list[tuple[str, int]]]:
    """The head of the event log and every case's version, as the admin lists them."""
    cast.project()
    cases: list[tuple[str, int]] = []
    cursor: dict[str, str] = {}
    while True:
        page = cast.admin.get("/api/v1/cases", query_string={"limit": 100, **cursor}).get_json()
        cases += [(item["id"], item["version"]) for item in page["items"]]
        if not page["next_cursor"]:
            return cast.log_head(), cases
        cursor = {"cursor": page["next_cursor"]}


@contextmanager
def nothing_changes(cast: Cast) -> Iterator[None]:
    """The block's requests are refused without recording anything or changing any case."""
    before = _state(cast)
    yield
    assert _state(cast) == before


def problem(response: Any, status: int) -> dict[str, Any]:
    """Check that ``response`` is a problem with ``status``; return its body."""
    assert response.status_code == status, response.get_json()
    assert response.headers["Content-Type"] == PROBLEM_JSON
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    assert body["title"]
    assert body["type"].startswith("https://")
    return body


@pytest.fixture
def case_id(shared_cast: Cast) -> str:
    """A freshly reported case."""
    return str(shared_cast.report()["id"])


@pytest.fixture
def resolved_case(shared_cast: Cast, case_id: str) -> str:
    """A case management has claimed fixed."""
    for command, body in (("acknowledge", {}), ("resolve", {"note": "Dah baiki."})):
        response = shared_cast.management.post(f"/api/v1/cases/{case_id}/{command}", json=body)
        assert response.status_code == 200, response.get_json()
    return case_id


# -- reports ------------------------------------------------------------------------------------


def test_a_report_without_its_required_fields_names_each_missing_one(shared_cast: Cast) -> None:
    with nothing_changes(shared_cast):
        body = problem(shared_cast.resident.post("/api/v1/cases", json={}), 422)

    required = {"ppr", "category", "block", "title", "description"}
    assert set(body["errors"]) == required
    assert all(body["errors"][name] == ["Missing data for required field."] for name in required)
    assert all(name in body["detail"] for name in required)


def test_values_of_the_wrong_type_are_each_named(shared_cast: Cast) -> None:
    wrong = {**REPORT, "title": 42, "floor": 7, "anonymous": "perhaps", "channel": "pigeon"}

    with nothing_changes(shared_cast):
        body = problem(shared_cast.resident.post("/api/v1/cases", json=wrong), 422)

    assert set(body["errors"]) == {"title", "floor", "anonymous", "channel"}
    assert body["errors"]["title"] == ["Not a valid string."]
    assert body["errors"]["anonymous"] == ["Not a valid boolean."]


def test_a_body_that_is_not_an_object_is_refused(shared_cast: Cast) -> None:
    with nothing_changes(shared_cast):
        body = problem(shared_cast.resident.post("/api/v1/cases", json=[REPORT]), 422)

    assert body["errors"]


def test_unknown_fields_are_refused_by_name(shared_cast: Cast, case_id: str) -> None:
    with nothing_changes(shared_cast):
        report = problem(
            shared_cast.resident.post("/api/v1/cases", json={**REPORT, "priority": "urgent"}), 422
        )
        comment = problem(
            shared_cast.resident.post(
                f"/api/v1/cases/{case_id}/comment", json={"text": "Hi", "author": "Bob"}
            ),
            422,
        )

    assert report["errors"] == {"priority": ["Unknown field."]}
    assert comment["errors"] == {"author": ["Unknown field."]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 141}, "title"),
        ({"description": ""}, "description"),
        ({"unit": None, "common_area": None}, "unit"),
        ({"common_area": "lobi"}, "unit"),
        ({"category": "NOSUCH"}, "category"),
        ({"block": "Z"}, "block"),
    ],
    ids=[
        "empty-title",
        "blank-title",
        "long-title",
        "empty-description",
        "no-place",
        "unit-and-common-area",
        "unknown-category",
        "unknown-block",
    ],
)
def test_an_invalid_report_is_refused_naming_the_field(
    shared_cast: Cast, change: dict[str, Any], field: str
) -> None:
    with nothing_changes(shared_cast):
        body = problem(shared_cast.resident.post("/api/v1/cases", json={**REPORT, **change}), 422)

    assert list(body["errors"]) == [field]
    assert body["errors"][field][0]


def test_an_unknown_category_names_the_categories_there_are(shared_cast: Cast) -> None:
    with nothing_changes(shared_cast):
        body = problem(
            shared_cast.resident.post("/api/v1/cases", json={**REPORT, "category": "PEST"}), 422
        )

    assert "LIFT" in body["errors"]["category"][0]
    assert "WATER" in body["errors"]["category"][0]


def test_an_occurred_at_in_the_future_is_refused(shared_cast: Cast, case_id: str) -> None:
    with nothing_changes(shared_cast):
        report = problem(
            shared_cast.committee.post("/api/v1/cases", json={**REPORT, "occurred_at": FUTURE}),
            422,
        )
        comment = problem(
            shared_cast.committee.post(
                f"/api/v1/cases/{case_id}/comment", json={"text": "Esok", "occurred_at": FUTURE}
            ),
            422,
        )

    assert list(report["errors"]) == ["occurred_at"]
    assert list(comment["errors"]) == ["occurred_at"]


def test_an_occurred_at_before_the_previous_event_is_refused(
    shared_cast: Cast, case_id: str
) -> None:
    with nothing_changes(shared_cast):
        body = problem(
            shared_cast.committee.post(
                f"/api/v1/cases/{case_id}/comment", json={"text": "Dulu", "occurred_at": PAST}
            ),
            422,
        )

    assert list(body["errors"]) == ["occurred_at"]


def test_a_resident_may_not_backdate_a_report_or_a_comment(shared_cast: Cast, case_id: str) -> None:
    with nothing_changes(shared_cast):
        report = shared_cast.resident.post("/api/v1/cases", json={**REPORT, "occurred_at": PAST})
        comment = shared_cast.resident.post(
            f"/api/v1/cases/{case_id}/comment",
            json={"text": "Semalam", "occurred_at": datetime.now(tz=UTC).isoformat()},
        )

    problem(report, 403)
    problem(comment, 403)


def test_an_occurred_at_that_is_not_a_time_is_refused(shared_cast: Cast) -> None:
    with nothing_changes(shared_cast):
        body = problem(
            shared_cast.committee.post("/api/v1/cases", json={**REPORT, "occurred_at": "semalam"}),
            422,
        )

    assert list(body["errors"]) == ["occurred_at"]


# -- commands -----------------------------------------------------------------------------------


@pytest.mark.parametrize("rating", [0, 6, -1, 4.5, "4", True, None, "lima"])
def test_a_rating_outside_one_to_five_is_refused(
    shared_cast: Cast, resolved_case: str, rating: Any
) -> None:
    with nothing_changes(shared_cast):
        body = problem(
            shared_cast.resident.post(
                f"/api/v1/cases/{resolved_case}/confirm", json={"rating": rating}
            ),
            422,
        )

    assert list(body["errors"]) == ["rating"]
    case = shared_cast.resident.get(f"/api/v1/cases/{resolved_case}").get_json()
    assert (case["status"], case["rating"]) == ("resolved", None)


@pytest.mark.parametrize(
    ("command", "body", "field"),
    [
        ("recategorise", {"category": "NOSUCH"}, "category"),
        ("recategorise", {"category": "LIFT"}, "category"),
        ("recategorise", {}, "category"),
        ("assign", {"to": "resident"}, "to"),
        ("assign", {"to": "somebody"}, "to"),
        ("respond", {"message": "Esok", "commitment_date": "2001-01-01"}, "commitment_date"),
        ("respond", {"message": "Esok", "commitment_date": "tomorrow"}, "commitment_date"),
        ("resolve", {"note": ""}, "note"),
        ("no-further-action", {}, "reason"),
        ("mark-duplicate", {"duplicate_of": "not-a-uuid"}, "duplicate_of"),
        ("mark-duplicate", {"duplicate_of": str(uuid4())}, "duplicate_of"),
        ("comment", {"text": "   "}, "text"),
        ("comment", {"text": "x" * 4001}, "text"),
    ],
    ids=[
        "unknown-category",
        "same-category",
        "no-category",
        "assign-to-resident",
        "assign-to-nobody",
        "commitment-in-the-past",
        "commitment-not-a-date",
        "empty-note",
        "no-reason",
        "duplicate-of-not-an-id",
        "duplicate-of-unknown-case",
        "blank-comment",
        "long-comment",
    ],
)
def test_an_invalid_command_is_refused_naming_the_field(
    shared_cast: Cast, case_id: str, command: str, body: dict[str, Any], field: str
) -> None:
    if command in ("assign", "respond", "resolve"):
        assert (
            shared_cast.management.post(f"/api/v1/cases/{case_id}/acknowledge").status_code == 200
        )

    with nothing_changes(shared_cast):
        refused = problem(
            shared_cast.management.post(f"/api/v1/cases/{case_id}/{command}", json=body), 422
        )

    assert list(refused["errors"]) == [field]


def test_a_command_in_the_wrong_state_is_a_conflict_that_records_nothing(
    shared_cast: Cast, case_id: str
) -> None:
    with nothing_changes(shared_cast):
        body = problem(
            shared_cast.management.post(f"/api/v1/cases/{case_id}/resolve", json={"note": "Siap"}),
            409,
        )

    assert "reported" in body["detail"]


# -- malformed requests -------------------------------------------------------------------------


def test_malformed_json_is_a_bad_request(shared_cast: Cast, case_id: str) -> None:
    headers = {"Content-Type": "application/json"}
    with nothing_changes(shared_cast):
        report = problem(
            shared_cast.resident.call(
                "POST", "/api/v1/cases", data='{"ppr": "SRP",', headers=headers
            ),
            400,
        )
        comment = problem(
            shared_cast.resident.call(
                "POST", f"/api/v1/cases/{case_id}/comment", data="{text: hi}", headers=headers
            ),
            400,
        )

    assert report["detail"] == comment["detail"] == "The request body is not valid JSON."


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/cases/42"),
        ("GET", "/api/v1/cases/not-a-uuid/history"),
        ("POST", "/api/v1/cases/not-a-uuid/comment"),
        ("POST", "/api/v1/cases/1234/acknowledge"),
    ],
)
def test_a_case_id_that_is_not_a_uuid_is_not_found(
    shared_cast: Cast, method: str, path: str
) -> None:
    with nothing_changes(shared_cast):
        problem(shared_cast.admin.call(method, path, json={"text": "Hello"}), 404)


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("GET", "/history"), ("POST", "/comment"), ("POST", "/acknowledge")],
)
def test_an_unknown_case_is_not_found(shared_cast: Cast, method: str, suffix: str) -> None:
    path = f"/api/v1/cases/{uuid4()}{suffix}"
    body = {"text": "Hello"} if suffix == "/comment" else ({} if method == "POST" else None)

    with nothing_changes(shared_cast):
        problem(shared_cast.admin.call(method, path, json=body), 404)


def test_an_unknown_endpoint_is_a_problem_too(shared_cast: Cast, case_id: str) -> None:
    with nothing_changes(shared_cast):
        problem(shared_cast.admin.post(f"/api/v1/cases/{case_id}/escalate"), 404)
        problem(shared_cast.admin.call("DELETE", f"/api/v1/cases/{case_id}"), 405)


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("reported", "not-a-cursor"),
        ("reported", "%%%"),
        ("reported", _cursor([])),
        ("reported", _cursor(5)),
        ("reported", _cursor(["support", 1, "x"])),
        ("reported", _cursor(["reported", "yesterday", "x"])),
        ("reported", _cursor(["reported", 5, "x"])),
        ("reported", _cursor(["reported", None, "x"])),
        ("reported", _cursor(["reported", "2026-01-01T00:00:00+00:00", ["x"]])),
        ("support", _cursor(["support", "many", "x"])),
        ("support", _cursor(["support", None, "x"])),
        ("support", _cursor(["support", 1.5, "x"])),
    ],
    ids=[
        "garbage",
        "not-base64",
        "empty",
        "not-a-list",
        "other-sort",
        "not-a-time",
        "number-for-time",
        "null-time",
        "list-for-id",
        "text-for-count",
        "null-count",
        "fraction-count",
    ],
)
def test_a_cursor_the_api_did_not_make_is_refused(
    shared_cast: Cast, sort: str, cursor: str
) -> None:
    shared_cast.report()
    shared_cast.project()
    query = {"cursor": cursor, "sort": sort}

    body = problem(shared_cast.committee.get("/api/v1/cases", query_string=query), 400)

    assert list(body["errors"]) == ["cursor"]


def test_a_cursor_the_api_made_still_works(shared_cast: Cast) -> None:
    for _ in range(3):
        shared_cast.report()
    shared_cast.project()
    for sort in ("reported", "support"):
        first = shared_cast.committee.get("/api/v1/cases", query_string={"limit": 2, "sort": sort})
        cursor = first.get_json()["next_cursor"]
        query = {"limit": 2, "sort": sort, "cursor": cursor}

        second = shared_cast.committee.get("/api/v1/cases", query_string=query)

        assert second.status_code == 200, second.get_json()
        assert second.get_json()["items"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"status": "lost"}, "status"),
        ({"sort": "oldest"}, "sort"),
        ({"whose_move": "nobody"}, "whose_move"),
    ],
)
def test_bad_list_parameters_are_refused_by_name(
    shared_cast: Cast, query: dict[str, Any], field: str
) -> None:
    body = problem(shared_cast.committee.get("/api/v1/cases", query_string=query), 422)

    assert list(body["errors"]) == [field]


@pytest.mark.parametrize("if_match", ["version 1", '"1.0"', '"abc"', ""])
def test_an_if_match_that_is_not_an_etag_of_this_api_is_a_bad_request(
    shared_cast: Cast, case_id: str, if_match: str
) -> None:
    with nothing_changes(shared_cast):
        body = problem(
            shared_cast.management.post(
                f"/api/v1/cases/{case_id}/acknowledge", headers={"If-Match": if_match}
            ),
            400,
        )

    assert "If-Match" in body["detail"]
    assert list(body["errors"]) == ["If-Match"]
    assert shared_cast.management.get(f"/api/v1/cases/{case_id}").headers["ETag"] == '"1"'


def test_an_overlong_idempotency_key_is_a_bad_request(shared_cast: Cast) -> None:
    with nothing_changes(shared_cast):
        body = problem(
            shared_cast.resident.post(
                "/api/v1/cases", json=REPORT, headers={"Idempotency-Key": "k" * 256}
            ),
            400,
        )

    assert list(body["errors"]) == ["Idempotency-Key"]


def test_an_unknown_ppr_on_a_report_is_refused(shared_cast: Cast) -> None:
    with nothing_changes(shared_cast):
        out_of_scope = shared_cast.resident.post("/api/v1/cases", json={**REPORT, "ppr": "XYZ"})
        unknown = shared_cast.admin.post("/api/v1/cases", json={**REPORT, "ppr": "XYZ"})

    problem(out_of_scope, 403)
    assert list(problem(unknown, 422)["errors"]) == ["ppr"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/pprs/SRP/blocks", {"code": "Z", "name": "Blok Z", "floors": 12.5}),
        ("/api/v1/pprs/SRP/dispute-window", {"dispute_window_days": "14"}),
    ],
)
def test_whole_numbers_in_ppr_settings_are_not_rounded(
    shared_cast: Cast, path: str, body: dict[str, Any]
) -> None:
    method = "PUT" if path.endswith("dispute-window") else "POST"
    with nothing_changes(shared_cast):
        refused = problem(shared_cast.admin.call(method, path, json=body), 422)

    assert set(refused["errors"]) <= {"floors", "dispute_window_days"}


def test_a_request_without_a_token_is_refused_before_its_body_is_read(shared_cast: Cast) -> None:
    with nothing_changes(shared_cast):
        response = shared_cast.without_token().post("/api/v1/cases", json={"nonsense": True})

    body = problem(response, 401)
    assert "errors" not in body
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bad_ppr_configuration_is_refused_by_field(shared_cast: Cast) -> None:
    sla = {"acknowledge_hours": 48, "first_response_hours": 48, "resolve_hours": 24}
    with nothing_changes(shared_cast):
        code = problem(
            shared_cast.admin.post("/api/v1/pprs", json={"code": "a b", "name": "X"}), 422
        )
        window = problem(
            shared_cast.admin.call(
                "PUT", "/api/v1/pprs/SRP/dispute-window", json={"dispute_window_days": 0}
            ),
            422,
        )
        targets = problem(
            shared_cast.admin.call("PUT", "/api/v1/pprs/SRP/categories/LIFT/sla", json=sla), 422
        )
        floors = problem(
            shared_cast.admin.post(
                "/api/v1/pprs/SRP/blocks", json={"code": "C", "name": "C", "floors": 0}
            ),
            422,
        )

    assert list(code["errors"]) == ["code"]
    assert list(window["errors"]) == ["dispute_window_days"]
    assert list(targets["errors"]) == ["resolve_hours"]
    assert list(floors["errors"]) == ["floors"]


def test_a_body_that_is_not_json_is_refused_with_415(shared_cast: Cast) -> None:
    with nothing_changes(shared_cast):
        response = shared_cast.resident.client.post(
            "/api/v1/cases",
            data="ppr=SRP&title=Lif",
            headers={
                **shared_cast.resident.headers(),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )

    body = problem(response, 415)
    assert list(body["errors"]) == ["Content-Type"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"title": "Lif\u0000rosak"}, 400, "_request"),
        ({"title": "Lif\u0007rosak"}, 422, "title"),
        ({"unit": "A-07\u001b12"}, 422, "unit"),
        ({"occurred_at": "0001-01-01T00:00:00Z"}, 422, "occurred_at"),
        ({"occurred_at": "9999-12-31T23:00:00-05:00"}, 422, "occurred_at"),
    ],
    ids=["NUL", "bell", "escape in unit", "year 1", "year 9999"],
)
def test_characters_and_dates_no_one_means_are_refused_before_they_reach_storage(
    shared_cast: Cast, body: dict[str, Any], status: int, field: str
) -> None:
    # A NUL cannot be stored by PostgreSQL, and such an event would stop the read models.
    with nothing_changes(shared_cast):
        refused = problem(
            shared_cast.committee.post("/api/v1/cases", json={**REPORT, **body}), status
        )

    assert field in refused["errors"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases?q=%00",
        "/api/v1/metrics/resolution?to=9999-12-31T23:00:00-05:00",
        "/api/v1/metrics/resolution?from=0001-01-01T00:00:00%2B05:00",
    ],
)
def test_query_values_no_one_means_get_a_4xx_not_a_crash(shared_cast: Cast, path: str) -> None:
    response = shared_cast.committee.get(path)

    assert response.status_code in (400, 422)
    assert response.headers["Content-Type"] == "application/problem+json"


def test_a_title_that_grows_when_case_folded_is_listed_and_searchable(shared_cast: Cast) -> None:
    # "ß" folds to "ss": 140 of them become 280 characters in the search column.
    case = shared_cast.report(shared_cast.committee, title="ß" * 140)
    shared_cast.project()

    found = shared_cast.committee.get("/api/v1/cases?q=" + "ss" * 3).get_json()["items"]

    assert case["id"] in {item["id"] for item in found}
