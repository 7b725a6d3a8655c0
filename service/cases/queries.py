"""Reads of the case read models, filtered to what the viewer may see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Select, and_, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from domain.actors import Role
from projections.case_list import case_list
from projections.case_metrics import case_metrics, ppr_settings
from projections.case_timeline import case_timeline
from service.cursors import INVALID_CURSOR, decode_cursor, encode_cursor
from service.errors import BadParameter
from service.tokens.store import Principal

c = case_list.c


class BadCursor(BadParameter):
    """The cursor was not made by this API (or by another sort order)."""

    def __init__(self, message: str) -> None:
        super().__init__("cursor", message)


def _encode_cursor(sort: str, value: Any, case_id: str) -> str:
    return encode_cursor(sort, value, case_id)


def _decode_cursor(cursor: str, sort: str) -> tuple[Any, str]:
    try:
        kind, value, case_id = decode_cursor(cursor, 3)
    except BadParameter as error:
        raise BadCursor(error.message) from error
    try:
        # A cursor comes back from the client: check its values before they reach SQL.
        if kind == sort == "reported":
            value = datetime.fromisoformat(value)
            value = value if value.tzinfo else value.replace(tzinfo=UTC)
            if not 1970 <= value.year <= 2100:
                raise ValueError("a cursor's time lies between 1970 and 2100")
        elif kind == sort == "support" and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31
        ):
            raise TypeError("a support count is a whole number")
        if not isinstance(case_id, str):
            raise TypeError("a case id is a string")
    except (ValueError, TypeError) as error:
        raise BadCursor(INVALID_CURSOR) from error
    if kind != sort:
        raise BadCursor("cursor belongs to another sort order")
    return value, case_id


def visible_cases(viewer: Principal) -> ColumnElement[bool]:
    """The SQL condition for the cases ``viewer`` may list."""
    if viewer.role in (Role.ADMIN, Role.AUDITOR):
        return true()
    in_scope = true() if viewer.all_pprs else c.ppr_code.in_(viewer.ppr_codes)
    if viewer.role in (Role.COMMITTEE, Role.MANAGEMENT):
        return in_scope
    if viewer.role is Role.RESIDENT:
        return and_(in_scope, or_(c.private.is_(false()), c.reporter_id == viewer.principal_id))
    return and_(in_scope, c.private.is_(false()))


def list_cases(
    engine: Engine, viewer: Principal, args: dict[str, Any], now: datetime | None = None
) -> tuple[list[Any], str | None]:
    """One page of the case list and the cursor of the next page."""
    conditions = [visible_cases(viewer)]
    if args.get("ppr"):
        conditions.append(c.ppr_code == args["ppr"].upper())
    if args.get("status"):
        conditions.append(c.status.in_([status.value for status in args["status"]]))
    if args.get("category"):
        conditions.append(c.category_code == args["category"].upper())
    if args.get("block"):
        conditions.append(c.block == args["block"].upper())
    if args.get("whose_move"):
        conditions.append(c.whose_move == args["whose_move"].value)
    if args.get("overdue"):
        conditions.append(c.case_id.in_(overdue_cases(now or datetime.now(tz=UTC))))
    if args.get("priority"):
        conditions.append(c.case_id.in_(priority_cases()))
    if args.get("mine"):
        conditions.append(c.reporter_id == viewer.principal_id)
    if args.get("q"):
        needle = args["q"].casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(c.title_folded.like(f"%{needle}%", escape="\\"))
    sort = args.get("sort", "reported")
    key = c.support_count if sort == "support" else c.reported_at
    if args.get("cursor"):
        value, after_id = _decode_cursor(args["cursor"], sort)
        conditions.append(or_(key < value, and_(key == value, c.case_id < after_id)))
    limit = int(args.get("limit", 20))
    with engine.connect() as conn:
        rows = conn.execute(
            select(case_list)
            .where(and_(*conditions))
            .order_by(key.desc(), c.case_id.desc())
            .limit(limit + 1)
        ).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        value = last.support_count if sort == "support" else last.reported_at.isoformat()
        next_cursor = _encode_cursor(sort, value, last.case_id)
    return list(rows), next_cursor


def overdue_cases(now: datetime) -> Select[tuple[str]]:
    """Ids of open cases past the due time of a target whose milestone has not happened."""
    m = case_metrics.c
    return select(m.case_id).where(
        m.ended_at.is_(None),
        or_(
            and_(m.acknowledged_at.is_(None), m.acknowledge_due_at < now),
            and_(m.first_response_at.is_(None), m.first_response_due_at < now),
            and_(m.resolved_at.is_(None), m.resolve_due_at < now),
        ),
    )


def priority_cases() -> Select[tuple[str]]:
    """Ids of community priority cases: enough supports for their PPR, or designated."""
    m, settings = case_metrics.c, ppr_settings.c
    return (
        select(m.case_id)
        .join(ppr_settings, settings.ppr_code == m.ppr_code)
        .where(
            or_(
                m.designated_priority.is_(true()),
                m.support_count >= settings.priority_support_threshold,
            )
        )
    )


def case_history(
    engine: Engine, case_id: str, include_internal: bool, up_to_version: int | None = None
) -> list[Any]:
    """Every projected event of one case (up to a version), oldest first."""
    t = case_timeline.c
    query = select(case_timeline).where(t.case_id == case_id).order_by(t.version)
    if up_to_version is not None:
        query = query.where(t.version <= up_to_version)
    if not include_internal:
        query = query.where(t.internal.is_(false()))
    with engine.connect() as conn:
        return list(conn.execute(query).all())


def last_projected_version(engine: Engine, case_id: str) -> int:
    """The newest version of a case that the timeline has applied."""
    t = case_timeline.c
    with engine.connect() as conn:
        value = conn.execute(
            select(t.version).where(t.case_id == case_id).order_by(t.version.desc()).limit(1)
        ).scalar()
    return int(value or 0)
