"""The notification messages: every kind in Bahasa Malaysia and English, whatever the context holds."""

from __future__ import annotations

from typing import Any

import pytest

from domain.case import Status
from workers.kinds import LANGUAGES, Kind
from workers.templates import (
    STATUS_NAMES,
    TARGET_NAMES,
    Rendered,
    format_day,
    format_when,
    render,
    render_digest,
)

LINK = "http://127.0.0.1:8000/api/v1/cases/1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809"
CASE_KINDS = [
    kind
    for kind in Kind
    if kind
    not in (
        Kind.DECISION_MADE,
        Kind.DECISION_DUE,
        Kind.DIGEST,
        Kind.WEBHOOK_DISABLED,
        Kind.SIGN_IN_CODE,
    )
]
#: Kinds that tell of something that happened (a sign-in code is tested on its own below).
NOTIFICATION_KINDS = [kind for kind in Kind if kind is not Kind.SIGN_IN_CODE]
#: Kinds whose message links to what it is about (a sign-in code deliberately carries no link).
LINKED_KINDS = [kind for kind in Kind if kind not in (Kind.DIGEST, Kind.SIGN_IN_CODE)]
PREFERENCES = {
    "ms": '"Tetapan pemberitahuan"',
    "en": '"Notification settings"',
}

FULL: dict[str, Any] = {
    "code": "042917",
    "minutes": 10,
    "case_ref": "1a2b3c4d",
    "title": "Lif Blok A rosak",
    "ppr_code": "SRP",
    "ppr_name": "PPR Seri Pantai",
    "category_name_ms": "Lif",
    "category_name_en": "Lift",
    "block": "A",
    "status": "resolved",
    "previous_status": "in_progress",
    "link": LINK,
    "message": "Kontraktor akan datang Isnin.",
    "commitment_date": "2026-12-14",
    "text": "Alat ganti sudah dipesan.",
    "to": "contractor",
    "assignee": "Syarikat Lif Jaya",
    "reason": "Lif masih berhenti di tingkat 7.",
    "scheduled_for": "2026-12-12T12:00:00+00:00",
    "target": "first_response",
    "due_at": "2026-12-12T01:30:00+00:00",
    "decision_text": "Pengurusan membaiki lif Blok A dalam dua minggu.",
    "due_date": "2026-12-26",
    "meeting_ref": "9f8e7d6c",
    "url": "https://hooks.example.org/k2k",
    "description": "City 311 aggregator",
    "disabled_reason": "gone",
    "detail": "the receiver answered 410 Gone",
}
#: Only what every message must have: which case and where to read it.
MINIMAL: dict[str, Any] = {"case_ref": "1a2b3c4d", "link": LINK}


def rendered_texts(rendered: Rendered) -> list[str]:
    return [rendered.subject, rendered.body, rendered.short_text]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", NOTIFICATION_KINDS)
@pytest.mark.parametrize("context", [FULL, MINIMAL, {}], ids=["full", "minimal", "empty"])
def test_every_kind_renders_in_both_languages_whatever_the_context_holds(
    kind: Kind, language: str, context: dict[str, Any]
) -> None:
    rendered = render(kind.value, language, context)

    assert rendered.subject.startswith("[K2K] ")
    assert "\n" not in rendered.subject and "\n" not in rendered.short_text
    for text in rendered_texts(rendered):
        assert "{" not in text and "}" not in text
        assert "None" not in text
        assert "  " not in text
        assert "()" not in text and '""' not in text
        assert not text.rstrip().endswith((":", "—"))
    assert PREFERENCES[language] in rendered.body.splitlines()[-1]
    assert "PATCH /api/v1/people/me" in rendered.body.splitlines()[-1]


@pytest.mark.parametrize("kind", list(Kind))
def test_bahasa_malaysia_and_english_messages_differ(kind: Kind) -> None:
    malay, english = render(kind, "ms", FULL), render(kind, "en", FULL)

    assert malay.subject != english.subject
    assert malay.body != english.body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", CASE_KINDS)
def test_case_subjects_carry_the_case_reference_and_title(kind: Kind, language: str) -> None:
    assert "1a2b3c4d: Lif Blok A rosak" in render(kind, language, FULL).subject
    assert "1a2b3c4d" in render(kind, language, MINIMAL).subject


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", LINKED_KINDS)
def test_the_link_is_in_the_body_and_the_sms_text(kind: Kind, language: str) -> None:
    rendered = render(kind, language, FULL)

    assert LINK in rendered.body
    assert rendered.short_text.endswith(f" {LINK}")
    assert rendered.link == LINK


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", LINKED_KINDS)
def test_every_body_ends_with_the_link_and_how_to_change_notifications(
    kind: Kind, language: str
) -> None:
    lines = [line for line in render(kind, language, FULL).body.splitlines() if line]

    assert lines[-2].endswith(LINK)
    assert "PATCH /api/v1/people/me" in lines[-1]


def test_a_status_change_reads_as_the_issue_describes_it() -> None:
    rendered = render("case.status_changed", "ms", FULL)

    assert rendered.subject == "[K2K] Kes 1a2b3c4d: Lif Blok A rosak — Dikatakan selesai"
    assert "Status baharu: Dikatakan selesai (sebelum ini: Sedang diusahakan)." in rendered.body
    assert "PPR Seri Pantai · Blok A · Lif" in rendered.body


def test_an_english_status_change_uses_the_english_category() -> None:
    rendered = render("case.status_changed", "en", FULL)

    assert rendered.subject == "[K2K] Case 1a2b3c4d: Lif Blok A rosak — Marked as fixed"
    assert "PPR Seri Pantai · Block A · Lift" in rendered.body


@pytest.mark.parametrize(
    ("status", "malay", "english"),
    [
        ("reported", "Dilaporkan", "Reported"),
        ("acknowledged", "Diterima", "Acknowledged"),
        ("in_progress", "Sedang diusahakan", "In progress"),
        ("resolved", "Dikatakan selesai", "Marked as fixed"),
        ("reopened", "Dibuka semula", "Reopened"),
        ("closed", "Ditutup", "Closed"),
        ("no_further_action", "Tiada tindakan lanjut", "No further action"),
        ("duplicate", "Pendua", "Duplicate"),
        ("withdrawn", "Ditarik balik", "Withdrawn"),
    ],
)
def test_statuses_are_translated(status: str, malay: str, english: str) -> None:
    context = {**FULL, "status": status}

    assert render("case.status_changed", "ms", context).subject.endswith(f"— {malay}")
    assert render("case.status_changed", "en", context).subject.endswith(f"— {english}")


def test_every_case_status_has_a_name_in_both_languages() -> None:
    for language in LANGUAGES:
        assert set(STATUS_NAMES[language]) == {status.value for status in Status}


@pytest.mark.parametrize(
    ("target", "malay", "english"),
    [
        ("acknowledge", "Penerimaan kes", "Acknowledgement"),
        ("first_response", "Jawapan pertama", "First response"),
        ("resolve", "Penyelesaian", "Resolution"),
    ],
)
def test_sla_targets_are_named_in_words(target: str, malay: str, english: str) -> None:
    context = {**FULL, "target": target}

    for kind in (Kind.SLA_WARNING, Kind.SLA_BREACHED):
        assert render(kind, "ms", context).subject.endswith(f": {malay}")
        assert render(kind, "en", context).subject.endswith(f": {english}")
        assert target not in render(kind, "ms", context).body


def test_every_sla_target_has_a_name_in_both_languages() -> None:
    targets = {"acknowledge", "first_response", "resolve"}

    assert set(TARGET_NAMES["ms"]) == set(TARGET_NAMES["en"]) == targets


def test_a_meeting_time_is_shown_in_malaysia_time() -> None:
    assert "pada 12 Dis 2026, 8:00 malam." in render("case.tabled", "ms", FULL).body
    assert "on 12 Dec 2026, 8:00 pm." in render("case.tabled", "en", FULL).body


def test_an_sla_due_time_is_shown_in_malaysia_time() -> None:
    assert "Tarikh akhir: 12 Dis 2026, 9:30 pagi." in render("sla.warning", "ms", FULL).body
    assert "It was due 12 Dec 2026, 9:30 am." in render("sla.breached", "en", FULL).body


@pytest.mark.parametrize(
    ("moment", "malay", "english"),
    [
        ("2026-12-12T12:00:00+00:00", "12 Dis 2026, 8:00 malam", "12 Dec 2026, 8:00 pm"),
        ("2026-12-12T04:30:00Z", "12 Dis 2026, 12:30 tengah hari", "12 Dec 2026, 12:30 pm"),
        ("2026-12-12T08:15:00+00:00", "12 Dis 2026, 4:15 petang", "12 Dec 2026, 4:15 pm"),
        ("2026-12-12T16:00:00+00:00", "13 Dis 2026, 12:00 tengah malam", "13 Dec 2026, 12:00 am"),
        ("2026-08-31T09:00:00+08:00", "31 Ogo 2026, 9:00 pagi", "31 Aug 2026, 9:00 am"),
        # A time without a zone is UTC, as the service stores it.
        ("2026-03-01T23:05:00", "2 Mac 2026, 7:05 pagi", "2 Mar 2026, 7:05 am"),
    ],
)
def test_times_are_shown_in_malaysia_time_with_the_time_of_day_in_words(
    moment: str, malay: str, english: str
) -> None:
    assert format_when(moment, "ms") == malay
    assert format_when(moment, "en") == english


def test_dates_are_shown_with_malay_or_english_month_names() -> None:
    assert format_day("2026-05-01", "ms") == "1 Mei 2026"
    assert format_day("2026-05-01", "en") == "1 May 2026"
    # A moment late in the UTC evening is already the next day in Malaysia.
    assert format_day("2026-05-01T20:00:00+00:00", "ms") == "2 Mei 2026"


def test_a_time_that_is_not_iso_is_shown_as_it_came() -> None:
    assert format_when("selepas Subuh", "ms") == "selepas Subuh"


def test_a_response_shows_the_promised_date_only_when_there_is_one() -> None:
    with_date = render("case.responded", "ms", FULL).body
    without = render("case.responded", "ms", {**FULL, "commitment_date": ""}).body

    assert "Tarikh siap yang dijanjikan: 14 Dis 2026." in with_date
    assert '"Kontraktor akan datang Isnin."' in with_date
    assert "Tarikh siap" not in without


def test_an_assignment_names_the_party_and_the_assignee() -> None:
    assert render("case.assigned", "ms", FULL).subject.endswith("— Diserahkan kepada kontraktor")
    assert (
        "diserahkan kepada kontraktor (Syarikat Lif Jaya)."
        in render("case.assigned", "ms", FULL).body
    )
    assert (
        "assigned to the residents' committee."
        in render("case.assigned", "en", {**FULL, "to": "committee", "assignee": ""}).body
    )


def test_a_dispute_quotes_the_reason_without_saying_who_gave_it() -> None:
    body = render("case.disputed", "en", FULL).body

    assert '"Lif masih berhenti di tingkat 7."' in body
    assert "A resident says" in body


def test_a_decision_quotes_the_decision_and_its_due_date() -> None:
    rendered = render("decision.made", "ms", FULL)

    assert rendered.subject.startswith("[K2K] Keputusan jawatankuasa — PPR Seri Pantai: ")
    assert '"Pengurusan membaiki lif Blok A dalam dua minggu."' in rendered.body
    assert "Tarikh akhir: 26 Dis 2026." in rendered.body
    assert "9f8e7d6c" in rendered.body


def test_a_long_title_is_shortened_in_the_subject_but_not_in_the_body() -> None:
    title = "Lif " + "sangat " * 40 + "rosak"

    rendered = render("case.commented", "ms", {**FULL, "title": title})

    assert len(rendered.subject) < 160
    assert title in rendered.body


def test_facts_about_people_in_the_context_never_reach_the_message() -> None:
    context = {**FULL, "reporter_name": "Nur Aisyah binti Kamaruddin", "unit": "A-07-12"}

    for kind in Kind:
        for language in LANGUAGES:
            for text in rendered_texts(render(kind, language, context)):
                assert "Aisyah" not in text
                assert "A-07-12" not in text


@pytest.mark.parametrize("language", ["xx", "", "zh"])
def test_an_unknown_language_falls_back_to_bahasa_malaysia(language: str) -> None:
    assert render("case.status_changed", language, FULL) == render(
        "case.status_changed", "ms", FULL
    )


def test_a_regional_english_tag_is_english() -> None:
    assert render("case.reported", "en-GB", FULL) == render("case.reported", "en", FULL)


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match=r"case\.exploded"):
        render("case.exploded", "ms", FULL)


# --- the daily digest ----------------------------------------------------------------------------


def held_messages(language: str) -> list[Rendered]:
    return [
        render("case.status_changed", language, FULL),
        render("case.commented", language, {**FULL, "case_ref": "99aa88bb", "link": LINK + "x"}),
        # As the notifier rebuilds a message from its outbox row: the link only in the SMS text.
        Rendered("[K2K] Kes 77cc66dd: Sampah", "...", "[K2K] Kes 77cc66dd: Sampah http://k2k/c/77"),
    ]


def test_a_digest_lists_the_held_messages_with_their_links_and_counts_them() -> None:
    digest = render_digest("ms", "2026-12-12", held_messages("ms"))

    assert digest.subject == "[K2K] Ringkasan harian 12 Dis 2026: 3 pemberitahuan"
    assert "1. Kes 1a2b3c4d: Lif Blok A rosak — Dikatakan selesai" in digest.body
    assert "2. Kes 99aa88bb: Lif Blok A rosak — Komen baharu" in digest.body
    assert "3. Kes 77cc66dd: Sampah" in digest.body
    for link in (LINK, LINK + "x", "http://k2k/c/77"):
        assert f"   {link}" in digest.body.splitlines()
    assert "PATCH /api/v1/people/me" in digest.body.splitlines()[-1]


def test_an_english_digest_counts_in_english() -> None:
    assert render_digest("en", "2026-12-12", held_messages("en")).subject == (
        "[K2K] Daily digest for 12 Dec 2026: 3 notifications"
    )
    assert render_digest("en", "2026-12-12", held_messages("en")[:1]).subject == (
        "[K2K] Daily digest for 12 Dec 2026: 1 notification"
    )


def test_a_digest_sms_is_one_line_with_the_link_to_all_notifications() -> None:
    digest = render_digest("ms", "2026-12-12", held_messages("ms"), link="http://k2k/inbox")

    assert digest.short_text == "[K2K] 3 pemberitahuan untuk 12 Dis 2026 http://k2k/inbox"
    assert "Lihat semua pemberitahuan: http://k2k/inbox" in digest.body


def test_an_empty_digest_says_there_is_nothing_new() -> None:
    assert (
        "Tiada pemberitahuan baharu untuk 12 Dis 2026."
        in render_digest("ms", "2026-12-12", []).body
    )


def test_the_digest_kind_renders_through_render_too() -> None:
    items = held_messages("en")

    assert render("digest", "en", {"day": "2026-12-12", "items": items}) == render_digest(
        "en", "2026-12-12", items
    )


def test_a_decision_due_today_says_so_in_its_subject_in_both_languages() -> None:
    made = render("decision.made", "ms", FULL)
    due_ms = render("decision.due", "ms", FULL)
    due_en = render("decision.due", "en", FULL)

    assert due_ms.subject != made.subject
    assert "hari ini" in due_ms.subject
    assert "due today" in due_en.subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_switched_off_webhook_says_where_to_and_why(language: str) -> None:
    rendered = render(Kind.WEBHOOK_DISABLED, language, FULL)

    assert "City 311 aggregator" in rendered.subject
    assert "https://hooks.example.org/k2k" in rendered.body
    assert "410 Gone" in rendered.body
    assert '"enabled": true' in rendered.body


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_sign_in_code_message_carries_the_code_a_warning_and_no_link(language: str) -> None:
    rendered = render(Kind.SIGN_IN_CODE, language, {"code": "042917", "minutes": 10})

    assert "042917" in rendered.subject
    assert "042917" in rendered.short_text
    assert "042917" in rendered.body
    assert rendered.link is None
    assert "http" not in rendered.body
    assert ("Jangan" if language == "ms" else "Never") in rendered.body


def test_a_sign_in_code_message_without_its_code_is_refused() -> None:
    with pytest.raises(ValueError, match="code"):
        render(Kind.SIGN_IN_CODE, "ms", {"minutes": 10})
