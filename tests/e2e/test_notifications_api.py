"""The notifications API: each person reads their own outbox; admins read the delivery log."""

from __future__ import annotations

from pathlib import Path

from service.settings import Settings
from tests.e2e.conftest import Cast


def relay(cast: Cast) -> None:
    """What the background threads do when serving: project, relay, run the jobs."""
    cast.project()
    cast.runtime.relay.catch_up()
    cast.runtime.run_embedded_jobs()


def test_management_reads_a_new_case_in_their_outbox_in_bahasa_malaysia(cast: Cast) -> None:
    case = cast.report(title="Lif Blok A rosak")
    relay(cast)

    page = cast.management.get("/api/v1/notifications").json

    assert page["unread"] == 1
    [message] = page["items"]
    assert message["kind"] == "case.reported"
    assert message["language"] == "ms"
    assert message["case_id"] == case["id"]
    assert "Lif Blok A rosak" in message["subject"]
    assert message["link"].endswith(f"/api/v1/cases/{case['id']}")
    assert message["read_at"] is None


def test_a_resident_who_chose_english_hears_of_the_acknowledgement_in_english(cast: Cast) -> None:
    assert (
        cast.resident.call("PATCH", "/api/v1/people/me", json={"language": "en"}).status_code == 200
    )
    case = cast.report()
    assert cast.management.post(f"/api/v1/cases/{case['id']}/acknowledge").status_code == 200
    relay(cast)

    [message] = cast.resident.get("/api/v1/notifications").json["items"]

    assert message["kind"] == "case.status_changed"
    assert message["language"] == "en"
    assert message["subject"].endswith("Acknowledged")
    # The other PPR's people hear nothing; the neighbour has no part in this case.
    assert cast.other_ppr_management.get("/api/v1/notifications").json["items"] == []
    assert cast.neighbour.get("/api/v1/notifications").json["items"] == []


def test_marking_a_message_read_changes_the_unread_count_and_only_the_owner_may(
    cast: Cast,
) -> None:
    cast.report()
    relay(cast)
    [message] = cast.management.get("/api/v1/notifications").json["items"]

    assert cast.committee.post(f"/api/v1/notifications/{message['id']}/read").status_code == 404
    answer = cast.management.post(f"/api/v1/notifications/{message['id']}/read")

    assert answer.status_code == 200
    assert answer.json["read_at"] is not None
    page = cast.management.get("/api/v1/notifications?unread=true").json
    assert (page["unread"], page["items"]) == (0, [])


def test_the_outbox_pages_with_a_cursor_and_refuses_a_forged_one(cast: Cast) -> None:
    for number in range(3):
        cast.report(title=f"Kes nombor {number}")
    relay(cast)

    first = cast.management.get("/api/v1/notifications?limit=2").json
    second = cast.management.get(f"/api/v1/notifications?limit=2&cursor={first['next_cursor']}")
    forged = cast.management.get("/api/v1/notifications?cursor=bm90LWEtY3Vyc29y")

    ids = [item["id"] for item in first["items"] + second.json["items"]]
    assert len(ids) == len(set(ids)) == 3
    assert second.json["next_cursor"] is None
    assert forged.status_code == 400
    assert forged.content_type == "application/problem+json"
    assert "cursor" in forged.json["errors"]


def test_admins_see_every_delivery_with_its_status_and_others_may_not(cast: Cast) -> None:
    cast.report()
    relay(cast)

    log = cast.admin.get("/api/v1/notifications/deliveries")
    refused = cast.management.get("/api/v1/notifications/deliveries")

    assert log.status_code == 200
    assert {item["channel"] for item in log.json["items"]} == {"outbox"}
    assert {item["kind"] for item in log.json["items"]} == {"case.reported"}
    assert log.json["counts"] == {"sent": 2}  # the committee and management of SRP
    assert refused.status_code == 403
    failed = cast.admin.get("/api/v1/notifications/deliveries?status=failed").json
    assert failed["items"] == []
    bad = cast.admin.get("/api/v1/notifications/deliveries?status=lost")
    assert bad.status_code == 422
    assert "status" in bad.json["errors"]


def test_the_kinds_of_notification_are_listed_for_anyone_with_a_token(cast: Cast) -> None:
    kinds = cast.resident.get("/api/v1/notifications/kinds").json

    assert {"case.status_changed", "sla.breached", "decision.made"} <= {k["kind"] for k in kinds}
    assert cast.without_token().get("/api/v1/notifications/kinds").status_code == 401


def test_admins_see_where_the_relay_stands(cast: Cast) -> None:
    cast.report()
    before = cast.admin.get("/api/v1/notifications/relay").json
    relay(cast)
    after = cast.admin.get("/api/v1/notifications/relay").json

    assert before["lag"] > 0
    assert (after["lag"], after["queue"], after["skipped"]) == (0, "embedded", [])
    assert cast.committee.get("/api/v1/notifications/relay").status_code == 403


def test_when_serving_the_background_threads_deliver_without_anyone_driving_them(
    settings: Settings, tmp_path: Path
) -> None:
    import time

    from service import create_app
    from tests.e2e.conftest import build_cast

    served = create_app(
        {
            "K2K_DATABASE_URL": settings.database_url,
            "K2K_BACKGROUND": "1",
            "K2K_PROJECTION_INTERVAL": "0.05",
            "K2K_RELAY_INTERVAL": "0.05",
            "K2K_OUTBOX_DIR": str(tmp_path / "outbox"),
            "TESTING": True,
        }
    )
    try:
        cast = build_cast(served, served.test_client())
        cast.report(title="Lif Blok B rosak")
        deadline = time.monotonic() + 20
        items: list[dict[str, object]] = []
        while not items and time.monotonic() < deadline:
            time.sleep(0.1)
            items = cast.management.get("/api/v1/notifications").json["items"]
        files: list[Path] = []
        while len(files) < 2 and time.monotonic() < deadline:  # the jobs write one at a time
            time.sleep(0.1)
            files = list((tmp_path / "outbox").rglob("*.eml"))
    finally:
        served.extensions["k2k"].close()

    assert [item["kind"] for item in items] == ["case.reported"]
    assert len(files) == 2  # the committee's and management's copies


def test_a_backfilled_old_case_records_its_breaches_without_alerting_anyone(cast: Cast) -> None:
    from datetime import UTC, datetime, timedelta

    reported = (datetime.now(tz=UTC) - timedelta(days=10)).isoformat()
    case = cast.report(cast.committee, occurred_at=reported)
    relay(cast)
    relay(cast)

    history = cast.management.get(f"/api/v1/cases/{case['id']}/history").json["items"]
    breaches = [item for item in history if item["type"] == "sla_breached"]
    sla = cast.management.get(f"/api/v1/cases/{case['id']}/sla").json["targets"]
    kinds = [item["kind"] for item in cast.management.get("/api/v1/notifications").json["items"]]

    assert [item["actor"]["role"] for item in breaches] == ["system"] * 3
    assert all(clock["breach_recorded_at"] for clock in sla)
    assert kinds == ["case.reported"]  # ten-day-old breaches are history, not alerts


def test_a_breach_as_it_happens_alerts_management_and_shows_on_the_sla(cast: Cast) -> None:
    from datetime import UTC, datetime, timedelta

    # Reported 25 hours ago on paper: the 24 h to acknowledge ran out an hour ago.
    reported = (datetime.now(tz=UTC) - timedelta(hours=25)).isoformat()
    case = cast.report(cast.committee, occurred_at=reported)
    relay(cast)
    relay(cast)

    sla = {
        c["target"]: c
        for c in cast.management.get(f"/api/v1/cases/{case['id']}/sla").json["targets"]
    }
    kinds = [item["kind"] for item in cast.management.get("/api/v1/notifications").json["items"]]

    assert sla["acknowledge"]["breach_recorded_at"] is not None
    assert sla["first_response"]["breach_recorded_at"] is None
    assert sorted(kinds) == ["case.reported", "sla.breached"]  # first response is not yet 80 % used


def test_replaying_an_event_that_was_not_set_aside_is_a_404_and_only_for_admins(
    cast: Cast,
) -> None:
    missing = cast.admin.post("/api/v1/notifications/relay/skipped/999/replay")
    refused = cast.management.post("/api/v1/notifications/relay/skipped/999/replay")

    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"
    assert refused.status_code == 403
