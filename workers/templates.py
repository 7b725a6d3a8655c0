"""Notification messages in Bahasa Malaysia (the default) and English, one template per kind.

Residents read these on their phones, so a message is a few short lines: what happened, which
case (reference, title, PPR, block, category), the link, and how to change notifications. A
message never names a person: the context carries no reporter, unit or contact, and none is added
here. A sentence whose facts are missing from the context is left out rather than shown half-empty.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from domain.clock import MALAYSIA
from workers.kinds import Kind

DEFAULT_LANGUAGE = "ms"
#: Titles longer than this are shortened in subjects (the body has them in full).
SUBJECT_TITLE_MAX = 100
SUBJECT_EXCERPT_MAX = 60


@dataclass(frozen=True)
class Rendered:
    """One message in one language: the email subject and body, and a one-line text for SMS."""

    subject: str
    body: str
    short_text: str
    link: str | None = None


STATUS_NAMES: dict[str, dict[str, str]] = {
    "ms": {
        "reported": "Dilaporkan",
        "acknowledged": "Diterima",
        "in_progress": "Sedang diusahakan",
        "resolved": "Dikatakan selesai",
        "reopened": "Dibuka semula",
        "closed": "Ditutup",
        "no_further_action": "Tiada tindakan lanjut",
        "duplicate": "Pendua",
        "withdrawn": "Ditarik balik",
    },
    "en": {
        "reported": "Reported",
        "acknowledged": "Acknowledged",
        "in_progress": "In progress",
        # A claim by whoever fixed it; only the resident's confirmation closes the case.
        "resolved": "Marked as fixed",
        "reopened": "Reopened",
        "closed": "Closed",
        "no_further_action": "No further action",
        "duplicate": "Duplicate",
        "withdrawn": "Withdrawn",
    },
}

TARGET_NAMES: dict[str, dict[str, str]] = {
    "ms": {
        "acknowledge": "Penerimaan kes",
        "first_response": "Jawapan pertama",
        "resolve": "Penyelesaian",
    },
    "en": {
        "acknowledge": "Acknowledgement",
        "first_response": "First response",
        "resolve": "Resolution",
    },
}

PARTY_NAMES: dict[str, dict[str, str]] = {
    "ms": {
        "management": "pihak pengurusan",
        "committee": "jawatankuasa penduduk",
        "contractor": "kontraktor",
    },
    "en": {
        "management": "management",
        "committee": "the residents' committee",
        "contractor": "the contractor",
    },
}

#: A line about what a new status means for the resident who reads it.
STATUS_NOTES: dict[str, dict[str, str]] = {
    "ms": {
        "resolved": "Masalah ini dikatakan sudah selesai. Jika belum, sila maklumkan dalam "
        "aplikasi sebelum kes ditutup.",
        "reopened": "Kes ini dibuka semula dan akan diusahakan lagi.",
        "closed": "Terima kasih kerana melaporkan masalah ini.",
        "no_further_action": "Tiada tindakan lanjut akan diambil. Sebabnya ada dalam sejarah kes.",
        "duplicate": "Masalah yang sama sedang diuruskan dalam kes lain.",
    },
    "en": {
        "resolved": "The problem is said to be fixed. If it is not, please say so in the app "
        "before the case is closed.",
        "reopened": "The case is open again and will be worked on.",
        "closed": "Thank you for reporting this problem.",
        "no_further_action": "No further action will be taken; the reason is in the case history.",
        "duplicate": "The same problem is being handled in another case.",
    },
}

_MONTHS = {
    "ms": ("Jan", "Feb", "Mac", "Apr", "Mei", "Jun", "Jul", "Ogo", "Sep", "Okt", "Nov", "Dis"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}

_WORDS: dict[str, dict[str, str]] = {
    "ms": {
        "greeting": "Salam sejahtera,",
        "case": "Kes",
        "new_case": "Kes baharu",
        "decision": "Keputusan jawatankuasa",
        "decision_due": "Keputusan jawatankuasa perlu dilaksanakan hari ini",
        "block": "Blok",
        "view_case": "Lihat kes",
        "view_decision": "Lihat keputusan",
        "webhook_disabled": "Langganan webhook dihentikan",
        "view_subscription": "Lihat langganan",
        "view_all": "Lihat semua pemberitahuan",
        "preferences": 'Untuk mengubah pemberitahuan, buka "Tetapan pemberitahuan" dalam aplikasi '
        "(atau PATCH /api/v1/people/me).",
    },
    "en": {
        "greeting": "Hello,",
        "case": "Case",
        "new_case": "New case",
        "decision": "Committee decision",
        "decision_due": "Committee decision due today",
        "block": "Block",
        "view_case": "View the case",
        "view_decision": "View the decision",
        "webhook_disabled": "Webhook subscription switched off",
        "view_subscription": "View the subscription",
        "view_all": "See all notifications",
        "preferences": 'To change your notifications, open "Notification settings" in the app '
        "(or PATCH /api/v1/people/me).",
    },
}


@dataclass(frozen=True)
class _Template:
    """A kind's message in one language.

    ``suffix`` and each paragraph are alternatives, best first: the first whose placeholders all
    have a value is used, and a paragraph with none usable is left out.
    """

    label: str
    suffix: tuple[str, ...]
    paragraphs: tuple[tuple[str, ...], ...]
    link_label: str = "view_case"


_TEMPLATES: dict[str, dict[Kind, _Template]] = {
    "ms": {
        Kind.CASE_REPORTED: _Template(
            label="new_case",
            suffix=(),
            paragraphs=(
                ("Kes baharu telah dilaporkan di {ppr}.", "Kes baharu telah dilaporkan."),
                ("Sila semak kes ini dalam aplikasi.",),
            ),
        ),
        Kind.CASE_STATUS_CHANGED: _Template(
            label="case",
            suffix=("{status}", "Status dikemas kini"),
            paragraphs=(
                (
                    "Status baharu: {status} (sebelum ini: {previous_status}).",
                    "Status baharu: {status}.",
                    "Status kes ini telah berubah.",
                ),
                ("{status_note}",),
            ),
        ),
        Kind.CASE_RESPONDED: _Template(
            label="case",
            suffix=("Jawapan pihak pengurusan",),
            paragraphs=(
                (
                    'Pihak pengurusan telah menjawab:\n"{message}"',
                    "Pihak pengurusan telah memberi jawapan untuk kes ini.",
                ),
                ("Tarikh siap yang dijanjikan: {commitment_date}.",),
            ),
        ),
        Kind.CASE_COMMENTED: _Template(
            label="case",
            suffix=("Komen baharu",),
            paragraphs=(
                (
                    'Komen baharu daripada jawatankuasa atau pihak pengurusan:\n"{text}"',
                    "Ada komen baharu pada kes ini.",
                ),
            ),
        ),
        Kind.CASE_ASSIGNED: _Template(
            label="case",
            suffix=("Diserahkan kepada {party}", "Diserahkan untuk tindakan"),
            paragraphs=(
                (
                    "Kes ini kini diserahkan kepada {party} ({assignee}).",
                    "Kes ini kini diserahkan kepada {party}.",
                    "Kes ini telah diserahkan untuk tindakan.",
                ),
            ),
        ),
        Kind.CASE_DISPUTED: _Template(
            label="case",
            suffix=("Penyelesaian dipertikaikan",),
            paragraphs=(
                ("Seorang penduduk memaklumkan bahawa masalah ini belum selesai.",),
                ('Sebab yang diberi:\n"{reason}"',),
                ("Status baharu: {status}.",),
                ("Sila semak semula kes ini.",),
            ),
        ),
        Kind.CASE_TABLED: _Template(
            label="case",
            suffix=("Dalam agenda mesyuarat",),
            paragraphs=(
                (
                    "Kes ini telah dimasukkan ke dalam agenda mesyuarat jawatankuasa pada "
                    "{scheduled_for}.",
                    "Kes ini telah dimasukkan ke dalam agenda mesyuarat jawatankuasa.",
                ),
            ),
        ),
        Kind.SLA_WARNING: _Template(
            label="case",
            suffix=("Sasaran SLA hampir tamat: {target}", "Sasaran SLA hampir tamat"),
            paragraphs=(
                (
                    'Sasaran SLA "{target}" untuk kes ini belum dicapai. Tarikh akhir: {due_at}.',
                    'Sasaran SLA "{target}" untuk kes ini belum dicapai dan hampir tamat.',
                    "Sasaran SLA untuk kes ini belum dicapai. Tarikh akhir: {due_at}.",
                    "Sasaran SLA untuk kes ini belum dicapai dan hampir tamat.",
                ),
                ("Sila ambil tindakan sebelum tarikh akhir.",),
            ),
        ),
        Kind.SLA_BREACHED: _Template(
            label="case",
            suffix=("Sasaran SLA terlepas: {target}", "Sasaran SLA terlepas"),
            paragraphs=(
                (
                    'Sasaran SLA "{target}" untuk kes ini telah terlepas. Tarikh akhir: {due_at}.',
                    'Sasaran SLA "{target}" untuk kes ini telah terlepas.',
                    "Sasaran SLA untuk kes ini telah terlepas. Tarikh akhir: {due_at}.",
                    "Sasaran SLA untuk kes ini telah terlepas.",
                ),
                ("Sila ambil tindakan secepat mungkin.",),
            ),
        ),
        Kind.DECISION_MADE: _Template(
            label="decision",
            suffix=(),
            paragraphs=(
                (
                    "Jawatankuasa penduduk telah membuat keputusan untuk dijawab oleh pihak pengurusan.",
                ),
                ('"{decision_text}"',),
                ("Tarikh akhir: {due_date}.",),
                ("Rujukan mesyuarat: {meeting_ref}.",),
                (
                    "Sila jawab dalam aplikasi (terima, terima sebahagian atau tolak) beserta sebabnya.",
                ),
            ),
            link_label="view_decision",
        ),
        Kind.DECISION_DUE: _Template(
            label="decision",
            suffix=(),
            paragraphs=(
                ("Keputusan jawatankuasa ini perlu dilaksanakan hari ini dan belum selesai.",),
                ('"{decision_text}"',),
                ("Tarikh akhir: {due_date}.",),
                ("Sila laporkan kemajuan atau tandakan selesai dalam aplikasi.",),
            ),
            link_label="view_decision",
        ),
        Kind.WEBHOOK_DISABLED: _Template(
            label="webhook_disabled",
            suffix=(),
            paragraphs=(
                ("Penghantaran webhook ke {url} telah dihentikan: {why}.",),
                ("Keterangan: {description}",),
                ("Butiran: {detail}",),
                (
                    "Selepas penerima dibaiki, hidupkan semula langganan (PATCH dengan "
                    '"enabled": true) dan minta main semula acara yang terlepas.',
                ),
            ),
            link_label="view_subscription",
        ),
    },
    "en": {
        Kind.CASE_REPORTED: _Template(
            label="new_case",
            suffix=(),
            paragraphs=(
                ("A new case was reported in {ppr}.", "A new case was reported."),
                ("Please review it in the app.",),
            ),
        ),
        Kind.CASE_STATUS_CHANGED: _Template(
            label="case",
            suffix=("{status}", "Status updated"),
            paragraphs=(
                (
                    "New status: {status} (before: {previous_status}).",
                    "New status: {status}.",
                    "The status of this case has changed.",
                ),
                ("{status_note}",),
            ),
        ),
        Kind.CASE_RESPONDED: _Template(
            label="case",
            suffix=("Management replied",),
            paragraphs=(
                ('Management replied:\n"{message}"', "Management has replied on this case."),
                ("Promised by: {commitment_date}.",),
            ),
        ),
        Kind.CASE_COMMENTED: _Template(
            label="case",
            suffix=("New comment",),
            paragraphs=(
                (
                    'A new comment from the committee or management:\n"{text}"',
                    "There is a new comment on this case.",
                ),
            ),
        ),
        Kind.CASE_ASSIGNED: _Template(
            label="case",
            suffix=("Assigned to {party}", "Assigned for action"),
            paragraphs=(
                (
                    "This case is now assigned to {party} ({assignee}).",
                    "This case is now assigned to {party}.",
                    "This case has been assigned for action.",
                ),
            ),
        ),
        Kind.CASE_DISPUTED: _Template(
            label="case",
            suffix=("Fix disputed",),
            paragraphs=(
                ("A resident says the problem is not fixed.",),
                ('The reason given:\n"{reason}"',),
                ("New status: {status}.",),
                ("Please look at the case again.",),
            ),
        ),
        Kind.CASE_TABLED: _Template(
            label="case",
            suffix=("On a meeting agenda",),
            paragraphs=(
                (
                    "This case is on the agenda of the committee meeting on {scheduled_for}.",
                    "This case is on the agenda of a committee meeting.",
                ),
            ),
        ),
        Kind.SLA_WARNING: _Template(
            label="case",
            suffix=("SLA target due soon: {target}", "SLA target due soon"),
            paragraphs=(
                (
                    'The SLA target "{target}" for this case is not met yet. Due: {due_at}.',
                    'The SLA target "{target}" for this case is not met yet and is due soon.',
                    "An SLA target for this case is not met yet. Due: {due_at}.",
                    "An SLA target for this case is not met yet and is due soon.",
                ),
                ("Please act before it is due.",),
            ),
        ),
        Kind.SLA_BREACHED: _Template(
            label="case",
            suffix=("SLA target missed: {target}", "SLA target missed"),
            paragraphs=(
                (
                    'The SLA target "{target}" for this case was missed. It was due {due_at}.',
                    'The SLA target "{target}" for this case was missed.',
                    "An SLA target for this case was missed. It was due {due_at}.",
                    "An SLA target for this case was missed.",
                ),
                ("Please act as soon as possible.",),
            ),
        ),
        Kind.DECISION_MADE: _Template(
            label="decision",
            suffix=(),
            paragraphs=(
                ("The residents' committee made a decision for management to answer.",),
                ('"{decision_text}"',),
                ("Due by: {due_date}.",),
                ("Meeting reference: {meeting_ref}.",),
                (
                    "Please answer it in the app (accept, partly accept or reject) with your reasons.",
                ),
            ),
            link_label="view_decision",
        ),
        Kind.DECISION_DUE: _Template(
            label="decision",
            suffix=(),
            paragraphs=(
                ("This committee decision is due today and is not done yet.",),
                ('"{decision_text}"',),
                ("Due by: {due_date}.",),
                ("Please report progress or mark it done in the app.",),
            ),
            link_label="view_decision",
        ),
        Kind.WEBHOOK_DISABLED: _Template(
            label="webhook_disabled",
            suffix=(),
            paragraphs=(
                ("Webhook deliveries to {url} were switched off: {why}.",),
                ("Description: {description}",),
                ("Details: {detail}",),
                (
                    "Once the receiver is fixed, switch the subscription on again (PATCH with "
                    '"enabled": true) and ask for a replay of the events it missed.',
                ),
            ),
            link_label="view_subscription",
        ),
    },
}

_FORMATTER = string.Formatter()


def language_of(language: str | None) -> str:
    """``ms`` or ``en``: an English tag (``en``, ``en-GB``) is English, anything else Malay."""
    tag = re.split(r"[-_]", (language or "").strip().lower(), maxsplit=1)[0]
    return tag if tag in _TEMPLATES else DEFAULT_LANGUAGE


def status_name(status: str, language: str) -> str:
    """A case status as residents read it (``resolved`` is "Dikatakan selesai")."""
    names = STATUS_NAMES[language_of(language)]
    return names.get(status, status.replace("_", " ").capitalize())


def target_name(target: str, language: str) -> str:
    """An SLA target (``acknowledge``, ``first_response``, ``resolve``) in words."""
    names = TARGET_NAMES[language_of(language)]
    return names.get(target, target.replace("_", " ").capitalize())


def _as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _clock(moment: datetime, language: str) -> str:
    hour, minute = moment.hour, moment.minute
    twelve = hour % 12 or 12
    if language == "en":
        return f"{twelve}:{minute:02d} {'am' if hour < 12 else 'pm'}"
    # Malaysians tell the time of day in words: pagi, tengah hari, petang, malam.
    if hour == 0:
        period = "tengah malam"
    elif hour < 12:
        period = "pagi"
    elif hour < 14:
        period = "tengah hari"
    elif hour < 19:
        period = "petang"
    else:
        period = "malam"
    return f"{twelve}:{minute:02d} {period}"


def _day(day: date, language: str) -> str:
    return f"{day.day} {_MONTHS[language][day.month - 1]} {day.year}"


def format_when(value: object, language: str) -> str:
    """A moment in Malaysia time: "12 Dis 2026, 8:00 malam" / "12 Dec 2026, 8:00 pm".

    A value that is not an ISO datetime is shown as it came; a naive one is taken to be UTC.
    """
    language = language_of(language)
    moment = _as_datetime(value)
    if moment is None:
        return _plain(value)
    local = moment.astimezone(MALAYSIA)
    return f"{_day(local.date(), language)}, {_clock(local, language)}"


def format_day(value: object, language: str) -> str:
    """A calendar date: "12 Dis 2026" / "12 Dec 2026" (a datetime counts in Malaysia time)."""
    language = language_of(language)
    if isinstance(value, date) and not isinstance(value, datetime):
        return _day(value, language)
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return _day(date.fromisoformat(value.strip()), language)
        except ValueError:
            pass
    moment = _as_datetime(value)
    if moment is None:
        return _plain(value)
    return _day(moment.astimezone(MALAYSIA).date(), language)


def _plain(value: object) -> str:
    return "" if value is None else str(value).strip()


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _shorten(value: str, limit: int) -> str:
    value = _one_line(value)
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "\u2026"


def _quoted(value: object) -> str:
    """Someone's words, kept as written but without blank runs that break the layout."""
    lines = [line.strip() for line in _plain(value).splitlines()]
    return "\n".join(line for line in lines if line)


def _values(language: str, context: Mapping[str, Any]) -> dict[str, str]:
    """The placeholders' values in ``language``; a missing fact is an empty string."""

    def get(key: str) -> str:
        return _plain(context.get(key))

    status, previous = get("status"), get("previous_status")
    category = get(f"category_name_{language}") or get(
        "category_name_en" if language == "ms" else "category_name_ms"
    )
    block = get("block")
    ppr = get("ppr_name") or get("ppr_code")
    where = [
        ppr,
        f"{_WORDS[language]['block']} {block}" if block else "",
        category,
    ]
    party = get("to")
    return {
        "ref": _shorten(get("case_ref"), 36),
        "title": _one_line(get("title")),
        "ppr": ppr,
        "where": " \u00b7 ".join(part for part in where if part),
        "status": status_name(status, language) if status else "",
        "previous_status": status_name(previous, language) if previous else "",
        "status_note": STATUS_NOTES[language].get(status, ""),
        "message": _quoted(context.get("message")),
        "commitment_date": format_day(context.get("commitment_date"), language),
        "text": _quoted(context.get("text")),
        "party": PARTY_NAMES[language].get(party, party.replace("_", " ")),
        "assignee": _one_line(get("assignee")),
        "reason": _quoted(context.get("reason")),
        "scheduled_for": format_when(context.get("scheduled_for"), language),
        "target": target_name(get("target"), language) if get("target") else "",
        "due_at": format_when(context.get("due_at"), language),
        "decision_text": _quoted(context.get("decision_text")),
        "due_date": format_day(context.get("due_date"), language),
        "meeting_ref": _one_line(get("meeting_ref")),
        "url": _one_line(get("url")),
        "description": _one_line(get("description")),
        "detail": _one_line(get("detail")),
        "why": DISABLED_REASONS[language].get(get("disabled_reason"), ""),
        "link": get("link"),
    }


#: Why the service switched a webhook subscription off, in words.
DISABLED_REASONS = {
    "ms": {
        "gone": "penerima menjawab 410 Gone, iaitu meminta kami berhenti",
        "failing": "setiap cubaan penghantaran gagal terlalu lama tanpa henti",
    },
    "en": {
        "gone": "the receiver answered 410 Gone, asking us to stop",
        "failing": "every delivery attempt kept failing for too long",
    },
}


def _first_usable(alternatives: Sequence[str], values: Mapping[str, str]) -> str:
    for alternative in alternatives:
        fields = [name for _, name, _, _ in _FORMATTER.parse(alternative) if name is not None]
        if all(values.get(name) for name in fields):
            return alternative.format_map(values)
    return ""


def _footer(language: str, link_label: str, link: str) -> list[str]:
    words = _WORDS[language]
    lines = [f"{words[link_label]}: {link}", ""] if link else []
    return [*lines, words["preferences"]]


def _sms_line(subject: str, link: str | None) -> str:
    return f"{subject} {link}" if link else subject


def render(kind: str, language: str, context: Mapping[str, Any]) -> Rendered:
    """The message for one notification of ``kind`` in ``language`` (unknown languages: ``ms``).

    Raises ValueError for a kind that ``workers.kinds.Kind`` does not list.
    """
    try:
        known = Kind(kind)
    except ValueError:
        raise ValueError(f"no template for notification kind {kind!r}") from None
    language = language_of(language)
    if known is Kind.SIGN_IN_CODE:
        return _sign_in_code(language, context)
    if known is Kind.DIGEST:
        items = context.get("items") or ()
        day = _plain(context.get("day") or context.get("day_iso"))
        return render_digest(language, day, items, link=_plain(context.get("link")) or None)

    template = _TEMPLATES[language][known]
    words = _WORDS[language]
    values = _values(language, context)

    if known in (Kind.DECISION_MADE, Kind.DECISION_DUE):
        head = words["decision" if known is Kind.DECISION_MADE else "decision_due"]
        excerpt = _shorten(values["decision_text"], SUBJECT_EXCERPT_MAX)
        subject = f"[K2K] {head}" + (f" \u2014 {values['ppr']}" if values["ppr"] else "")
        subject += f": {excerpt}" if excerpt else ""
        top = [values["where"]]
    elif known is Kind.WEBHOOK_DISABLED:
        which = values["description"] or values["url"]
        subject = f"[K2K] {words['webhook_disabled']}" + (f": {which}" if which else "")
        top = []
    else:
        head = words[template.label] + (f" {values['ref']}" if values["ref"] else "")
        title = _shorten(values["title"], SUBJECT_TITLE_MAX)
        subject = f"[K2K] {head}" + (f": {title}" if title else "")
        suffix = _first_usable(template.suffix, values)
        subject += f" \u2014 {suffix}" if suffix else ""
        case_line = words["case"] + (f" {values['ref']}" if values["ref"] else "")
        case_line += f": {values['title']}" if values["title"] else ""
        top = [case_line if values["ref"] or values["title"] else "", values["where"]]

    lines = [words["greeting"], ""]
    header = [line for line in top if line]
    if header:
        lines += [*header, ""]
    for alternatives in template.paragraphs:
        paragraph = _first_usable(alternatives, values)
        if paragraph:
            lines += [paragraph, ""]
    lines += _footer(language, template.link_label, values["link"])
    link = values["link"] or None
    return Rendered(
        subject=subject,
        body="\n".join(lines),
        short_text=_sms_line(subject, link),
        link=link,
    )


#: The sign-in code message: short enough for one SMS, and it says never to pass the code on.
SIGN_IN_WORDS = {
    "ms": {
        # The subject is also the whole SMS (a delivery sends the subject and the link, if any).
        "subject": "[K2K] Kod masuk anda: {code}. Sah {minutes} minit. Jangan kongsi kod ini.",
        "body": "Kod masuk K2K Co-Manage anda ialah {code}. Kod ini sah selama {minutes} minit "
        "dan hanya boleh digunakan sekali.",
        "warning": "Jangan berikan kod ini kepada sesiapa, termasuk orang yang mengaku dari K2K. "
        "Jika anda tidak meminta kod ini, abaikan mesej ini.",
    },
    "en": {
        "subject": "[K2K] Your sign-in code: {code}. Valid {minutes} min. Do not share it.",
        "body": "Your K2K Co-Manage sign-in code is {code}. It is valid for {minutes} minutes "
        "and works once.",
        "warning": "Never give this code to anyone, even someone who says they are from K2K. "
        "If you did not ask for it, ignore this message.",
    },
}


def _sign_in_code(language: str, context: Mapping[str, Any]) -> Rendered:
    words = SIGN_IN_WORDS[language]
    values = {"code": _plain(context.get("code")), "minutes": _plain(context.get("minutes"))}
    if not values["code"] or not values["minutes"]:
        raise ValueError("a sign-in code message needs its code and how many minutes it lasts")
    lines = [
        _WORDS[language]["greeting"],
        "",
        words["body"].format_map(values),
        "",
        words["warning"],
    ]
    return Rendered(
        subject=words["subject"].format_map(values),
        body="\n".join(lines),
        # No link: a code message that links to a sign-in page is what phishing looks like.
        short_text=words["subject"].format_map(values),
        link=None,
    )


_URL = re.compile(r"https?://\S+")


def _link_of(item: Rendered) -> str | None:
    if item.link:
        return item.link
    found = _URL.findall(item.short_text)
    return found[-1] if found else None


def render_digest(
    language: str, day_iso: str, items: Sequence[Rendered], *, link: str | None = None
) -> Rendered:
    """One message listing the held messages' subjects and links, with their count in the subject.

    ``link``, when given, is where the recipient reads all their notifications.
    """
    language = language_of(language)
    words = _WORDS[language]
    day = format_day(day_iso, language) if day_iso else ""
    count = len(items)
    if language == "en":
        noun = "notification" if count == 1 else "notifications"
        subject = f"[K2K] Daily digest{f' for {day}' if day else ''}: {count} {noun}"
        if count:
            verb = "is" if count == 1 else "are"
            intro = f"Here {verb} your {count} {noun}{f' for {day}' if day else ''}:"
        else:
            intro = f"There are no new notifications{f' for {day}' if day else ''}."
        short = f"[K2K] {count} {noun}{f' for {day}' if day else ''}"
    else:
        subject = f"[K2K] Ringkasan harian{f' {day}' if day else ''}: {count} pemberitahuan"
        if count:
            intro = f"Berikut {count} pemberitahuan anda{f' untuk {day}' if day else ''}:"
        else:
            intro = f"Tiada pemberitahuan baharu{f' untuk {day}' if day else ''}."
        short = f"[K2K] {count} pemberitahuan{f' untuk {day}' if day else ''}"

    lines = [words["greeting"], "", intro, ""]
    for number, item in enumerate(items, start=1):
        title = _one_line(item.subject.removeprefix("[K2K]"))
        lines.append(f"{number}. {title}")
        item_link = _link_of(item)
        if item_link:
            lines.append(f"   {item_link}")
    if items:
        lines.append("")
    lines += _footer(language, "view_all", link or "")
    return Rendered(
        subject=subject,
        body="\n".join(lines),
        short_text=_sms_line(short, link),
        link=link,
    )
