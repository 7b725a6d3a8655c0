"""Perception figures and case-level CSAT, computed from the read models on request.

Definitions (issue 5):

- **Groups**: PPR, wave, construct and audience. ``n`` = responses in the group that answered at
  least one of the construct's items (skipped items do not count).
- **Suppression**: a group with fewer than 5 respondents, or with fewer than 5 from any one of the
  surveys it merges, is shown as ``{"suppressed": true}`` with no figures at all (not zero), so no
  one can be identified (not even by subtracting one survey's figures from the merged ones); a
  gap or trend point that needs a suppressed group is suppressed too.
- **Response rate**: responses of that audience to the survey from that PPR / the audience size the
  admin gave, when the survey covers only that PPR and the size is known; otherwise null.
- Per scale, over the group's answers: **Likert 1-5**: mean, median, top-2-box % (answers of 4 or
  5); **0-10**: mean, median, % of answers from 6 to 10; **yes/no**: % yes.
- **Favourable %**: over all of the group's answers, the share that are top-2-box (1-5), 6-10
  (0-10) or yes; it makes constructs with different scales comparable.
- **Gap**: residents' favourable % minus management's favourable %, per PPR, wave and construct,
  in percentage points. **Trend**: the favourable % of each audience wave by wave (waves in label
  order).
- **Case-level CSAT** per PPR and category: good / rated, where good is a rating of 4 or 5 given
  when a resident confirmed a fix; **rating rate** = rated cases / cases resolved at least once.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, distinct, func, select

from projections.case_list import case_list
from projections.perception import survey_answers, surveys
from projections.resolution_report import share

#: Groups with fewer respondents than this are suppressed.
MINIMUM_GROUP = 5
SUPPRESSED: dict[str, Any] = {"suppressed": True}


def _favourable(scale: str, value: int) -> bool:
    if scale == "likert_5":
        return value >= 4
    if scale == "zero_to_ten":
        return value >= 6
    return value == 1


def _scale_figures(scale: str, values: list[int]) -> dict[str, Any]:
    figures: dict[str, Any] = {"answers": len(values)}
    if scale == "yes_no":
        figures["yes_pct"] = share(sum(values), len(values))
        return figures
    figures["mean"] = round(statistics.fmean(values), 2)
    figures["median"] = statistics.median(values)
    if scale == "likert_5":
        figures["top_2_box_pct"] = share(sum(1 for value in values if value >= 4), len(values))
    else:
        figures["pct_6_to_10"] = share(sum(1 for value in values if value >= 6), len(values))
    return figures


def _group(rows: Sequence[Any], response_rate: float | None) -> dict[str, Any]:
    respondents = {row.response_id for row in rows}
    per_survey: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        per_survey[row.survey_id].add(row.response_id)
    # Each survey's part must be large enough on its own: otherwise a small survey's answers
    # could be recovered by subtracting its suppressed results from the merged group's.
    if min(len(part) for part in per_survey.values()) < MINIMUM_GROUP:
        return dict(SUPPRESSED)
    by_scale: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_scale[row.scale].append(row.value)
    favourable = sum(1 for row in rows if _favourable(row.scale, row.value))
    return {
        "suppressed": False,
        "n": len(respondents),
        "response_rate_pct": response_rate,
        "favourable_pct": share(favourable, len(rows)),
        "scales": {
            scale: _scale_figures(scale, values) for scale, values in sorted(by_scale.items())
        },
    }


def perception_report(
    conn: Connection,
    ppr_codes: Sequence[str] | None,
    *,
    wave: str | None = None,
    construct: str | None = None,
    audience: str | None = None,
    survey_id: str | None = None,
) -> dict[str, Any]:
    """Perception figures per PPR, wave, construct and audience, with gaps and trends."""
    query = select(survey_answers)
    a = survey_answers.c
    if ppr_codes is not None:
        query = query.where(a.ppr_code.in_(list(ppr_codes)))
    for column, value in ((a.wave, wave), (a.construct, construct), (a.audience, audience)):
        if value:
            query = query.where(column == value)
    if survey_id:
        query = query.where(a.survey_id == survey_id)
    answers = conn.execute(query).all()
    survey_rows = {row.survey_id: row for row in conn.execute(select(surveys)).all()}
    # Responses per survey, PPR and audience, counted apart from the filters: a response that
    # skipped the items of the construct asked for still counts towards the response rate.
    counted = select(a.survey_id, a.ppr_code, a.audience, func.count(distinct(a.response_id)))
    if ppr_codes is not None:
        counted = counted.where(a.ppr_code.in_(list(ppr_codes)))
    responses: dict[tuple[str, str, str], int] = {
        (survey, ppr, audience_code): count
        for survey, ppr, audience_code, count in conn.execute(
            counted.group_by(a.survey_id, a.ppr_code, a.audience)
        ).tuples()
    }

    grouped: dict[tuple[str, str, str, str], list[Any]] = defaultdict(list)
    for row in answers:
        grouped[(row.ppr_code, row.wave, row.construct, row.audience)].append(row)

    def rate(rows: Sequence[Any]) -> float | None:
        survey = survey_rows[rows[0].survey_id]
        size = survey.audience_sizes.get(rows[0].audience)
        if not size or survey.ppr_codes != [rows[0].ppr_code]:
            return None
        return share(responses[(survey.survey_id, rows[0].ppr_code, rows[0].audience)], size)

    groups = []
    figures: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for key in sorted(grouped):
        ppr, wave_label, construct_code, audience_code = key
        figures[key] = _group(grouped[key], rate(grouped[key]))
        groups.append(
            {
                "ppr": ppr,
                "wave": wave_label,
                "construct": construct_code,
                "audience": audience_code,
                **figures[key],
            }
        )

    def favourable(key: tuple[str, str, str, str]) -> float | None:
        found = figures.get(key)
        return None if found is None or found["suppressed"] else found["favourable_pct"]

    gaps = []
    trends: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for ppr, wave_label, construct_code in sorted({key[:3] for key in grouped}):
        residents = favourable((ppr, wave_label, construct_code, "residents"))
        management = favourable((ppr, wave_label, construct_code, "management"))
        both_asked = all(
            (ppr, wave_label, construct_code, side) in grouped
            for side in ("residents", "management")
        )
        if both_asked:
            gap = (
                round(residents - management, 2)
                if residents is not None and management is not None
                else None
            )
            gaps.append(
                {
                    "ppr": ppr,
                    "wave": wave_label,
                    "construct": construct_code,
                    "suppressed": gap is None,
                    "gap_points": gap,
                }
            )
        for side in ("residents", "management", "committee"):
            key = (ppr, wave_label, construct_code, side)
            if key in figures:
                trends[(ppr, construct_code, side)].append(
                    {
                        "wave": wave_label,
                        "favourable_pct": favourable(key),
                        "suppressed": figures[key]["suppressed"],
                    }
                )
    return {
        "minimum_group": MINIMUM_GROUP,
        "groups": groups,
        "gaps": gaps,
        "trends": [
            {"ppr": ppr, "construct": construct_code, "audience": side, "waves": points}
            for (ppr, construct_code, side), points in sorted(trends.items())
        ],
    }


def csat_report(conn: Connection, ppr_codes: Sequence[str] | None) -> list[dict[str, Any]]:
    """Case-level CSAT and rating rate per PPR and category."""
    c = case_list.c
    query = select(c.ppr_code, c.category_code, c.rating, c.resolved_at)
    if ppr_codes is not None:
        query = query.where(c.ppr_code.in_(list(ppr_codes)))
    cells: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in conn.execute(query).all():
        cells[(row.ppr_code, row.category_code)].append(row)
    report = []
    for (ppr, category), rows in sorted(cells.items()):
        rated = [row.rating for row in rows if row.rating is not None]
        resolved = [row for row in rows if row.resolved_at is not None]
        good = sum(1 for rating in rated if rating >= 4)
        report.append(
            {
                "ppr": ppr,
                "category": category,
                "n": len(rated),
                "good": good,
                "csat_pct": share(good, len(rated)),
                "resolved": len(resolved),
                "rating_rate_pct": share(len(rated), len(resolved)),
            }
        )
    return report
