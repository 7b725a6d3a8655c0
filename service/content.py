"""Request bodies of the API are JSON, except photo uploads (multipart): anything else gets 415.

Multipart bodies (photo uploads, and the web pages' report form) are limited to what their
photos may weigh, and only their text fields are searched for NUL: a photo is binary.
"""

from __future__ import annotations

from flask import Flask, Response, request

from domain.case import REPORT_PHOTOS_MAX
from service.errors import problem
from service.extensions import runtime

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
MULTIPART = "multipart/form-data"
#: API endpoints that take one photo as multipart/form-data, by the name of its part.
UPLOAD_ENDPOINTS = {"photos.CasePhotos": "photo"}
#: Room in a multipart body for its boundaries, part headers and text fields.
MULTIPART_OVERHEAD = 256 * 1024


def _limit_uploads() -> Response | None:
    if request.method not in WRITE_METHODS or request.mimetype != MULTIPART:
        return None
    if request.path.startswith("/open311/"):
        return None  # Open311 filing has its own, smaller limit (service.auth)
    photos = 1 if request.endpoint in UPLOAD_ENDPOINTS else REPORT_PHOTOS_MAX
    max_bytes = runtime().settings.photo_max_bytes
    limit = photos * max_bytes + MULTIPART_OVERHEAD
    # Werkzeug refuses a longer body (413) as it reads it, also when no Content-Length is sent.
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        field = UPLOAD_ENDPOINTS.get(request.endpoint or "", "photo")
        mib = max_bytes / (1024 * 1024)
        message = f"each photo may be at most {mib:g} MiB ({photos} per request)"
        return problem(413, "the upload is too large: " + message, errors={field: [message]})
    return None


def _refuse_nul() -> Response | None:
    # PostgreSQL cannot store or compare NUL; no person types it, so it is refused everywhere.
    body = request.get_data(cache=True) if request.method in WRITE_METHODS else b""
    if request.mimetype == MULTIPART and request.method in WRITE_METHODS:
        # Uploaded files are binary; the text fields are what someone typed.
        typed = [text for key, values in request.form.lists() for text in (key, *values)]
        body_has_nul = any("\x00" in text for text in typed)
    else:
        body_has_nul = b"\x00" in body or b"\\u0000" in body.lower()
    if b"\x00" in request.query_string or b"%00" in request.query_string.lower() or body_has_nul:
        return problem(400, "the request contains a NUL character", errors={"_request": ["NUL"]})
    return None


def _require_json() -> Response | None:
    if request.method not in WRITE_METHODS or not request.path.startswith("/api/"):
        return None
    upload_field = UPLOAD_ENDPOINTS.get(request.endpoint or "")
    if upload_field is not None:
        if request.mimetype == MULTIPART:
            return None
        sent = request.mimetype or "no Content-Type"
        return problem(
            415,
            f"send the photo as multipart/form-data with a '{upload_field}' part (got {sent})",
            errors={"Content-Type": ["must be multipart/form-data"]},
        )
    if not request.content_length and not request.headers.get("Transfer-Encoding"):
        return None  # commands without fields may send no body at all
    if request.is_json:
        return None
    sent = request.mimetype or "no Content-Type"
    return problem(
        415,
        f"send the body as JSON with 'Content-Type: application/json' (got {sent})",
        errors={"Content-Type": ["must be application/json"]},
    )


def init_app(app: Flask) -> None:
    """Install the checks (after authentication, before idempotency)."""
    app.before_request(_limit_uploads)
    app.before_request(_refuse_nul)
    app.before_request(_require_json)
