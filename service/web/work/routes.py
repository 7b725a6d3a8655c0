"""The work queue: open cases whose move is mine, overdue first, each with its SLA countdown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import render_template, request
from sqlalchemy import and_, select
from sqlalchemy.sql.elements import ColumnElement
from werkzeug.exceptions import NotFound

from domain import clock
from domain.actors import Role
from projections.case_list import case_list
from projections.case_metrics import case_metrics
from service.extensions import runtime
from service.tokens.store import Principal
from service.web.common import category_names, viewer_with, web_blueprint
from service.web.i18n import gettext, target_label, when

blp = web_blueprint("work", __name__)

#: Whose move each role works on: management also follows what its contractors are doing.
MOVES = {
    Role.MANAGEMENT: ("management", "contractor"),
    Role.COMMITTEE: ("committee",),
    Role.ADMIN: ("management", "contractor", "committee"),
}
#: The most cases one queue shows (the oldest overdue ones first).
QUEUE_LIMIT = 300
#: A target this close to its due time is shown as due soon.
DUE_SOON = timedelta(hours=4)


@dataclass(frozen=True)
class Countdown:
    """The next SLA target a case must meet, and how long is left (negative: overdue)."""

    target: str
    due_at: datetime
    left: timedelta

    @property
    def overdue(self) -> bool:
        """Whether the target's time is up."""
        return self.left < timedelta(0)

    @property
    def soon(self) -> bool:
        """Whether it falls due within ``DUE_SOON``."""
        return not self.overdue and self.left <= DUE_SOON


def next_target(row: Any, now: datetime) -> Countdown | None:
    """The first unmet target of a case (acknowledge, first response, resolve) with a due time."""
    for target, met, due in (
        ("acknowledge", row.acknowledged_at, row.acknowledge_due_at),
        ("first_response", row.first_response_at, row.first_response_due_at),
        ("resolve", row.resolved_at, row.resolve_due_at),
    ):
        if met is None and due is not None:
            return Countdown(target, due, due - now)
    return None


def span(left: timedelta) -> str:
    """A duration in the largest whole units a person reads at a glance: "2 d 3 h", "45 min"."""
    seconds = abs(int(left.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return gettext("%(days)d d %(hours)d h", days=days, hours=hours)
    if hours:
        return gettext("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
    return gettext("%(minutes)d min", minutes=max(minutes, 1))


def queue_of(viewer: Principal, ppr: str | None, now: datetime) -> list[dict[str, Any]]:
    """The viewer's open cases whose move is theirs: overdue first, then by due time."""
    m, c = case_metrics.c, case_list.c
    conditions: list[ColumnElement[bool]] = [
        m.ended_at.is_(None),
        m.whose_move.in_(MOVES[viewer.role]),
    ]
    if ppr:
        conditions.append(m.ppr_code == ppr)
    elif not viewer.all_pprs:
        conditions.append(m.ppr_code.in_(viewer.ppr_codes))
    query = (
        select(
            m.case_id,
            m.ppr_code,
            m.category_code,
            m.block,
            m.title,
            m.status,
            m.whose_move,
            m.reported_at,
            m.acknowledged_at,
            m.first_response_at,
            m.resolved_at,
            m.acknowledge_due_at,
            m.first_response_due_at,
            m.resolve_due_at,
            m.support_count,
            c.version,
            c.assigned_to,
        )
        .join(case_list, c.case_id == m.case_id)
        .where(and_(*conditions))
        .order_by(m.reported_at)
        .limit(QUEUE_LIMIT)
    )
    with runtime().engine.connect() as conn:
        rows = conn.execute(query).all()
    items = []
    for row in rows:
        countdown = next_target(row, now)
        items.append(
            {
                "id": row.case_id,
                "ppr": row.ppr_code,
                "category": row.category_code,
                "block": row.block,
                "title": row.title,
                "status": row.status,
                "whose_move": row.whose_move,
                "reported_at": row.reported_at,
                "support_count": row.support_count,
                "version": row.version,
                "countdown": countdown,
                "target_name": target_label(countdown.target) if countdown else "",
                "due": when(countdown.due_at) if countdown else "",
                "span": span(countdown.left) if countdown else "",
            }
        )
    # Overdue first (longest overdue on top), then the soonest due, then cases without targets.
    items.sort(
        key=lambda item: (
            item["countdown"] is None,
            item["countdown"].left if item["countdown"] else timedelta(0),
            item["reported_at"],
        )
    )
    return items


@blp.get("/work")
def queue() -> str:
    """The work queue of the signed-in officer or committee member."""
    viewer = viewer_with(Role.MANAGEMENT, Role.COMMITTEE, Role.ADMIN)
    ppr = (request.args.get("ppr") or "").strip().upper() or None
    if ppr and not viewer.in_scope(ppr):
        raise NotFound()
    now = clock.now()
    items = queue_of(viewer, ppr, now)
    categories = category_names(item["ppr"] for item in items)
    return render_template(
        "web/work.html",
        items=items,
        overdue=sum(1 for item in items if item["countdown"] and item["countdown"].overdue),
        categories=categories,
        ppr=ppr,
    )
