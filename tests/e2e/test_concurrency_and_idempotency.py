"""Concurrent and repeated requests: ETags and If-Match, conflicts, retries and Idempotency-Key.

DESIGN §9: concurrent commands on one case never lose an event; a conflicting write is retried when
it is safe (a comment) and refused with 409/412 when it is not. A repeated POST with the same
Idempotency-Key gets the first answer and records nothing new.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from flask import Flask
from sqlalchemy import select

from domain.actors import Actor, Role
from domain.application import K2K
from service.cases import routes as case_routes
from service.idempotency import prune
from service.tables import idempotency_keys
from tests.e2e.conftest import REPORT, Caller, Cast

PROBLEM_JSON = "application/problem+json"


def history(cast: Cast, case_id: str) -> list[dict[str, Any]]:
    """The case's full history as the committee sees it, after the read models caught up."""
    cast.project()
    response = cast.committee.get(f"/api/v1/cases/{case_id}/history")
    assert response.status_code == 200
    assert response.get_json()["complete"] is True
    return list(response.get_json()["items"])


@pytest.fixture
def app(shared_app: Flask) -> Flask:
    """This module's tests share one world per backend: each works on cases it reports itself."""
    return shared_app


@pytest.fixture
def cast(shared_cast: Cast) -> Cast:
    """The shared world's cast (see ``app``)."""
    return shared_cast


def key() -> dict[str, str]:
    """A fresh Idempotency-Key header."""
    return {"Idempotency-Key": f"key-{uuid4()}"}


def listed(cast: Cast) -> set[str]:
    """Ids of every case the admin can list, after the read models caught up."""
    cast.project()
    ids: set[str] = set()
    query: dict[str, Any] = {"limit": 100}
    while True:
        page = cast.admin.get("/api/v1/cases", query_string=query).get_json()
        ids |= {item["id"] for item in page["items"]}
        if not page["next_cursor"]:
            return ids
        query["cursor"] = page["next_cursor"]


# -- ETag and If-Match -----------------------------------------------------------------------------


def test_a_command_with_the_current_etag_succeeds_and_returns_the_next_one(cast: Cast) -> None:
    case_id = cast.report()["id"]
    etag = cast.management.get(f"/api/v1/cases/{case_id}").headers["ETag"]

    response = cast.management.post(
        f"/api/v1/cases/{case_id}/acknowledge", headers={"If-Match": etag}
    )

    assert etag == '"1"'
    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    assert response.get_json()["version"] == 2


def test_a_wildcard_if_match_takes_the_current_version(cast: Cast) -> None:
    case_id = cast.report()["id"]

    response = cast.management.post(
        f"/api/v1/cases/{case_id}/acknowledge", headers={"If-Match": "*"}
    )

    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'


def test_a_weak_etag_never_matches_so_the_command_is_refused_with_412(cast: Cast) -> None:
    # RFC 9110 13.1.1: If-Match compares strongly, and a weak tag never matches.
    case_id = cast.report()["id"]
    head = cast.log_head()

    response = cast.management.post(
        f"/api/v1/cases/{case_id}/acknowledge", headers={"If-Match": 'W/"1"'}
    )

    assert response.status_code == 412
    assert response.headers["Content-Type"] == PROBLEM_JSON
    assert cast.log_head() == head


@pytest.mark.parametrize(
    ("command", "body"),
    [("acknowledge", {}), ("comment", {"text": "Bila nak baiki?"}), ("support", {})],
)
def test_a_command_with_a_stale_etag_is_refused_with_412_and_records_nothing(
    cast: Cast, command: str, body: dict[str, Any]
) -> None:
    case_id = cast.report()["id"]
    stale = cast.management.get(f"/api/v1/cases/{case_id}").headers["ETag"]
    cast.committee.post(f"/api/v1/cases/{case_id}/comment", json={"text": "Dah lapor ke DBKL."})
    caller = cast.neighbour if command == "support" else cast.management
    head = cast.log_head()

    response = caller.post(
        f"/api/v1/cases/{case_id}/{command}", json=body, headers={"If-Match": stale}
    )

    assert response.status_code == 412
    assert response.headers["Content-Type"] == PROBLEM_JSON
    assert "version" in response.get_json()["detail"]
    assert cast.log_head() == head
    case = cast.management.get(f"/api/v1/cases/{case_id}")
    assert case.headers["ETag"] == '"2"'
    assert case.get_json()["status"] == "reported"
    assert [item["type"] for item in history(cast, case_id)] == ["reported", "comment_added"]


# -- a write that lands between our load and our save ----------------------------------------------


def race_once(k2k: K2K, case_id: str, monkeypatch: pytest.MonkeyPatch, rival: Actor) -> list[int]:
    """Make the next save of the application lose a race: just before it, ``rival`` comments.

    Returns a list that grows by one each time the application saves (to count attempts).
    """
    original_save = k2k.save
    attempts: list[int] = []

    def save(*objects: Any, **kwargs: Any) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            other = k2k.get_case(UUID(case_id))
            other.add_comment(rival, "Sementara itu, lif berbunyi pelik.")
            original_save(other)
        return original_save(*objects, **kwargs)

    monkeypatch.setattr(k2k, "save", save)
    return attempts


@pytest.mark.parametrize(
    ("command", "body"),
    [
        ("acknowledge", {}),
        ("assign", {"to": "contractor"}),
        ("no-further-action", {"reason": "Bukan di bawah PPR."}),
        ("withdraw", {}),
    ],
)
def test_an_unsafe_command_that_loses_a_race_is_refused_with_409_and_records_nothing(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, command: str, body: dict[str, Any]
) -> None:
    case_id = cast.report()["id"]
    if command == "assign":
        cast.management.post(f"/api/v1/cases/{case_id}/acknowledge")
    before = cast.management.get(f"/api/v1/cases/{case_id}").get_json()
    rival = Actor(cast.committee.principal_id, Role.COMMITTEE)
    attempts = race_once(cast.runtime.app, case_id, monkeypatch, rival)
    caller = cast.resident if command == "withdraw" else cast.management

    response = caller.post(f"/api/v1/cases/{case_id}/{command}", json=body)

    assert response.status_code == 409, response.get_json()
    assert response.headers["Content-Type"] == PROBLEM_JSON
    assert "changed at the same time" in response.get_json()["detail"]
    assert len(attempts) == 1, "an unsafe command must not be retried"
    # Only the rival's comment was recorded; the refused command left no trace.
    after = cast.management.get(f"/api/v1/cases/{case_id}")
    assert after.get_json()["version"] == before["version"] + 1
    assert after.get_json()["status"] == before["status"]
    assert history(cast, case_id)[-1]["type"] == "comment_added"


@pytest.mark.parametrize(
    ("command", "body"), [("acknowledge", {}), ("comment", {"text": "Lif masih rosak."})]
)
def test_a_command_with_if_match_that_loses_a_race_gets_412_and_is_not_retried(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, command: str, body: dict[str, Any]
) -> None:
    case_id = cast.report()["id"]
    rival = Actor(cast.committee.principal_id, Role.COMMITTEE)
    attempts = race_once(cast.runtime.app, case_id, monkeypatch, rival)

    response = cast.management.post(
        f"/api/v1/cases/{case_id}/{command}", json=body, headers={"If-Match": '"1"'}
    )

    # The version the caller named stopped being current while the command ran.
    assert response.status_code == 412, response.get_json()
    assert len(attempts) == 1
    assert [item["type"] for item in history(cast, case_id)] == ["reported", "comment_added"]


@pytest.mark.parametrize(
    ("command", "body"), [("comment", {"text": "Saya pun terperangkap."}), ("support", {})]
)
def test_a_safe_command_that_loses_a_race_is_retried_on_the_fresh_case(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, command: str, body: dict[str, Any]
) -> None:
    case_id = cast.report()["id"]
    rival = Actor(cast.committee.principal_id, Role.COMMITTEE)
    attempts = race_once(cast.runtime.app, case_id, monkeypatch, rival)

    response = cast.neighbour.post(f"/api/v1/cases/{case_id}/{command}", json=body)

    assert response.status_code == 200, response.get_json()
    assert len(attempts) == 2
    assert response.get_json()["version"] == 3
    expected = "comment_added" if command == "comment" else "supported"
    assert [item["type"] for item in history(cast, case_id)] == [
        "reported",
        "comment_added",
        expected,
    ]


def test_a_safe_command_that_keeps_losing_gives_up_with_409(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = cast.report()["id"]
    k2k = cast.runtime.app
    original_save = k2k.save
    rival = Actor(cast.committee.principal_id, Role.COMMITTEE)

    def always_too_late(*objects: Any, **kwargs: Any) -> Any:
        other = k2k.get_case(UUID(case_id))
        other.add_comment(rival, "Saya dulu.")
        original_save(other)
        return original_save(*objects, **kwargs)

    monkeypatch.setattr(k2k, "save", always_too_late)
    monkeypatch.setattr("domain.application.SAFE_RETRY_ATTEMPTS", 3)

    response = cast.neighbour.post(f"/api/v1/cases/{case_id}/comment", json={"text": "Saya?"})

    assert response.status_code == 409
    assert response.headers["Content-Type"] == PROBLEM_JSON
    monkeypatch.undo()
    texts = [item["details"].get("text") for item in history(cast, case_id)]
    assert "Saya?" not in texts
    assert texts.count("Saya dulu.") == 3


def test_fifty_people_commenting_at_once_all_succeed_and_no_comment_is_lost(
    app: Flask, cast: Cast
) -> None:
    case_id = cast.report()["id"]
    callers = [cast.resident, cast.neighbour, cast.committee, cast.management, cast.admin]
    count = 50
    barrier = threading.Barrier(count)
    results: list[tuple[int, Any] | None] = [None] * count
    failures: list[BaseException] = []

    def comment(index: int) -> None:
        try:
            client = app.test_client()
            caller = callers[index % len(callers)]
            barrier.wait(timeout=30)
            response = client.post(
                f"/api/v1/cases/{case_id}/comment",
                json={"text": f"Komen nombor {index}"},
                headers=caller.headers(),
            )
            results[index] = (response.status_code, response.get_json())
        except BaseException as error:  # reported below, in the test's own thread
            failures.append(error)

    threads = [threading.Thread(target=comment, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures, failures
    assert not any(thread.is_alive() for thread in threads)
    statuses = [result[0] if result else None for result in results]
    assert statuses == [200] * count, [result for result in results if result and result[0] != 200]
    case = cast.committee.get(f"/api/v1/cases/{case_id}")
    assert case.headers["ETag"] == f'"{count + 1}"'
    items = history(cast, case_id)
    assert [item["version"] for item in items] == list(range(1, count + 2))
    assert sorted(item["details"]["text"] for item in items[1:]) == sorted(
        f"Komen nombor {index}" for index in range(count)
    )
    # Each answer already includes the commenter's own comment.
    assert all(2 <= result[1]["version"] <= count + 1 for result in results if result)


# -- Idempotency-Key ---------------------------------------------------------------------------------


def test_a_repeated_report_with_the_same_key_returns_the_first_answer_and_makes_one_case(
    cast: Cast,
) -> None:
    headers = key()
    before = listed(cast)

    first = cast.resident.post("/api/v1/cases", json=REPORT, headers=headers)
    again = cast.resident.post("/api/v1/cases", json=REPORT, headers=headers)

    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Location"] == first.headers["Location"]
    assert listed(cast) - before == {first.get_json()["id"]}


def test_the_same_key_from_two_people_makes_two_cases(cast: Cast) -> None:
    headers = key()
    before = listed(cast)

    mine = cast.resident.post("/api/v1/cases", json=REPORT, headers=headers)
    theirs = cast.neighbour.post("/api/v1/cases", json=REPORT, headers=headers)

    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.get_json()["id"] != theirs.get_json()["id"]
    assert listed(cast) - before == {mine.get_json()["id"], theirs.get_json()["id"]}


@pytest.mark.parametrize(
    ("caller_name", "command", "body"),
    [
        ("resident", "comment", {"text": "Masih rosak pagi ini."}),
        ("management", "acknowledge", {}),
        ("neighbour", "support", {}),
    ],
)
def test_a_repeated_command_with_the_same_key_records_one_event(
    cast: Cast, caller_name: str, command: str, body: dict[str, Any]
) -> None:
    case_id = cast.report()["id"]
    caller: Caller = getattr(cast, caller_name)
    headers = key()

    first = caller.post(f"/api/v1/cases/{case_id}/{command}", json=body, headers=headers)
    again = caller.post(f"/api/v1/cases/{case_id}/{command}", json=body, headers=headers)

    assert first.status_code == again.status_code == 200, again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert len(history(cast, case_id)) == 2
    assert cast.management.get(f"/api/v1/cases/{case_id}").headers["ETag"] == '"2"'


def test_the_same_key_with_a_different_request_is_refused(cast: Cast) -> None:
    headers = key()
    before = listed(cast)
    first = cast.resident.post("/api/v1/cases", json=REPORT, headers=headers)
    head = cast.log_head()

    changed = cast.resident.post(
        "/api/v1/cases", json={**REPORT, "title": "Lif Blok B rosak"}, headers=headers
    )
    elsewhere = cast.resident.post(
        f"/api/v1/cases/{first.get_json()['id']}/withdraw", json={}, headers=headers
    )

    for response in (changed, elsewhere):
        assert response.status_code == 422
        assert response.headers["Content-Type"] == PROBLEM_JSON
        assert list(response.get_json()["errors"]) == ["Idempotency-Key"]
    assert cast.log_head() == head
    assert listed(cast) - before == {first.get_json()["id"]}
    assert cast.resident.get(first.headers["Location"]).get_json()["status"] == "reported"


def test_a_refused_request_releases_its_key_so_a_corrected_retry_succeeds(cast: Cast) -> None:
    headers = key()
    before = listed(cast)

    refused = cast.resident.post(
        "/api/v1/cases", json={**REPORT, "category": "NOSUCH"}, headers=headers
    )
    corrected = cast.resident.post("/api/v1/cases", json=REPORT, headers=headers)
    repeated = cast.resident.post("/api/v1/cases", json=REPORT, headers=headers)

    assert refused.status_code == 422
    assert corrected.status_code == 201, corrected.get_json()
    assert "Idempotent-Replayed" not in corrected.headers
    assert repeated.headers["Idempotent-Replayed"] == "true"
    assert listed(cast) - before == {corrected.get_json()["id"]}


def test_a_command_refused_in_its_state_releases_its_key(cast: Cast) -> None:
    case_id = cast.report()["id"]
    headers = key()

    early = cast.management.post(
        f"/api/v1/cases/{case_id}/resolve", json={"note": "Siap."}, headers=headers
    )
    cast.management.post(f"/api/v1/cases/{case_id}/acknowledge")
    later = cast.management.post(
        f"/api/v1/cases/{case_id}/resolve", json={"note": "Siap."}, headers=headers
    )

    assert early.status_code == 409
    assert later.status_code == 200, later.get_json()
    assert "Idempotent-Replayed" not in later.headers
    assert later.get_json()["status"] == "resolved"


def test_idempotency_keys_are_forgotten_after_a_day(cast: Cast) -> None:
    headers = {"Idempotency-Key": "report-lift-forgotten"}
    first = cast.resident.post("/api/v1/cases", json=REPORT, headers=headers)

    def kept() -> bool:
        with cast.runtime.engine.connect() as conn:
            found = conn.execute(
                select(idempotency_keys.c.key).where(
                    idempotency_keys.c.key == headers["Idempotency-Key"]
                )
            ).first()
        return found is not None

    prune(cast.runtime.engine, now=datetime.now(tz=UTC) + timedelta(hours=23))
    kept_for_a_day = kept()
    prune(cast.runtime.engine, now=datetime.now(tz=UTC) + timedelta(hours=25))

    assert first.status_code == 201
    assert kept_for_a_day
    assert not kept()


def test_a_repeat_while_the_first_request_still_runs_gets_409(
    app: Flask, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    k2k = cast.runtime.app
    original = k2k.report_case
    entered, release = threading.Event(), threading.Event()

    def slow_report(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(timeout=10)
        return original(*args, **kwargs)

    monkeypatch.setattr(k2k, "report_case", slow_report)
    headers = {"Idempotency-Key": "slow-phone-1"}
    first: list[Any] = []
    resident = Caller(
        app.test_client(), cast.resident.token, cast.resident.principal_id, Role.RESIDENT
    )
    thread = threading.Thread(
        target=lambda: first.append(resident.post("/api/v1/cases", json=REPORT, headers=headers))
    )
    thread.start()
    assert entered.wait(timeout=10)

    meanwhile = cast.resident.post("/api/v1/cases", json=REPORT, headers=headers)
    release.set()
    thread.join(timeout=10)

    assert meanwhile.status_code == 409
    assert "still being processed" in meanwhile.get_json()["detail"]
    assert first[0].status_code == 201


def test_a_keyed_report_retried_after_a_crash_lands_on_the_same_case(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first attempt records the case, then dies before answering (the client sees a 500).
    original = case_routes._case_response
    calls: list[int] = []

    def crash_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("process killed after the event was recorded")
        return original(*args, **kwargs)

    monkeypatch.setattr(case_routes, "_case_response", crash_once)
    headers = {"Idempotency-Key": "flaky-network-7"}
    report = {**REPORT, "title": "Lif rosak: dilapor semula selepas gangguan"}

    crashed = cast.resident.post("/api/v1/cases", json=report, headers=headers)
    retried = cast.resident.post("/api/v1/cases", json=report, headers=headers)

    assert crashed.status_code == 500
    assert retried.status_code == 201
    cast.project()
    listed = cast.resident.get("/api/v1/cases?q=dilapor semula").get_json()["items"]
    assert [item["id"] for item in listed] == [retried.get_json()["id"]]


def test_the_same_json_in_another_key_order_is_the_same_keyed_request(cast: Cast) -> None:
    headers = {"Idempotency-Key": "reordered-1", "Content-Type": "application/json"}
    body = {**REPORT, "title": "Lif rosak: susunan berbeza"}
    first = cast.resident.client.post(
        "/api/v1/cases", data=json.dumps(body), headers=cast.resident.headers(headers)
    )
    again = cast.resident.client.post(
        "/api/v1/cases",
        data=json.dumps(dict(reversed(list(body.items()))), indent=2),
        headers=cast.resident.headers(headers),
    )

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
