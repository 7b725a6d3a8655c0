"""Where signing secrets are kept: sealed, in a table beside the log, never the log itself.

A secret is sealed with Fernet (AES-128-CBC and HMAC-SHA256, from ``cryptography``) under
``K2K_SECRETS_KEY``, which lives in the environment, not the database: a stolen backup of the
database does not let anyone forge our deliveries. Rotation keeps the previous secret signing for
a day (``ROTATION_OVERLAP``), so a receiver can switch to the new one at its own pace: during that
day every delivery carries two signatures.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Connection, Engine, delete, or_, select, update

from webhooks.signing import secret_fingerprint
from webhooks.tables import webhook_secrets

ROTATION_OVERLAP = timedelta(hours=24)
SEALED = "fernet:"


class UnsealFailed(Exception):
    """A stored secret cannot be opened: ``K2K_SECRETS_KEY`` is not the one that sealed it."""


class SecretBox:
    """Seals and opens signing secrets under one key."""

    def __init__(self, key: str) -> None:
        # Any long random string will do: it is stretched to Fernet's 32 bytes by SHA-256.
        digest = hashlib.sha256(key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, secret: str) -> str:
        """The stored form of ``secret``."""
        return SEALED + self._fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        """The secret a stored form holds."""
        if not stored.startswith(SEALED):
            raise UnsealFailed("the stored secret is not sealed")
        try:
            return self._fernet.decrypt(stored[len(SEALED) :].encode()).decode()
        except InvalidToken as error:
            raise UnsealFailed(
                "cannot open a signing secret: K2K_SECRETS_KEY is not the key that sealed it"
            ) from error


@functools.cache
def box_for(key: str) -> SecretBox:
    """The box for ``key`` (one per process)."""
    return SecretBox(key)


def store_secret(
    conn: Connection, subscription_id: str, secret: str, now: datetime, box: SecretBox
) -> str:
    """Keep a subscription's new secret, sealed; returns its fingerprint."""
    fingerprint = secret_fingerprint(secret)
    conn.execute(
        webhook_secrets.insert().values(
            subscription_id=subscription_id,
            fingerprint=fingerprint,
            secret=box.seal(secret),
            created_at=now,
            expires_at=None,
        )
    )
    return fingerprint


def retire_previous(conn: Connection, subscription_id: str, keep: str, now: datetime) -> datetime:
    """Let every secret but ``keep`` sign for ``ROTATION_OVERLAP`` more; returns until when."""
    until = now + ROTATION_OVERLAP
    conn.execute(
        update(webhook_secrets)
        .where(
            webhook_secrets.c.subscription_id == subscription_id,
            webhook_secrets.c.fingerprint != keep,
            or_(webhook_secrets.c.expires_at.is_(None), webhook_secrets.c.expires_at > until),
        )
        .values(expires_at=until)
    )
    conn.execute(
        delete(webhook_secrets).where(
            webhook_secrets.c.subscription_id == subscription_id,
            webhook_secrets.c.expires_at <= now,
        )
    )
    return until


def signing_secrets(
    engine: Engine, subscription_id: str, now: datetime, box: SecretBox
) -> list[str]:
    """The secrets that sign a delivery now, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(webhook_secrets.c.secret)
            .where(
                webhook_secrets.c.subscription_id == subscription_id,
                or_(webhook_secrets.c.expires_at.is_(None), webhook_secrets.c.expires_at > now),
            )
            .order_by(webhook_secrets.c.created_at.desc())
        ).scalars()
        return [box.open(stored) for stored in rows]


def forget_secrets(conn: Connection, subscription_id: str) -> None:
    """Drop a deleted subscription's secrets: nothing is signed for it again."""
    conn.execute(
        delete(webhook_secrets).where(webhook_secrets.c.subscription_id == subscription_id)
    )


def prune_expired(engine: Engine, now: datetime) -> int:
    """Drop secrets whose day of overlap is over: an old secret kept is one more to leak."""
    with engine.begin() as conn:
        result = conn.execute(
            delete(webhook_secrets).where(
                webhook_secrets.c.expires_at.is_not(None), webhook_secrets.c.expires_at <= now
            )
        )
    return int(result.rowcount)
