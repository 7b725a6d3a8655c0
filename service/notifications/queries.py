"""Reads of the outbox and the delivery log, newest first with opaque cursors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select, update

from domain import clock
from domain.errors import NotFound
from service.cursors import INVALID_CURSOR, decode_cursor, encode_cursor
from service.errors import BadParameter
from workers.kinds import Kind
from workers.tables import deliveries, messages


def _encode(created_at: datetime, key: str) -> str:
    return encode_cursor(created_at.isoformat(), key)


def _decode(cursor: str) -> tuple[datetime, str]:
    moment, key = decode_cursor(cursor, 2)
    try:
        when = datetime.fromisoformat(moment)
        if not isinstance(key, str) or not 1970 <= when.year <= 2100:
            raise ValueError("not a cursor of this list")
    except (ValueError, TypeError) as error:
        raise BadParameter("cursor", INVALID_CURSOR) from error
    return (when if when.tzinfo else when.replace(tzinfo=UTC)), key


def outbox_page(
    engine: Engine, recipient_id: str, args: dict[str, Any]
) -> tuple[list[Any], int, str | None]:
    """One page of a person's messages, their unread count and the next page's cursor."""
    m = messages.c
    mine = and_(m.recipient_id == recipient_id, m.kind != Kind.DIGEST.value)
    conditions = [mine]
    if args.get("unread"):
        conditions.append(m.read_at.is_(None))
    if args.get("case"):
        conditions.append(m.case_id == str(args["case"]))
    if args.get("cursor"):
        when, key = _decode(args["cursor"])
        conditions.append(or_(m.created_at < when, and_(m.created_at == when, m.message_id < key)))
    limit = int(args["limit"])
    with engine.connect() as conn:
        rows = conn.execute(
            select(messages)
            .where(*conditions)
            .order_by(m.created_at.desc(), m.message_id.desc())
            .limit(limit + 1)
        ).all()
        unread = conn.execute(
            select(func.count()).select_from(messages).where(mine, m.read_at.is_(None))
        ).scalar_one()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _encode(rows[-1].created_at, rows[-1].message_id)
    return list(rows), int(unread), next_cursor


def mark_read(engine: Engine, recipient_id: str, message_id: str) -> Any:
    """Mark one of the recipient's messages read (again is fine); 404 for anyone else's."""
    m = messages.c
    with engine.begin() as conn:
        conn.execute(
            update(messages)
            .where(m.message_id == message_id, m.recipient_id == recipient_id, m.read_at.is_(None))
            .values(read_at=clock.now())
        )
        row = conn.execute(
            select(messages).where(m.message_id == message_id, m.recipient_id == recipient_id)
        ).first()
    if row is None:
        raise NotFound(f"no notification {message_id}")
    return row


def delivery_page(
    engine: Engine, args: dict[str, Any]
) -> tuple[list[Any], dict[str, int], str | None]:
    """One page of the delivery log, the count per status, and the next page's cursor."""
    d = deliveries.c
    filters = []
    if args.get("channel"):
        filters.append(d.channel == args["channel"].value)
    if args.get("recipient"):
        filters.append(d.recipient_id == args["recipient"])
    conditions = list(filters)
    if args.get("status"):
        conditions.append(d.status == args["status"])
    if args.get("cursor"):
        when, key = _decode(args["cursor"])
        conditions.append(or_(d.created_at < when, and_(d.created_at == when, d.delivery_id < key)))
    limit = int(args["limit"])
    with engine.connect() as conn:
        rows = conn.execute(
            select(deliveries, messages.c.kind, messages.c.source_key)
            .join(messages, messages.c.message_id == d.message_id)
            .where(*conditions)
            .order_by(d.created_at.desc(), d.delivery_id.desc())
            .limit(limit + 1)
        ).all()
        counts = {
            row.status: int(row.n)
            for row in conn.execute(
                select(d.status, func.count().label("n")).where(*filters).group_by(d.status)
            )
        }
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _encode(rows[-1].created_at, rows[-1].delivery_id)
    return list(rows), counts, next_cursor
