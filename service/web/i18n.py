"""Languages of the web pages: Bahasa Malaysia first, English one tap away.

Page texts are written in English in the templates and translated to Malay in
``translations/ms``; the notification wording (status names, dates in Malaysia time) is shared
with the messages people get, so a case reads the same on the page and in the SMS.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import flask_babel
from flask import request, session

from workers.templates import PARTY_NAMES, format_day, format_when, status_name, target_name

LANGUAGES = ("ms", "en")
DEFAULT_LANGUAGE = "ms"
LANGUAGE_NAMES = {"ms": "Bahasa Malaysia", "en": "English"}


def gettext(text: str, **values: Any) -> str:
    """``text`` in the page's language, with ``%(name)s`` placeholders filled from ``values``."""
    return str(flask_babel.gettext(text, **values))


def current_language() -> str:
    """The language of this page: the visitor's choice (kept in the session), else Malay."""
    chosen = session.get("lang") if request else None
    return str(chosen) if chosen in LANGUAGES else DEFAULT_LANGUAGE


def other_language() -> str:
    """The language the switch offers."""
    return "en" if current_language() == "ms" else "ms"


def when(value: datetime | str | None) -> str:
    """A moment in Malaysia time, in the page's language."""
    return format_when(value, current_language()) if value else ""


def day(value: date | datetime | str | None) -> str:
    """A calendar date in the page's language."""
    return format_day(value, current_language()) if value else ""


def status_label(status: str | None) -> str:
    """A case status as residents read it."""
    return status_name(status, current_language()) if status else ""


def target_label(target: str | None) -> str:
    """An SLA target in words."""
    return target_name(target, current_language()) if target else ""


def party_label(party: str | None) -> str:
    """Whose move a case is, in words (``management`` is "pihak pengurusan")."""
    if not party:
        return ""
    names = PARTY_NAMES[current_language()]
    return names.get(party, party.replace("_", " "))


def category_name(categories: dict[str, dict[str, Any]], code: str) -> str:
    """A category's name in the page's language (its code if the PPR has no such category)."""
    category = categories.get(code)
    if category is None:
        return code
    return str(category.get(f"name_{current_language()}") or category.get("name_ms") or code)


def role_label(role: str) -> str:
    """A role in words."""
    return {
        "resident": gettext("resident"),
        "committee": gettext("committee"),
        "management": gettext("management"),
        "auditor": gettext("auditor"),
        "admin": gettext("administrator"),
        "integration": gettext("integration"),
    }.get(role, role)


GLOBALS = {"role_label": role_label, "category_label": category_name}

FILTERS = {
    "when": when,
    "day": day,
    "status_label": status_label,
    "target_label": target_label,
    "party_label": party_label,
}
