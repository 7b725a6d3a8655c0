"""The web pages through the Flask client: sign-in, reporting, a case's life, languages, safety."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from domain import clock
from domain.actors import Role
from tests.e2e.conftest import Cast
from tests.e2e.web import Visitor, signed_in, text_of, version_on
from tests.unit.test_photos import phone_jpeg
from tests.unit.world import FrozenClock

REPORT_FORM = {
    "ppr": "SRP",
    "category": "LIFT",
    "block": "A",
    "place": "common",
    "floor": "7",
    "common_area": "lobi lif",
    "description": "Lif berhenti di antara tingkat sejak pagi tadi.",
}


def report_through_the_form(visitor: Visitor, **overrides: Any) -> str:
    """Fill in and send the report form; returns the new case's id."""
    visitor.get("/report")
    response = visitor.post("/report", {**REPORT_FORM, **overrides})
    assert response.status_code == 303, text_of(response)
    match = re.search(r"/cases/([0-9a-f-]{36})$", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def fixed_case(resident: Visitor, cast: Cast) -> str:
    """A case the resident reported through the form and management says is fixed."""
    case_id = report_through_the_form(resident)
    cast.management.post(f"/api/v1/cases/{case_id}/acknowledge")
    cast.management.post(f"/api/v1/cases/{case_id}/resolve", json={"note": "Dibaiki."})
    return case_id


def case_json(cast: Cast, case_id: str) -> dict[str, Any]:
    response = cast.admin.get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 200
    return dict(response.json)


# -- languages -----------------------------------------------------------------------------------


def test_a_visitor_reads_the_front_page_in_malay_and_switches_to_english_in_one_tap(
    shared_app: Flask,
) -> None:
    visitor = Visitor(shared_app)
    malay = visitor.get("/")
    assert malay.status_code == 200
    assert '<html lang="ms">' in malay.get_data(as_text=True)
    assert "Log masuk" in text_of(malay)
    visitor.switch_language("en")
    english = visitor.get("/")
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Sign in" in text_of(english)
    assert "Bahasa Malaysia" in text_of(english)  # the switch back


def test_the_language_choice_survives_signing_in(shared_app: Flask, shared_cast: Cast) -> None:
    visitor = Visitor(shared_app)
    visitor.switch_language("en")
    page = visitor.sign_in_with_token(str(shared_cast.resident.token))
    assert "Report a problem" in text_of(page)


# -- signing in with a token ---------------------------------------------------------------------


def test_a_resident_signs_in_with_a_token_and_is_greeted_by_name(
    shared_app: Flask, shared_cast: Cast
) -> None:
    visitor = Visitor(shared_app)
    visitor.switch_language("en")
    page = visitor.sign_in_with_token(str(shared_cast.resident.token))
    assert "Hello, Puan Aminah" in text_of(page)


def test_an_unknown_token_is_refused_on_the_form_and_signs_nobody_in(shared_app: Flask) -> None:
    visitor = Visitor(shared_app)
    visitor.switch_language("en")
    visitor.get("/signin")
    response = visitor.post("/signin/token", {"token": "k2k_never-issued", "next": "/"})
    assert response.status_code == 422
    assert "This token is unknown or was revoked." in text_of(response)
    assert visitor.get("/report").status_code == 302  # still signed out: sent to sign in


def test_an_integration_token_cannot_sign_in_to_the_pages(
    shared_app: Flask, shared_cast: Cast
) -> None:
    visitor = Visitor(shared_app)
    visitor.switch_language("en")
    visitor.get("/signin")
    response = visitor.post("/signin/token", {"token": shared_cast.integration.token})
    assert response.status_code == 422
    assert "Integration tokens are for the API" in text_of(response)


def test_a_page_that_needs_signing_in_sends_the_visitor_to_sign_in_and_back(
    shared_app: Flask, shared_cast: Cast
) -> None:
    visitor = Visitor(shared_app)
    response = visitor.get("/report")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=/report")
    visitor.get(response.headers["Location"])
    signed = visitor.post("/signin/token", {"token": shared_cast.resident.token, "next": "/report"})
    assert signed.headers["Location"] == "/report"


def test_sign_in_never_redirects_to_another_site(shared_app: Flask, shared_cast: Cast) -> None:
    visitor = Visitor(shared_app)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        visitor.get("/signin")  # each sign-in starts a new session, with a new CSRF token
        response = visitor.post(
            "/signin/token", {"token": shared_cast.resident.token, "next": target}
        )
        assert response.headers["Location"] == "/", target


def test_signing_out_ends_the_session_even_for_a_copied_cookie(
    shared_app: Flask, shared_cast: Cast
) -> None:
    visitor = signed_in(shared_app, shared_cast.resident)
    cookie = visitor.client.get_cookie("k2k")
    assert cookie is not None
    visitor.get("/")
    visitor.post("/signin/out")
    thief = Visitor(shared_app)
    thief.client.set_cookie("k2k", cookie.value)
    assert thief.get("/report").status_code == 302


def test_revoking_the_token_signs_its_web_session_out(app: Flask, cast: Cast) -> None:
    resident = cast.caller(Role.RESIDENT, ["SRP"], "Puan Salmah")
    visitor = signed_in(app, resident)
    assert visitor.get("/report").status_code == 200
    assert cast.admin.call("DELETE", f"/api/v1/tokens/{resident.token_id}").status_code == 204
    assert visitor.get("/report").status_code == 302


def test_the_session_cookie_is_http_only_and_same_site(
    shared_app: Flask, shared_cast: Cast
) -> None:
    visitor = Visitor(shared_app)
    visitor.get("/signin")
    response = visitor.post("/signin/token", {"token": shared_cast.resident.token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


# -- forms are protected -------------------------------------------------------------------------


def test_a_form_without_its_csrf_token_is_refused_and_records_nothing(
    shared_app: Flask, shared_cast: Cast
) -> None:
    visitor = signed_in(shared_app, shared_cast.resident)
    head = shared_cast.log_head()
    response = visitor.client.post("/report", data=REPORT_FORM)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert shared_cast.log_head() == head


def test_pages_forbid_framing_and_foreign_scripts(shared_app: Flask) -> None:
    response = Visitor(shared_app).get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]


def test_an_unknown_page_is_a_page_for_browsers_and_a_problem_for_api_clients(
    shared_app: Flask,
) -> None:
    visitor = Visitor(shared_app)
    page = visitor.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    api = visitor.client.get("/api/v1/no-such-thing")
    assert api.mimetype == "application/problem+json"


# -- reporting -----------------------------------------------------------------------------------


def test_a_resident_reports_through_the_form_and_lands_on_the_new_case(
    shared_app: Flask, shared_cast: Cast
) -> None:
    visitor = signed_in(shared_app, shared_cast.resident)
    visitor.switch_language("en")
    case_id = report_through_the_form(visitor)
    shared_cast.project()
    page = visitor.get(f"/cases/{case_id}")
    text = text_of(page)
    assert "Thank you. Your report is recorded" in text
    assert "Lif berhenti di antara tingkat" in text  # the description, and the title made from it
    assert "Reported" in text
    assert "You reported the problem" in text
    recorded = case_json(shared_cast, case_id)
    assert recorded["channel"] == "web"
    assert recorded["location"]["common_area"] == "lobi lif"
    assert recorded["title"] == REPORT_FORM["description"]


def test_the_report_form_offers_the_ppr_s_categories_with_icons_and_its_blocks(
    shared_app: Flask, shared_cast: Cast
) -> None:
    visitor = signed_in(shared_app, shared_cast.resident)
    page = visitor.get("/report").get_data(as_text=True)
    assert 'value="LIFT"' in page
    assert 'value="WATER"' in page
    assert "icons.svg" in page
    assert '<option value="A">' in page
    assert '<option value="B">' in page


def test_a_report_with_missing_fields_names_them_in_the_page_s_language_and_records_nothing(
    shared_app: Flask, shared_cast: Cast
) -> None:
    visitor = signed_in(shared_app, shared_cast.resident)
    head = shared_cast.log_head()
    visitor.get("/report")
    response = visitor.post(
        "/report", {"ppr": "SRP", "block": "A", "place": "unit", "description": ""}
    )
    assert response.status_code == 422
    text = text_of(response)
    assert "Pilih jenis masalah." in text  # category, in Malay
    assert "Berikan nombor unit." in text
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert shared_cast.log_head() == head


def test_a_unit_report_keeps_the_unit_from_other_residents(
    shared_app: Flask, shared_cast: Cast
) -> None:
    reporter = signed_in(shared_app, shared_cast.resident)
    case_id = report_through_the_form(reporter, place="unit", unit="A-07-12", common_area="")
    shared_cast.project()
    assert "A-07-12" in text_of(reporter.get(f"/cases/{case_id}"))
    neighbour = signed_in(shared_app, shared_cast.neighbour)
    page = neighbour.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "A-07-12" not in text_of(page)


def test_a_private_report_is_not_found_by_other_residents(
    shared_app: Flask, shared_cast: Cast
) -> None:
    reporter = signed_in(shared_app, shared_cast.resident)
    case_id = report_through_the_form(reporter, private="1")
    neighbour = signed_in(shared_app, shared_cast.neighbour)
    assert neighbour.get(f"/cases/{case_id}").status_code == 404
    other_ppr = signed_in(shared_app, shared_cast.other_ppr_resident)
    public_case = report_through_the_form(reporter)
    assert other_ppr.get(f"/cases/{public_case}").status_code == 404


def test_an_anonymous_report_hides_the_reporter_from_committee_and_management(
    shared_app: Flask, shared_cast: Cast
) -> None:
    reporter = signed_in(shared_app, shared_cast.resident)
    case_id = report_through_the_form(reporter, anonymous="1")
    assert case_json(shared_cast, case_id)["anonymous"] is True
    response = shared_cast.management.get(f"/api/v1/cases/{case_id}")
    assert response.json["reporter"] is None


# -- a case's life on its page -------------------------------------------------------------------


def test_management_acknowledges_and_resolves_and_the_resident_confirms_with_a_rating(
    shared_app: Flask, shared_cast: Cast
) -> None:
    resident = signed_in(shared_app, shared_cast.resident)
    resident.switch_language("en")
    case_id = report_through_the_form(resident)
    shared_cast.project()

    officer = signed_in(shared_app, shared_cast.management)
    page = officer.get(f"/cases/{case_id}")
    acknowledged = officer.post(f"/cases/{case_id}/acknowledge", {"version": version_on(page)})
    assert acknowledged.status_code == 303
    officer.get(f"/cases/{case_id}")
    officer.post(
        f"/cases/{case_id}/respond",
        {"message": "Kontraktor datang esok.", "commitment_date": "2030-01-31"},
    )
    officer.get(f"/cases/{case_id}")
    officer.post(f"/cases/{case_id}/resolve", {"note": "Motor pintu diganti."})
    assert case_json(shared_cast, case_id)["status"] == "resolved"

    shared_cast.project()
    page = resident.get(f"/cases/{case_id}")
    assert "Is the problem really fixed?" in text_of(page)
    confirmed = resident.post(f"/cases/{case_id}/confirm", {"rating": "4", "comment": "Bagus"})
    page = resident.follow(confirmed)
    assert "Thank you for confirming. The case is closed." in text_of(page)
    assert case_json(shared_cast, case_id)["status"] == "closed"
    assert case_json(shared_cast, case_id)["rating"] == 4
    shared_cast.project()
    timeline = text_of(resident.get(f"/cases/{case_id}"))
    assert "Management acknowledged the case" in timeline
    assert "Kontraktor datang esok." in timeline
    assert "Promised by 31 Jan 2030." in timeline
    assert "Motor pintu diganti." in timeline
    assert "You confirmed the fix (4 stars)" in timeline


def test_a_resident_disputes_a_fix_and_the_case_reopens(
    shared_app: Flask, shared_cast: Cast
) -> None:
    resident = signed_in(shared_app, shared_cast.resident)
    case_id = fixed_case(resident, shared_cast)
    resident.get(f"/cases/{case_id}")
    response = resident.post(f"/cases/{case_id}/dispute", {"reason": "Masih rosak."})
    assert response.status_code == 303
    assert case_json(shared_cast, case_id)["status"] == "reopened"


def test_confirming_without_a_rating_is_refused_on_the_page(
    shared_app: Flask, shared_cast: Cast
) -> None:
    resident = signed_in(shared_app, shared_cast.resident)
    case_id = fixed_case(resident, shared_cast)
    resident.get(f"/cases/{case_id}")
    response = resident.post(f"/cases/{case_id}/confirm", {})
    assert response.status_code == 422
    assert "Pilih 1 hingga 5 bintang." in text_of(response)
    assert case_json(shared_cast, case_id)["status"] == "resolved"


def test_a_neighbour_supports_a_case_once(shared_app: Flask, shared_cast: Cast) -> None:
    resident = signed_in(shared_app, shared_cast.resident)
    case_id = report_through_the_form(resident)
    neighbour = signed_in(shared_app, shared_cast.neighbour)
    neighbour.switch_language("en")
    page = neighbour.get(f"/cases/{case_id}")
    assert "Me too" in text_of(page)
    neighbour.post(f"/cases/{case_id}/support")
    assert case_json(shared_cast, case_id)["support_count"] == 1
    page = neighbour.get(f"/cases/{case_id}")
    assert "Me too" not in text_of(page)
    assert "including you" in text_of(page)


def test_acting_on_a_case_someone_changed_meanwhile_says_so_and_changes_nothing(
    shared_app: Flask, shared_cast: Cast
) -> None:
    resident = signed_in(shared_app, shared_cast.resident)
    case_id = report_through_the_form(resident)
    officer = signed_in(shared_app, shared_cast.management)
    officer.switch_language("en")
    shown = version_on(officer.get(f"/cases/{case_id}"))
    shared_cast.committee.post(f"/api/v1/cases/{case_id}/comment", json={"text": "Noted."})
    response = officer.post(f"/cases/{case_id}/acknowledge", {"version": shown})
    page = officer.follow(response)
    assert "Someone changed this case just before you" in text_of(page)
    assert case_json(shared_cast, case_id)["status"] == "reported"


def test_a_step_the_case_is_past_is_refused_in_the_reader_s_language_and_changes_nothing(
    shared_app: Flask, shared_cast: Cast
) -> None:
    resident = signed_in(shared_app, shared_cast.resident)
    case_id = fixed_case(resident, shared_cast)
    officer = signed_in(shared_app, shared_cast.management)
    officer.get(f"/cases/{case_id}")

    page = officer.follow(officer.post(f"/cases/{case_id}/acknowledge", {}))

    assert (
        "Tindakan itu tidak boleh dibuat sekarang: tidak boleh menerima kes yang berstatus "
        "«Dikatakan selesai»" in text_of(page)
    )
    officer.switch_language("en")
    page = officer.follow(officer.post(f"/cases/{case_id}/acknowledge", {}))
    assert "That cannot be done now: cannot acknowledge a case that is marked as fixed" in (
        text_of(page)
    )
    assert case_json(shared_cast, case_id)["status"] == "resolved"


def test_a_dispute_after_its_window_closed_says_when_it_closed_in_malaysian_time(
    shared_app: Flask, shared_cast: Cast
) -> None:
    resident = signed_in(shared_app, shared_cast.resident)
    fixed = FrozenClock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    with clock.clock_set_to(fixed):
        case_id = report_through_the_form(resident)
        shared_cast.management.post(f"/api/v1/cases/{case_id}/acknowledge")
        fixed.advance(hours=1)
        shared_cast.management.post(f"/api/v1/cases/{case_id}/resolve", json={"note": "Dibaiki."})
    resident.get(f"/cases/{case_id}")

    response = resident.post(f"/cases/{case_id}/dispute", {"reason": "Masih rosak."})

    # Fixed at 02:00 UTC on 1 March; the 14 days to dispute ended at 10 am Malaysia time.
    page = text_of(resident.follow(response))
    assert "tempoh untuk mempertikaikan telah tamat pada 15 Mac 2026, 10:00 pagi" in page
    assert case_json(shared_cast, case_id)["status"] == "resolved"


def test_a_case_that_is_not_there_is_a_page_that_says_so_in_malay(
    shared_app: Flask, shared_cast: Cast
) -> None:
    missing = "00000000-0000-4000-8000-000000000001"
    page = signed_in(shared_app, shared_cast.resident).get(f"/cases/{missing}")
    assert page.status_code == 404
    assert f"tiada kes {missing}" in text_of(page)
    assert "no case" not in text_of(page)


def test_an_auditor_reads_a_case_page_without_any_action(
    shared_app: Flask, shared_cast: Cast
) -> None:
    resident = signed_in(shared_app, shared_cast.resident)
    case_id = report_through_the_form(resident)
    auditor = signed_in(shared_app, shared_cast.auditor)
    page = auditor.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "csrf_token" not in page.split("<main", 1)[1].split("</main>")[0]
    assert auditor.post(f"/cases/{case_id}/comment", {"text": "x"}).status_code == 403


def test_my_cases_lists_what_i_reported_and_not_my_neighbour_s(
    shared_app: Flask, shared_cast: Cast
) -> None:
    resident = signed_in(shared_app, shared_cast.resident)
    mine = report_through_the_form(resident, description="Paip bocor di tangga tingkat 3.")
    neighbour = signed_in(shared_app, shared_cast.neighbour)
    theirs = report_through_the_form(neighbour, description="Lampu koridor tingkat 9 padam.")
    shared_cast.project()
    page = resident.get("/cases").get_data(as_text=True)
    assert mine in page
    assert theirs not in page


def test_the_board_shows_open_public_cases_and_priorities_first(
    shared_app: Flask, shared_cast: Cast
) -> None:
    resident = signed_in(shared_app, shared_cast.resident)
    priority = report_through_the_form(resident, description="Lif Blok B rosak seminggu.")
    shared_cast.committee.post(
        f"/api/v1/cases/{priority}/designate-priority", json={"reason": "Mesyuarat Disember"}
    )
    hidden = report_through_the_form(resident, description="Jiran bising.", private="1")
    shared_cast.project()
    neighbour = signed_in(shared_app, shared_cast.neighbour)
    neighbour.switch_language("en")
    page = neighbour.get("/ppr/SRP/board")
    body = page.get_data(as_text=True)
    priorities = body.split('id="priorities"')[1].split('id="open"')[0]
    assert priority in priorities
    assert hidden not in body
    assert neighbour.get("/ppr/LSB/board").status_code == 404


@pytest.mark.parametrize("path", ["/", "/signin", "/report", "/cases", "/ppr/SRP/board"])
def test_every_main_page_is_laid_out_for_a_phone(
    shared_app: Flask, shared_cast: Cast, path: str
) -> None:
    page = signed_in(shared_app, shared_cast.resident).get(path).get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    inputs = re.findall(r'<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"', page)
    for input_id in inputs:
        assert f'for="{input_id}"' in page, f"{path}: #{input_id} has no label"


# -- photos --------------------------------------------------------------------------------------


def test_a_report_with_photos_shows_their_thumbnails_without_location_data(
    shared_app: Flask, shared_cast: Cast
) -> None:
    resident = signed_in(shared_app, shared_cast.resident)
    resident.get("/report")
    response = resident.post(
        "/report",
        {
            **REPORT_FORM,
            "photo": [(io.BytesIO(phone_jpeg()), "lif.jpg"), (io.BytesIO(b""), "")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, text_of(response)
    case_id = response.headers["Location"].rsplit("/", 1)[1]
    page = resident.get(f"/cases/{case_id}").get_data(as_text=True)
    thumbnails = re.findall(rf'src="(/cases/{case_id}/photos/[0-9a-f]{{64}}/thumbnail)"', page)
    assert len(thumbnails) == 1
    thumbnail = resident.get(thumbnails[0])
    assert thumbnail.status_code == 200
    assert thumbnail.mimetype == "image/jpeg"
    photo = resident.get(thumbnails[0].removesuffix("/thumbnail"))
    assert (photo.status_code, photo.mimetype) == (200, "image/jpeg")
    assert b"PhoneMaker" not in photo.data
    assert b"Exif" not in photo.data
    # Another PPR's resident cannot fetch it, even knowing the address.
    other = signed_in(shared_app, shared_cast.other_ppr_resident)
    assert other.get(thumbnails[0]).status_code == 404


def test_a_file_that_is_not_a_photo_is_refused_on_the_form_and_records_nothing(
    shared_app: Flask, shared_cast: Cast
) -> None:
    resident = signed_in(shared_app, shared_cast.resident)
    resident.switch_language("en")
    head = shared_cast.log_head()
    resident.get("/report")
    response = resident.post(
        "/report",
        {**REPORT_FORM, "photo": (io.BytesIO(b"%PDF-1.4 not a photo"), "letter.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Send photos as JPEG, PNG or WebP" in text_of(response)
    assert shared_cast.log_head() == head


def test_staff_add_an_after_photo_to_the_case(shared_app: Flask, shared_cast: Cast) -> None:
    resident = signed_in(shared_app, shared_cast.resident)
    case_id = report_through_the_form(resident)
    officer = signed_in(shared_app, shared_cast.management)
    officer.switch_language("en")
    officer.get(f"/cases/{case_id}")
    response = officer.post(
        f"/cases/{case_id}/photo",
        {"photo": (io.BytesIO(phone_jpeg()), "after.jpg")},
        content_type="multipart/form-data",
    )
    page = officer.follow(response)
    assert "The photo is added." in text_of(page)
    assert len(case_json(shared_cast, case_id)["photos"]) == 1
    shared_cast.project()
    resident.switch_language("en")
    assert "Management added a photo" in text_of(resident.get(f"/cases/{case_id}"))
