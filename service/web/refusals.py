"""Why a command was refused, in the page's language.

The domain gives each refusal as an English sentence with ``{name}`` places and their details
(``domain.errors``); the sentences are extracted for translation from the ``raise`` sites
(``service.web.catalogue``, ``make translations``). A detail that is a word of the domain (a
status, a role, the step refused) or a moment is put in words here; numbers and codes go in as
they are.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.errors import DomainError
from service.web.governance.words import (
    audience_label,
    committee_role,
    decision_status,
    meeting_status,
)
from service.web.i18n import (
    current_language,
    gettext,
    role_label,
    status_label,
    target_label,
    when,
)


def survey_status(status: str) -> str:
    """Where a survey stands, as a detail of a refusal."""
    return {
        "draft": gettext("a draft"),
        "open": gettext("open"),
        "closed": gettext("closed"),
    }.get(status, status)


def _mid_sentence(
    label: Callable[[str], str], *, quoted_in_malay: bool = True
) -> Callable[[str], str]:
    """A label as it reads inside a sentence ("a case that is marked as fixed"); the Malay
    sentences quote a status as the page shows it («Dikatakan selesai»)."""

    def worded(value: str) -> str:
        text = label(value)
        if quoted_in_malay and current_language() != "en":
            return text
        return text[:1].lower() + text[1:]

    return worded


def _roles(roles: str) -> str:
    return ", ".join(role_label(role) for role in roles.split(", "))


#: How each kind of detail is put in words; the domain names its details after these.
WORDING: dict[str, Callable[[str], str]] = {
    "doing": gettext,  # the step refused, itself a sentence fragment extracted for translation
    "status": _mid_sentence(status_label),
    "decision_status": _mid_sentence(decision_status),
    "meeting_status": _mid_sentence(meeting_status),
    "survey_status": survey_status,
    "role": role_label,
    "roles": _roles,
    "seat": committee_role,
    "audience": _mid_sentence(audience_label, quoted_in_malay=False),
    "target": target_label,
    # Moments, given as ISO text, as the pages show them (Malaysia time, in the page's words).
    "ends": when,
    "previous": when,
    "moment": when,
}


def refusal(error: DomainError) -> str:
    """The refusal's reason in the page's language (in English if its translation is broken)."""
    if not error.reason:
        return ""
    wording = gettext(error.reason)
    if not error.details:
        return wording
    details = {
        name: WORDING[name](str(value)) if name in WORDING else value
        for name, value in error.details.items()
    }
    try:
        return wording.format(**details)
    except (KeyError, IndexError, ValueError):
        # A translation that lost or renamed a place; the unit tests keep this from shipping.
        return error.reason.format(**details)
