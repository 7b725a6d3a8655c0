"""A case's history in plain words: who did what, when, and what they said.

Entries come from ``present_history`` (already redacted for the viewer); this only words them.
People are named by what they are to the case (you, the reporter, the committee, management),
never by an identifier a resident could not read.
"""

from __future__ import annotations

from typing import Any

from service.web.i18n import (
    category_name,
    day,
    gettext,
    party_label,
    status_label,
    target_label,
    when,
)


def _who(actor: dict[str, Any], viewer_id: str, reporter_role: str | None) -> str:
    role = actor.get("role")
    if actor.get("id") == viewer_id:
        return gettext("You")
    if role == "resident":
        return gettext("The reporter") if reporter_role == "reporter" else gettext("A resident")
    return {
        "committee": gettext("The residents' committee"),
        "management": gettext("Management"),
        "admin": gettext("An administrator"),
        "system": gettext("K2K, automatically"),
        "auditor": gettext("An auditor"),
        "integration": gettext("A connected system"),
    }.get(str(role), gettext("Someone"))


def _headline(kind: str, details: dict[str, Any], categories: dict[str, Any]) -> str:
    headlines = {
        "reported": gettext("reported the problem"),
        "acknowledged": gettext("acknowledged the case"),
        "management_responded": gettext("answered"),
        "resolved": gettext("marked the problem as fixed"),
        "resolution_confirmed": gettext("confirmed the fix"),
        "resolution_disputed": gettext("said it is not fixed"),
        "closed": gettext("closed the case"),
        "no_further_action_decided": gettext("decided no further action"),
        "marked_duplicate": gettext("marked this as a duplicate of another case"),
        "withdrawn": gettext("withdrew the case"),
        "comment_added": gettext("commented"),
        "priority_designated": gettext("made this a community priority"),
        "supported": gettext("supports this case (me too)"),
        "photo_attached": gettext("added a photo"),
    }
    if kind == "recategorised":
        return gettext(
            "moved the case from %(old)s to %(new)s",
            old=category_name(categories, str(details.get("from_category", ""))),
            new=category_name(categories, str(details.get("category_code", ""))),
        )
    if kind == "assigned":
        party = party_label(details.get("to"))
        assignee = details.get("assignee")
        if assignee:
            return gettext("gave the work to %(party)s (%(who)s)", party=party, who=assignee)
        return gettext("gave the work to %(party)s", party=party)
    if kind == "tabled":
        return gettext(
            "put the case on the agenda of the committee meeting of %(day)s",
            day=day(details.get("scheduled_for")),
        )
    if kind == "decision_step_recorded":
        return gettext("recorded a committee decision about this case")
    if kind == "sla_breached":
        return gettext(
            "noted that the %(target)s target was missed (due %(due)s)",
            target=target_label(details.get("target")).lower(),
            due=when(details.get("due_at")),
        )
    return headlines.get(kind, kind.replace("_", " "))


def _said(kind: str, details: dict[str, Any]) -> str | None:
    for name in ("message", "note", "reason", "text", "comment", "summary"):
        value = details.get(name)
        if value:
            return str(value)
    return None


def worded_timeline(
    entries: list[dict[str, Any]], viewer_id: str, categories: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each history entry as: when, who, what they did, what they said, and the new status."""
    worded = []
    previous_status = None
    for index, entry in enumerate(entries):
        kind = entry["type"]
        details = entry.get("details") or {}
        reporter_role = "reporter" if index == 0 or kind.startswith("resolution_") else None
        if kind == "withdrawn":
            reporter_role = "reporter"
        status = entry.get("status")
        worded.append(
            {
                "when": when(entry["occurred_at"]),
                "when_iso": entry["occurred_at"].isoformat()
                if hasattr(entry["occurred_at"], "isoformat")
                else str(entry["occurred_at"]),
                "who": _who(entry["actor"], viewer_id, reporter_role),
                "what": _headline(kind, details, categories),
                "said": None if kind == "reported" else _said(kind, details),
                "rating": details.get("rating") if kind == "resolution_confirmed" else None,
                "commitment": day(details.get("commitment_date"))
                if details.get("commitment_date")
                else None,
                "internal": bool(entry.get("internal")),
                "kind": kind,
                "new_status": status_label(status) if status != previous_status else None,
            }
        )
        previous_status = status
    return worded
