"""Resolution metrics, SLA clocks, priority problems and past states through the HTTP API.

Each test works in a PPR of its own (registered on the module's shared storage), so its figures
are exactly the cases it made. Times that matter are backfilled with ``occurred_at`` by admin and
committee, the roles allowed to record an earlier time; read models are caught up with
``Cast.project()`` before lists, metrics and SLA clocks are read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.actors import Role
from domain.clock import MALAYSIA
from tests.e2e.conftest import REPORT, SLA, Caller, Cast

PROBLEM_JSON = "application/problem+json"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

#: The figure groups of the resolution endpoint, for every group of cases.
FIGURE_GROUPS = {
    "cases",
    "time_to_acknowledge",
    "time_to_first_response",
    "time_to_resolve",
    "time_to_close",
    "sla",
    "reopen_rate",
    "fix_outcomes",
    "backlog",
    "stage_time",
}


@dataclass
class Scheme:
    """A PPR of the test's own, with its staff and three residents."""

    code: str
    committee: Caller
    management: Caller
    resident: Caller
    neighbour: Caller
    third: Caller


def fresh_ppr(cast: Cast) -> Scheme:
    """Register a PPR like SRP (blocks A and B; LIFT and WATER with the usual targets)."""
    code = f"M{uuid.uuid4().hex[:8].upper()}"
    admin = cast.admin
    assert admin.post("/api/v1/pprs", json={"code": code, "name": "PPR Metrik"}).status_code == 201
    for block in ("A", "B"):
        body = {"code": block, "name": f"Blok {block}", "floors": 17}
        assert admin.post(f"/api/v1/pprs/{code}/blocks", json=body).status_code == 201
    for category in ("LIFT", "WATER"):
        body = {"code": category, "name_ms": category, "name_en": category, "sla": SLA}
        assert admin.post(f"/api/v1/pprs/{code}/categories", json=body).status_code == 201
    return Scheme(
        code=code,
        committee=cast.caller(Role.COMMITTEE, [code], "Pengerusi"),
        management=cast.caller(Role.MANAGEMENT, [code], "Pegawai"),
        resident=cast.caller(Role.RESIDENT, [code], "Puan Rosnah"),
        neighbour=cast.caller(Role.RESIDENT, [code], "Encik Tan"),
        third=cast.caller(Role.RESIDENT, [code], "Cik Kavitha"),
    )


def now_utc() -> datetime:
    """Now, to the second (so backfilled times and hand-computed hours stay round)."""
    return datetime.now(tz=UTC).replace(microsecond=0)


def month_of(moment: datetime) -> str:
    """The Malaysian calendar month of a moment, as the metrics key it."""
    return moment.astimezone(MALAYSIA).strftime("%Y-%m")


def report(caller: Caller, ppr: str, at: datetime | None = None, **overrides: Any) -> str:
    """Report a case in ``ppr`` (at ``at``, for a backfilling caller) and return its id."""
    body = {**REPORT, "ppr": ppr, **overrides}
    if at is not None:
        body["occurred_at"] = at.isoformat()
    response = caller.post("/api/v1/cases", json=body)
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def act(
    caller: Caller, case_id: str, command: str, at: datetime | None = None, **body: Any
) -> dict[str, Any]:
    """Run a command on a case (at ``at``, for a backfilling caller); returns the case."""
    if at is not None:
        body["occurred_at"] = at.isoformat()
    response = caller.post(f"/api/v1/cases/{case_id}/{command}", json=body)
    assert response.status_code == 200, (command, response.get_json())
    return dict(response.get_json())


def get_json(caller: Caller, path: str, **query: Any) -> dict[str, Any]:
    """GET that must succeed; returns the body."""
    response = caller.get(path, query_string=query)
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


def assert_refused(response: Any, status: int) -> None:
    """A refusal with the given status, as problem+json."""
    assert response.status_code == status, response.get_json()
    assert response.headers["Content-Type"] == PROBLEM_JSON
    assert response.get_json()["status"] == status


def figure_groups_without_n(figures: dict[str, Any], path: str = "") -> list[str]:
    """Paths of the figure groups (dicts holding values, not only further groups) lacking ``n``."""
    missing = []
    nested = {key: value for key, value in figures.items() if isinstance(value, dict)}
    if len(nested) < len(figures) and "n" not in figures:
        missing.append(path or "<top>")
    for key, value in nested.items():
        missing.extend(figure_groups_without_n(value, f"{path}.{key}" if path else key))
    return missing


def parse(moment: str) -> datetime:
    """A datetime of a response."""
    return datetime.fromisoformat(moment)


# -- resolution figures ---------------------------------------------------------------------------


@dataclass
class History:
    """Three cases of a fresh PPR with backfilled times, and when each was reported."""

    scheme: Scheme
    now: datetime
    fixed: str  # LIFT, block A: reported 10 days ago, fixed and confirmed
    waiting: str  # WATER, block B: reported 3 days ago, nobody has looked at it
    dropped: str  # LIFT, block B: reported 45 days ago, no further action 2 hours later
    fixed_at: datetime
    waiting_at: datetime
    dropped_at: datetime

    @property
    def resolved_at(self) -> datetime:
        """When the fixed case was claimed fixed."""
        return self.fixed_at + 200 * HOUR


@pytest.fixture(scope="module")
def history(shared_cast: Cast) -> History:
    """The module's read-only world for the resolution figures.

    - ``fixed``: acknowledged after 6 h, first (committee) response after 30 h, resolved after
      200 h (the 168 h target is breached), confirmed by the reporter after 210 h.
    - ``waiting``: open for 72 h without acknowledgement or response: ongoing breaches of the 24 h
      and 48 h targets; the 168 h resolve target is not due yet.
    - ``dropped``: ended (no further action) after 2 h without any milestone: counted in no SLA.
    """
    cast = shared_cast
    scheme = fresh_ppr(cast)
    now = now_utc()
    fixed_at, waiting_at, dropped_at = now - 10 * DAY, now - 3 * DAY, now - 45 * DAY
    admin = cast.admin
    fixed = report(admin, scheme.code, fixed_at, unit=None, common_area="lobi lif")
    act(admin, fixed, "acknowledge", fixed_at + 6 * HOUR)
    act(scheme.committee, fixed, "comment", fixed_at + 30 * HOUR, text="Kami sudah maklum.")
    act(admin, fixed, "resolve", fixed_at + 200 * HOUR, note="Motor diganti.")
    act(admin, fixed, "confirm", fixed_at + 210 * HOUR, rating=5)
    waiting = report(admin, scheme.code, waiting_at, category="WATER", block="B")
    dropped = report(admin, scheme.code, dropped_at, block="B")
    act(admin, dropped, "no-further-action", dropped_at + 2 * HOUR, reason="Di bawah JKR.")
    cast.project()
    return History(scheme, now, fixed, waiting, dropped, fixed_at, waiting_at, dropped_at)


def test_the_resolution_figures_are_computed_from_the_backfilled_times(history: History) -> None:
    body = get_json(history.scheme.committee, "/api/v1/metrics/resolution")

    total = body["total"]
    assert set(total) == FIGURE_GROUPS
    assert "groups" not in body
    assert total["cases"] == {"n": 3}
    assert total["time_to_acknowledge"] == {"n": 1, "median_hours": 6.0, "p90_hours": 6.0}
    assert total["time_to_first_response"] == {"n": 1, "median_hours": 30.0, "p90_hours": 30.0}
    assert total["time_to_resolve"] == {"n": 1, "median_hours": 200.0, "p90_hours": 200.0}
    assert total["time_to_close"] == {
        "n": 1,
        "median_hours": 210.0,
        "p90_hours": 210.0,
        "verified": {"n": 1, "median_hours": 210.0, "p90_hours": 210.0},
        "auto": {"n": 0, "median_hours": None, "p90_hours": None},
    }
    ongoing_breach = {"n": 2, "stopped": 1, "breached": 1, "ongoing_breached": 1}
    assert total["sla"] == {
        "acknowledge": {**ongoing_breach, "breach_pct": 50.0},
        "first_response": {**ongoing_breach, "breach_pct": 50.0},
        "resolve": {
            "n": 1,
            "stopped": 1,
            "breached": 1,
            "ongoing_breached": 0,
            "breach_pct": 100.0,
        },
    }
    assert total["reopen_rate"] == {"n": 1, "reopened": 0, "rate_pct": 0.0}
    assert total["fix_outcomes"] == {
        "n": 1,
        "confirmed": 1,
        "disputed": 0,
        "auto_closed": 0,
        "pending": 0,
        "confirmed_pct": 100.0,
        "disputed_pct": 0.0,
        "auto_closed_pct": 0.0,
        "pending_pct": 0.0,
    }
    backlog = total["backlog"]
    assert (backlog["n"], backlog["older_than_7_days"]) == (1, 0)
    assert backlog["median_days"] == pytest.approx(3.0, abs=0.02)
    stages = total["stage_time"]
    assert {party: stages[party]["n"] for party in stages} == {
        "management": 3,
        "committee": 0,
        "resident": 1,
        "contractor": 0,
    }
    assert stages["resident"]["total_hours"] == 10.0  # from the fix claim to the confirmation
    # 200 h (fixed) + about 72 h so far (waiting) + 2 h (dropped).
    assert stages["management"]["total_hours"] == pytest.approx(274.0, abs=0.1)


def test_every_figure_comes_with_its_n_and_the_targets_it_was_judged_against(
    history: History,
) -> None:
    body = get_json(history.scheme.management, "/api/v1/metrics/resolution", group_by="block")

    assert figure_groups_without_n(body["total"]) == []
    for group in body["groups"]:
        assert figure_groups_without_n({k: v for k, v in group.items() if k != "key"}) == []
    assert body["targets"] == {history.scheme.code: {"LIFT": SLA, "WATER": SLA}}
    assert parse(body["now"]) >= history.now


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        ("category", {"LIFT": 2, "WATER": 1}),
        ("block", {"A": 1, "B": 2}),
    ],
)
def test_grouping_by_category_or_block_gives_one_keyed_group_each(
    history: History, group_by: str, expected: dict[str, int]
) -> None:
    body = get_json(history.scheme.committee, "/api/v1/metrics/resolution", group_by=group_by)

    groups = {group["key"]: group for group in body["groups"]}
    assert {key: group["cases"]["n"] for key, group in groups.items()} == expected
    assert all(set(group) == FIGURE_GROUPS | {"key"} for group in body["groups"])
    assert body["total"]["cases"]["n"] == 3


def test_grouping_by_month_keys_each_group_by_its_malaysian_month(history: History) -> None:
    body = get_json(history.scheme.committee, "/api/v1/metrics/resolution", group_by="month")

    reported = [history.fixed_at, history.waiting_at, history.dropped_at]
    # A month appears when a case was reported in it, or a fix was claimed in it.
    expected_keys = sorted({month_of(moment) for moment in [*reported, history.resolved_at]})
    keys = [group["key"] for group in body["groups"]]
    assert keys == expected_keys
    by_key = {group["key"]: group for group in body["groups"]}
    assert sum(group["cases"]["n"] for group in body["groups"]) == 3
    assert by_key[month_of(history.dropped_at)]["cases"]["n"] == 1
    assert by_key[month_of(history.resolved_at)]["reopen_rate"]["n"] == 1


def test_from_and_to_limit_the_figures_to_the_cases_reported_in_the_period(
    history: History,
) -> None:
    cut = (history.now - 20 * DAY).isoformat()
    caller = history.scheme.committee

    recent = get_json(caller, "/api/v1/metrics/resolution", **{"from": cut})
    older = get_json(caller, "/api/v1/metrics/resolution", to=cut)

    assert recent["total"]["cases"]["n"] == 2
    assert recent["total"]["time_to_resolve"]["n"] == 1
    assert recent["total"]["fix_outcomes"]["n"] == 1
    assert older["total"]["cases"]["n"] == 1
    assert older["total"]["time_to_resolve"]["n"] == 0
    assert older["total"]["fix_outcomes"]["n"] == 0
    # At the end of the older period nothing was open: the dropped case ended within 2 hours.
    assert older["total"]["backlog"]["n"] == 0
    assert parse(older["total"]["backlog"]["at"]) == history.now - 20 * DAY


def test_a_period_that_ends_before_it_starts_is_refused_naming_to(history: History) -> None:
    start = history.now - 5 * DAY
    response = history.scheme.committee.get(
        "/api/v1/metrics/resolution",
        query_string={"from": start.isoformat(), "to": (start - DAY).isoformat()},
    )

    assert_refused(response, 422)
    assert set(response.get_json()["errors"]) == {"to"}


def test_a_changed_target_changes_the_breach_figures_for_the_past_and_is_shown(
    shared_cast: Cast,
) -> None:
    scheme = fresh_ppr(shared_cast)
    reported_at = now_utc() - 10 * DAY
    case_id = report(shared_cast.admin, scheme.code, reported_at)
    act(shared_cast.admin, case_id, "acknowledge", reported_at + HOUR)
    act(scheme.committee, case_id, "comment", reported_at + 2 * HOUR, text="Dalam tindakan.")
    act(shared_cast.admin, case_id, "resolve", reported_at + 200 * HOUR, note="Siap.")
    shared_cast.project()
    before = get_json(scheme.committee, "/api/v1/metrics/resolution")

    longer = {**SLA, "resolve_hours": 240}
    changed = shared_cast.admin.call(
        "PUT", f"/api/v1/pprs/{scheme.code}/categories/LIFT/sla", json=longer
    )
    shared_cast.project()
    after = get_json(scheme.committee, "/api/v1/metrics/resolution")

    assert changed.status_code == 200
    assert before["total"]["sla"]["resolve"]["breached"] == 1
    assert after["total"]["sla"]["resolve"]["breached"] == 0
    assert after["total"]["sla"]["resolve"]["breach_pct"] == 0.0
    assert after["targets"][scheme.code]["LIFT"] == longer
    assert after["targets"][scheme.code]["WATER"] == SLA


# -- who sees which figures -----------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["resolution", "priorities"])
def test_a_resident_sees_the_figures_of_their_ppr_as_a_whole(
    history: History, endpoint: str
) -> None:
    scoped = get_json(
        history.scheme.resident, f"/api/v1/metrics/{endpoint}", ppr=history.scheme.code.lower()
    )
    unscoped = get_json(history.scheme.resident, f"/api/v1/metrics/{endpoint}")

    if endpoint == "resolution":
        assert scoped["total"]["cases"]["n"] == unscoped["total"]["cases"]["n"] == 3
        assert scoped["total"]["sla"] == unscoped["total"]["sla"]
        assert "groups" not in scoped
        assert list(scoped["targets"]) == [history.scheme.code]
    else:
        assert scoped == unscoped
        assert scoped["thresholds"] == {history.scheme.code: 10}


BREAKDOWNS = [
    pytest.param(
        endpoint, query, id=f"{endpoint}-" + "-".join(f"{k}={v}" for k, v in query.items())
    )
    for endpoint, queries in (
        ("resolution", [{"category": "LIFT"}, {"block": "A"}]),
        ("resolution", [{"group_by": grouping} for grouping in ("category", "block", "month")]),
        ("priorities", [{"category": "LIFT"}, {"block": "A"}]),
    )
    for query in queries
]


@pytest.mark.parametrize(("endpoint", "query"), BREAKDOWNS)
def test_a_resident_may_not_break_the_figures_down(
    history: History, endpoint: str, query: dict[str, str]
) -> None:
    response = history.scheme.resident.get(f"/api/v1/metrics/{endpoint}", query_string=query)

    assert_refused(response, 403)


@pytest.mark.parametrize("viewer", ["admin", "auditor"])
def test_admin_and_auditors_see_the_figures_of_every_ppr_broken_down_as_they_like(
    shared_cast: Cast, history: History, viewer: str
) -> None:
    caller: Caller = getattr(shared_cast, viewer)
    code = history.scheme.code

    everything = get_json(caller, "/api/v1/metrics/resolution")
    one = get_json(caller, "/api/v1/metrics/resolution", ppr=code, group_by="category")
    committee = get_json(history.scheme.committee, "/api/v1/metrics/resolution", ppr=code)
    priorities = get_json(caller, "/api/v1/metrics/priorities")

    assert {"SRP", "LSB", code} <= set(everything["targets"])
    assert everything["total"]["cases"]["n"] >= 3
    assert one["total"]["cases"] == committee["total"]["cases"]
    assert one["total"]["sla"] == committee["total"]["sla"]
    assert [group["key"] for group in one["groups"]] == ["LIFT", "WATER"]
    assert {"SRP", "LSB", code} <= set(priorities["thresholds"])


@pytest.mark.parametrize("caller", ["other_ppr_resident", "other_ppr_management"])
@pytest.mark.parametrize("endpoint", ["resolution", "priorities"])
def test_figures_of_another_ppr_are_refused(shared_cast: Cast, caller: str, endpoint: str) -> None:
    response = getattr(shared_cast, caller).get(
        f"/api/v1/metrics/{endpoint}", query_string={"ppr": "SRP"}
    )

    assert_refused(response, 403)


@pytest.mark.parametrize("endpoint", ["resolution", "priorities"])
def test_integrations_get_no_figures_and_callers_without_a_token_are_unauthenticated(
    shared_cast: Cast, endpoint: str
) -> None:
    path = f"/api/v1/metrics/{endpoint}"

    assert_refused(shared_cast.integration.get(path), 403)
    unauthenticated = shared_cast.without_token().get(path)
    assert_refused(unauthenticated, 401)
    assert unauthenticated.headers["WWW-Authenticate"].startswith("Bearer")


# -- priority problems ----------------------------------------------------------------------------


def test_priorities_are_cases_with_enough_supports_or_designated_by_the_committee(
    shared_cast: Cast,
) -> None:
    scheme = fresh_ppr(shared_cast)
    lowered = shared_cast.admin.call(
        "PUT",
        f"/api/v1/pprs/{scheme.code}/priority-threshold",
        json={"priority_support_threshold": 2},
    )
    code = scheme.code
    supported = report(scheme.resident, code, title="Lif Blok A rosak lagi")
    designated = report(scheme.resident, code, title="Air tiada sejak Isnin", category="WATER")
    private = report(scheme.resident, code, title="Siling bocor di rumah saya", private=True)
    ignored = report(scheme.resident, code, title="Lampu tangga malap")
    for supporter in (scheme.neighbour, scheme.third):
        act(supporter, supported, "support")
    act(scheme.neighbour, ignored, "support")
    designated_case = act(scheme.committee, designated, "designate-priority", reason="Mesyuarat.")
    act(scheme.committee, private, "designate-priority", reason="Bahaya kepada penghuni.")
    # The supported case is fixed and the reporter confirms it: one priority problem solved.
    act(scheme.management, supported, "acknowledge")
    act(scheme.management, supported, "resolve", note="Kabel diganti.")
    act(scheme.resident, supported, "confirm", rating=4)
    shared_cast.project()

    seen = {
        name: get_json(caller, "/api/v1/metrics/priorities", ppr=code)
        for name, caller in (
            ("committee", scheme.committee),
            ("reporter", scheme.resident),
            ("neighbour", scheme.neighbour),
        )
    }

    assert lowered.status_code == 200
    assert lowered.get_json()["priority_support_threshold"] == 2
    assert designated_case["status"] == "reported"
    committee = seen["committee"]
    assert committee["thresholds"] == {code: 2}
    assert (committee["n"], committee["solved"], committee["solved_pct"]) == (3, 1, 33.33)
    assert sum(month["n"] for month in committee["by_month"]) == 3
    listed = {case["id"]: case for case in committee["cases"]}
    assert set(listed) == {supported, designated, private}
    assert (listed[supported]["support_count"], listed[supported]["designated"]) == (2, False)
    assert listed[supported]["solved"] is True
    assert listed[supported]["status"] == "closed"
    assert (listed[designated]["designated"], listed[designated]["solved"]) == (True, False)
    # Residents' figures leave private cases out altogether (a narrow period could single one
    # out), even for the private case's own reporter.
    assert {case["id"] for case in seen["reporter"]["cases"]} == {supported, designated}
    assert {case["id"] for case in seen["neighbour"]["cases"]} == {supported, designated}
    assert seen["neighbour"]["n"] == 2


def test_a_case_is_designated_a_priority_once_and_never_after_it_ended(shared_cast: Cast) -> None:
    scheme = fresh_ppr(shared_cast)
    case_id = report(scheme.resident, scheme.code)
    ended = report(scheme.resident, scheme.code)
    act(scheme.committee, case_id, "designate-priority", reason="Petisyen 40 penghuni.")
    act(scheme.committee, ended, "no-further-action", reason="Bukan tanggungjawab PPR.")
    before = shared_cast.log_head()

    again = scheme.committee.post(
        f"/api/v1/cases/{case_id}/designate-priority", json={"reason": "Sekali lagi."}
    )
    too_late = scheme.committee.post(
        f"/api/v1/cases/{ended}/designate-priority", json={"reason": "Terlambat."}
    )
    no_reason = scheme.committee.post(f"/api/v1/cases/{ended}/designate-priority", json={})

    assert_refused(again, 409)
    assert_refused(too_late, 409)
    assert_refused(no_reason, 422)
    assert set(no_reason.get_json()["errors"]) == {"reason"}
    assert shared_cast.log_head() == before


# -- SLA clocks of one case -----------------------------------------------------------------------


def test_the_sla_of_a_case_shows_each_target_met_breached_or_running(shared_cast: Cast) -> None:
    scheme = fresh_ppr(shared_cast)
    reported_at = now_utc() - 10 * DAY
    old = report(shared_cast.admin, scheme.code, reported_at)
    act(shared_cast.admin, old, "acknowledge", reported_at + 2 * HOUR)
    new = report(scheme.resident, scheme.code)
    ended = report(scheme.resident, scheme.code)
    act(scheme.committee, ended, "no-further-action", reason="Bukan di kawasan PPR.")
    shared_cast.project()

    old_sla = get_json(scheme.committee, f"/api/v1/cases/{old}/sla")
    new_sla = get_json(scheme.resident, f"/api/v1/cases/{new}/sla")
    ended_sla = get_json(scheme.neighbour, f"/api/v1/cases/{ended}/sla")

    assert (old_sla["case_id"], old_sla["ppr"], old_sla["category"]) == (old, scheme.code, "LIFT")
    clocks = {clock["target"]: clock for clock in old_sla["targets"]}
    assert list(clocks) == ["acknowledge", "first_response", "resolve"]
    assert {name: clock["target_hours"] for name, clock in clocks.items()} == {
        "acknowledge": 24,
        "first_response": 48,
        "resolve": 168,
    }
    for name, clock in clocks.items():
        assert parse(clock["due_at"]) == reported_at + clock["target_hours"] * HOUR, name
    acknowledge = clocks["acknowledge"]
    assert (acknowledge["state"], acknowledge["elapsed_hours"]) == ("met", 2.0)
    assert parse(acknowledge["stopped_at"]) == reported_at + 2 * HOUR
    assert acknowledge["remaining_hours"] is None
    assert acknowledge["breached_by_hours"] is None
    # Nobody has responded or fixed it in 240 hours: both clocks are still running, late.
    for name, late_by in (("first_response", 192.0), ("resolve", 72.0)):
        clock = clocks[name]
        assert (clock["state"], clock["stopped_at"], clock["remaining_hours"]) == (
            "breached",
            None,
            None,
        )
        assert clock["breached_by_hours"] == pytest.approx(late_by, abs=0.05)
        assert clock["elapsed_hours"] == pytest.approx(240.0, abs=0.05)
    running = {clock["target"]: clock for clock in new_sla["targets"]}
    assert {name: clock["state"] for name, clock in running.items()} == dict.fromkeys(
        ("acknowledge", "first_response", "resolve"), "running"
    )
    for name, hours in (("acknowledge", 24), ("first_response", 48), ("resolve", 168)):
        assert running[name]["remaining_hours"] == pytest.approx(hours, abs=0.05)
        assert running[name]["breached_by_hours"] is None
    assert {clock["state"] for clock in ended_sla["targets"]} == {"not_applicable"}


def test_the_sla_of_a_case_is_not_there_for_those_who_cannot_see_the_case(
    shared_cast: Cast,
) -> None:
    private = shared_cast.report(private=True)["id"]
    public = shared_cast.report()["id"]
    shared_cast.project()

    assert_refused(shared_cast.neighbour.get(f"/api/v1/cases/{private}/sla"), 404)
    assert_refused(shared_cast.other_ppr_resident.get(f"/api/v1/cases/{public}/sla"), 404)
    assert_refused(shared_cast.integration.get(f"/api/v1/cases/{private}/sla"), 404)
    assert_refused(shared_cast.committee.get(f"/api/v1/cases/{uuid.uuid4()}/sla"), 404)
    assert shared_cast.resident.get(f"/api/v1/cases/{private}/sla").status_code == 200
    assert shared_cast.auditor.get(f"/api/v1/cases/{private}/sla").status_code == 200


def test_the_sla_of_a_case_not_yet_projected_asks_to_retry(shared_cast: Cast) -> None:
    shared_cast.project()
    case_id = shared_cast.report()["id"]

    response = shared_cast.committee.get(f"/api/v1/cases/{case_id}/sla")

    assert_refused(response, 503)
    assert response.headers["Retry-After"] == "1"


# -- the case as it stood -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def past_case(shared_cast: Cast) -> tuple[str, datetime]:
    """An SRP case reported 10 days ago, acknowledged a day later, resolved the day after."""
    reported_at = now_utc() - 10 * DAY
    case_id = report(shared_cast.admin, "SRP", reported_at)
    act(shared_cast.admin, case_id, "acknowledge", reported_at + DAY)
    act(shared_cast.admin, case_id, "resolve", reported_at + 2 * DAY, note="Siap dibaiki.")
    shared_cast.project()
    return case_id, reported_at


@pytest.mark.parametrize(
    ("offset", "status", "version"),
    [
        (timedelta(0), "reported", 1),
        (DAY + HOUR, "acknowledged", 2),
        (5 * DAY, "resolved", 3),
    ],
    ids=["at-the-report", "after-the-acknowledgement", "after-the-fix"],
)
def test_a_case_as_of_a_past_moment_is_the_case_as_it_stood_then_without_an_etag(
    shared_cast: Cast, past_case: tuple[str, datetime], offset: timedelta, status: str, version: int
) -> None:
    case_id, reported_at = past_case

    response = shared_cast.resident.get(
        f"/api/v1/cases/{case_id}", query_string={"as_of": (reported_at + offset).isoformat()}
    )

    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["status"], response.get_json()["version"]) == (status, version)
    assert "ETag" not in response.headers


def test_a_case_read_now_is_the_latest_state_with_its_etag(
    shared_cast: Cast, past_case: tuple[str, datetime]
) -> None:
    case_id, _ = past_case

    response = shared_cast.resident.get(f"/api/v1/cases/{case_id}")

    assert response.get_json()["status"] == "resolved"
    assert response.headers["ETag"] == '"3"'


@pytest.mark.parametrize("resource", ["", "/history"])
def test_a_case_as_of_before_it_was_reported_is_not_found(
    shared_cast: Cast, past_case: tuple[str, datetime], resource: str
) -> None:
    case_id, reported_at = past_case

    response = shared_cast.committee.get(
        f"/api/v1/cases/{case_id}{resource}",
        query_string={"as_of": (reported_at - HOUR).isoformat()},
    )

    assert_refused(response, 404)


def test_the_history_as_of_a_past_moment_holds_only_the_events_up_to_then(
    shared_cast: Cast, past_case: tuple[str, datetime]
) -> None:
    case_id, reported_at = past_case

    then = get_json(
        shared_cast.committee,
        f"/api/v1/cases/{case_id}/history",
        as_of=(reported_at + DAY + HOUR).isoformat(),
    )
    whole = get_json(shared_cast.committee, f"/api/v1/cases/{case_id}/history")

    assert [item["type"] for item in then["items"]] == ["reported", "acknowledged"]
    assert (then["version"], then["complete"]) == (2, True)
    assert all(parse(item["occurred_at"]) <= reported_at + DAY + HOUR for item in then["items"])
    assert [item["type"] for item in whole["items"]] == ["reported", "acknowledged", "resolved"]


def test_an_as_of_time_does_not_reveal_a_case_the_caller_cannot_see(
    shared_cast: Cast, past_case: tuple[str, datetime]
) -> None:
    case_id, reported_at = past_case
    as_of = {"as_of": (reported_at + DAY).isoformat()}

    assert_refused(
        shared_cast.other_ppr_resident.get(f"/api/v1/cases/{case_id}", query_string=as_of), 404
    )
    assert_refused(
        shared_cast.other_ppr_resident.get(f"/api/v1/cases/{case_id}/history", query_string=as_of),
        404,
    )


# -- list filters ---------------------------------------------------------------------------------


def test_the_list_filters_overdue_and_priority_return_exactly_those_cases(
    shared_cast: Cast,
) -> None:
    scheme = fresh_ppr(shared_cast)
    admin, code = shared_cast.admin, scheme.code
    threshold = admin.call(
        "PUT", f"/api/v1/pprs/{code}/priority-threshold", json={"priority_support_threshold": 1}
    )
    old = now_utc() - 10 * DAY
    # Nobody has looked at it for 10 days, and the committee makes it a priority.
    unanswered = report(admin, code, old, title="Sampah tidak dikutip")
    act(scheme.committee, unanswered, "designate-priority", reason="Aduan berulang.")
    # Acknowledged and answered in time, but still not fixed after 10 days.
    unfixed = report(admin, code, old, title="Paip bocor di koridor")
    act(admin, unfixed, "acknowledge", old + HOUR)
    act(scheme.committee, unfixed, "comment", old + 2 * HOUR, text="Kontraktor dipanggil.")
    # Every milestone in time: waiting for the reporter, not overdue.
    fixed = report(admin, code, old, title="Pintu tangga rosak")
    act(admin, fixed, "acknowledge", old + HOUR)
    act(scheme.committee, fixed, "comment", old + 2 * HOUR, text="Tukang datang esok.")
    act(admin, fixed, "resolve", old + 3 * HOUR, note="Engsel diganti.")
    # Ended without any milestone: no longer anyone's clock.
    ended = report(admin, code, old, title="Bunyi bising malam")
    act(admin, ended, "no-further-action", old + HOUR, reason="Urusan polis.")
    # New, and one neighbour says "me too": a priority at this PPR's threshold of 1.
    fresh = report(scheme.resident, code, title="Lif Blok B rosak")
    act(scheme.neighbour, fresh, "support")
    shared_cast.project()

    def listed(**query: Any) -> set[str]:
        body = get_json(scheme.committee, "/api/v1/cases", ppr=code, limit=100, **query)
        return {item["id"] for item in body["items"]}

    assert threshold.status_code == 200
    assert listed() == {unanswered, unfixed, fixed, ended, fresh}
    assert listed(overdue="true") == {unanswered, unfixed}
    assert listed(priority="true") == {unanswered, fresh}
    assert listed(overdue="true", priority="true") == {unanswered}
    assert listed(overdue="false") == listed()
