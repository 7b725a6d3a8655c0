"""Helpers the committee, meeting and decision resources share."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from domain.actors import Role
from domain.errors import NotFound, NotPermitted
from service.concurrency import with_etag
from service.tokens.store import Principal

#: Roles that see who signed attendance registers and members' self-declared details.
STAFF_VIEWERS = frozenset({Role.COMMITTEE, Role.MANAGEMENT, Role.ADMIN, Role.AUDITOR})


def require_scope(viewer: Principal, ppr_code: str, what: str) -> None:
    """404 for a PPR the caller does not cover (its governance is not theirs to see)."""
    if not viewer.in_scope(ppr_code):
        raise NotFound(f"no {what} in the PPRs this token covers")


def require_writer(viewer: Principal) -> None:
    """Auditors and residents read governance; they do not record it."""
    if viewer.role in (Role.AUDITOR, Role.RESIDENT, Role.INTEGRATION):
        raise NotPermitted(
            f"a {viewer.role.value} reads governance records; it does not write them"
        )


def respond(body: dict[str, Any], version: int, status: int = 200) -> Response:
    """A JSON answer with the aggregate's version as its ETag."""
    response = jsonify(body)
    response.status_code = status
    return with_etag(response, version)
