"""Turn cases and timeline rows into what one viewer may see."""

from __future__ import annotations

from typing import Any

from flask import url_for

from domain.case import Case
from service.cases.visibility import Redactor, sees_internal
from service.tokens.store import Principal


def _location(
    redactor: Redactor, block: str, floor: str | None, unit: str | None, area: str | None
) -> dict[str, Any]:
    return {
        "block": block,
        "floor": floor,
        "unit": unit if redactor.sees_unit else None,
        "common_area": area,
    }


def _reporter(redactor: Redactor, reporter_id: str, reporter_role: str) -> dict[str, Any] | None:
    person = redactor.person(reporter_id, reporter_role)
    return person if person["id"] is not None else None


def photo_urls(case_id: str, sha256: str) -> dict[str, str]:
    """Where a case's photo and its thumbnail are fetched (with a token that may see the case)."""
    return {
        "url": url_for("photos.CasePhoto", case_id=case_id, sha256=sha256),
        "thumbnail_url": url_for("photos.CasePhotoThumbnail", case_id=case_id, sha256=sha256),
    }


def present_photos(case: Case, viewer: Principal, pseudonym_key: str) -> list[dict[str, Any]]:
    """The case's photos, oldest first, with who attached each as ``viewer`` may see them."""
    redactor = Redactor(
        viewer, reporter_id=case.reporter_id, anonymous=case.anonymous, pseudonym_key=pseudonym_key
    )
    case_id = str(case.id)
    return [
        {
            "sha256": photo["sha256"],
            "content_type": photo["content_type"],
            "byte_size": photo["byte_size"],
            "width": photo["width"],
            "height": photo["height"],
            "attached_at": photo["attached_at"],
            "attached_by": redactor.person(photo["attached_by"], photo["attached_by_role"]),
            **photo_urls(case_id, photo["sha256"]),
        }
        for photo in case.photos
    ]


def present_case(case: Case, viewer: Principal, pseudonym_key: str) -> dict[str, Any]:
    """A case aggregate in full, redacted for ``viewer``."""
    redactor = Redactor(
        viewer, reporter_id=case.reporter_id, anonymous=case.anonymous, pseudonym_key=pseudonym_key
    )
    case_id = str(case.id)
    return {
        "id": case_id,
        "ppr": case.ppr_code,
        "category": case.category_code,
        "location": _location(redactor, case.block, case.floor, case.unit, case.common_area),
        "title": case.title,
        "description": case.description,
        "channel": case.channel,
        "status": case.status,
        "whose_move": case.whose_move,
        "assigned_to": case.assigned_to,
        "assignee": case.assignee,
        "commitment_date": case.commitment_date,
        "reporter": _reporter(redactor, case.reporter_id, case.reporter_role),
        "anonymous": case.anonymous,
        "private": case.private,
        "is_mine": case.reporter_id == viewer.principal_id,
        "support_count": len(case.supporter_ids),
        "comment_count": case.public_comment_count,
        "supported_by_me": viewer.principal_id in case.supporter_ids,
        "reported_at": case.reported_at,
        "updated_at": case.last_occurred_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "duplicate_of": case.duplicate_of,
        "reopen_count": case.reopen_count,
        "rating": case.rating,
        "photo_count": len(case.photos),
        "thumbnail_url": (
            photo_urls(case_id, case.photos[0]["sha256"])["thumbnail_url"] if case.photos else None
        ),
        "photos": present_photos(case, viewer, pseudonym_key),
        "version": case.version,
        "links": {
            "self": url_for("cases.CaseById", case_id=case_id),
            "history": url_for("cases.CaseHistory", case_id=case_id),
        },
    }


def present_summary(row: Any, viewer: Principal, pseudonym_key: str) -> dict[str, Any]:
    """A case-list row, redacted for ``viewer``."""
    redactor = Redactor(
        viewer, reporter_id=row.reporter_id, anonymous=row.anonymous, pseudonym_key=pseudonym_key
    )
    return {
        "id": row.case_id,
        "ppr": row.ppr_code,
        "category": row.category_code,
        "location": _location(redactor, row.block, row.floor, row.unit, row.common_area),
        "title": row.title,
        "channel": row.channel,
        "status": row.status,
        "whose_move": row.whose_move,
        "assigned_to": row.assigned_to,
        "reporter": _reporter(redactor, row.reporter_id, row.reporter_role),
        "anonymous": row.anonymous,
        "private": row.private,
        "is_mine": row.reporter_id == viewer.principal_id,
        "support_count": row.support_count,
        "comment_count": row.public_comment_count,
        "reported_at": row.reported_at,
        "updated_at": row.updated_at,
        "resolved_at": row.resolved_at,
        "closed_at": row.closed_at,
        "duplicate_of": row.duplicate_of,
        "photo_count": row.photo_count,
        "thumbnail_url": (
            photo_urls(row.case_id, row.first_photo)["thumbnail_url"] if row.first_photo else None
        ),
        "version": row.version,
    }


#: Details that name a household; shown only to those who may see the unit.
HOUSEHOLD_DETAILS = ("unit",)


def present_history(
    case: Case, rows: list[Any], viewer: Principal, pseudonym_key: str
) -> list[dict[str, Any]]:
    """Timeline rows, redacted for ``viewer`` (internal notes already filtered by the query)."""
    redactor = Redactor(
        viewer, reporter_id=case.reporter_id, anonymous=case.anonymous, pseudonym_key=pseudonym_key
    )
    entries = []
    for row in rows:
        if row.internal and not sees_internal(viewer):
            continue
        details = dict(row.details)
        if row.event_type == "photo_attached":
            details.update(photo_urls(str(case.id), details["sha256"]))
        if not redactor.sees_unit:
            for name in HOUSEHOLD_DETAILS:
                if name in details:
                    details[name] = None
        entries.append(
            {
                "version": row.version,
                "type": row.event_type,
                "actor": redactor.person(row.actor_id, row.actor_role),
                "occurred_at": row.occurred_at,
                "recorded_at": row.recorded_at,
                "status": row.status,
                "whose_move": row.whose_move,
                "internal": row.internal,
                "changes": row.changes,
                "details": details,
            }
        )
    return entries
