"""What each dashboard shows: its sections, each a table drawn as a chart, from the reports.

The figures come from the report functions behind ``/api/v1/metrics``; this module only chooses,
words and lays them out. Each chart is drawn from its table, so both hold the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from domain import clock
from domain.clock import MALAYSIA
from domain.survey import CONSTRUCTS
from projections.case_metrics import TARGETS as SLA_TARGETS
from projections.governance_report import governance_report
from projections.perception_report import csat_report, perception_report
from projections.resolution_report import (
    BACKLOG_AGES_DAYS,
    Filters,
    priority_report,
    resolution_reports,
)
from service.extensions import runtime
from service.tokens.store import Principal
from service.web.common import category_names
from service.web.dashboards import schemas
from service.web.dashboards.charts import Chart, Panel, Row, Table, cell_text, chart_of, slug
from service.web.i18n import category_name, day, gettext, target_label

TARGETS = tuple(SLA_TARGETS)
#: What a table shows where the report has no figure (no case reached that step).
DASH = "\u2013"


# -- the form: which PPR and which period ----------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """What the dashboard form asked for, checked."""

    ppr: str | None
    first_day: date | None
    last_day: date | None
    measure: str
    #: The form's values as given, for the links that keep them (CSV, the other dashboards).
    args: dict[str, str]

    @property
    def start(self) -> datetime | None:
        """The first moment of the period: the first day's midnight in Malaysia."""
        return midnight(self.first_day) if self.first_day else None

    @property
    def end(self) -> datetime | None:
        """The end of the period (excluded): the midnight after the last day, in Malaysia."""
        return midnight(self.last_day + timedelta(days=1)) if self.last_day else None


def midnight(day_: date) -> datetime:
    return datetime.combine(day_, time(0), tzinfo=MALAYSIA)


def scope_codes(filters: Filters, known: dict[str, str]) -> list[str]:
    return list(filters.ppr_codes) if filters.ppr_codes is not None else list(known)


def month_label(key: str) -> str:
    """A Malaysian calendar month key ("2026-03") as people read it ("Mac 2026")."""
    try:
        year, month = (int(part) for part in key.split("-"))
        return day(date(year, month, 1)).split(" ", 1)[1]
    except ValueError:
        return key


# -- what the dashboards show ----------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A part of a dashboard: a heading, a sentence, key figures and panels."""

    key: str
    title: str
    intro: str = ""
    panels: tuple[Panel, ...] = ()
    #: Headline figures: (what, value) each.
    figures: tuple[tuple[str, str], ...] = ()


def measure_names() -> dict[str, str]:
    return {
        "acknowledge": gettext("Time to acknowledge"),
        "first_response": gettext("Time to first response"),
        "resolve": gettext("Time to resolve (claimed fixed)"),
        "close": gettext("Time to close (verified or auto-closed)"),
    }


def _times_table(
    name: str,
    caption: str,
    row_header: str,
    groups: Sequence[tuple[str, dict[str, Any]]],
    total: dict[str, Any],
    total_label: str,
) -> Table:
    columns = [gettext("Cases reported")]
    for label in measure_names().values():
        columns += [
            gettext("%(measure)s: median (hours)", measure=label),
            gettext("%(measure)s: p90 (hours)", measure=label),
        ]

    def row(header: str, figures: dict[str, Any], summary: bool = False) -> Row:
        cells: list[Any] = [figures["cases"]["n"]]
        for measure in schemas.MEASURES:
            duration = figures[f"time_to_{measure}"]
            cells += [duration["median_hours"], duration["p90_hours"]]
        return Row(header, tuple(cells), summary)

    rows = [row(header, figures) for header, figures in groups]
    rows.append(row(total_label, total, True))
    return Table(name, caption, row_header, tuple(columns), tuple(rows))


def _times_chart(table: Table, kind: Literal["bars", "lines"], measure: str, title: str) -> Chart:
    index = 1 + 2 * schemas.MEASURES.index(measure)
    return chart_of(
        table,
        kind,
        title,
        [(index, gettext("Median"), gettext("median")), (index + 1, gettext("p90"), "p90")],
        unit=gettext("hours"),
        description=_described(),
    )


#: A resolution report's group, with the label it is shown under (a month, a category).
Labelled = Sequence[tuple[str, dict[str, Any]]]


def _described() -> str:
    return gettext("The numbers are in the table below.")


def _times_section(
    by_category: Labelled, months: Labelled, total: dict[str, Any], measure_code: str
) -> Section:
    """Median and p90 of each duration by category and by month; the chosen one is drawn."""
    measure = measure_names()[measure_code]
    by_category_table = _times_table(
        "times-by-category",
        gettext("Times by category"),
        gettext("Category"),
        by_category,
        total,
        gettext("All categories"),
    )
    by_month_table = _times_table(
        "times-by-month",
        gettext("Times by month reported"),
        gettext("Month"),
        months,
        total,
        gettext("Whole period"),
    )
    return Section(
        "times",
        gettext("Resolution times"),
        gettext("Hours from the report to each step, for the cases reported in the period."),
        (
            Panel(
                by_category_table,
                _times_chart(
                    by_category_table,
                    "bars",
                    measure_code,
                    gettext("%(measure)s by category: median and p90 (hours)", measure=measure),
                ),
                title=gettext("%(measure)s by category", measure=measure),
            ),
            Panel(
                by_month_table,
                _times_chart(
                    by_month_table,
                    "lines",
                    measure_code,
                    gettext(
                        "%(measure)s by month reported: median and p90 (hours)", measure=measure
                    ),
                ),
                title=gettext("%(measure)s by month", measure=measure),
            ),
        ),
    )


def _sla_section(months: Labelled, total: dict[str, Any]) -> Section:
    """The share of cases breaching each SLA target, month by month."""

    def cells(figures: dict[str, Any]) -> tuple[Any, ...]:
        sla = figures["sla"]
        return tuple(
            cell for target in TARGETS for cell in (sla[target]["breach_pct"], sla[target]["n"])
        )

    columns = tuple(
        column
        for target in TARGETS
        for column in (
            gettext("%(target)s: breached (%%)", target=target_label(target)),
            gettext("%(target)s: cases judged", target=target_label(target)),
        )
    )
    table = Table(
        "sla-by-month",
        gettext("SLA breaches by month reported"),
        gettext("Month"),
        columns,
        (
            *(Row(label, cells(figures)) for label, figures in months),
            Row(gettext("Whole period"), cells(total), True),
        ),
    )
    lines = [(2 * i, target_label(t), target_label(t).lower()) for i, t in enumerate(TARGETS)]
    return Section(
        "sla",
        gettext("SLA breaches"),
        gettext(
            "The share of cases that missed each target, judged against the targets in force "
            "now; open cases past their target count as breached."
        ),
        (
            Panel(
                table,
                chart_of(
                    table,
                    "lines",
                    gettext("SLA breaches by month reported (%)"),
                    lines,
                    unit="%",
                    suffix="%",
                    top=100,
                    description=_described(),
                ),
                title=gettext("SLA breach trend"),
            ),
        ),
    )


def _backlog_section(months: Labelled, total: dict[str, Any]) -> Section:
    """The open cases now (or at the end of the period) by age, and at each month's end."""

    def cells(backlog: dict[str, Any]) -> tuple[Any, ...]:
        return (
            backlog["n"],
            backlog["median_days"],
            backlog["p90_days"],
            *(backlog[f"older_than_{days}_days"] for days in BACKLOG_AGES_DAYS),
        )

    older = [gettext("Open more than %(days)d days", days=days) for days in BACKLOG_AGES_DAYS]
    by_month = Table(
        "backlog-by-month",
        gettext("Backlog at the end of each month"),
        gettext("Month"),
        (gettext("Open cases"), gettext("Median age (days)"), gettext("p90 age (days)"), *older),
        (
            *(Row(label, cells(figures["backlog"])) for label, figures in months),
            Row(gettext("End of the period"), cells(total["backlog"]), True),
        ),
    )
    backlog = total["backlog"]
    by_age = Table(
        "backlog-age",
        gettext("How old the open cases are"),
        gettext("Open cases"),
        (gettext("Cases"),),
        (
            Row(gettext("All open cases"), (backlog["n"],)),
            *(
                Row(label, (backlog[f"older_than_{days}_days"],))
                for label, days in zip(older, BACKLOG_AGES_DAYS, strict=True)
            ),
        ),
    )
    count = [(0, gettext("Open cases"), "")]
    return Section(
        "backlog",
        gettext("Backlog"),
        gettext("Cases reported and not yet closed, withdrawn or otherwise ended."),
        (
            Panel(
                by_age,
                chart_of(
                    by_age,
                    "bars",
                    gettext("Open cases by age"),
                    count,
                    unit=gettext("cases"),
                    description=_described(),
                ),
                title=gettext("How old the open cases are"),
                notes=(
                    gettext(
                        "Median age %(median)s days, p90 %(p90)s days.",
                        median=cell_text(backlog["median_days"], DASH),
                        p90=cell_text(backlog["p90_days"], DASH),
                    ),
                ),
            ),
            Panel(
                by_month,
                chart_of(
                    by_month,
                    "lines",
                    gettext("Open cases at the end of each month"),
                    count,
                    unit=gettext("cases"),
                    description=_described(),
                ),
                title=gettext("Backlog trend"),
            ),
        ),
    )


def _fixes_section(months: Labelled, total: dict[str, Any]) -> Section:
    """Claims of a fix and what residents said about them, by the month of the claim."""

    def cells(outcomes: dict[str, Any]) -> tuple[Any, ...]:
        return (
            outcomes["n"],
            outcomes["confirmed"],
            outcomes["confirmed_pct"],
            outcomes["disputed"],
            outcomes["auto_closed"],
            outcomes["pending"],
        )

    table = Table(
        "claimed-vs-verified",
        gettext("Claimed fixed and verified by residents, by month of the claim"),
        gettext("Month"),
        (
            gettext("Claimed fixed"),
            gettext("Verified by the resident"),
            gettext("Verified (%)"),
            gettext("Disputed"),
            gettext("Closed automatically"),
            gettext("Still waiting for the resident"),
        ),
        (
            *(
                Row(label, cells(figures["fix_outcomes"]))
                for label, figures in months
                if figures["fix_outcomes"]["n"]
            ),
            Row(gettext("Whole period"), cells(total["fix_outcomes"]), True),
        ),
    )
    return Section(
        "fixes",
        gettext("Claimed fixed and resident-verified"),
        gettext(
            "Management claims a fix; the resident who reported the case confirms or disputes "
            "it. A case disputed and later confirmed counts in both."
        ),
        (
            Panel(
                table,
                chart_of(
                    table,
                    "lines",
                    gettext("Claimed fixed and verified by residents, by month"),
                    [
                        (0, gettext("Claimed fixed"), gettext("claimed")),
                        (1, gettext("Verified by the resident"), gettext("verified")),
                    ],
                    unit=gettext("cases"),
                    description=_described(),
                ),
                title=gettext("Claimed fixed vs resident-verified"),
            ),
        ),
    )


def _priorities_section(priorities: dict[str, Any]) -> Section:
    """Community priority problems and the share verified fixed, by the month reported."""
    table = Table(
        "priorities",
        gettext("Community priority problems by month reported"),
        gettext("Month"),
        (gettext("Priority problems"), gettext("Solved (verified fixed)"), gettext("Solved (%)")),
        (
            *(
                Row(month_label(month["month"]), (month["n"], month["solved"], month["solved_pct"]))
                for month in priorities["by_month"]
            ),
            Row(
                gettext("Whole period"),
                (priorities["n"], priorities["solved"], priorities["solved_pct"]),
                True,
            ),
        ),
    )
    thresholds = ", ".join(f"{code}: {count}" for code, count in priorities["thresholds"].items())
    return Section(
        "priorities",
        gettext("Priority problems solved"),
        gettext(
            "Cases with enough supports from residents, or chosen by the committee; solved "
            "means a resident confirmed the fix."
        ),
        (
            Panel(
                table,
                chart_of(
                    table,
                    "lines",
                    gettext("Community priority problems and those solved, by month"),
                    [
                        (0, gettext("Priority problems"), gettext("priorities")),
                        (1, gettext("Solved (verified fixed)"), gettext("solved")),
                    ],
                    unit=gettext("cases"),
                    description=_described(),
                ),
                title=gettext("Priority problems solved"),
                notes=(gettext("Supports that make a priority: %(list)s", list=thresholds),)
                if thresholds
                else (),
            ),
        ),
    )


def _summary(total: dict[str, Any], priorities: dict[str, Any], now: datetime) -> Section:
    """The headline figures of the period."""

    def percent(value: float | None) -> str:
        return f"{cell_text(value, DASH)} %"

    median = cell_text(total["time_to_resolve"]["median_hours"], DASH)
    return Section(
        "summary",
        gettext("In short"),
        figures=(
            (gettext("Cases reported"), cell_text(total["cases"]["n"])),
            (
                # The backlog is counted at the end of a period that is over, else now.
                gettext("Open now (backlog)")
                if total["backlog"]["at"] >= now
                else gettext("Open at the end of the period (backlog)"),
                cell_text(total["backlog"]["n"]),
            ),
            (gettext("Median time to resolve"), gettext("%(hours)s hours", hours=median)),
            (gettext("Resolve target breached"), percent(total["sla"]["resolve"]["breach_pct"])),
            (gettext("Reopened within 30 days"), percent(total["reopen_rate"]["rate_pct"])),
            (gettext("Priority problems solved"), percent(priorities["solved_pct"])),
        ),
    )


def _cases_sections(
    viewer: Principal, filters: Filters, query: Query, known: dict[str, str]
) -> list[Section]:
    """Resolution times, SLA breaches, backlog, claimed vs verified fixes and priorities."""
    now = clock.now()

    with runtime().engine.connect() as conn:
        reports = resolution_reports(conn, filters, ("category", "month"), now)
        by_category, by_month = reports["category"], reports["month"]
        # The dashboard shows the priority figures, not the list the visibility rule filters.
        priorities = priority_report(conn, filters)
    categories = category_names(scope_codes(filters, known))
    total = by_category["total"]
    category_groups = [
        (category_name(categories, group["key"]), group) for group in by_category.get("groups", [])
    ]
    months = [(month_label(group["key"]), group) for group in by_month.get("groups", [])]
    return [
        _summary(total, priorities, now),
        _times_section(category_groups, months, total, query.measure),
        _sla_section(months, total),
        _backlog_section(months, total),
        _fixes_section(months, total),
        _priorities_section(priorities),
    ]


# -- governance and inclusion ----------------------------------------------------------------------


def _group_label(value: str) -> str:
    """A self-declared gender or age band in words ("undeclared" is "not declared")."""
    return {
        "female": gettext("Women"),
        "male": gettext("Men"),
        "undeclared": gettext("Not declared"),
    }.get(value, value)


def _attendance_label(key: str) -> str:
    gender, _, band = key.partition("/")
    return f"{_group_label(gender)}, {_group_label(band)}" if band else _group_label(gender)


def _share_table(
    name: str, caption: str, heading: str, seats: dict[str, Any], leaders: dict[str, Any]
) -> Table:
    groups = sorted(set(seats.get("groups", {})) | set(leaders.get("groups", {})))
    rows = []
    for group in groups:
        # A group the report does not list holds none of those seats: 0 %, when there are any.
        seat = seats["groups"].get(group, {"seats": 0, "share_pct": 0.0 if seats["n"] else None})
        lead = leaders["groups"].get(
            group, {"seats": 0, "share_pct": 0.0 if leaders["n"] else None}
        )
        rows.append(
            Row(
                _group_label(group),
                (seat["seats"], seat["share_pct"], lead["seats"], lead["share_pct"]),
            )
        )
    if groups:
        rows.append(Row(gettext("All seats"), (seats["n"], None, leaders["n"], None), True))
    return Table(
        name,
        caption,
        heading,
        (
            gettext("Seats"),
            gettext("Share of seats (%)"),
            gettext("Leadership seats"),
            gettext("Share of leadership (%)"),
        ),
        tuple(rows),
    )


def _governance_sections(
    viewer: Principal, filters: Filters, query: Query, known: dict[str, str]
) -> list[Section]:
    """Meetings and quorum, attendance, seat and leadership shares, blocks and decisions."""
    with runtime().engine.connect() as conn:
        report = governance_report(conn, filters.ppr_codes, filters.start, filters.end, clock.now())
    described = _described()
    value = (gettext("Number"),)
    meetings, minutes = report["meetings"], report["minutes"]
    meeting_table = Table(
        "meetings",
        gettext("Meetings and quorum"),
        gettext("Figure"),
        value,
        (
            Row(gettext("Meetings held"), (meetings["held"],)),
            Row(gettext("Meetings that met their quorum"), (meetings["quorum_met"],)),
            Row(gettext("Quorum met (%)"), (meetings["quorum_met_pct"],), True),
            Row(gettext("Minutes not yet published"), (minutes["unpublished"],), True),
            Row(
                gettext("Median days to publish the minutes"),
                (minutes["lag"]["median_days"],),
                True,
            ),
        ),
    )
    attendance = report["attendance"]
    attendance_table = Table(
        "attendance",
        gettext("Residents attending meetings, by group"),
        gettext("Group (gender, age band)"),
        (gettext("Residents attending"),),
        (
            *(
                Row(_attendance_label(group), (count,))
                for group, count in attendance["residents_by_group"].items()
            ),
            Row(gettext("All residents attending"), (attendance["residents_total"],), True),
            Row(
                gettext("Different residents who signed the register"),
                (attendance["distinct_residents_signed"],),
                True,
            ),
            Row(
                gettext("Management present (all meetings)"),
                (attendance["management_present_total"],),
                True,
            ),
        ),
    )
    shares = []
    for split, name, caption, heading in (
        (
            "by_gender",
            "seats-by-gender",
            gettext("Seats and leadership by gender"),
            gettext("Gender"),
        ),
        (
            "by_age_band",
            "seats-by-age",
            gettext("Seats and leadership by age band"),
            gettext("Age band"),
        ),
    ):
        table = _share_table(
            name, caption, heading, report["seats"][split], report["leadership"][split]
        )
        shares.append(
            Panel(
                table,
                chart_of(
                    table,
                    "bars",
                    gettext("%(what)s: share of seats and of leadership (%%)", what=caption),
                    [
                        (1, gettext("All seats"), gettext("seats")),
                        (3, gettext("Chair, secretary and treasurer"), gettext("leaders")),
                    ],
                    unit="%",
                    suffix="%",
                    top=100,
                    description=described,
                ),
                title=caption,
            )
        )
    blocks = report["blocks"]
    block_table = Table(
        "seats-by-block",
        gettext("Committee seats by block"),
        gettext("Block"),
        (gettext("Seats"),),
        tuple(Row(block, (seats,)) for block, seats in blocks["seats_by_block"].items()),
    )
    decisions = report["decisions"]
    decision_table = Table(
        "decisions",
        gettext("Committee decisions and management's answers"),
        gettext("Figure"),
        value,
        (
            Row(gettext("Decisions made"), (decisions["made"],)),
            Row(gettext("Answered by management"), (decisions["answered"],)),
            Row(gettext("Implemented (verified by the committee)"), (decisions["verified"],)),
            Row(gettext("Rejected by management"), (decisions["rejected"],)),
            Row(gettext("Overdue"), (decisions["overdue"],)),
            Row(gettext("Management response rate (%)"), (decisions["response_rate_pct"],), True),
            Row(gettext("Decisions implemented (%)"), (decisions["implemented_pct"],), True),
            Row(
                gettext("Median days for management to answer"),
                (decisions["time_to_respond"]["median_days"],),
                True,
            ),
        ),
    )
    count = [(0, gettext("Number"), "")]
    return [
        Section(
            "governance",
            gettext("Meetings and attendance"),
            gettext("Meetings held in the period and who came to them."),
            (
                Panel(
                    meeting_table,
                    chart_of(
                        meeting_table,
                        "bars",
                        gettext("Meetings held and quorate"),
                        count,
                        description=described,
                    ),
                    title=gettext("Meetings and quorum"),
                ),
                Panel(
                    attendance_table,
                    chart_of(
                        attendance_table,
                        "bars",
                        gettext("Residents attending, by group"),
                        count,
                        unit=gettext("residents"),
                        description=described,
                    ),
                    title=gettext("Attendance by group"),
                ),
            ),
        ),
        Section(
            "inclusion",
            gettext("Inclusion on the committee"),
            gettext(
                "Seats held at the end of the period, by the members' self-declared gender and age "
                "band; leadership is the chair, the secretary and the treasurer."
            ),
            (
                *shares,
                Panel(
                    block_table,
                    chart_of(
                        block_table,
                        "bars",
                        gettext("Committee seats by block"),
                        count,
                        unit=gettext("seats"),
                        description=described,
                    ),
                    title=gettext("Seats by block"),
                    notes=(
                        gettext(
                            "Blocks without a seat: %(blocks)s",
                            blocks=", ".join(blocks["unrepresented"]),
                        ),
                    )
                    if blocks["unrepresented"]
                    else (),
                ),
            ),
        ),
        Section(
            "decisions",
            gettext("Decisions"),
            gettext("Decisions made in the period, and what management did with them."),
            (
                Panel(
                    decision_table,
                    chart_of(
                        decision_table,
                        "bars",
                        gettext("Decisions and management's answers"),
                        count,
                        description=described,
                    ),
                    title=gettext("Decisions and answers"),
                ),
            ),
        ),
    ]


# -- perception ------------------------------------------------------------------------------------


def construct_label(code: str) -> str:
    """A survey construct in words."""
    names = {
        "trust_in_committee": gettext("Trust in the committee"),
        "trust_in_management": gettext("Trust in management"),
        "perception_of_co_management": gettext("Perception of co-management"),
        "responsiveness": gettext("Responsiveness"),
        "sense_of_belonging": gettext("Sense of belonging"),
        "quality_of_life": gettext("Quality of life"),
    }
    return names.get(code, code.replace("_", " ").capitalize())


def _construct_order(code: str) -> tuple[int, str]:
    return (CONSTRUCTS.index(code) if code in CONSTRUCTS else len(CONSTRUCTS), code)


def _side_cells(group: dict[str, Any] | None) -> tuple[Any, Any]:
    if group is None:
        return None, None
    if group["suppressed"]:
        hidden = gettext("hidden")
        return hidden, hidden
    return group["n"], group["favourable_pct"]


def _perception_sections(
    viewer: Principal, filters: Filters, query: Query, known: dict[str, str]
) -> list[Section]:
    """Perception per construct and side with the gap, per wave; satisfaction with fixes."""
    with runtime().engine.connect() as conn:
        report = perception_report(conn, filters.ppr_codes)
        csat = csat_report(conn, filters.ppr_codes)
    described = _described()
    cells: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(lambda: defaultdict(dict))
    for group in report["groups"]:
        cells[(group["ppr"], group["wave"])][group["construct"]][group["audience"]] = group
    gaps = {(g["ppr"], g["wave"], g["construct"]): g for g in report["gaps"]}
    panels: list[Panel] = []
    waves_of: dict[str, list[str]] = defaultdict(list)
    for (ppr, wave), constructs in sorted(cells.items()):
        waves_of[ppr].append(wave)
        rows = []
        for construct in sorted(constructs, key=_construct_order):
            sides = constructs[construct]
            gap = gaps.get((ppr, wave, construct))
            gap_cell: Any = None
            if gap is not None:
                gap_cell = gettext("hidden") if gap["suppressed"] else gap["gap_points"]
            rows.append(
                Row(
                    construct_label(construct),
                    (
                        *_side_cells(sides.get("residents")),
                        *_side_cells(sides.get("management")),
                        gap_cell,
                    ),
                )
            )
        caption = gettext(
            "Perception in %(ppr)s, wave %(wave)s", ppr=known.get(ppr, ppr), wave=wave
        )
        table = Table(
            slug(f"perception-{ppr}-{wave}"),
            caption,
            gettext("Construct"),
            (
                gettext("Residents: respondents"),
                gettext("Residents: favourable (%)"),
                gettext("Management: respondents"),
                gettext("Management: favourable (%)"),
                gettext("Gap (residents minus management, points)"),
            ),
            tuple(rows),
        )
        panels.append(
            Panel(
                table,
                chart_of(
                    table,
                    "bars",
                    gettext("%(what)s: favourable answers by side (%%)", what=caption),
                    [
                        (1, gettext("Residents"), gettext("residents")),
                        (3, gettext("Management"), gettext("management")),
                    ],
                    unit="%",
                    suffix="%",
                    top=100,
                    description=described,
                ),
                title=caption,
            )
        )
    for ppr, waves in sorted(waves_of.items()):
        if len(waves) < 2:
            continue
        constructs_here = sorted(
            {c for wave in waves for c in cells[(ppr, wave)]}, key=_construct_order
        )
        rows = []
        for construct in constructs_here:
            trend: list[Any] = []
            for wave in waves:
                gap = gaps.get((ppr, wave, construct))
                trend.append(None if gap is None or gap["suppressed"] else gap["gap_points"])
            rows.append(Row(construct_label(construct), tuple(trend)))
        caption = gettext("The gap wave by wave in %(ppr)s", ppr=known.get(ppr, ppr))
        table = Table(
            slug(f"perception-gap-trend-{ppr}"),
            caption,
            gettext("Construct"),
            tuple(waves),
            tuple(rows),
        )
        panels.append(
            Panel(
                table,
                chart_of(
                    table,
                    "bars",
                    gettext("%(what)s (residents minus management, points)", what=caption),
                    [(index, wave, wave) for index, wave in enumerate(waves)],
                    unit=gettext("percentage points"),
                    description=described,
                ),
                title=caption,
            )
        )
    categories = category_names({row["ppr"] for row in csat})
    csat_table = Table(
        "satisfaction-with-fixes",
        gettext("Residents' satisfaction with fixes, by category"),
        gettext("Category"),
        (
            gettext("Fixes rated"),
            gettext("Rated 4 or 5 stars"),
            gettext("Satisfied (%)"),
            gettext("Cases resolved"),
            gettext("Rated (%)"),
        ),
        tuple(
            Row(
                f"{row['ppr']} \u00b7 {category_name(categories, row['category'])}"
                if filters.ppr_codes is None or len(filters.ppr_codes) > 1
                else category_name(categories, row["category"]),
                (row["n"], row["good"], row["csat_pct"], row["resolved"], row["rating_rate_pct"]),
            )
            for row in csat
        ),
    )
    minimum = report["minimum_group"]
    return [
        Section(
            "perception",
            gettext("Perception surveys"),
            gettext(
                "Favourable answers per construct, from residents and from management, and the gap "
                "between them, for each survey wave. Groups of fewer than %(num)d respondents are "
                "hidden so that no one can be recognised.",
                num=minimum,
            ),
            tuple(panels)
            or (
                Panel(
                    Table(
                        "perception", gettext("Perception surveys"), gettext("Construct"), (), ()
                    ),
                    title=gettext("Perception surveys"),
                ),
            ),
        ),
        Section(
            "satisfaction",
            gettext("Satisfaction with fixes"),
            gettext("Stars given by residents when they confirmed a fix."),
            (
                Panel(
                    csat_table,
                    chart_of(
                        csat_table,
                        "bars",
                        gettext("Residents satisfied with the fix, by category (%)"),
                        [(2, gettext("Satisfied (%)"), "")],
                        unit="%",
                        suffix="%",
                        top=100,
                        description=described,
                    ),
                    title=gettext("Satisfaction with fixes"),
                ),
            ),
        ),
    ]


Builder = Callable[[Principal, Filters, Query, dict[str, str]], list[Section]]

#: Each dashboard: its endpoint, its builder and its title.
DASHBOARDS: dict[str, Builder] = {
    "cases": _cases_sections,
    "governance": _governance_sections,
    "perception": _perception_sections,
}
