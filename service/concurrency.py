"""ETag and If-Match: each case's version is its entity tag."""

from __future__ import annotations

from flask import Response, request
from werkzeug.exceptions import BadRequest, PreconditionFailed


def etag_for(version: int) -> str:
    """The strong entity tag of an aggregate version."""
    return f'"{version}"'


def expected_version() -> int | None:
    """The version the client says it is changing (``If-Match``), or None to take the current one."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip()
    if value.startswith("W/"):
        # RFC 9110 §13.1.1: If-Match uses the strong comparison, so a weak tag never matches.
        raise PreconditionFailed('If-Match needs a strong ETag such as "7"; weak tags never match.')
    value = value.strip('"')
    if not (value.isascii() and value.isdigit()):
        error = BadRequest('If-Match must be an ETag from this API, such as "7".')
        error.data = {"errors": {"If-Match": ['must be an ETag such as "7", or *']}}  # type: ignore[attr-defined]
        raise error
    return int(value)


def with_etag(response: Response, version: int) -> Response:
    """Set the ETag header."""
    response.headers["ETag"] = etag_for(version)
    return response
