"""Our Standard Webhooks signatures, checked with the receivers' own library, and the fake
receiver the delivery tests POST to.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.fakes.webhook_receiver import Reply, running_receiver
from webhooks.signing import (
    delivery_headers,
    generate_secret,
    new_message_id,
    secret_fingerprint,
    secret_key,
    sign,
    signature_header,
)

BODY = b'{"type":"case.opened","timestamp":"2026-01-05T08:00:00Z","data":{"case_id":"c-1"}}'
MSG_ID = new_message_id("event-1")


def now() -> int:
    return int(time.time())


def signed(
    secrets: list[str], *, msg_id: str = MSG_ID, timestamp: int | None = None
) -> dict[str, str]:
    return delivery_headers(secrets, msg_id, now() if timestamp is None else timestamp, BODY)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


# Signing, as a receiver verifies it.


def test_a_signed_body_verifies_and_gives_the_payload() -> None:
    secret = generate_secret()
    assert Webhook(secret).verify(BODY, signed([secret])) == json.loads(BODY)


def test_the_delivery_headers_are_the_standard_ones() -> None:
    secret = generate_secret()
    headers = delivery_headers([secret], MSG_ID, 1_700_000_000, BODY)
    assert headers == {
        "webhook-id": MSG_ID,
        "webhook-timestamp": "1700000000",
        "webhook-signature": sign(secret, MSG_ID, 1_700_000_000, BODY),
        "content-type": "application/json",
    }


def test_a_body_with_one_byte_changed_is_rejected() -> None:
    secret = generate_secret()
    tampered = BODY.replace(b"c-1", b"c-2")
    assert len(tampered) == len(BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, signed([secret]))


def test_a_changed_webhook_id_is_rejected() -> None:
    secret = generate_secret()
    headers = signed([secret]) | {"webhook-id": new_message_id("event-2")}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, headers)


def test_a_signature_six_minutes_old_is_rejected() -> None:
    secret = generate_secret()
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, signed([secret], timestamp=now() - 360))


def test_a_wrong_secret_is_rejected() -> None:
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(BODY, signed([generate_secret()]))


def test_during_a_rotation_receivers_with_the_old_or_the_new_secret_both_verify() -> None:
    new, old = generate_secret(), generate_secret()
    headers = signed([new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(BODY, headers) == json.loads(BODY)
    assert Webhook(new).verify(BODY, headers) == json.loads(BODY)


def test_the_signatures_follow_the_order_of_the_secrets() -> None:
    new, old = generate_secret(), generate_secret()
    header = signature_header([new, old], MSG_ID, 1_700_000_000, BODY)
    assert header.split(" ") == [
        sign(new, MSG_ID, 1_700_000_000, BODY),
        sign(old, MSG_ID, 1_700_000_000, BODY),
    ]


def test_a_signature_header_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        signature_header([], MSG_ID, 1_700_000_000, BODY)


def test_sign_matches_the_standard_webhooks_example() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id, timestamp, body = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, msg_id, timestamp, body.encode()) == expected
    at = datetime.fromtimestamp(timestamp, tz=UTC)
    assert Webhook(secret).sign(msg_id, at, body) == expected


# Secrets.


def test_a_generated_secret_is_whsec_and_base64_of_32_random_bytes() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert secret_key(secret) == base64.b64decode(secret.removeprefix("whsec_"))
    assert generate_secret() != secret


@pytest.mark.parametrize("num_bytes", [23, 65])
def test_a_secret_outside_24_to_64_bytes_is_refused(num_bytes: int) -> None:
    with pytest.raises(ValueError):
        generate_secret(num_bytes)


@pytest.mark.parametrize("num_bytes", [24, 64])
def test_secrets_of_24_and_64_bytes_are_accepted(num_bytes: int) -> None:
    assert len(secret_key(generate_secret(num_bytes))) == num_bytes


@pytest.mark.parametrize(
    "secret",
    [
        base64.b64encode(bytes(32)).decode(),  # no prefix
        "whsec_not*base64!",
        "whsec_" + base64.b64encode(bytes(32)).decode().rstrip("="),  # padding lost
        "whsec_" + base64.b64encode(bytes(23)).decode(),
        "whsec_",
    ],
    ids=["missing-prefix", "bad-base64", "bad-padding", "too-short", "empty"],
)
def test_secret_key_refuses_what_is_not_a_secret(secret: str) -> None:
    with pytest.raises(ValueError):
        secret_key(secret)


def test_a_fingerprint_is_stable_differs_between_secrets_and_hides_the_secret() -> None:
    secret, other = generate_secret(), generate_secret()
    fingerprint = secret_fingerprint(secret)
    assert re.fullmatch(r"sha256:[0-9a-f]{16}", fingerprint)
    assert secret_fingerprint(secret) == fingerprint
    assert secret_fingerprint(other) != fingerprint
    encoded = secret.removeprefix("whsec_")
    assert encoded not in fingerprint
    assert secret_key(secret).hex()[:8] not in fingerprint


# Message ids.


def test_a_message_id_is_the_same_for_the_same_seed_and_differs_between_seeds() -> None:
    assert new_message_id("event-1") == new_message_id("event-1")
    assert new_message_id("event-1") != new_message_id("event-2")


def test_a_message_id_is_msg_and_lower_case_letters_and_digits() -> None:
    message_id = new_message_id("case-7/event-3")
    assert message_id.startswith("msg_")
    assert re.fullmatch(r"[a-z0-9_]+", message_id)
    assert len(message_id) == len("msg_") + 32


# The fake receiver.


def test_the_receiver_records_a_post_and_answers_the_scripted_status() -> None:
    secret = generate_secret()
    with running_receiver() as receiver:
        receiver.reply_with(Reply(503), Reply(200, body=b"ok"))
        headers = signed([secret])
        statuses = [post(receiver.url, BODY, headers) for _ in range(3)]
        assert statuses == [503, 200, 204]
        received = receiver.wait_for(3)
        assert [request.path for request in received] == ["/hook"] * 3
        assert received[0].body == BODY
        assert received[0].headers["webhook-id"] == MSG_ID
        assert receiver.verify_all(generate_secret(), secret) == [json.loads(BODY)] * 3
        with pytest.raises(AssertionError, match="#0"):
            receiver.verify_all(generate_secret())


def test_the_receiver_scripts_each_path_separately() -> None:
    with running_receiver() as receiver:
        receiver.replies_for("/a", Reply(410))
        receiver.reply_with(Reply(500))
        assert post(receiver.url_for("/a"), BODY, {}) == 410
        assert post(receiver.url_for("/a"), BODY, {}) == 204
        assert post(receiver.url_for("/b"), BODY, {}) == 500


def test_a_held_reply_waits_for_its_release_but_the_request_is_recorded_at_once() -> None:
    release = threading.Event()
    statuses: list[int] = []
    with running_receiver() as receiver:
        receiver.reply_with(Reply(202, hold=release))
        sender = threading.Thread(target=lambda: statuses.append(post(receiver.url, BODY, {})))
        sender.start()
        try:
            [request] = receiver.wait_for(1, timeout=5)
            assert request.body == BODY
            time.sleep(0.1)
            assert sender.is_alive() and not statuses
        finally:
            release.set()
            sender.join(timeout=5)
        assert statuses == [202]


def test_stopping_the_receiver_releases_a_held_reply() -> None:
    statuses: list[int] = []
    with running_receiver() as receiver:
        receiver.reply_with(Reply(200, hold=threading.Event()))
        sender = threading.Thread(target=lambda: statuses.append(post(receiver.url, BODY, {})))
        sender.start()
        receiver.wait_for(1, timeout=5)
    sender.join(timeout=5)
    assert statuses == [200]


def test_wait_for_says_what_arrived_when_too_little_did() -> None:
    with running_receiver() as receiver:
        post(receiver.url, BODY, {"webhook-id": MSG_ID})
        with pytest.raises(AssertionError, match=f"got 1: POST /hook webhook-id={MSG_ID}"):
            receiver.wait_for(2, timeout=0.2)
