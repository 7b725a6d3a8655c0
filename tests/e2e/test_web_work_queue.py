"""The work queue: what waits for management or the committee, overdue first, with countdowns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import update

from domain.actors import Role
from projections.case_metrics import case_metrics
from tests.e2e.conftest import Cast
from tests.e2e.web import Visitor, in_english, text_of


def overdue_by(cast: Cast, case_id: str, hours: int) -> None:
    """Move a case's acknowledgement due time into the past (as if it had waited too long)."""
    with cast.runtime.engine.begin() as conn:
        conn.execute(
            update(case_metrics)
            .where(case_metrics.c.case_id == case_id)
            .values(acknowledge_due_at=datetime.now(tz=UTC) - timedelta(hours=hours))
        )


def test_management_sees_overdue_cases_first_with_how_late_they_are(app: Flask, cast: Cast) -> None:
    fresh = cast.report(title="Lampu tangga padam")["id"]
    late = cast.report(title="Lif rosak tiga hari")["id"]
    cast.project()
    overdue_by(cast, late, hours=5)
    page = in_english(app, cast.management).get("/work")
    body = page.get_data(as_text=True)
    text = text_of(page)
    assert body.index(late) < body.index(fresh)
    assert "2 cases wait for you" in text
    assert "1 overdue" in text
    assert "Acknowledgement overdue by 5 h" in text
    assert "Acknowledgement due in 23 h" in text


def test_acknowledging_from_the_queue_takes_one_tap_and_comes_back_to_the_queue(
    app: Flask, cast: Cast
) -> None:
    case_id = cast.report()["id"]
    cast.project()
    officer = in_english(app, cast.management)
    page = officer.get("/work")
    assert "Acknowledge" in text_of(page)
    version = cast.admin.get(f"/api/v1/cases/{case_id}").json["version"]
    response = officer.post(
        f"/cases/{case_id}/acknowledge", {"version": str(version), "back": "work"}
    )
    assert response.headers["Location"] == "/work"
    assert cast.admin.get(f"/api/v1/cases/{case_id}").json["status"] == "acknowledged"


def test_a_case_assigned_to_the_committee_leaves_management_s_queue_for_the_committee_s(
    app: Flask, cast: Cast
) -> None:
    case_id = cast.report()["id"]
    cast.management.post(f"/api/v1/cases/{case_id}/acknowledge")
    cast.management.post(f"/api/v1/cases/{case_id}/assign", json={"to": "committee"})
    cast.project()
    assert case_id not in in_english(app, cast.management).get("/work").get_data(as_text=True)
    assert case_id in in_english(app, cast.committee).get("/work").get_data(as_text=True)


def test_a_queue_shows_only_the_officer_s_own_ppr(app: Flask, cast: Cast) -> None:
    case_id = cast.report()["id"]
    cast.project()
    other = in_english(app, cast.other_ppr_management)
    assert case_id not in other.get("/work").get_data(as_text=True)
    assert other.get("/work?ppr=SRP").status_code == 404


def test_residents_have_no_work_queue(app: Flask, cast: Cast) -> None:
    assert in_english(app, cast.resident).get("/work").status_code == 403
    assert Visitor(app).get("/work").status_code == 302


def test_an_admin_sees_every_ppr_s_waiting_cases(app: Flask, cast: Cast) -> None:
    srp = cast.report()["id"]
    lsb = cast.report(cast.other_ppr_resident, ppr="LSB")["id"]
    cast.project()
    admin = in_english(app, cast.caller(Role.ADMIN, ["*"], "Pentadbir"))
    body = admin.get("/work").get_data(as_text=True)
    assert srp in body
    assert lsb in body


def test_an_officer_s_front_page_says_how_many_cases_wait_and_how_many_are_late(
    app: Flask, cast: Cast
) -> None:
    cast.report()
    late = cast.report()["id"]
    cast.project()
    overdue_by(cast, late, hours=2)
    text = text_of(in_english(app, cast.management).get("/"))
    assert "2 cases wait for you" in text
    assert "1 overdue" in text
