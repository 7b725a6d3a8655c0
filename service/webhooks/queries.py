"""Reads of subscriptions and their delivery logs, newest first with opaque cursors."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Engine, Table, and_, or_, select

from domain import clock
from domain.errors import NotFound
from domain.webhook import WebhookSubscription
from projections.webhook_subscriptions import webhook_subscriptions
from service.cursors import INVALID_CURSOR, decode_cursor, encode_cursor
from service.errors import BadParameter
from webhooks.tables import webhook_attempts, webhook_deliveries, webhook_health, webhook_secrets


def _decode(cursor: str, kind: str) -> tuple[datetime, str]:
    tag, moment, key = decode_cursor(cursor, 3)
    try:
        when = datetime.fromisoformat(moment)
        if tag != kind or not isinstance(key, str) or not 1970 <= when.year <= 2100:
            raise ValueError("not a cursor of this list")
    except (ValueError, TypeError) as error:
        raise BadParameter("cursor", INVALID_CURSOR) from error
    return (when if when.tzinfo else when.replace(tzinfo=UTC)), key


def secrets_and_health(
    engine: Engine, subscription_ids: Iterable[str]
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, Any]]]:
    """The live secrets' fingerprints and the receiver health of each subscription."""
    ids = list(subscription_ids)
    now = clock.now()
    with engine.connect() as conn:
        secret_rows = conn.execute(
            select(
                webhook_secrets.c.subscription_id,
                webhook_secrets.c.fingerprint,
                webhook_secrets.c.created_at,
                webhook_secrets.c.expires_at,
            )
            .where(
                webhook_secrets.c.subscription_id.in_(ids),
                or_(webhook_secrets.c.expires_at.is_(None), webhook_secrets.c.expires_at > now),
            )
            .order_by(webhook_secrets.c.created_at.desc())
        ).all()
        health_rows = conn.execute(
            select(webhook_health).where(webhook_health.c.subscription_id.in_(ids))
        ).mappings()
        health = {row["subscription_id"]: dict(row) for row in health_rows}
    secrets: dict[str, list[dict[str, Any]]] = {}
    for row in secret_rows:
        secrets.setdefault(row.subscription_id, []).append(
            {
                "fingerprint": row.fingerprint,
                "created_at": row.created_at,
                "expires_at": row.expires_at,
            }
        )
    return secrets, health


def _view(
    fields: dict[str, Any], secrets: dict[str, Any], health: dict[str, Any]
) -> dict[str, Any]:
    """A subscription as the API shows it, from its fields (the aggregate's or its row's)."""
    key = fields["subscription_id"]
    return {
        "id": key,
        **{name: fields[name] for name in ("url", "event_types", "description", "enabled")},
        "pprs": list(fields["ppr_codes"]),
        **{name: fields[name] for name in ("deleted", "disabled_reason", "disabled_detail")},
        "owner": {"id": fields["owner_id"], "role": fields["owner_role"]},
        "secrets": secrets.get(key, []),
        "health": health.get(key, {}),
        "created_at": fields["created_at"],
        "version": fields["version"],
    }


def present_subscription(subscription: WebhookSubscription, engine: Engine) -> dict[str, Any]:
    """A subscription as the API shows it (from the aggregate: always current)."""
    fields = {**vars(subscription), "subscription_id": str(subscription.id)}
    fields["version"] = subscription.version
    secrets, health = secrets_and_health(engine, [fields["subscription_id"]])
    return _view(fields, secrets, health)


def _newest_first(
    engine: Engine, table: Table, key: Column[Any], conditions: list[Any], args: dict[str, Any]
) -> tuple[list[Any], str | None]:
    """One page of ``table``'s rows, newest first by (created_at, key), and the next cursor."""
    created_at = table.c.created_at
    if args.get("cursor"):
        when, last_key = _decode(args["cursor"], table.name)
        conditions = [
            *conditions,
            or_(created_at < when, and_(created_at == when, key < last_key)),
        ]
    limit = int(args["limit"])
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(table)
                .where(*conditions)
                .order_by(created_at.desc(), key.desc())
                .limit(limit + 1)
            )
            .mappings()
            .all()
        )
    if len(rows) <= limit:
        return list(rows), None
    last = rows[limit - 1]
    return list(rows[:limit]), encode_cursor(
        table.name, last["created_at"].isoformat(), last[key.name]
    )


def subscription_page(
    engine: Engine, owner_id: str | None, args: dict[str, Any]
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of subscriptions (only ``owner_id``'s, unless None) and the next cursor."""
    s = webhook_subscriptions.c
    conditions = []
    if owner_id is not None:
        conditions.append(s.owner_id == owner_id)
    if not args.get("include_deleted"):
        conditions.append(s.deleted.is_(False))
    if "enabled" in args:
        conditions.append(s.enabled.is_(bool(args["enabled"])))
    rows, next_cursor = _newest_first(
        engine, webhook_subscriptions, s.subscription_id, conditions, args
    )
    secrets, health = secrets_and_health(engine, [row["subscription_id"] for row in rows])
    return [_view(dict(row), secrets, health) for row in rows], next_cursor


def _with_attempts(engine: Engine, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [row["delivery_id"] for row in rows]
    with engine.connect() as conn:
        attempts = (
            conn.execute(
                select(webhook_attempts)
                .where(webhook_attempts.c.delivery_id.in_(ids))
                .order_by(webhook_attempts.c.attempt)
            )
            .mappings()
            .all()
        )
    by_delivery: dict[str, list[dict[str, Any]]] = {}
    for attempt in attempts:
        by_delivery.setdefault(attempt["delivery_id"], []).append(dict(attempt))
    return [
        {
            **dict(row),
            "attempt_log": by_delivery.get(row["delivery_id"], []),
            "payload": json.loads(row["body"]),
        }
        for row in rows
    ]


def delivery_page(
    engine: Engine, subscription_id: str, args: dict[str, Any]
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a subscription's deliveries with their attempts, and the next cursor."""
    d = webhook_deliveries.c
    conditions = [d.subscription_id == subscription_id]
    if args.get("status"):
        conditions.append(d.status == args["status"])
    if args.get("event_type"):
        conditions.append(d.event_type == args["event_type"])
    rows, next_cursor = _newest_first(engine, webhook_deliveries, d.delivery_id, conditions, args)
    return _with_attempts(engine, list(rows)), next_cursor


def one_delivery(engine: Engine, subscription_id: str, delivery_id: str) -> dict[str, Any]:
    """One delivery of a subscription, with its attempts."""
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(webhook_deliveries).where(
                    webhook_deliveries.c.delivery_id == delivery_id,
                    webhook_deliveries.c.subscription_id == subscription_id,
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound(f"no delivery {delivery_id} for this subscription")
    return _with_attempts(engine, [row])[0]
