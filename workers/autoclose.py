"""Closes resolved cases whose dispute window ran out without a dispute (DESIGN §4)."""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import UUID

from sqlalchemy import Engine, select

from domain import clock
from domain.actors import Actor
from domain.application import K2K
from domain.errors import DomainError
from projections.case_list import case_list
from projections.ppr_directory import pprs

log = logging.getLogger(__name__)


def close_expired_resolutions(app: K2K, engine: Engine) -> int:
    """Close every resolved case past its PPR's dispute window; returns how many were closed.

    The read model only proposes candidates; the aggregate re-checks the window and the status,
    so a stale row (a dispute not yet projected) is refused by the domain, never closed wrongly.
    """
    now = clock.now()
    with engine.connect() as conn:
        rows = conn.execute(
            select(case_list.c.case_id, case_list.c.resolved_at, pprs.c.dispute_window_days)
            .join(pprs, pprs.c.code == case_list.c.ppr_code)
            .where(case_list.c.status == "resolved")
        ).all()
    closed = 0
    for row in rows:
        if row.resolved_at + timedelta(days=row.dispute_window_days) > now:
            continue
        try:
            app.close_case(Actor.system(), UUID(row.case_id))
        except DomainError as error:
            log.info("auto-close skipped case %s: %s", row.case_id, error)
            continue
        closed += 1
    return closed
