"""The whole case lifecycle through the HTTP API, as residents, committee and management live it."""

from __future__ import annotations

from tests.e2e.conftest import Cast


def test_a_reported_lift_is_fixed_and_the_resident_confirms_it(cast: Cast) -> None:
    # A resident reports a broken lift.
    case = cast.report()
    case_id = case["id"]
    assert case["status"] == "reported"
    assert case["whose_move"] == "management"

    # Management acknowledges, assigns a contractor and commits to a date.
    steps = [
        (cast.management, "acknowledge", {}, "acknowledged", "management"),
        (
            cast.management,
            "assign",
            {"to": "contractor", "assignee": "Syarikat Lif Jaya"},
            "in_progress",
            "contractor",
        ),
        (
            cast.management,
            "respond",
            {"message": "Kontraktor akan datang Isnin.", "commitment_date": "2099-01-05"},
            "in_progress",
            "contractor",
        ),
        (cast.management, "resolve", {"note": "Motor lif diganti."}, "resolved", "resident"),
        (cast.resident, "confirm", {"rating": 4, "comment": "Terima kasih"}, "closed", None),
    ]
    for caller, command, body, status, whose_move in steps:
        response = caller.post(f"/api/v1/cases/{case_id}/{command}", json=body)
        assert response.status_code == 200, (command, response.json)
        assert response.json["status"] == status
        assert response.json["whose_move"] == whose_move

    final = cast.resident.get(f"/api/v1/cases/{case_id}")
    assert final.json["rating"] == 4
    assert final.json["closed_at"] == final.json["updated_at"]
    assert final.json["commitment_date"] == "2099-01-05"
    assert final.headers["ETag"] == '"6"'

    # The history tells the whole story, in order, with who did what.
    cast.project()
    history = cast.resident.get(f"/api/v1/cases/{case_id}/history").json
    assert history["complete"] is True
    assert [item["type"] for item in history["items"]] == [
        "reported",
        "acknowledged",
        "assigned",
        "management_responded",
        "resolved",
        "resolution_confirmed",
    ]
    assert history["items"][1]["changes"] == {"status": ["reported", "acknowledged"]}
    assert history["items"][1]["actor"] == {
        "id": cast.management.principal_id,
        "role": "management",
    }
    assert all(item["occurred_at"] and item["recorded_at"] for item in history["items"])


def test_a_disputed_fix_reopens_the_case_for_management(cast: Cast) -> None:
    case_id = cast.report()["id"]
    for command, body in (("acknowledge", {}), ("resolve", {"note": "Dah baiki"})):
        assert (
            cast.management.post(f"/api/v1/cases/{case_id}/{command}", json=body).status_code == 200
        )

    disputed = cast.resident.post(
        f"/api/v1/cases/{case_id}/dispute", json={"reason": "Masih rosak"}
    )

    assert disputed.status_code == 200
    assert disputed.json["status"] == "reopened"
    assert disputed.json["whose_move"] == "management"
    assert disputed.json["reopen_count"] == 1
    # Management can work it again.
    again = cast.management.post(f"/api/v1/cases/{case_id}/resolve", json={"note": "Ganti kabel"})
    assert again.json["status"] == "resolved"


def test_other_outcomes_end_the_case_honestly(cast: Cast) -> None:
    original = cast.report()["id"]
    duplicate = cast.report(cast.neighbour)["id"]
    not_ours = cast.report(title="Jalan berlubang di luar PPR")["id"]
    mistaken = cast.report(title="Salah lapor")["id"]

    merged = cast.committee.post(
        f"/api/v1/cases/{duplicate}/mark-duplicate", json={"duplicate_of": original}
    )
    ended = cast.management.post(
        f"/api/v1/cases/{not_ours}/no-further-action",
        json={"reason": "Jalan di bawah JKR, bukan PPR"},
    )
    withdrawn = cast.resident.post(f"/api/v1/cases/{mistaken}/withdraw", json={})

    assert (merged.json["status"], merged.json["duplicate_of"]) == ("duplicate", original)
    assert ended.json["status"] == "no_further_action"
    assert withdrawn.json["status"] == "withdrawn"
    # A comment after the outcome is conversation: it does not move the time of the outcome.
    closed_at = ended.json["closed_at"]
    later = cast.committee.post(
        f"/api/v1/cases/{not_ours}/comment", json={"text": "Sudah maklum JKR."}
    )
    assert (later.json["closed_at"], later.json["comment_count"]) == (closed_at, 1)
    # Nothing more happens to them but conversation.
    refused = cast.management.post(f"/api/v1/cases/{not_ours}/acknowledge", json={})
    assert refused.status_code == 409
    assert refused.headers["Content-Type"] == "application/problem+json"


def test_the_case_list_filters_searches_sorts_and_pages(cast: Cast) -> None:
    lift = cast.report(title="Lif Blok A rosak lagi")["id"]
    water = cast.report(category="WATER", block="B", unit="B-03-01", title="Tiada air sejak pagi")[
        "id"
    ]
    for _ in range(3):
        cast.report(common_area="lobi", unit=None, title="Lampu lobi padam")
    cast.neighbour.post(f"/api/v1/cases/{water}/support")
    cast.management.post(f"/api/v1/cases/{lift}/acknowledge")
    cast.project()

    def ids(query: str) -> list[str]:
        response = cast.committee.get(f"/api/v1/cases?{query}")
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    assert ids("category=WATER") == [water]
    assert ids("block=B") == [water]
    assert ids("status=acknowledged") == [lift]
    assert len(ids("status=reported&status=acknowledged")) == 5
    assert ids("q=TIADA AIR") == [water]
    assert ids("sort=support&limit=1") == [water]
    assert len(ids("whose_move=management")) == 5

    # Pages of two walk the whole list once, newest first.
    seen: list[str] = []
    cursor = ""
    while True:
        page = cast.committee.get(f"/api/v1/cases?limit=2{cursor}").json
        seen += [item["id"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert len(seen) == len(set(seen)) == 5
    assert seen[-2:] == [water, lift]


def test_a_resident_sees_their_own_cases_with_mine(cast: Cast) -> None:
    mine = cast.report()["id"]
    cast.report(cast.neighbour)
    cast.project()

    response = cast.resident.get("/api/v1/cases?mine=true")

    assert [item["id"] for item in response.json["items"]] == [mine]
    assert response.json["items"][0]["is_mine"] is True


def test_backfilled_events_keep_both_times_in_the_history(cast: Cast) -> None:
    # The committee enters a paper report from last month.
    case = cast.report(cast.committee, channel="paper", occurred_at="2026-10-01T09:00:00+08:00")
    cast.project()

    entry = cast.committee.get(f"/api/v1/cases/{case['id']}/history").json["items"][0]

    assert entry["occurred_at"] == "2026-10-01T01:00:00+00:00"
    assert entry["recorded_at"] > entry["occurred_at"]
    assert case["channel"] == "paper"


def test_health_and_readiness_report_projection_lag(cast: Cast) -> None:
    cast.report()

    before = cast.admin.get("/readyz").json
    cast.project()
    after = cast.admin.get("/readyz").json

    assert cast.admin.get("/healthz").status_code == 200
    assert before["checks"]["projections"]["case_list"]["lag"] > 0
    assert after["checks"]["projections"]["case_list"]["lag"] == 0
    assert after["status"] == "ready"
