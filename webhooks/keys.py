"""Where signing secrets are kept: a table beside the log, never the log itself.

Rotation keeps the previous secret signing for a day (``ROTATION_OVERLAP``), so a receiver can
switch to the new secret at its own pace: during that day every delivery carries two signatures.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, or_, select, update

from webhooks.signing import secret_fingerprint
from webhooks.tables import webhook_secrets

ROTATION_OVERLAP = timedelta(hours=24)


def store_secret(conn: Connection, subscription_id: str, secret: str, now: datetime) -> str:
    """Keep a subscription's new secret; returns its fingerprint."""
    fingerprint = secret_fingerprint(secret)
    conn.execute(
        webhook_secrets.insert().values(
            subscription_id=subscription_id,
            fingerprint=fingerprint,
            secret=secret,
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


def signing_secrets(engine: Engine, subscription_id: str, now: datetime) -> list[str]:
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
        return list(rows)


def forget_secrets(conn: Connection, subscription_id: str) -> None:
    """Drop a deleted subscription's secrets: nothing is signed for it again."""
    conn.execute(
        delete(webhook_secrets).where(webhook_secrets.c.subscription_id == subscription_id)
    )
