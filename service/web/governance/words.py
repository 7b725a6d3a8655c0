"""Governance values in words: decision statuses, answers, who acts, attendance groups."""

from __future__ import annotations

from domain.committee import AgeBand, Gender
from domain.meeting import resident_group
from service.web.i18n import gettext

#: Attendance is counted by gender (or not said) within each age band (or not said), as the
#: meeting records it (``domain.meeting.RESIDENT_GROUPS``).
GENDERS: tuple[Gender | None, ...] = (Gender.FEMALE, Gender.MALE, None)
AGE_BANDS: tuple[AgeBand | None, ...] = (*AgeBand, None)


def decision_status(status: str) -> str:
    """Where a decision stands, as a resident reads it."""
    return {
        "made": gettext("Waiting for management's answer"),
        "accepted": gettext("Accepted by management"),
        "partly_accepted": gettext("Partly accepted by management"),
        "rejected": gettext("Rejected by management"),
        "in_progress": gettext("Work in progress"),
        "done": gettext("Done; waiting for the committee to verify"),
        "verified": gettext("Done and verified by the committee"),
    }.get(status, status.replace("_", " "))


def answer_label(answer: str | None) -> str:
    """Management's answer in words."""
    if not answer:
        return ""
    return {
        "accept": gettext("Accepted"),
        "accept_in_part": gettext("Partly accepted"),
        "reject": gettext("Rejected"),
    }.get(answer, answer)


def action_by_label(party: str) -> str:
    """Who must act on a decision."""
    return {
        "management": gettext("Management"),
        "committee": gettext("The residents' committee"),
        "contractor": gettext("The contractor"),
        "agency": gettext("Another government agency"),
    }.get(party, party)


def committee_role(role: str) -> str:
    """A committee seat in words."""
    return {
        "chair": gettext("chair"),
        "vice_chair": gettext("vice-chair"),
        "secretary": gettext("secretary"),
        "treasurer": gettext("treasurer"),
        "block_representative": gettext("block representative"),
        "member": gettext("member"),
    }.get(role, role.replace("_", " "))


def meeting_status(status: str) -> str:
    """Where a meeting stands."""
    return {
        "scheduled": gettext("Scheduled"),
        "held": gettext("Held"),
        "cancelled": gettext("Cancelled"),
    }.get(status, status)


def method_label(method: str) -> str:
    """How a motion was decided."""
    return {"vote": gettext("By vote"), "consensus": gettext("By consensus")}.get(method, method)


def gender_label(gender: Gender | str | None) -> str:
    """A self-declared gender (or that it was not said)."""
    value = gender.value if isinstance(gender, Gender) else gender
    return {
        "female": gettext("Women"),
        "male": gettext("Men"),
    }.get(value or "", gettext("Not said"))


def age_band_label(band: AgeBand | str | None) -> str:
    """An age band (or that it was not said)."""
    value = band.value if isinstance(band, AgeBand) else band
    if not value or value == "undeclared":
        return gettext("Age not said")
    return gettext("Aged %(band)s", band=value)


def group_label(group: str) -> str:
    """A residents' attendance group such as ``female/35-44``, in words."""
    gender, _, band = group.partition("/")
    return f"{gender_label(None if gender == 'undeclared' else gender)}, {age_band_label(band)}"


def attendance_groups() -> list[dict[str, object]]:
    """The attendance form's rows (age bands) and their inputs (genders), with field names."""
    rows: list[dict[str, object]] = []
    for band in AGE_BANDS:
        cells = []
        for gender in GENDERS:
            group = resident_group(gender, band)
            cells.append(
                {
                    "group": group,
                    "name": f"residents:{group}",
                    "id": "res-" + group.replace("/", "-").replace("+", "plus"),
                    "label": gender_label(gender),
                }
            )
        rows.append({"label": age_band_label(band), "cells": cells})
    return rows


def construct_label(construct: str) -> str:
    """A survey construct in words (an admin's own code as it is)."""
    return {
        "trust_in_committee": gettext("Trust in the residents' committee"),
        "trust_in_management": gettext("Trust in management"),
        "perception_of_co_management": gettext("How co-management works"),
        "responsiveness": gettext("How quickly problems are answered"),
        "sense_of_belonging": gettext("Sense of belonging"),
        "quality_of_life": gettext("Quality of life"),
    }.get(construct, construct.replace("_", " "))


def audience_label(audience: str) -> str:
    """Who answered a survey."""
    return {
        "residents": gettext("Residents"),
        "management": gettext("Management"),
        "committee": gettext("The residents' committee"),
    }.get(audience, audience)


def likert_anchor(value: int) -> str:
    """The words of a 1-5 agreement answer."""
    return {
        1: gettext("Strongly disagree"),
        2: gettext("Disagree"),
        3: gettext("Neither agree nor disagree"),
        4: gettext("Agree"),
        5: gettext("Strongly agree"),
    }[value]


def ten_anchor(value: int) -> str:
    """The words at the ends of a 0-10 answer (the middle values are numbers alone)."""
    return {0: gettext("Very poor"), 10: gettext("Excellent")}.get(value, "")


#: Template filters and globals for the governance pages.
FILTERS = {
    "decision_status": decision_status,
    "answer_label": answer_label,
    "action_by_label": action_by_label,
    "meeting_status": meeting_status,
    "committee_role": committee_role,
    "method_label": method_label,
    "group_label": group_label,
    "construct_label": construct_label,
    "audience_label": audience_label,
}
