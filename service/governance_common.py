"""Helpers the committee, meeting and decision resources share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import Response, jsonify

from domain.actors import Role
from domain.errors import NotFound, NotPermitted
from service.concurrency import with_etag
from service.errors import documents_errors
from service.tokens.store import Principal

#: Roles that see who signed attendance registers and members' self-declared details.
STAFF_VIEWERS = frozenset({Role.COMMITTEE, Role.MANAGEMENT, Role.ADMIN, Role.AUDITOR})


def require_scope(viewer: Principal, ppr_code: str, missing: str) -> None:
    """404 saying ``missing`` for a PPR the caller does not cover (its governance is not theirs
    to see)."""
    if not viewer.in_scope(ppr_code):
        raise NotFound(missing)


def require_writer(viewer: Principal) -> None:
    """Auditors and residents read governance; they do not record it."""
    if viewer.role in (Role.AUDITOR, Role.RESIDENT, Role.INTEGRATION):
        raise NotPermitted(
            "a {role} reads governance records; it does not write them", role=viewer.role.value
        )


def respond(body: dict[str, Any], version: int, status: int = 200) -> Response:
    """A JSON answer with the aggregate's version as its ETag."""
    response = jsonify(body)
    response.status_code = status
    return with_etag(response, version)


def register_command(
    blp: Any,
    *,
    id_name: str,
    name: str,
    schema: type,
    response_schema: type,
    summary: str,
    handle: Callable[[dict[str, Any], UUID], Response],
) -> None:
    """Expose ``handle`` as ``POST /<id>/<name>``, documented with its schemas and problems."""

    def view(args: dict[str, Any], **ids: UUID) -> Response:
        return handle(args, ids[id_name])

    view.__name__ = name.replace("-", "_")
    view.__doc__ = summary
    decorated = documents_errors(blp, 400, 401, 403, 404, 409, 412, 422)(view)
    decorated = blp.response(200, response_schema)(decorated)
    decorated = blp.arguments(schema)(decorated)
    blp.route(f"/<uuid:{id_name}>/{name}", methods=["POST"])(decorated)


def scoped_to(query: Any, table: Any, viewer: Principal, ppr: str | None) -> Any:
    """Limit a list query to one PPR (if asked) and to the PPRs the caller covers."""
    if ppr:
        query = query.where(table.c.ppr_code == ppr.strip().upper())
    if not viewer.all_pprs:
        query = query.where(table.c.ppr_code.in_(viewer.ppr_codes))
    return query
