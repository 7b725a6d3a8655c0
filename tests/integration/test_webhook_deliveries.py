"""Webhook deliveries end to end on real storage: a receiver on 127.0.0.1 verifies every one with
the ``standardwebhooks`` library, and retries, refusals and replays behave as the spec says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from domain.actors import Actor, Role
from domain.webhook import DisabledReason
from service.runtime import Runtime
from service.settings import Settings
from service.tokens.store import issue_token, revoke_token
from tests.fakes.webhook_receiver import Reply, WebhookReceiver, running_receiver
from tests.integration.webhook_world import Hooked, hooked, webhook_settings
from tests.unit.world import ADMIN, MANAGER, NEIGHBOUR, OTHER_PPR, PPR, REPORTER
from webhooks.deliveries import MAX_ATTEMPTS, RETRY_SCHEDULE
from webhooks.keys import SecretBox
from webhooks.publisher import WebhookPublisher
from webhooks.subscriptions import rotate_secret
from webhooks.tables import webhook_secrets
from workers.relay import Relay
from workers.tables import queued_jobs

#: Words of the scenario's residents and officers: none may reach an outside system.
PERSONAL = ("Lif blok A rosak", "tingkat 5", "A-05-12", "resident-1", "resident-2", "manager-1")


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with running_receiver() as server:
        yield server


@pytest.fixture
def hook_runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = Runtime.from_settings(webhook_settings(settings))
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture
def scenario(hook_runtime: Runtime) -> Iterator[Hooked]:
    with hooked(hook_runtime) as world:
        yield world


def a_case_life(scenario: Hooked) -> Any:
    """A case reported, supported, acknowledged, commented on (publicly and not) and resolved."""
    app = scenario.app
    case_id = scenario.world.report(REPORTER)
    app.support_case(NEIGHBOUR, case_id)
    app.acknowledge_case(MANAGER, case_id)
    app.comment_on_case(MANAGER, case_id, text="Nota dalaman: kontraktor lambat.", internal=True)
    app.comment_on_case(MANAGER, case_id, text="Juruteknik datang esok.")
    app.resolve_case(MANAGER, case_id, note="Motor lif diganti.")
    return case_id


def test_every_delivery_verifies_with_the_standardwebhooks_library(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    _, secret = scenario.subscribe(receiver.url, ["case.*"])
    case_id = a_case_life(scenario)
    scenario.drain()

    received = receiver.wait_for(5)
    payloads = receiver.verify_all(secret)
    assert [p["type"] for p in payloads] == [
        "case.reported",
        "case.supported",
        "case.acknowledged",
        "case.commented",  # the public comment only: internal notes are never published
        "case.resolved",
    ]
    # Receivers order one case's events by their sequence; each event has its own webhook-id.
    assert [p["data"]["sequence"] for p in payloads] == [1, 2, 3, 5, 6]
    assert {p["data"]["case_id"] for p in payloads} == {str(case_id)}
    assert len({r.headers["webhook-id"] for r in received}) == 5
    assert payloads[-1]["data"]["status"] == "resolved"
    assert payloads[-1]["data"]["previous_status"] == "acknowledged"
    assert payloads[1]["data"]["supports"] == 1
    assert payloads[0]["data"]["link"].endswith(f"/api/v1/cases/{case_id}")
    for request in received:
        assert not any(words in request.body.decode() for words in PERSONAL)


def test_a_tampered_body_an_old_timestamp_and_a_wrong_secret_are_rejected_by_the_receiver(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    _, secret = scenario.subscribe(receiver.url, ["case.reported"])
    scenario.world.report(REPORTER)
    scenario.drain()
    [request] = receiver.wait_for(1)
    verifier = Webhook(secret)
    assert verifier.verify(request.body, request.headers)["type"] == "case.reported"

    tampered = request.body.replace(b'"PPRSP"', b'"PPRLB"')
    with pytest.raises(WebhookVerificationError):
        verifier.verify(tampered, request.headers)
    old = {
        **request.headers,
        "webhook-timestamp": str(int(request.headers["webhook-timestamp"]) - 600),
    }
    with pytest.raises(WebhookVerificationError):
        verifier.verify(request.body, old)
    _, other_secret = scenario.subscribe(receiver.url_for("/other"), ["case.reported"])
    with pytest.raises(WebhookVerificationError):
        Webhook(other_secret).verify(request.body, request.headers)


def test_after_a_rotation_both_secrets_verify_for_a_day_then_only_the_new_one(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    subscription_id, old_secret = scenario.subscribe(receiver.url, ["case.reported"])
    new = rotate_secret(
        scenario.app, scenario.runtime.engine, ADMIN, subscription_id, box=scenario.box
    )
    scenario.world.report(REPORTER)
    scenario.drain()
    [during] = receiver.wait_for(1)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old_secret).verify(during.body, during.headers)
    Webhook(new.secret).verify(during.body, during.headers)

    scenario.clock.advance(hours=24, seconds=1)
    scenario.world.report(REPORTER)
    scenario.drain()
    after = receiver.wait_for(2)[1]
    Webhook(new.secret).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(after.body, after.headers)
    scenario.runtime.webhooks.requeue_due()  # the sweep forgets the expired secret
    with scenario.runtime.engine.connect() as conn:
        assert conn.execute(select(webhook_secrets.c.fingerprint)).scalars().all() == [
            new.fingerprint
        ]


def test_a_subscription_receives_only_the_types_and_pprs_it_names(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    resolved_only, _ = scenario.subscribe(receiver.url_for("/resolved"), ["case.resolved"])
    other_ppr, _ = scenario.subscribe(receiver.url_for("/other"), ["case.*"], pprs=[OTHER_PPR])
    everything, _ = scenario.subscribe(receiver.url_for("/all"), ["*"], pprs=[PPR])
    a_case_life(scenario)
    scenario.drain()

    assert scenario.types_delivered(resolved_only) == ["case.resolved"]
    assert scenario.types_delivered(other_ppr) == []
    assert scenario.types_delivered(everything) == [
        "case.reported",
        "case.supported",
        "case.acknowledged",
        "case.commented",
        "case.resolved",
    ]


def test_private_cases_are_never_published(scenario: Hooked, receiver: WebhookReceiver) -> None:
    subscription_id, _ = scenario.subscribe(receiver.url, ["*"])
    case_id = scenario.world.report(REPORTER, private=True)
    scenario.app.acknowledge_case(MANAGER, case_id)
    scenario.drain()
    assert scenario.deliveries(subscription_id) == []
    assert receiver.received == []


def test_a_subscription_made_after_an_event_or_disabled_during_it_does_not_receive_it(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    scenario.world.report(REPORTER)  # before any subscription
    subscription_id, _ = scenario.subscribe(receiver.url, ["case.reported"])
    scenario.app.disable_webhook_subscription(ADMIN, subscription_id)
    scenario.world.report(REPORTER)  # while it is switched off
    scenario.app.enable_webhook_subscription(ADMIN, subscription_id)
    third = scenario.world.report(REPORTER)
    scenario.drain()  # the relay runs only now, after all of it

    [delivery] = scenario.deliveries(subscription_id)
    assert json.loads(delivery.body)["data"]["case_id"] == str(third)


def test_retries_follow_the_standard_webhooks_schedule_with_jitter_then_give_up(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    receiver.default = Reply(500)
    subscription_id, _ = scenario.subscribe(receiver.url, ["case.reported"])
    scenario.world.report(REPORTER)
    scenario.drain()
    [delivery] = scenario.deliveries(subscription_id)

    waits = []
    for attempt in range(1, MAX_ATTEMPTS):
        [delivery] = scenario.deliveries(subscription_id)
        assert (delivery.status, delivery.attempts) == ("pending", attempt)
        waits.append((delivery.next_attempt_at - scenario.clock.current).total_seconds())
        scenario.clock.set(delivery.next_attempt_at)
        scenario.drain()
    [delivery] = scenario.deliveries(subscription_id)

    for wait, scheduled in zip(waits, RETRY_SCHEDULE[1:], strict=True):
        assert scheduled * 0.9 <= wait <= scheduled * 1.1
    assert waits != [float(s) for s in RETRY_SCHEDULE[1:]]  # jittered, not on the dot
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert len(receiver.received) == MAX_ATTEMPTS
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    attempts = scenario.attempts(delivery.delivery_id)
    assert [a.status_code for a in attempts] == [500] * MAX_ATTEMPTS
    assert all(a.latency_ms is not None and a.error for a in attempts)


def test_a_retry_waits_at_least_as_long_as_retry_after_says(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    receiver.reply_with(Reply(503, headers={"Retry-After": "900"}))
    subscription_id, _ = scenario.subscribe(receiver.url, ["case.reported"])
    scenario.world.report(REPORTER)
    scenario.drain()
    [delivery] = scenario.deliveries(subscription_id)
    assert delivery.status == "pending"
    assert delivery.next_attempt_at - scenario.clock.current >= timedelta(seconds=900)

    scenario.clock.advance(seconds=300)  # when the schedule alone would have retried
    scenario.drain()
    assert len(receiver.received) == 1
    scenario.clock.set(delivery.next_attempt_at)
    scenario.drain()
    [delivery] = scenario.deliveries(subscription_id)
    assert delivery.status == "succeeded"
    assert len(receiver.received) == 2


def test_a_redirect_is_not_followed(scenario: Hooked, receiver: WebhookReceiver) -> None:
    receiver.replies_for("/hook", Reply(302, headers={"Location": receiver.url_for("/moved")}))
    subscription_id, _ = scenario.subscribe(receiver.url, ["case.reported"])
    scenario.world.report(REPORTER)
    scenario.drain()

    assert [r.path for r in receiver.received] == ["/hook"]
    [delivery] = scenario.deliveries(subscription_id)
    assert delivery.status == "pending"  # a redirect is a failure, retried at the same URL
    [attempt] = scenario.attempts(delivery.delivery_id)
    assert attempt.status_code == 302
    assert "not followed" in attempt.error


def test_410_gone_switches_the_subscription_off_and_tells_its_owner(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    _, integration = issue_token(
        scenario.runtime.engine, scenario.app, role=Role.INTEGRATION, name="NGO", ppr_codes=[PPR]
    )
    owner = Actor(integration.principal_id, Role.INTEGRATION)
    receiver.default = Reply(410)
    subscription_id, _ = scenario.subscribe(receiver.url, ["case.*"], actor=owner)
    scenario.world.report(REPORTER)
    scenario.world.report(REPORTER)
    scenario.drain()

    subscription = scenario.app.get_webhook_subscription(subscription_id)
    assert subscription.disabled_reason == DisabledReason.GONE.value
    assert len(receiver.received) == 1  # the second delivery is cancelled, never sent
    assert sorted(row.status for row in scenario.deliveries(subscription_id)) == [
        "cancelled",
        "failed",
    ]
    [message] = scenario.scenario.outbox(integration.principal_id)
    assert message.kind == "webhook.disabled"
    assert "410" in message.body


def test_a_receiver_failing_without_a_break_for_five_days_is_switched_off(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    receiver.default = Reply(500)
    subscription_id, _ = scenario.subscribe(receiver.url, ["case.reported"])
    for day in range(5):
        scenario.world.report(REPORTER)
        scenario.drain()
        assert scenario.app.get_webhook_subscription(subscription_id).receives, day
        scenario.clock.advance(days=1)
    scenario.world.report(REPORTER)
    scenario.drain()  # its first attempt fails five days after the first failure

    subscription = scenario.app.get_webhook_subscription(subscription_id)
    assert subscription.disabled_reason == DisabledReason.FAILING.value
    assert "5 days" in (subscription.disabled_detail or "")
    assert [m.kind for m in scenario.scenario.outbox(ADMIN.principal_id)] == ["webhook.disabled"]


def test_one_success_resets_the_count_of_failing_days(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    receiver.default = Reply(500)
    subscription_id, _ = scenario.subscribe(receiver.url, ["case.reported"])
    for day in range(8):
        if day == 3:
            receiver.reply_with(Reply(200))
        scenario.world.report(REPORTER)
        scenario.drain()
        scenario.clock.advance(days=1)
    assert scenario.app.get_webhook_subscription(subscription_id).receives


def test_an_address_that_turned_private_is_refused_at_delivery(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    subscription_id, _ = scenario.subscribe("https://hooks.example.org/k2k", ["case.reported"])
    scenario.runtime.webhooks.resolver = lambda host, port: ["10.0.0.7"]  # DNS rebinding
    scenario.world.report(REPORTER)
    scenario.drain()

    [delivery] = scenario.deliveries(subscription_id)
    [attempt] = scenario.attempts(delivery.delivery_id)
    assert attempt.status_code is None
    assert "10.0.0.7" in attempt.error and "private" in attempt.error
    assert delivery.status == "pending"


def test_an_integration_whose_tokens_were_revoked_receives_nothing_more(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    _, principal = issue_token(
        scenario.runtime.engine, scenario.app, role=Role.INTEGRATION, name="NGO", ppr_codes=[PPR]
    )
    owner = Actor(principal.principal_id, Role.INTEGRATION)
    subscription_id, _ = scenario.subscribe(receiver.url, ["case.reported"], actor=owner)
    scenario.world.report(REPORTER)
    scenario.drain()
    revoke_token(scenario.runtime.engine, principal.token_id)
    scenario.world.report(REPORTER)
    scenario.drain()
    assert len(scenario.deliveries(subscription_id)) == 1


def test_a_replay_delivers_each_event_again_with_its_own_webhook_id(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    subscription_id, secret = scenario.subscribe(receiver.url, ["case.*"])
    start = scenario.world.recorded()
    a_case_life(scenario)
    scenario.drain()
    first = receiver.wait_for(5)

    subscription = scenario.app.get_webhook_subscription(subscription_id)
    replay = scenario.runtime.replays.request(subscription, "admin-1", since_position=start)
    scenario.drain()

    again = receiver.wait_for(10)[5:]
    receiver.verify_all(secret)
    assert [r.headers["webhook-id"] for r in again] == [r.headers["webhook-id"] for r in first]
    assert [r.body for r in again] == [r.body for r in first]
    done = scenario.runtime.replays.get(replay["replay_id"])
    assert done["finished_at"] is not None
    assert done["deliveries"] == 5
    assert sorted({row.origin for row in scenario.deliveries(subscription_id)}) == [
        "event",
        "replay",
    ]


def test_a_replay_from_a_time_starts_at_the_first_event_recorded_then(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    subscription_id, _ = scenario.subscribe(receiver.url, ["case.reported"])
    scenario.world.report(REPORTER)
    scenario.clock.advance(hours=1)
    moment = scenario.clock.current
    later = scenario.world.report(REPORTER)
    scenario.drain()
    assert len(receiver.wait_for(2)) == 2

    subscription = scenario.app.get_webhook_subscription(subscription_id)
    scenario.runtime.replays.request(subscription, "admin-1", since=moment)
    scenario.drain()
    replayed = [r for r in scenario.deliveries(subscription_id) if r.origin == "replay"]
    assert [json.loads(r.body)["data"]["case_id"] for r in replayed] == [str(later)]


def test_a_decision_is_published_with_its_cases_and_due_date(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    _, secret = scenario.subscribe(receiver.url, ["decision.*"])
    case_id = scenario.world.report(REPORTER)
    decision_id = scenario.scenario.governance.accepted(case_id)
    scenario.drain()
    made, answered = receiver.verify_all(secret)
    assert made["type"] == "decision.made"
    assert answered["type"] == "decision.answered"
    assert answered["data"]["answer"] == "accept"
    assert answered["data"]["sequence"] == 2
    assert made["data"]["decision_id"] == str(decision_id)
    assert made["data"]["case_ids"] == [str(case_id)]
    assert made["data"]["status"] == "made"


def test_a_relay_whose_subscriptions_are_stale_catches_up_with_another_relays_progress(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    runtime = scenario.runtime
    other = Relay(
        runtime.app,
        runtime.engine,
        runtime.notifier,
        runtime.queue,
        publisher=WebhookPublisher(runtime.app, runtime.engine, runtime.settings.public_url),
    )
    runtime.relay.catch_up()  # this relay's subscriptions stand at the head: none yet
    subscription_id, _ = scenario.subscribe(receiver.url, ["case.reported"])
    scenario.world.report(REPORTER)
    other.catch_up()  # the other relay takes the subscription and the first case
    scenario.world.report(REPORTER)
    runtime.relay.catch_up()  # this one must know of the subscription all the same
    assert len(scenario.deliveries(subscription_id)) == 2


def test_a_decision_names_no_private_case(scenario: Hooked, receiver: WebhookReceiver) -> None:
    _, secret = scenario.subscribe(receiver.url, ["decision.made"])
    public = scenario.world.report(REPORTER)
    private = scenario.world.report(NEIGHBOUR, private=True)
    scenario.scenario.governance.decided(public, private)
    scenario.drain()
    [made] = receiver.verify_all(secret)
    assert made["data"]["case_ids"] == [str(public)]


def test_a_replay_whose_job_was_lost_is_resumed_by_the_sweep_and_counts_each_delivery_once(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    subscription_id, _ = scenario.subscribe(receiver.url, ["case.reported"])
    start = scenario.world.recorded()
    scenario.world.report(REPORTER)
    scenario.world.report(REPORTER)
    scenario.drain()
    subscription = scenario.app.get_webhook_subscription(subscription_id)
    replay = scenario.runtime.replays.request(subscription, "admin-1", since_position=start)
    with scenario.runtime.engine.begin() as conn:  # Redis lost the replay's job
        conn.execute(delete(queued_jobs).where(queued_jobs.c.function == "webhooks.jobs.replay"))
    scenario.drain()
    assert scenario.runtime.replays.get(replay["replay_id"])["finished_at"] is None

    scenario.clock.advance(minutes=11)
    assert scenario.runtime.webhooks.requeue_due() == 1
    scenario.drain()
    assert scenario.runtime.replays.run(replay["replay_id"]) == "finished"  # run once more
    done = scenario.runtime.replays.get(replay["replay_id"])
    assert done["finished_at"] is not None
    assert done["deliveries"] == 2
    assert len([r for r in scenario.deliveries(subscription_id) if r.origin == "replay"]) == 2


def test_secrets_are_sealed_at_rest_and_a_wrong_key_is_named_in_the_delivery_log(
    scenario: Hooked, receiver: WebhookReceiver
) -> None:
    subscription_id, secret = scenario.subscribe(receiver.url, ["case.reported"])
    with scenario.runtime.engine.connect() as conn:
        [stored] = conn.execute(select(webhook_secrets.c.secret)).scalars()
    assert secret not in stored
    assert secret[len("whsec_") :] not in stored

    scenario.runtime.webhooks.box = SecretBox("a key that did not seal it")
    scenario.world.report(REPORTER)
    scenario.drain()
    [delivery] = scenario.deliveries(subscription_id)
    [attempt] = scenario.attempts(delivery.delivery_id)
    assert "K2K_SECRETS_KEY" in attempt.error
    assert receiver.received == []
