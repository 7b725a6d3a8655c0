"""The governance and survey pages through the Flask client: meetings, the register, surveys.

SRP gets one committee per backend (``committee``): five seats, so a quorum is three. The first
test walks the whole story through the pages, the way a secretary, an officer, the committee and
a resident use them; the others check one rule each and make their own meetings and decisions.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from tests.e2e.conftest import (
    Cast,
    establish_committee,
    held_meeting_with_motion,
    make_decision,
    malaysian_date,
    open_survey,
    schedule_meeting,
    succeed,
)
from tests.e2e.web import in_english, signed_in, text_of, version_on
from workers.templates import format_day

MEMBERS = [
    {"member_id": "AJK-CHAIR", "name": "Puan Zaleha", "role": "chair", "selection": "elected"},
    {"member_id": "AJK-SEC", "name": "Cik Meena", "role": "secretary", "selection": "elected"},
    {"member_id": "AJK-TRE", "name": "Encik Rahman", "role": "treasurer", "selection": "elected"},
    {"member_id": "AJK-MEM1", "name": "Encik Wong", "role": "member", "selection": "appointed"},
    {"member_id": "AJK-MEM2", "name": "Puan Salmah", "role": "member", "selection": "appointed"},
]
QUORATE = ["AJK-CHAIR", "AJK-SEC", "AJK-TRE"]


def id_in(response: TestResponse, kind: str) -> str:
    """The id in a redirect to ``/<kind>/<id>``."""
    assert response.status_code == 303, text_of(response)
    found = re.search(rf"/{kind}/([0-9a-f-]{{36}})$", response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(1)


def english_day(iso: str) -> str:
    """A date as the English pages write it ("31 Jan 2030")."""
    return format_day(date.fromisoformat(iso), "en")


def accepted_decision(cast: Cast, case_ids: list[str] | None = None) -> dict[str, Any]:
    """A decision of a quorate meeting (through the API) that management has accepted."""
    meeting = held_meeting_with_motion(cast.committee, "SRP", QUORATE, case_ids)
    decision = make_decision(cast.committee, meeting["id"], case_ids)
    answer = {"answer": "accept", "commitment_date": malaysian_date(10)}
    return succeed(cast.management, f"/api/v1/decisions/{decision['id']}/respond", answer)


@pytest.fixture(scope="module")
def committee(shared_cast: Cast) -> dict[str, Any]:
    """SRP's committee, once per backend."""
    return establish_committee(shared_cast.committee, "SRP", MEMBERS)


# -- the whole story ------------------------------------------------------------------------------


def test_a_meeting_goes_from_its_agenda_to_a_verified_decision_all_through_the_pages(
    shared_app: Flask, shared_cast: Cast, committee: dict[str, Any]
) -> None:
    cast = shared_cast
    lift = cast.report(title="Lif Blok A rosak sejak Isnin")["id"]
    cast.project()
    secretary = in_english(shared_app, cast.committee)

    # The secretary schedules a meeting...
    assert secretary.get("/ppr/SRP/meetings/new").status_code == 200
    day = malaysian_date(0)
    response = secretary.post(
        "/ppr/SRP/meetings", {"day": day, "time": "20:30", "place": "Dewan serbaguna"}
    )
    meeting_id = id_in(response, "meetings")

    # ...and builds its agenda from the PPR's open cases.
    page = secretary.follow(response)
    assert "The meeting is scheduled" in text_of(page)
    assert f'name="case_ids" value="{lift}"' in page.get_data(as_text=True)
    response = secretary.post(
        f"/meetings/{meeting_id}/agenda",
        {"title": "Lif Blok A", "case_ids": [lift], "version": version_on(page)},
    )
    page = secretary.follow(response)
    assert "The item is on the agenda" in text_of(page)
    assert "Lif Blok A rosak sejak Isnin" in text_of(page).split("Add to the agenda")[0]

    # At the meeting: attendance (three of five members, residents by group, one officer).
    assert "Quorum: at least 3 of 5 members." in text_of(page)
    response = secretary.post(
        f"/meetings/{meeting_id}/hold",
        {
            "members_present": QUORATE,
            "residents:female/35-44": "3",
            "residents:undeclared/undeclared": "1",
            "management_present": "1",
            "version": version_on(page),
        },
    )
    page = secretary.follow(response)
    text = text_of(page)
    assert "The meeting and its attendance are recorded." in text
    assert "Met: 3 members were needed." in text
    assert "Women, Aged 35-44: 3" in text
    assert "Puan Zaleha, Cik Meena, Encik Rahman" in text

    # A motion, carried by a vote, becomes a decision about the case.
    response = secretary.post(
        f"/meetings/{meeting_id}/motion",
        {
            "item_number": "1",
            "text": "Desak pengurusan membaiki lif Blok A.",
            "method": "vote",
            "votes_for": "2",
            "votes_against": "0",
            "abstentions": "1",
            "version": version_on(page),
        },
    )
    page = secretary.follow(response)
    assert "2 for, 0 against, 1 abstaining Carried" in text_of(page)
    due = malaysian_date(30)
    response = secretary.post(
        f"/meetings/{meeting_id}/decision",
        {
            "motion_number": "1",
            "text": "Baiki lif Blok A sebelum Hari Raya.",
            "action_by": "management",
            "due_date": due,
            "case_ids": [lift],
        },
    )
    decision_id = id_in(response, "decisions")
    page = secretary.get(f"/meetings/{meeting_id}")
    minutes = {"text": "Mesyuarat bermula 8.30 malam.", "version": version_on(page)}
    response = secretary.post(f"/meetings/{meeting_id}/minutes", minutes)
    assert "The minutes are published." in text_of(secretary.follow(response))

    # Management finds the decision waiting for its answer, and answers with a date.
    cast.project()
    officer = in_english(shared_app, cast.management)
    waiting = officer.get("/decisions/awaiting")
    answer_section = waiting.get_data(as_text=True).split('id="answer"')[1].split('id="working"')[0]
    assert decision_id in answer_section
    page = officer.get(f"/decisions/{decision_id}")
    promised = malaysian_date(20)
    response = officer.post(
        f"/decisions/{decision_id}/respond",
        {"answer": "accept", "commitment_date": promised, "version": version_on(page)},
    )
    page = officer.follow(response)
    assert "Your answer is in the decision register." in text_of(page)

    # It reports progress, then marks the work done.
    response = officer.post(
        f"/decisions/{decision_id}/progress",
        {"percent": "60", "note": "Motor baharu dipesan.", "version": version_on(page)},
    )
    page = officer.follow(response)
    assert "reported progress: 60%" in text_of(page)
    response = officer.post(
        f"/decisions/{decision_id}/done",
        {"note": "Motor dipasang; lif berfungsi.", "version": version_on(page)},
    )
    assert "The work is marked done" in text_of(officer.follow(response))

    # The committee verifies it.
    cast.project()
    verify_section = secretary.get("/decisions/awaiting").get_data(as_text=True)
    assert decision_id in verify_section.split('id="verify"')[1]
    page = secretary.get(f"/decisions/{decision_id}")
    response = secretary.post(
        f"/decisions/{decision_id}/verify", {"note": "Disemak.", "version": version_on(page)}
    )
    assert "The decision is verified as done." in text_of(secretary.follow(response))

    # A resident reads it in the register, with management's answer and its date.
    cast.project()
    resident = in_english(shared_app, cast.resident)
    register = resident.get("/ppr/SRP/decisions")
    entry = text_of(register).split("Baiki lif Blok A sebelum Hari Raya.")[1]
    assert entry.startswith(" Done and verified by the committee")
    assert f"Due {english_day(due)}" in entry
    assert f"Management: Accepted · promised by {english_day(promised)}" in entry
    page = resident.get(f"/decisions/{decision_id}")
    assert f'href="/cases/{lift}"' in page.get_data(as_text=True)
    assert "Motor dipasang; lif berfungsi." in text_of(page)
    # The case's own history shows it was tabled and each step of the decision.
    history = cast.admin.get(f"/api/v1/cases/{lift}/history").json["items"]
    kinds = [entry["type"] for entry in history]
    assert "tabled" in kinds
    assert kinds.count("decision_step_recorded") == 5


# -- meetings -------------------------------------------------------------------------------------


def test_a_meeting_without_quorum_is_recorded_but_offers_no_decision(
    shared_app: Flask, shared_cast: Cast, committee: dict[str, Any]
) -> None:
    meeting = schedule_meeting(shared_cast.committee, "SRP")
    secretary = in_english(shared_app, shared_cast.committee)
    page = secretary.get(f"/meetings/{meeting['id']}")
    response = secretary.post(
        f"/meetings/{meeting['id']}/hold",
        {"members_present": ["AJK-CHAIR"], "version": version_on(page)},
    )
    page = secretary.follow(response)
    assert "Not met: 3 members were needed, so this meeting cannot make decisions." in text_of(page)
    response = secretary.post(
        f"/meetings/{meeting['id']}/motion",
        {"item_number": "1", "text": "Setuju.", "method": "consensus", "version": version_on(page)},
    )
    page = secretary.follow(response)
    assert "Setuju." in text_of(page)  # the motion is recorded, and offers no decision
    assert "Record the decision of this motion" not in text_of(page)


def test_holding_a_meeting_that_was_called_off_is_refused_in_malay_and_records_nothing(
    shared_app: Flask, shared_cast: Cast, committee: dict[str, Any]
) -> None:
    meeting = schedule_meeting(shared_cast.committee, "SRP")
    secretary = signed_in(shared_app, shared_cast.committee)
    secretary.get(f"/meetings/{meeting['id']}")
    succeed(
        shared_cast.committee, f"/api/v1/meetings/{meeting['id']}/cancel", {"reason": "Banjir."}
    )
    head = shared_cast.log_head()

    response = secretary.post(
        f"/meetings/{meeting['id']}/hold", {"members_present": QUORATE, "version": ""}
    )

    assert "tidak boleh mengadakan mesyuarat yang berstatus «Dibatalkan»" in text_of(
        secretary.follow(response)
    )
    assert shared_cast.log_head() == head


def test_a_motion_without_its_text_is_refused_on_the_page_and_records_nothing(
    shared_app: Flask, shared_cast: Cast, committee: dict[str, Any]
) -> None:
    meeting = schedule_meeting(shared_cast.committee, "SRP")
    succeed(
        shared_cast.committee,
        f"/api/v1/meetings/{meeting['id']}/hold",
        {"members_present": QUORATE},
    )
    secretary = in_english(shared_app, shared_cast.committee)
    page = secretary.get(f"/meetings/{meeting['id']}")
    head = shared_cast.log_head()
    response = secretary.post(
        f"/meetings/{meeting['id']}/motion",
        {
            "item_number": "1",
            "text": " ",
            "method": "vote",
            "votes_for": "3",
            "version": version_on(page),
        },
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="motion-text-error"' in body
    assert 'aria-describedby="motion-text-error"' in body
    assert "This is needed." in text_of(response)
    assert shared_cast.log_head() == head


def test_more_votes_than_members_present_are_refused_with_the_reason(
    shared_app: Flask, shared_cast: Cast, committee: dict[str, Any]
) -> None:
    meeting = schedule_meeting(shared_cast.committee, "SRP")
    path = f"/api/v1/meetings/{meeting['id']}"
    succeed(shared_cast.committee, f"{path}/hold", {"members_present": QUORATE})
    secretary = in_english(shared_app, shared_cast.committee)
    page = secretary.get(f"/meetings/{meeting['id']}")
    head = shared_cast.log_head()
    response = secretary.post(
        f"/meetings/{meeting['id']}/motion",
        {
            "item_number": "1",
            "text": "Usul.",
            "method": "vote",
            "votes_for": "5",
            "version": version_on(page),
        },
    )
    assert response.status_code == 422
    assert "no more votes than members present" in text_of(response)
    assert shared_cast.log_head() == head


def test_a_resident_reads_a_meeting_but_cannot_open_or_send_its_recording_forms(
    shared_app: Flask, shared_cast: Cast, committee: dict[str, Any]
) -> None:
    meeting = schedule_meeting(shared_cast.committee, "SRP")
    resident = in_english(shared_app, shared_cast.resident)
    page = resident.get(f"/meetings/{meeting['id']}")
    assert page.status_code == 200
    assert "Record the meeting" not in text_of(page)
    main = page.get_data(as_text=True).split("<main", 1)[1].split("</main>")[0]
    assert "csrf_token" not in main
    assert resident.get("/ppr/SRP/meetings/new").status_code == 403
    head = shared_cast.log_head()
    for action, form in (
        ("hold", {"members_present": QUORATE}),
        ("agenda", {"title": "Usul penduduk"}),
        ("cancel", {"reason": "Saya tidak setuju."}),
    ):
        assert resident.post(f"/meetings/{meeting['id']}/{action}", form).status_code == 403
    schedule = {"day": malaysian_date(1), "time": "20:00", "place": "Dewan"}
    assert resident.post("/ppr/SRP/meetings", schedule).status_code == 403
    assert shared_cast.log_head() == head


def test_management_cannot_record_a_meeting_either(
    shared_app: Flask, shared_cast: Cast, committee: dict[str, Any]
) -> None:
    meeting = schedule_meeting(shared_cast.committee, "SRP")
    officer = in_english(shared_app, shared_cast.management)
    officer.get(f"/meetings/{meeting['id']}")
    head = shared_cast.log_head()
    response = officer.post(f"/meetings/{meeting['id']}/hold", {"members_present": QUORATE})
    assert response.status_code == 403
    assert shared_cast.log_head() == head


# -- decisions ------------------------------------------------------------------------------------


def test_progress_of_150_percent_is_refused_on_the_page_and_records_nothing(
    shared_app: Flask, shared_cast: Cast, committee: dict[str, Any]
) -> None:
    decision = accepted_decision(shared_cast)
    officer = in_english(shared_app, shared_cast.management)
    page = officer.get(f"/decisions/{decision['id']}")
    head = shared_cast.log_head()
    response = officer.post(
        f"/decisions/{decision['id']}/progress",
        {"percent": "150", "note": "Hampir siap.", "version": version_on(page)},
    )
    assert response.status_code == 422
    assert "Give a percentage from 0 to 100." in text_of(response)
    assert 'aria-describedby="progress-percent-error"' in response.get_data(as_text=True)
    assert shared_cast.log_head() == head


def test_rejecting_without_a_reason_is_refused_in_words_and_records_nothing(
    shared_app: Flask, shared_cast: Cast, committee: dict[str, Any]
) -> None:
    meeting = held_meeting_with_motion(shared_cast.committee, "SRP", QUORATE)
    decision = make_decision(shared_cast.committee, meeting["id"])
    officer = in_english(shared_app, shared_cast.management)
    page = officer.get(f"/decisions/{decision['id']}")
    head = shared_cast.log_head()
    response = officer.post(
        f"/decisions/{decision['id']}/respond", {"answer": "reject", "version": version_on(page)}
    )
    assert response.status_code == 422
    assert "Give the reason: it is needed to reject or accept in part." in text_of(response)
    assert shared_cast.log_head() == head


def test_a_step_on_a_decision_someone_changed_meanwhile_says_so_and_changes_nothing(
    shared_app: Flask, shared_cast: Cast, committee: dict[str, Any]
) -> None:
    decision = accepted_decision(shared_cast)
    officer = in_english(shared_app, shared_cast.management)
    shown = version_on(officer.get(f"/decisions/{decision['id']}"))
    progress = {"percent": 30, "note": "Kontraktor dilantik."}
    succeed(shared_cast.management, f"/api/v1/decisions/{decision['id']}/progress", progress)
    response = officer.post(
        f"/decisions/{decision['id']}/done", {"note": "Siap.", "version": shown}
    )
    assert "Someone changed this just before you" in text_of(officer.follow(response))
    assert shared_cast.admin.get(f"/api/v1/decisions/{decision['id']}").json["status"] == (
        "in_progress"
    )


def test_the_committee_disputes_work_that_is_not_done_and_it_goes_back_to_management(
    shared_app: Flask, shared_cast: Cast, committee: dict[str, Any]
) -> None:
    decision = accepted_decision(shared_cast)
    succeed(shared_cast.management, f"/api/v1/decisions/{decision['id']}/done", {"note": "Siap."})
    secretary = in_english(shared_app, shared_cast.committee)
    page = secretary.get(f"/decisions/{decision['id']}")
    response = secretary.post(
        f"/decisions/{decision['id']}/dispute",
        {"reason": "Lif masih berhenti di tingkat 7.", "version": version_on(page)},
    )
    assert "goes back to management" in text_of(secretary.follow(response))
    assert shared_cast.admin.get(f"/api/v1/decisions/{decision['id']}").json["status"] == (
        "in_progress"
    )


def test_a_decision_links_only_the_cases_the_resident_may_see(
    shared_app: Flask, shared_cast: Cast, committee: dict[str, Any]
) -> None:
    public = shared_cast.report(title="Paip bocor tingkat 3")["id"]
    private = shared_cast.report(caller=shared_cast.neighbour, private=True)["id"]
    decision = accepted_decision(shared_cast, [public, private])
    shared_cast.project()
    resident = in_english(shared_app, shared_cast.resident)
    page = resident.get(f"/decisions/{decision['id']}")
    body = page.get_data(as_text=True)
    assert f'href="/cases/{public}"' in body
    assert private not in body
    assert "1 more case is private." in text_of(page)


def test_everyone_in_the_ppr_reads_the_register_and_nobody_outside_it(
    shared_app: Flask, shared_cast: Cast, committee: dict[str, Any]
) -> None:
    decision = accepted_decision(shared_cast)
    shared_cast.project()
    for caller in (shared_cast.resident, shared_cast.auditor, shared_cast.management):
        visitor = signed_in(shared_app, caller)
        assert decision["id"] in visitor.get("/ppr/SRP/decisions").get_data(as_text=True)
    outsider = signed_in(shared_app, shared_cast.other_ppr_resident)
    assert outsider.get("/ppr/SRP/decisions").status_code == 404
    assert outsider.get("/ppr/SRP/meetings").status_code == 404
    assert outsider.get(f"/decisions/{decision['id']}").status_code == 404
    assert outsider.get(f"/meetings/{decision['meeting_id']}").status_code == 404
    other_officer = signed_in(shared_app, shared_cast.other_ppr_management)
    other_officer.get("/")
    head = shared_cast.log_head()
    response = other_officer.post(
        f"/decisions/{decision['id']}/progress", {"percent": "10", "note": "x"}
    )
    assert response.status_code == 404
    assert decision["id"] not in other_officer.get("/decisions/awaiting").get_data(as_text=True)
    assert shared_cast.log_head() == head


def test_residents_have_no_awaiting_page(shared_app: Flask, shared_cast: Cast) -> None:
    assert signed_in(shared_app, shared_cast.resident).get("/decisions/awaiting").status_code == (
        403
    )


# -- surveys --------------------------------------------------------------------------------------


def survey_answers(**overrides: str) -> dict[str, str]:
    """Answers to the residents' starter items (a few skipped)."""
    return {
        "q-trust_committee": "4",
        "q-trust_management": "2",
        "q-quality_of_life": "7",
        "gender": "female",
        "age_band": "35-44",
        "block": "A",
        **overrides,
    }


def test_a_resident_answers_an_open_survey_once_and_a_second_time_is_refused(
    shared_app: Flask, shared_cast: Cast
) -> None:
    survey = open_survey(shared_cast.admin, ["SRP"], title="Tinjauan persepsi 2026")
    shared_cast.project()
    resident = in_english(shared_app, shared_cast.resident)
    listed = resident.get("/surveys")
    assert "Tinjauan persepsi 2026" in text_of(listed)
    assert "Waiting for your answers" in text_of(listed)

    page = resident.get(f"/surveys/{survey['id']}")
    body, text = page.get_data(as_text=True), text_of(page)
    assert "I trust the residents' committee to act in residents' interests." in text
    assert "Strongly agree" in text and "Strongly disagree" in text
    assert "Very poor" in text and "Excellent" in text
    assert body.count('name="q-quality_of_life"') == 11
    assert body.count('name="q-trust_committee"') == 5

    response = resident.post(f"/surveys/{survey['id']}", survey_answers())
    page = resident.follow(response)
    assert "Thank you. Your answers are recorded, and nothing links them to you." in text_of(page)
    assert "You have answered this survey already" not in text_of(page)
    assert f"/surveys/{survey['id']}/results" in page.get_data(as_text=True)
    assert shared_cast.admin.get(f"/api/v1/surveys/{survey['id']}").json["response_count"] == 1

    head = shared_cast.log_head()
    again = resident.post(f"/surveys/{survey['id']}", survey_answers(**{"q-trust_committee": "1"}))
    assert "You have answered this survey already. Each person answers once." in text_of(
        resident.follow(again)
    )
    assert shared_cast.log_head() == head
    shared_cast.project()
    assert "Answered, thank you" in text_of(resident.get("/surveys"))


def test_a_survey_answered_with_nothing_or_off_its_scale_is_refused_and_records_nothing(
    shared_app: Flask, shared_cast: Cast
) -> None:
    survey = open_survey(shared_cast.admin, ["SRP"], title="Tinjauan kosong")
    resident = in_english(shared_app, shared_cast.neighbour)
    resident.get(f"/surveys/{survey['id']}")
    head = shared_cast.log_head()
    empty = resident.post(f"/surveys/{survey['id']}", {})
    assert empty.status_code == 422
    assert "Answer at least one question." in text_of(empty)
    off_scale = resident.post(f"/surveys/{survey['id']}", {"q-trust_committee": "9"})
    assert off_scale.status_code == 422
    assert 'aria-describedby="q-trust_committee-error"' in off_scale.get_data(as_text=True)
    assert shared_cast.log_head() == head


def test_the_survey_page_of_another_ppr_is_not_found(shared_app: Flask, shared_cast: Cast) -> None:
    survey = open_survey(shared_cast.admin, ["SRP"], title="Tinjauan SRP sahaja")
    outsider = signed_in(shared_app, shared_cast.other_ppr_resident)
    assert outsider.get(f"/surveys/{survey['id']}").status_code == 404
    assert outsider.post(f"/surveys/{survey['id']}", survey_answers()).status_code == 404


# -- on a phone -----------------------------------------------------------------------------------


def test_every_governance_page_labels_its_inputs_for_a_phone(
    shared_app: Flask, shared_cast: Cast, committee: dict[str, Any]
) -> None:
    scheduled = schedule_meeting(shared_cast.committee, "SRP")
    held = held_meeting_with_motion(shared_cast.committee, "SRP", QUORATE)
    decision = make_decision(shared_cast.committee, held["id"])
    survey = open_survey(shared_cast.admin, ["SRP"], title="Tinjauan telefon")
    shared_cast.project()
    pages = [
        (
            shared_cast.committee,
            [
                "/ppr/SRP/meetings",
                "/ppr/SRP/meetings/new",
                f"/meetings/{scheduled['id']}",
                f"/meetings/{held['id']}",
                "/decisions/awaiting",
            ],
        ),
        (shared_cast.management, [f"/decisions/{decision['id']}", "/decisions/awaiting"]),
        (shared_cast.resident, ["/ppr/SRP/decisions", "/surveys", f"/surveys/{survey['id']}"]),
    ]
    for caller, paths in pages:
        visitor = signed_in(shared_app, caller)
        for path in paths:
            page = visitor.get(path)
            assert page.status_code == 200, path
            body = page.get_data(as_text=True)
            assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
            for input_id in re.findall(r'<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"', body):
                assert f'for="{input_id}"' in body, f"{path}: #{input_id} has no label"
            assert "style=" not in body, f"{path}: inline styles break the CSP"


def test_the_nav_offers_decisions_to_everyone_meetings_to_the_committee_surveys_to_residents(
    shared_app: Flask, shared_cast: Cast
) -> None:
    committee_nav = signed_in(shared_app, shared_cast.committee).get("/").get_data(as_text=True)
    resident_nav = signed_in(shared_app, shared_cast.resident).get("/").get_data(as_text=True)
    assert 'href="/ppr/SRP/decisions"' in committee_nav
    assert 'href="/ppr/SRP/meetings"' in committee_nav
    assert 'href="/surveys"' not in committee_nav
    assert 'href="/ppr/SRP/decisions"' in resident_nav
    assert 'href="/ppr/SRP/meetings"' not in resident_nav
    assert 'href="/surveys"' in resident_nav


def test_the_governance_pages_speak_malay_unless_asked_otherwise(
    shared_app: Flask, shared_cast: Cast
) -> None:
    page = signed_in(shared_app, shared_cast.resident).get("/ppr/SRP/decisions")
    assert '<html lang="ms">' in page.get_data(as_text=True)
