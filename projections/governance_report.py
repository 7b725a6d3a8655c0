"""Governance figures, computed from the ``governance`` read models on request.

Definitions (issue 4; the period is ``[start, end)``, T = the end of the period or now if earlier):

- **Meetings held**: meetings whose ``held_at`` is in the period. **Quorum met %** = held meetings
  that met their quorum / meetings held.
- **Attendance by group**: the sum, over meetings held in the period, of the residents counted in
  each ``gender/age band`` group; ``n`` is the number of meetings. **Distinct residents**: residents
  who signed the register of at least one of those meetings (by id).
- **Seat share** by gender and by age band: of the seats held at T, the share held by each
  self-declared group (``undeclared`` when not declared). **Leadership share**: the same over the
  chair, secretary and treasurer seats.
- **Block representation**: for each block of the PPR, the seats held at T by members of that
  block; ``unrepresented`` lists the blocks with none. A report over several PPRs names each
  block ``PPR/block``.
- **Decisions made**: decisions whose ``made_at`` is in the period. **Management response rate** =
  those answered by management (at any time up to now) / decisions made; **time to respond** =
  answered time - made time, as ``n``, median and p90 in days. **Implemented %** = those verified
  by the committee / decisions made. **Rejected**: those management rejected. **Overdue**: of
  those made in the period and not rejected, the ones not verified by T whose due date (a
  Malaysian calendar day) has passed by T; oldest decision first.
- **Minutes publication lag**: over meetings held in the period whose minutes are published,
  published time - held time, as ``n``, median and p90 in days; ``unpublished`` counts the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from domain.clock import MALAYSIA
from domain.committee import LEADERSHIP
from projections.governance import committee_seats, decisions, meetings
from projections.ppr_directory import pprs
from projections.resolution_report import DAY, distribution, share

UNDECLARED = "undeclared"


def _in_period(moment: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    return (
        moment is not None and (start is None or moment >= start) and (end is None or moment < end)
    )


def _shares(values: Iterable[str | None]) -> dict[str, Any]:
    counted = Counter(value or UNDECLARED for value in values)
    total = sum(counted.values())
    return {
        "n": total,
        "groups": {
            group: {"seats": seats, "share_pct": share(seats, total)}
            for group, seats in sorted(counted.items())
        },
    }


def governance_report(
    conn: Connection,
    ppr_codes: Sequence[str] | None,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """Every governance figure for the PPRs and period."""
    at = min(end, now) if end else now

    def scoped(table: Any) -> Any:
        query = select(table)
        if ppr_codes is not None:
            query = query.where(table.c.ppr_code.in_(list(ppr_codes)))
        return query

    held = [
        row
        for row in conn.execute(scoped(meetings)).all()
        if row.status == "held" and _in_period(row.held_at, start, end)
    ]
    seats = [
        row
        for row in conn.execute(scoped(committee_seats)).all()
        if row.since <= at and (row.until is None or row.until > at)
    ]
    made = [
        row
        for row in conn.execute(
            scoped(decisions).order_by(decisions.c.made_at, decisions.c.decision_id)
        ).all()
        if _in_period(row.made_at, start, end)
    ]
    block_query = select(pprs.c.code, pprs.c.blocks)
    if ppr_codes is not None:
        block_query = block_query.where(pprs.c.code.in_(list(ppr_codes)))
    block_rows = conn.execute(block_query).all()
    # Block codes repeat across PPRs (every PPR has a block A): name them with their PPR when a
    # report covers several.
    several = len(block_rows) > 1

    def block_key(ppr: str, block: str) -> str:
        return f"{ppr}/{block}" if several else block

    blocks = sorted(
        block_key(row.code, block) for row in block_rows for block in (row.blocks or {})
    )

    attendance: Counter[str] = Counter()
    signed: set[str] = set()
    for meeting in held:
        attendance.update(meeting.residents_attending or {})
        signed.update(meeting.resident_ids or [])
    leaders = [seat for seat in seats if seat.role in {role.value for role in LEADERSHIP}]
    per_block = Counter(block_key(seat.ppr_code, seat.block) for seat in seats if seat.block)
    answered = [row for row in made if row.answered_at is not None]
    verified = [row for row in made if row.verified_at is not None]
    today = at.astimezone(MALAYSIA).date()
    rejected = [row for row in made if row.answer == "reject"]
    overdue = [
        row
        for row in made
        if row.answer != "reject"
        and (row.verified_at is None or row.verified_at > at)
        and row.due_date < today
    ]
    published = [meeting for meeting in held if meeting.minutes_published_at is not None]
    quorate = [meeting for meeting in held if meeting.quorum_met]
    return {
        "now": now,
        "at": at,
        "meetings": {
            "n": len(held),
            "held": len(held),
            "quorum_met": len(quorate),
            "quorum_met_pct": share(len(quorate), len(held)),
        },
        "attendance": {
            "n": len(held),
            "residents_by_group": dict(sorted(attendance.items())),
            "residents_total": sum(attendance.values()),
            "distinct_residents_signed": len(signed),
            "management_present_total": sum(m.management_present or 0 for m in held),
        },
        "seats": {
            "by_gender": _shares(seat.gender for seat in seats),
            "by_age_band": _shares(seat.age_band for seat in seats),
        },
        "leadership": {
            "by_gender": _shares(seat.gender for seat in leaders),
            "by_age_band": _shares(seat.age_band for seat in leaders),
        },
        "blocks": {
            "n": len(blocks),
            "seats_by_block": {block: per_block.get(block, 0) for block in blocks},
            "unrepresented": [block for block in blocks if not per_block.get(block)],
        },
        "decisions": {
            "n": len(made),
            "made": len(made),
            "answered": len(answered),
            "response_rate_pct": share(len(answered), len(made)),
            "time_to_respond": distribution(
                [(row.answered_at - row.made_at).total_seconds() for row in answered], DAY
            ),
            "verified": len(verified),
            "implemented_pct": share(len(verified), len(made)),
            "rejected": len(rejected),
            "overdue": len(overdue),
            "overdue_ids": [row.decision_id for row in overdue],
        },
        "minutes": {
            "n": len(held),
            "lag": distribution(
                [(m.minutes_published_at - m.held_at).total_seconds() for m in published], DAY
            ),
            "unpublished": len(held) - len(published),
        },
    }
