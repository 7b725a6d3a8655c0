"""Resolution and priority figures, computed from the ``case_metrics`` read model on request.

Definitions (issue 3; the per-case milestones are defined in ``projections.case_metrics``):

- **Cohort**: the cases reported in the period ``[start, end)`` (and matching the PPR, category and
  block filters; for residents, public cases only). Durations, SLA figures, stage times and
  priorities are about the cohort; with ``group_by=month`` each month's cohort is the cases
  reported in that month (Malaysia time).
- **Durations** (time to acknowledge, to first response, to resolve, to close): for each cohort
  case whose milestone happened, milestone time minus reported time. Reported as ``n``, median and
  p90 in hours. The median of an even count is the mean of the two middle values; p90 is the
  nearest-rank value: the ``ceil(0.9 n)``-th smallest. Time to close is also split into
  "verified" (a resident confirmed) and "auto" (the dispute window ran out).
- **SLA breach** for a target (acknowledge, first response, resolve), judged against the targets
  in force now (they are listed in the answer): a case whose milestone happened is *stopped*, and
  breached if the milestone came after its due time; a case still open past its due time without
  the milestone is an *ongoing breach*; open cases not yet due, and cases that ended without the
  milestone, are not counted. Breach % = (stopped breached + ongoing breached) /
  (stopped + ongoing breached); ``n`` is that denominator.
- **Reopen rate**: cases resolved in the period (at least one ``Resolved`` event in it) that were
  disputed, and so reopened, within 30 days of such a resolution / cases resolved in the period.
  ``n`` is the number of cases resolved in the period.
- **Claimed vs verified**: of the cases resolved in the period, the share whose resolution there
  was confirmed by a resident, the share disputed, the share auto-closed without an answer, and
  the share whose latest resolution there is still unanswered. A case disputed and later
  confirmed counts in both, so the shares can add up to more than 100 %. A resolution keeps the
  category and month it was made in.
- **Backlog at T** (T = the end of the period, or now if that is earlier): cases reported by T and
  not closed, no further action, duplicate or withdrawn at T. Backlog age = T - reported time, as
  ``n``, median and p90 in days and the counts older than 7, 30 and 90 days. With
  ``group_by=month``, T is the end of each month.
- **Stage time**: per party, over the cohort cases that spent any time with that party, the
  time it was that party's move (an open case's current stint runs to now): ``n``, median, p90
  and total, in hours.
- **Priority problems**: a cohort case is a priority when it has at least the PPR's threshold of
  supports (default 10) or the committee designated it. Priority problems solved = priority cases
  verified fixed (closed after a resident's confirmation) / priority cases.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, false, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from domain.clock import MALAYSIA
from domain.ppr import DEFAULT_PRIORITY_SUPPORTS
from domain.sla import SlaClock, SlaTarget
from projections.case_metrics import (
    PARTIES,
    TARGETS,
    case_metrics,
    case_resolutions,
    ppr_settings,
    sla_targets,
)
from projections.database import epoch_us, microseconds

GROUPINGS = ("category", "block", "month")
HOUR = 3600.0
DAY = 86400.0
BACKLOG_AGES_DAYS = (7, 30, 90)


@dataclass(frozen=True)
class Filters:
    """Which cases a report covers."""

    ppr_codes: Sequence[str] | None = None
    category: str | None = None
    block: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    #: Leave out private cases (for residents: figures over a narrow period could single one out).
    public_only: bool = False


def median(values: Sequence[float]) -> float | None:
    """The median, or None for no values."""
    return statistics.median(values) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile: the ceil(0.9 n)-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _rounded(value: float | None, unit: float) -> float | None:
    return None if value is None else round(value / unit, 2)


def distribution(seconds: Sequence[float], unit: float = HOUR) -> dict[str, Any]:
    """``n``, median and p90 of durations, in hours (or another unit)."""
    suffix = "hours" if unit == HOUR else "days"
    return {
        "n": len(seconds),
        f"median_{suffix}": _rounded(median(seconds), unit),
        f"p90_{suffix}": _rounded(p90(seconds), unit),
    }


def share(part: int, whole: int) -> float | None:
    """A percentage with two decimals, or None when there is nothing to divide."""
    return round(100.0 * part / whole, 2) if whole else None


def _conditions(filters: Filters, table: Any) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.public_only:
        public = select(case_metrics.c.case_id).where(case_metrics.c.private.is_(false()))
        conditions.append(table.c.case_id.in_(public))
    if filters.ppr_codes is not None:
        conditions.append(table.c.ppr_code.in_(list(filters.ppr_codes)))
    if filters.category:
        conditions.append(table.c.category_code == filters.category)
    if filters.block:
        conditions.append(table.c.block == filters.block)
    return conditions


def _in_period(moment: int, start: int | None, end: int | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment < end)


def _micros(moment: datetime | None) -> int | None:
    return None if moment is None else microseconds(moment)


def _group_key(group_by: str | None, row: Any, month: str) -> str:
    if group_by == "category":
        return str(row.category_code)
    if group_by == "block":
        return str(row.block)
    if group_by == "month":
        return month
    return "all"


def targets_in_force(conn: Connection, ppr_codes: Sequence[str] | None) -> dict[str, Any]:
    """The SLA targets the figures were judged against, by PPR and category."""
    query = select(sla_targets)
    if ppr_codes is not None:
        query = query.where(sla_targets.c.ppr_code.in_(list(ppr_codes)))
    targets: dict[str, Any] = defaultdict(dict)
    for row in conn.execute(query).mappings():
        targets[row["ppr_code"]][row["category_code"]] = {
            f"{target}_hours": row[f"{target}_hours"] for target in TARGETS
        }
    return dict(targets)


#: What the figures read of each case: its groupings and how it ended as they are, and every
#: moment as whole microseconds since 1970 (``epoch_us``), so that the thousands of cases of a
#: PPR are compared and subtracted as integers (a duration in seconds is ``(b - a) / 1e6``).
_LABELS = ("category_code", "block", "month", "close_kind", "whose_move")
_MOMENTS = (
    "reported_at",
    *TARGETS.values(),
    "closed_at",
    "ended_at",
    *(f"{target}_due_at" for target in TARGETS),
    "whose_move_since",
)
_CASE_COLUMNS = (
    *(case_metrics.c[name] for name in _LABELS),
    *(case_metrics.c[f"{party}_seconds"] for party in PARTIES),
    *(epoch_us(case_metrics.c[name]).label(name) for name in _MOMENTS),
)
_CLAIM_COLUMNS = (
    case_resolutions.c.case_id,
    case_resolutions.c.number,
    case_resolutions.c.outcome,
    case_resolutions.c.reopened_within_30_days,
    case_resolutions.c.category_code,
    case_resolutions.c.block,
    case_resolutions.c.month,
)
_CASE_NAMES = tuple(column.key for column in _CASE_COLUMNS)


def _columns(cases: Sequence[Any]) -> dict[str, Sequence[Any]]:
    """The cases' values by column name (one transposition, then plain tuples to zip)."""
    transposed = list(zip(*cases, strict=True)) if cases else [() for _ in _CASE_NAMES]
    return dict(zip(_CASE_NAMES, transposed, strict=True))


def _sla(cases: dict[str, Sequence[Any]], now: int) -> dict[str, Any]:
    figures = {}
    ended = cases["ended_at"]
    for target, milestone in TARGETS.items():
        stopped = stopped_breached = ongoing_breached = 0
        for due, reached, end in zip(
            cases[f"{target}_due_at"], cases[milestone], ended, strict=True
        ):
            if due is None:
                continue
            if reached is not None:
                stopped += 1
                stopped_breached += reached > due
            elif end is None and now > due:
                ongoing_breached += 1
        denominator = stopped + ongoing_breached
        figures[target] = {
            "n": denominator,
            "stopped": stopped,
            "breached": stopped_breached + ongoing_breached,
            "ongoing_breached": ongoing_breached,
            "breach_pct": share(stopped_breached + ongoing_breached, denominator),
        }
    return figures


def _durations(cases: dict[str, Sequence[Any]]) -> dict[str, Any]:
    reported = cases["reported_at"]

    def since_report(column: str, kind: str | None = None) -> list[float]:
        if kind is None:
            return [
                (at - r) / 1e6
                for at, r in zip(cases[column], reported, strict=True)
                if at is not None
            ]
        return [
            (at - r) / 1e6
            for at, r, its_kind in zip(cases[column], reported, cases["close_kind"], strict=True)
            if at is not None and its_kind == kind
        ]

    return {
        "time_to_acknowledge": distribution(since_report("acknowledged_at")),
        "time_to_first_response": distribution(since_report("first_response_at")),
        "time_to_resolve": distribution(since_report("resolved_at")),
        "time_to_close": {
            **distribution(since_report("closed_at")),
            "verified": distribution(since_report("closed_at", "verified")),
            "auto": distribution(since_report("closed_at", "auto")),
        },
    }


def _stage_time(cases: dict[str, Sequence[Any]], now: int) -> dict[str, Any]:
    figures = {}
    moves = tuple(
        zip(cases["whose_move"], cases["ended_at"], cases["whose_move_since"], strict=True)
    )
    for party in PARTIES:
        spent = []
        for recorded, (whose, ended, since) in zip(cases[f"{party}_seconds"], moves, strict=True):
            seconds = recorded
            if whose == party and ended is None and since is not None:
                seconds += max((now - since) / 1e6, 0.0)
            if seconds > 0:
                spent.append(seconds)
        figures[party] = {**distribution(spent), "total_hours": round(sum(spent) / HOUR, 2)}
    return figures


def _claims(claims: Sequence[Any]) -> dict[str, Any]:
    answered: dict[str, set[str]] = {"confirmed": set(), "disputed": set(), "auto_closed": set()}
    latest: dict[str, tuple[int, str]] = {}
    reopened_cases: set[str] = set()
    for case_id, number, outcome, reopened, *_ in claims:
        if outcome in answered:
            answered[outcome].add(case_id)
        if case_id not in latest or number > latest[case_id][0]:
            latest[case_id] = (number, outcome)
        if reopened:
            reopened_cases.add(case_id)
    count = len(latest)
    outcomes = {
        **{outcome: len(cases) for outcome, cases in answered.items()},
        "pending": sum(1 for _, outcome in latest.values() if outcome == "pending"),
    }
    reopened = len(reopened_cases)
    return {
        "reopen_rate": {"n": count, "reopened": reopened, "rate_pct": share(reopened, count)},
        "fix_outcomes": {
            "n": count,
            **outcomes,
            **{f"{outcome}_pct": share(number, count) for outcome, number in outcomes.items()},
        },
    }


def _backlog(cases: dict[str, Sequence[Any]], at: datetime) -> dict[str, Any]:
    moment = microseconds(at)
    ages = [
        (moment - reported) / 1e6
        for reported, ended in zip(cases["reported_at"], cases["ended_at"], strict=True)
        if reported <= moment and (ended is None or ended > moment)
    ]
    return {
        "at": at,
        **distribution(ages, DAY),
        **{
            f"older_than_{days}_days": sum(1 for age in ages if age > days * DAY)
            for days in BACKLOG_AGES_DAYS
        },
    }


def _month_end(month: str) -> datetime:
    """The first moment of the next month in Malaysia."""
    year, number = (int(part) for part in month.split("-"))
    return datetime(year + number // 12, number % 12 + 1, 1, tzinfo=MALAYSIA)


def resolution_report(
    conn: Connection, filters: Filters, group_by: str | None, now: datetime
) -> dict[str, Any]:
    """Every resolution figure for the filtered cases, overall and per group."""
    return resolution_reports(conn, filters, (group_by,), now)[group_by]


def resolution_reports(
    conn: Connection, filters: Filters, groupings: Sequence[str | None], now: datetime
) -> dict[str | None, dict[str, Any]]:
    """The report for each grouping, from one read of the cases (a dashboard shows several)."""
    for group_by in groupings:
        if group_by is not None and group_by not in GROUPINGS:
            raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}")
    conditions = _conditions(filters, case_metrics)
    if filters.end is not None:
        conditions.append(case_metrics.c.reported_at < filters.end)
    cases = conn.execute(select(*_CASE_COLUMNS).where(*conditions)).all()
    claim_conditions = _conditions(filters, case_resolutions)
    if filters.start is not None:
        claim_conditions.append(case_resolutions.c.resolved_at >= filters.start)
    if filters.end is not None:
        claim_conditions.append(case_resolutions.c.resolved_at < filters.end)
    claims = conn.execute(select(*_CLAIM_COLUMNS).where(*claim_conditions)).all()
    backlog_at = min(filters.end, now) if filters.end else now
    now_us = microseconds(now)

    every_case = _columns(cases)  # the backlog candidates of the total and of every month

    def summary(
        cohort: Sequence[Any],
        its_claims: Sequence[Any],
        candidates: dict[str, Sequence[Any]],
        at: datetime,
    ) -> dict[str, Any]:
        columns = _columns(cohort)
        return {
            "cases": {"n": len(cohort)},
            **_durations(columns),
            "sla": _sla(columns, now_us),
            **_claims(its_claims),
            "backlog": _backlog(candidates, at),
            "stage_time": _stage_time(columns, now_us),
        }

    start, end = _micros(filters.start), _micros(filters.end)
    cohort = [case for case in cases if _in_period(case.reported_at, start, end)]
    overall: dict[str, Any] = {
        "now": now,
        "targets": targets_in_force(conn, filters.ppr_codes),
        "total": summary(cohort, claims, every_case, backlog_at),
    }

    def groups(group_by: str) -> list[dict[str, Any]]:
        cohorts: dict[str, list[Any]] = defaultdict(list)
        grouped_claims: dict[str, list[Any]] = defaultdict(list)
        backlog_candidates: dict[str, list[Any]] = defaultdict(list)
        for case in cohort:
            cohorts[_group_key(group_by, case, case.month)].append(case)
        for claim in claims:
            grouped_claims[_group_key(group_by, claim, claim.month)].append(claim)
        if group_by != "month":
            for case in cases:
                backlog_candidates[_group_key(group_by, case, case.month)].append(case)

        def backlog_point(key: str) -> datetime:
            return min(_month_end(key), backlog_at) if group_by == "month" else backlog_at

        return [
            {
                "key": key,
                **summary(
                    cohorts[key],
                    grouped_claims[key],
                    every_case if group_by == "month" else _columns(backlog_candidates[key]),
                    backlog_point(key),
                ),
            }
            for key in sorted(set(cohorts) | set(grouped_claims))
        ]

    return {
        group_by: overall if group_by is None else {**overall, "groups": groups(group_by)}
        for group_by in groupings
    }


def priority_report(
    conn: Connection,
    filters: Filters,
    visible: Callable[[Any], bool] = lambda row: True,
) -> dict[str, Any]:
    """Community priority cases of the cohort and the share verified fixed, with the list."""
    conditions = _conditions(filters, case_metrics)
    if filters.start is not None:
        conditions.append(case_metrics.c.reported_at >= filters.start)
    if filters.end is not None:
        conditions.append(case_metrics.c.reported_at < filters.end)
    thresholds = {
        row.ppr_code: row.priority_support_threshold
        for row in conn.execute(
            select(ppr_settings.c.ppr_code, ppr_settings.c.priority_support_threshold)
        )
    }
    # The database picks the priorities: of a PPR's thousands of cases, few are.
    threshold = func.coalesce(
        select(ppr_settings.c.priority_support_threshold)
        .where(ppr_settings.c.ppr_code == case_metrics.c.ppr_code)
        .scalar_subquery(),
        DEFAULT_PRIORITY_SUPPORTS,
    )
    conditions.append(
        or_(
            case_metrics.c.designated_priority.is_(true()),
            case_metrics.c.support_count >= threshold,
        )
    )
    priorities = conn.execute(
        select(case_metrics).where(*conditions).order_by(case_metrics.c.reported_at)
    ).all()
    solved = [row for row in priorities if row.close_kind == "verified"]
    by_month: dict[str, list[Any]] = defaultdict(list)
    for row in priorities:
        by_month[row.month].append(row)
    return {
        "thresholds": {
            code: thresholds[code]
            for code in sorted(thresholds)
            if filters.ppr_codes is None or code in filters.ppr_codes
        },
        "n": len(priorities),
        "solved": len(solved),
        "solved_pct": share(len(solved), len(priorities)),
        "by_month": [
            {
                "month": month,
                "n": len(group),
                "solved": sum(1 for row in group if row.close_kind == "verified"),
                "solved_pct": share(
                    sum(1 for row in group if row.close_kind == "verified"), len(group)
                ),
            }
            for month, group in sorted(by_month.items())
        ],
        "cases": [
            {
                "id": row.case_id,
                "ppr": row.ppr_code,
                "category": row.category_code,
                "block": row.block,
                "title": row.title,
                "status": row.status,
                "support_count": row.support_count,
                "designated": row.designated_priority,
                "solved": row.close_kind == "verified",
                "reported_at": row.reported_at,
            }
            for row in priorities
            if visible(row)
        ],
    }


def sla_of_case(conn: Connection, case_id: str, now: datetime) -> dict[str, Any] | None:
    """Each target of one case: due time, elapsed, and remaining or breached by how much."""
    row = conn.execute(select(case_metrics).where(case_metrics.c.case_id == case_id)).first()
    if row is None:
        return None
    targets = targets_in_force(conn, [row.ppr_code]).get(row.ppr_code, {}).get(row.category_code)
    figures = []
    for target, milestone in TARGETS.items():
        due = getattr(row, f"{target}_due_at")
        reached = getattr(row, milestone)
        if due is None:
            continue
        stopped_at = reached or (row.ended_at if row.ended_at else None)
        until = stopped_at or now
        elapsed = (until - row.reported_at).total_seconds()
        late = (until - due).total_seconds()
        clock = SlaClock(SlaTarget(target), row.reported_at, due, reached, row.ended_at)
        state = clock.state(now)
        figures.append(
            {
                "target": target,
                "target_hours": targets[f"{target}_hours"] if targets else None,
                "due_at": due,
                "stopped_at": reached,
                "state": state,
                "elapsed_hours": round(elapsed / HOUR, 2),
                # Running means now <= due: at the due moment itself no time is left (0.0).
                "remaining_hours": round((due - until).total_seconds() / HOUR, 2)
                if state == "running"
                else None,
                "breached_by_hours": round(late / HOUR, 2) if state == "breached" else None,
                "breach_recorded_at": getattr(row, f"{target}_breach_recorded_at"),
            }
        )
    return {
        "case_id": row.case_id,
        "ppr": row.ppr_code,
        "category": row.category_code,
        "now": now,
        "targets": figures,
    }


__all__ = [
    "GROUPINGS",
    "Filters",
    "priority_report",
    "resolution_report",
    "resolution_reports",
    "sla_of_case",
]
