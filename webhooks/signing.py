"""Standard Webhooks signatures (https://www.standardwebhooks.com/): HMAC-SHA256 over the exact
bytes ``{webhook-id}.{webhook-timestamp}.{body}``, the timestamp being this attempt's integer Unix
seconds; secrets are ``whsec_`` + base64 of 24..64 random bytes; signatures are space-delimited.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _random
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the spec allows 24..64 random bytes
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64
SIGNATURE_VERSION = "v1"
MESSAGE_ID_PREFIX = "msg_"


def _check_length(num_bytes: int) -> None:
    if not MIN_SECRET_BYTES <= num_bytes <= MAX_SECRET_BYTES:
        raise ValueError(
            f"a webhook secret has {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes, not {num_bytes}"
        )


def generate_secret(num_bytes: int = SECRET_BYTES) -> str:
    """A new random secret: ``whsec_`` + standard base64 of ``num_bytes`` (24..64) random bytes."""
    _check_length(num_bytes)
    key = _random.token_bytes(num_bytes)
    return SECRET_PREFIX + base64.b64encode(key).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The key bytes of a ``whsec_`` secret; ValueError if it is not one (never echoes it)."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret starts with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret is standard base64 after its prefix") from None
    _check_length(len(key))
    return key


def secret_fingerprint(secret: str) -> str:
    """``sha256:`` + 16 hex digits of the key's SHA-256: names a secret without revealing it."""
    return "sha256:" + hashlib.sha256(secret_key(secret)).hexdigest()[:16]


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one attempt at one message."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signature_header(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one signature per secret, in the order given (during a
    rotation, the new secret and the old), separated by spaces.
    """
    if isinstance(secrets, str):
        raise TypeError("secrets is a sequence of secrets, not one secret")
    if not secrets:
        raise ValueError("a webhook needs at least one secret to sign with")
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


def delivery_headers(
    secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The headers of one delivery attempt of ``body``."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, msg_id, timestamp, body),
        "content-type": "application/json",
    }


def new_message_id(seed: str) -> str:
    """The ``webhook-id`` for ``seed``: the same seed (one event) always gets the same id, so a
    receiver can drop a redelivery. ``msg_`` + 32 lower-case base32 characters.
    """
    digest = hashlib.sha256(seed.encode("utf-8")).digest()[:20]
    return MESSAGE_ID_PREFIX + base64.b32encode(digest).decode("ascii").rstrip("=").lower()
