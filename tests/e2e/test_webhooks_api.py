"""The webhooks API as an integrator and an admin use it: subscribe, watch deliveries, replay."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from standardwebhooks.webhooks import Webhook

from domain.actors import Role
from service.cli import main
from service.settings import Settings
from tests.e2e.conftest import Cast
from tests.fakes.webhook_receiver import WebhookReceiver, running_receiver

SUBSCRIPTIONS = "/api/v1/webhooks/subscriptions"
#: A public address written as an IP, so that no DNS is needed to accept it.
PUBLIC_URL = "https://198.41.0.4/k2k-hook"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with running_receiver() as server:
        yield server


def subscribe(cast: Cast, url: str, **fields: Any) -> dict[str, Any]:
    body = {"url": url, "event_types": ["case.*"], "description": "City 311 aggregator", **fields}
    response = cast.admin.post(SUBSCRIPTIONS, json=body)
    assert response.status_code == 201, response.json
    return dict(response.json)


def run_everything(cast: Cast) -> None:
    """What the background threads do when serving: project, relay, run due jobs."""
    runtime = cast.runtime
    while True:
        runtime.runner.catch_up()
        relayed = runtime.relay.catch_up()
        ran = runtime.run_embedded_jobs()
        if not relayed and not ran:
            return


def test_an_admin_subscribes_and_is_shown_the_secret_only_once(
    cast: Cast, receiver: WebhookReceiver
) -> None:
    created = subscribe(cast, receiver.url, pprs=["srp"])
    assert created["secret"].startswith("whsec_")
    assert created["pprs"] == ["SRP"]
    assert created["owner"] == {"id": cast.admin.principal_id, "role": "admin"}
    [secret] = created["secrets"]
    assert secret["fingerprint"].startswith("sha256:")
    assert created["secret"] not in secret["fingerprint"]

    shown = cast.admin.get(f"{SUBSCRIPTIONS}/{created['id']}")
    assert shown.status_code == 200
    assert "secret" not in shown.json
    assert shown.headers["ETag"] == '"1"'
    cast.project()
    listed = cast.admin.get(SUBSCRIPTIONS).json["items"]
    assert [item["id"] for item in listed] == [created["id"]]
    assert "secret" not in listed[0]


def test_a_repeated_request_never_shows_a_secret_again(
    cast: Cast, receiver: WebhookReceiver
) -> None:
    key = {"Idempotency-Key": "subscribe-311-once"}
    body = {"url": receiver.url, "event_types": ["case.*"]}
    first = cast.admin.post(SUBSCRIPTIONS, json=body, headers=key)
    assert first.status_code == 201
    assert first.headers["Cache-Control"] == "no-store"
    head = cast.log_head()
    again = cast.admin.post(SUBSCRIPTIONS, json=body, headers=key)
    assert again.status_code == 409  # done already; its secret was shown once and not kept
    assert first.json["secret"] not in again.get_data(as_text=True)
    assert cast.log_head() == head
    rotate = f"{SUBSCRIPTIONS}/{first.json['id']}/rotate-secret"
    rotated = cast.admin.post(rotate, headers={"Idempotency-Key": "rotate-once"})
    assert rotated.headers["Cache-Control"] == "no-store"
    repeated = cast.admin.post(rotate, headers={"Idempotency-Key": "rotate-once"})
    assert repeated.status_code == 409
    assert rotated.json["secret"] not in repeated.get_data(as_text=True)


@pytest.mark.parametrize("role", ["resident", "committee", "management", "auditor"])
def test_only_admins_and_integrations_manage_webhooks(cast: Cast, role: str) -> None:
    caller = getattr(cast, role)
    response = caller.post(SUBSCRIPTIONS, json={"url": PUBLIC_URL, "event_types": ["*"]})
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert caller.get(SUBSCRIPTIONS).status_code == 403


def test_an_integration_sees_and_changes_only_its_own_subscriptions(
    cast: Cast, receiver: WebhookReceiver
) -> None:
    mine = cast.integration.post(
        SUBSCRIPTIONS, json={"url": receiver.url, "event_types": ["case.resolved"]}
    )
    assert mine.status_code == 201
    other = cast.caller(Role.INTEGRATION, ["SRP"], "NGO case tool")
    path = f"{SUBSCRIPTIONS}/{mine.json['id']}"
    assert other.get(path).status_code == 404
    assert other.call("PATCH", path, json={"enabled": False}).status_code == 404
    assert other.call("DELETE", path).status_code == 404
    for action in ("rotate-secret", "test", "replays"):
        assert other.post(f"{path}/{action}", json={"since_position": 0}).status_code == 404
    assert other.get(f"{path}/deliveries").status_code == 404
    cast.project()
    assert other.get(SUBSCRIPTIONS).json["items"] == []
    assert [item["id"] for item in cast.admin.get(SUBSCRIPTIONS).json["items"]] == [mine.json["id"]]


def test_an_integration_may_not_subscribe_to_a_ppr_its_token_does_not_cover(cast: Cast) -> None:
    head = cast.log_head()
    response = cast.integration.post(
        SUBSCRIPTIONS, json={"url": PUBLIC_URL, "event_types": ["*"], "pprs": ["LSB"]}
    )
    assert response.status_code == 422
    assert "LSB" in response.json["errors"]["pprs"][0]
    assert cast.log_head() == head


@pytest.mark.parametrize(
    ("event_types", "says"),
    [
        (["case.resovled"], "names no published event type"),
        (["Case.Resolved"], "is not an event type"),
        (["case.*.x"], "is not an event type"),
        ([], "between 1 and"),
    ],
)
def test_unknown_or_malformed_event_types_are_refused(
    cast: Cast, event_types: list[str], says: str
) -> None:
    head = cast.log_head()
    response = cast.admin.post(SUBSCRIPTIONS, json={"url": PUBLIC_URL, "event_types": event_types})
    assert response.status_code == 422
    assert says in response.json["errors"]["event_types"][0]
    assert cast.log_head() == head


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:9000/hook", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://10.1.2.3/hook", "private"),
        ("http://192.168.0.10/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://100.64.0.1/hook", "100.64.0.1"),
        ("http://[::1]/hook", "loopback"),
        ("http://[fd12:3456::1]/hook", "unique-local"),
        ("http://[::ffff:10.0.0.1]/hook", "10.0.0.1"),
        ("http://[64:ff9b::a00:1]/hook", "10.0.0.1"),
        ("http://[2002:a00:1::1]/hook", "10.0.0.1"),
        ("http://0x7f000001/hook", "0x7f000001"),
        ("http://224.0.0.1/hook", "multicast"),
        ("ftp://files.example.org/hook", "http"),
        ("http://user:secret@hooks.example.org/hook", "password"),
    ],
)
def test_a_target_on_a_private_or_special_address_is_refused_at_registration(
    cast: Cast, url: str, says: str
) -> None:
    cast.runtime.settings = replace(cast.runtime.settings, webhook_allow_loopback=False)
    head = cast.log_head()
    response = cast.admin.post(SUBSCRIPTIONS, json={"url": url, "event_types": ["*"]})
    assert response.status_code == 422, response.json
    assert says.lower() in response.json["errors"]["url"][0].lower()
    assert cast.log_head() == head


def test_every_change_to_a_subscription_is_an_event_naming_who_made_it(
    cast: Cast, receiver: WebhookReceiver
) -> None:
    created = subscribe(cast, receiver.url)
    path = f"{SUBSCRIPTIONS}/{created['id']}"
    changed = cast.admin.call("PATCH", path, json={"event_types": ["case.resolved"]})
    assert changed.status_code == 200
    assert changed.json["event_types"] == ["case.resolved"]
    assert cast.admin.call("PATCH", path, json={"enabled": False}).json["enabled"] is False
    enabled = cast.admin.call("PATCH", path, json={"enabled": True})
    assert enabled.json["enabled"] is True
    rotated = cast.admin.post(f"{path}/rotate-secret")
    assert rotated.status_code == 200
    assert rotated.json["secret"].startswith("whsec_")
    assert len(rotated.json["subscription"]["secrets"]) == 2
    assert cast.admin.call("DELETE", path).status_code == 204
    assert cast.admin.get(path).status_code == 404

    from uuid import UUID

    events = list(cast.runtime.app.events.get(UUID(created["id"])))
    assert [type(e).__name__ for e in events] == [
        "Created",
        "Changed",
        "Disabled",
        "Enabled",
        "SecretRotated",
        "Deleted",
    ]
    assert {vars(e)["actor_id"] for e in events} == {cast.admin.principal_id}
    # The log names the secrets by fingerprint; the secrets themselves never enter it.
    stored = repr([vars(e) for e in events])
    assert created["secret"] not in stored and rotated.json["secret"] not in stored


def test_a_stale_if_match_is_refused_and_changes_nothing(
    cast: Cast, receiver: WebhookReceiver
) -> None:
    created = subscribe(cast, receiver.url)
    path = f"{SUBSCRIPTIONS}/{created['id']}"
    assert cast.admin.call("PATCH", path, json={"description": "v2"}).status_code == 200
    stale = cast.admin.call("PATCH", path, json={"description": "v3"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert cast.admin.get(path).json["description"] == "v2"


def test_the_delivery_log_shows_each_attempt_and_a_delivery_can_be_sent_again(
    cast: Cast, receiver: WebhookReceiver
) -> None:
    created = subscribe(cast, receiver.url, event_types=["case.reported"])
    cast.report()
    run_everything(cast)
    path = f"{SUBSCRIPTIONS}/{created['id']}/deliveries"
    [delivery] = cast.admin.get(path).json["items"]
    assert delivery["status"] == "succeeded"
    assert delivery["event_type"] == "case.reported"
    assert delivery["payload"]["type"] == "case.reported"
    [attempt] = delivery["attempt_log"]
    assert attempt["status_code"] == 204
    assert attempt["latency_ms"] >= 0
    assert attempt["address"] == "127.0.0.1"

    again = cast.admin.post(f"{path}/{delivery['id']}/redeliver")
    assert again.status_code == 202
    assert again.json["id"] != delivery["id"]
    assert again.json["webhook_id"] == delivery["webhook_id"]
    assert again.json["origin"] == "redelivery"
    run_everything(cast)
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    receiver.verify_all(created["secret"])
    succeeded = cast.admin.get(path, query_string={"status": "succeeded"}).json["items"]
    assert len(succeeded) == 2


def test_a_replay_runs_in_the_background_and_reports_how_far_it_got(
    cast: Cast, receiver: WebhookReceiver
) -> None:
    created = subscribe(cast, receiver.url, event_types=["case.reported"])
    start = cast.log_head()
    cast.report()
    cast.report()
    run_everything(cast)
    assert len(receiver.wait_for(2)) == 2

    path = f"{SUBSCRIPTIONS}/{created['id']}/replays"
    assert cast.admin.post(path, json={}).status_code == 422  # neither a position nor a time
    both = cast.admin.post(path, json={"since_position": 0, "since": "2026-01-01T00:00:00Z"})
    assert both.status_code == 422
    replay = cast.admin.post(path, json={"since_position": start})
    assert replay.status_code == 202
    run_everything(cast)
    progress = cast.admin.get(f"{path}/{replay.json['id']}").json
    assert progress["finished_at"] is not None
    assert progress["deliveries"] == 2
    requests = receiver.wait_for(4)
    assert [r.headers["webhook-id"] for r in requests[2:]] == [
        r.headers["webhook-id"] for r in requests[:2]
    ]


def test_event_types_are_public_and_their_payloads_are_in_the_openapi_document(
    cast: Cast,
) -> None:
    response = cast.without_token().get("/api/v1/webhooks/event-types")
    assert response.status_code == 200
    types = {item["type"]: item for item in response.json["items"]}
    assert {"case.reported", "case.resolved", "decision.made", "webhook.test"} <= set(types)
    schema = types["case.resolved"]["schema"]
    assert schema["properties"]["type"]["enum"] == ["case.resolved"]
    assert {"case_id", "sequence", "status", "ppr"} <= set(
        schema["properties"]["data"]["properties"]
    )
    assert response.json["retry_schedule_seconds"][:3] == [0, 5, 300]
    document = cast.without_token().get("/api/v1/openapi.json").json
    assert {"CaseWebhook", "DecisionWebhook", "TestWebhook"} <= set(
        document["components"]["schemas"]
    )
    assert "/api/v1/webhooks/subscriptions/{subscription_id}/replays" in document["paths"]


def test_a_test_delivery_reaches_the_receiver_signed(cast: Cast, receiver: WebhookReceiver) -> None:
    created = subscribe(cast, receiver.url)
    response = cast.admin.post(f"{SUBSCRIPTIONS}/{created['id']}/test")
    assert response.status_code == 202
    assert response.json["event_type"] == "webhook.test"
    run_everything(cast)
    [payload] = receiver.verify_all(created["secret"])
    assert payload["type"] == "webhook.test"
    assert payload["data"]["subscription_id"] == created["id"]


def test_k2k_webhooks_send_test_prints_what_the_receiver_answered(
    cast: Cast,
    receiver: WebhookReceiver,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    created = subscribe(cast, receiver.url)
    monkeypatch.setenv("K2K_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("K2K_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(main, ["webhooks", "send-test", created["id"]])
    assert result.exit_code == 0, result.output
    assert "HTTP 204" in result.output
    [request] = receiver.received
    assert Webhook(created["secret"]).verify(request.body, request.headers)["type"] == (
        "webhook.test"
    )


def test_a_deleted_subscriptions_delivery_log_stays_readable(
    cast: Cast, receiver: WebhookReceiver
) -> None:
    created = subscribe(cast, receiver.url, event_types=["case.reported"])
    cast.report()
    run_everything(cast)
    assert cast.admin.call("DELETE", f"{SUBSCRIPTIONS}/{created['id']}").status_code == 204
    log = cast.admin.get(f"{SUBSCRIPTIONS}/{created['id']}/deliveries")
    assert log.status_code == 200
    assert [item["status"] for item in log.json["items"]] == ["succeeded"]


def test_nothing_is_sent_again_to_an_integration_whose_tokens_were_revoked(
    cast: Cast, receiver: WebhookReceiver
) -> None:
    created = cast.integration.post(
        SUBSCRIPTIONS, json={"url": receiver.url, "event_types": ["case.reported"]}
    ).json
    cast.report()
    run_everything(cast)
    path = f"{SUBSCRIPTIONS}/{created['id']}"
    [delivery] = cast.admin.get(f"{path}/deliveries").json["items"]
    assert cast.admin.call("DELETE", f"/api/v1/tokens/{cast.integration.token_id}").status_code in (
        200,
        204,
    )
    assert cast.admin.post(f"{path}/deliveries/{delivery['id']}/redeliver").status_code == 409
    assert cast.admin.post(f"{path}/replays", json={"since_position": 0}).status_code == 409
