"""Subscribing, rotating and unsubscribing: the event in the log, the secret beside it.

The secret is stored first, under the id the event will carry, and removed again if the event is
refused: a subscription in the log always has a secret, and a secret never outlives a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Engine

from domain import clock
from domain.actors import Actor
from domain.application import K2K
from domain.base import Saved
from webhooks.keys import (
    ROTATION_OVERLAP,
    SecretBox,
    forget_secrets,
    retire_previous,
    store_secret,
)
from webhooks.signing import generate_secret
from webhooks.tables import webhook_deliveries, webhook_health, webhook_secrets


@dataclass(frozen=True)
class NewSecret:
    """A secret just made: shown to the caller once, never again."""

    secret: str
    fingerprint: str
    previous_valid_until: datetime | None
    saved: Saved


def subscribe(
    app: K2K,
    engine: Engine,
    actor: Actor,
    *,
    url: str,
    event_types: list[str],
    ppr_codes: list[str],
    description: str | None,
    box: SecretBox,
    enabled: bool = True,
) -> NewSecret:
    """Record a new subscription with a fresh secret (sealed in ``box``)."""
    subscription_id = uuid4()
    secret = generate_secret()
    with engine.begin() as conn:
        fingerprint = store_secret(conn, str(subscription_id), secret, clock.now(), box)
    try:
        saved = app.create_webhook_subscription(
            actor,
            subscription_id=subscription_id,
            url=url,
            event_types=event_types,
            ppr_codes=ppr_codes,
            description=description,
            secret_fingerprint=fingerprint,
        )
        if not enabled:
            saved = app.disable_webhook_subscription(actor, subscription_id)
    except Exception:
        with engine.begin() as conn:
            forget_secrets(conn, str(subscription_id))
        raise
    return NewSecret(secret, fingerprint, None, saved)


def rotate_secret(
    app: K2K,
    engine: Engine,
    actor: Actor,
    subscription_id: UUID,
    *,
    box: SecretBox,
    expected_version: int | None = None,
) -> NewSecret:
    """Sign with a new secret from now on; the previous one signs too for a day."""
    key = str(subscription_id)
    secret = generate_secret()
    now = clock.now()
    with engine.begin() as conn:
        fingerprint = store_secret(conn, key, secret, now, box)
    try:
        saved = app.rotate_webhook_secret(
            actor,
            subscription_id,
            secret_fingerprint=fingerprint,
            previous_valid_until=now + ROTATION_OVERLAP,
            expected_version=expected_version,
        )
    except Exception:
        with engine.begin() as conn:
            conn.execute(
                webhook_secrets.delete().where(
                    webhook_secrets.c.subscription_id == key,
                    webhook_secrets.c.fingerprint == fingerprint,
                )
            )
        raise
    with engine.begin() as conn:
        until = retire_previous(conn, key, fingerprint, now)
    return NewSecret(secret, fingerprint, until, saved)


def unsubscribe(
    app: K2K,
    engine: Engine,
    actor: Actor,
    subscription_id: UUID,
    *,
    expected_version: int | None = None,
) -> Saved:
    """End a subscription: its secrets go, and its waiting deliveries are cancelled."""
    saved = app.delete_webhook_subscription(
        actor, subscription_id, expected_version=expected_version
    )
    with engine.begin() as conn:
        forget_secrets(conn, str(subscription_id))
        conn.execute(
            webhook_deliveries.update()
            .where(
                webhook_deliveries.c.subscription_id == str(subscription_id),
                webhook_deliveries.c.status == "pending",
            )
            .values(status="cancelled", last_error="the subscription is deleted")
        )
    return saved


def enable(
    app: K2K,
    engine: Engine,
    actor: Actor,
    subscription_id: UUID,
    *,
    expected_version: int | None = None,
) -> Saved:
    """Switch a subscription back on, its receiver's failing streak forgotten: the receiver was
    fixed, and its first failure after that must not switch it off again at once."""
    saved = app.enable_webhook_subscription(
        actor, subscription_id, expected_version=expected_version
    )
    with engine.begin() as conn:
        conn.execute(
            webhook_health.update()
            .where(webhook_health.c.subscription_id == str(subscription_id))
            .values(failing_since=None)
        )
    return saved
