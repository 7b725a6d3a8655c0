"""Perception figures and case-level CSAT, computed from the read models on request.

Definitions (issue 5):

- **Groups**: PPR, wave, construct and audience. ``n`` = responses in the group that answered at
  least one of the construct's items (skipped items do not count).
- **Suppression**: a group with fewer than 5 respondents, or with fewer than 5 from any one of the
  surveys it merges, is shown as ``{"suppressed": true}`` with no figures at all (not zero), so no
  one can be identified (not even by subtracting one survey's figures from the merged ones); a
  gap or trend point that needs a suppressed group is suppressed too.
- **Response rate**: responses of that audience to the survey from that PPR / the audience size the
  admin gave, when the survey covers only that PPR and the size is known; otherwise null. A group
  that merges several surveys of the wave adds up their responses and their sizes (null unless
  every one of them qualifies).
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

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, case, distinct, func, select
from sqlalchemy.sql.elements import ColumnElement

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


def _median(histogram: dict[int, int], count: int) -> float:
    """The median of ``count`` answers given as value -> how many (as ``statistics.median``)."""
    lower, upper = (count - 1) // 2, count // 2  # the middle answer's place, or the two middle
    seen, low = 0, None
    for value in sorted(histogram):
        seen += histogram[value]
        if low is None and seen > lower:
            low = value
        if low is not None and seen > upper:
            return low if lower == upper else (low + value) / 2
    raise ValueError("no answers")


def _scale_figures(scale: str, histogram: dict[int, int]) -> dict[str, Any]:
    count = sum(histogram.values())
    total = sum(value * times for value, times in histogram.items())
    figures: dict[str, Any] = {"answers": count}
    if scale == "yes_no":
        figures["yes_pct"] = share(total, count)
        return figures
    figures["mean"] = round(total / count, 2)
    figures["median"] = _median(histogram, count)
    high = sum(times for value, times in histogram.items() if _favourable(scale, value))
    figures["top_2_box_pct" if scale == "likert_5" else "pct_6_to_10"] = share(high, count)
    return figures


def _group(
    respondents: dict[str, int], histograms: dict[str, dict[int, int]], rate: float | None
) -> dict[str, Any]:
    """A group's figures from its respondents per survey and its answers per scale and value."""
    # Each survey's part must be large enough on its own: otherwise a small survey's answers
    # could be recovered by subtracting its suppressed results from the merged group's.
    if min(respondents.values()) < MINIMUM_GROUP:
        return dict(SUPPRESSED)
    answers = sum(sum(histogram.values()) for histogram in histograms.values())
    favourable = sum(
        times
        for scale, histogram in histograms.items()
        for value, times in histogram.items()
        if _favourable(scale, value)
    )
    return {
        "suppressed": False,
        # A response belongs to one survey, so the parts add up to the group's respondents.
        "n": sum(respondents.values()),
        "response_rate_pct": rate,
        "favourable_pct": share(favourable, answers),
        "scales": {
            scale: _scale_figures(scale, histogram)
            for scale, histogram in sorted(histograms.items())
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
    a = survey_answers.c
    conditions: list[ColumnElement[bool]] = []
    if ppr_codes is not None:
        conditions.append(a.ppr_code.in_(list(ppr_codes)))
    for column, value in ((a.wave, wave), (a.construct, construct), (a.audience, audience)):
        if value:
            conditions.append(column == value)
    if survey_id:
        conditions.append(a.survey_id == survey_id)
    group_columns = (a.ppr_code, a.wave, a.construct, a.audience)
    # The database counts: respondents per group and survey, answers per group, scale and value.
    respondents: dict[tuple[str, str, str, str], dict[str, int]] = defaultdict(dict)
    for ppr, wave_label, construct_code, audience_code, survey, count in conn.execute(
        select(*group_columns, a.survey_id, func.count(distinct(a.response_id)))
        .where(*conditions)
        .group_by(*group_columns, a.survey_id)
    ).tuples():
        respondents[(ppr, wave_label, construct_code, audience_code)][survey] = count
    histograms: dict[tuple[str, str, str, str], dict[str, dict[int, int]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for ppr, wave_label, construct_code, audience_code, scale, value, count in conn.execute(
        select(*group_columns, a.scale, a.value, func.count())
        .where(*conditions)
        .group_by(*group_columns, a.scale, a.value)
    ).tuples():
        histograms[(ppr, wave_label, construct_code, audience_code)][scale][value] = count
    asked = {survey for parts in respondents.values() for survey in parts}
    survey_rows = {
        row.survey_id: row
        for row in conn.execute(
            select(surveys.c.survey_id, surveys.c.ppr_codes, surveys.c.audience_sizes).where(
                surveys.c.survey_id.in_(sorted(asked))
            )
        ).all()
    }
    # Responses per survey, PPR and audience, counted apart from the filters: a response that
    # skipped the items of the construct asked for still counts towards the response rate.
    counted = select(
        a.survey_id, a.ppr_code, a.audience, func.count(distinct(a.response_id))
    ).where(a.survey_id.in_(sorted(asked)))
    if ppr_codes is not None:
        counted = counted.where(a.ppr_code.in_(list(ppr_codes)))
    responses: dict[tuple[str, str, str], int] = {
        (survey, ppr, audience_code): count
        for survey, ppr, audience_code, count in conn.execute(
            counted.group_by(a.survey_id, a.ppr_code, a.audience)
        ).tuples()
    }

    def rate(key: tuple[str, str, str, str]) -> float | None:
        ppr, _, _, audience_code = key
        answered = sizes = 0
        for survey_code in respondents[key]:
            survey = survey_rows[survey_code]
            size = survey.audience_sizes.get(audience_code)
            if not size or survey.ppr_codes != [ppr]:
                return None
            answered += responses[(survey_code, ppr, audience_code)]
            sizes += size
        return share(answered, sizes)

    groups = []
    figures: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for key in sorted(respondents):
        ppr, wave_label, construct_code, audience_code = key
        figures[key] = _group(respondents[key], histograms[key], rate(key))
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
    for ppr, wave_label, construct_code in sorted({key[:3] for key in respondents}):
        residents = favourable((ppr, wave_label, construct_code, "residents"))
        management = favourable((ppr, wave_label, construct_code, "management"))
        both_asked = all(
            (ppr, wave_label, construct_code, side) in respondents
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
    query = select(
        c.ppr_code,
        c.category_code,
        func.count(c.rating),
        func.count(case((c.rating >= 4, 1))),
        func.count(c.resolved_at),
    ).group_by(c.ppr_code, c.category_code)
    if ppr_codes is not None:
        query = query.where(c.ppr_code.in_(list(ppr_codes)))
    return [
        {
            "ppr": ppr,
            "category": category,
            "n": rated,
            "good": good,
            "csat_pct": share(good, rated),
            "resolved": resolved,
            "rating_rate_pct": share(rated, resolved),
        }
        for ppr, category, rated, good, resolved in sorted(conn.execute(query).tuples())
    ]
