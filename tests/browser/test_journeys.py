"""Residents and management in a real browser, on a phone-sized screen, against ``k2k serve``."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import PHONE, World, screenshot


def sign_in(context: Any, token: str) -> Any:
    """A page signed in through the sign-in form's token option."""
    page = context.new_page()
    page.goto("/signin")
    page.locator("details summary").click()
    page.fill("#token", token)
    page.locator("form[action='/signin/token'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))
    return page


def a_photo() -> bytes:
    """A phone photo (JPEG) to attach."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 600), (90, 110, 130))
    ImageDraw.Draw(image).rectangle((300, 100, 500, 580), fill=(180, 180, 170))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def fits_the_phone(page: Any) -> bool:
    """Nothing on the page is wider than the phone (no sideways scrolling)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    return bool(width <= PHONE["width"])


def test_a_resident_reports_management_fixes_it_and_the_resident_confirms(
    phone: Any, browser: Any, world: World
) -> None:
    resident = sign_in(phone, world.tokens["resident"])
    screenshot(resident, "home-resident")

    # The resident reports a broken lift in a common area, in Malay (the default).
    resident.goto("/report")
    assert resident.locator("html").get_attribute("lang") == "ms"
    resident.locator("label.tile:has(input[value=LIF])").click()
    resident.select_option("#block", "A")
    resident.check("input[name=place][value=common]")
    resident.fill("#floor", "7")
    resident.fill("#common_area", "lobi lif")
    resident.fill("#description", "Lif Blok A berhenti di tingkat 7 sejak pagi tadi.")
    resident.set_input_files(
        "#photo", files=[{"name": "lif.jpg", "mimeType": "image/jpeg", "buffer": a_photo()}]
    )
    assert fits_the_phone(resident)
    screenshot(resident, "report-form")
    resident.locator("form.report button[type=submit]").click()
    resident.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}$"))
    case_url = resident.url
    assert "Lif Blok A berhenti di tingkat 7" in resident.inner_text("main")
    assert resident.locator(".status-reported").count() >= 1
    thumbnail = resident.locator(".photos img").first
    thumbnail.wait_for()
    assert thumbnail.evaluate("image => image.complete && image.naturalWidth > 0")
    screenshot(resident, "case-reported")

    # Management acknowledges it and marks it fixed, in two taps and a note.
    office = browser.new_context(viewport=PHONE, base_url=world.url)
    officer = sign_in(office, world.tokens["management"])
    officer.goto(case_url)
    officer.locator("form[action$='/acknowledge'] button").click()
    officer.wait_for_url(case_url)
    officer.fill("#resolve-note", "Motor pintu lif diganti oleh kontraktor.")
    officer.locator("form[action$='/resolve'] button").click()
    officer.wait_for_url(case_url)
    assert officer.locator(".status-resolved").count() >= 1
    screenshot(officer, "case-resolved-management")
    office.close()

    # The resident sees the claim and confirms it with five stars: the case closes.
    resident.goto(case_url)
    assert "Motor pintu lif diganti oleh kontraktor." in resident.inner_text("main")
    resident.locator(".stars label:has(input[value='5'])").click()
    resident.locator("form[action$='/confirm'] button[type=submit]").click()
    resident.wait_for_url(case_url)
    assert resident.locator(".status-closed").count() >= 1
    assert fits_the_phone(resident)
    screenshot(resident, "case-closed")

    resident.goto("/cases")
    assert "Lif Blok A berhenti di tingkat 7" in resident.inner_text("main")
    screenshot(resident, "my-cases")
    resident.goto("/ppr/SRP/board")
    screenshot(resident, "board")

    # The auditor's dashboard counts the case, fixed and verified by the resident.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=world.url)
    auditor = sign_in(desk, world.tokens["auditor"])
    auditor.locator("a.lang-switch").click()
    auditor.goto("/dashboard/?ppr=SRP")
    reported = auditor.locator(".key-figures div", has_text="Cases reported").locator("dd")
    assert reported.inner_text().strip() == "1"
    assert auditor.locator("svg[role=img]").count() >= 1
    screenshot(auditor, "dashboard-cases")
    auditor.goto("/dashboard/audit")
    screenshot(auditor, "dashboard-audit")
    desk.close()


def test_the_language_switch_turns_the_page_english_and_back(phone: Any) -> None:
    page = phone.new_page()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "ms"
    screenshot(page, "home-ms")
    page.locator("a.lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Sign in" in page.inner_text("header")
    screenshot(page, "home-en")
    page.locator("a.lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ms"


def test_the_report_form_can_be_filled_with_the_keyboard_alone(phone: Any, world: World) -> None:
    page = sign_in(phone, world.tokens["neighbour"])
    page.goto("/report")
    page.focus("input[name=category][value=AIR]")
    page.keyboard.press("Space")
    assert page.is_checked("input[name=category][value=AIR]")
    focused_outline = page.evaluate(
        "getComputedStyle(document.activeElement.closest('label')).outlineStyle"
    )
    assert focused_outline != "none"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "block"


def test_staff_pages_fit_a_phone(phone: Any, browser: Any, world: World) -> None:
    officer = sign_in(phone, world.tokens["management"])
    for path, name in (
        ("/work", "work-queue"),
        ("/decisions/awaiting", "decisions-awaiting"),
        ("/ppr/SRP/decisions", "decision-register"),
        ("/dashboard/", "dashboard-phone"),
    ):
        officer.goto(path)
        assert officer.locator("h1").count() == 1, path
        assert fits_the_phone(officer), path
        screenshot(officer, name)
    office = browser.new_context(viewport=PHONE, base_url=world.url)
    secretary = sign_in(office, world.tokens["committee"])
    secretary.goto("/ppr/SRP/meetings")
    assert fits_the_phone(secretary)
    screenshot(secretary, "meetings")
    office.close()
    resident = sign_in(
        browser.new_context(viewport=PHONE, base_url=world.url), world.tokens["neighbour"]
    )
    resident.goto("/surveys")
    assert fits_the_phone(resident)
    screenshot(resident, "surveys")
    resident.context.close()


def test_the_sign_in_page_works_on_a_phone(phone: Any) -> None:
    page = phone.new_page()
    page.goto("/signin")
    assert fits_the_phone(page)
    assert page.locator("label[for=address]").count() == 1
    screenshot(page, "sign-in")
