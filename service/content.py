"""Request bodies of the API are JSON: anything else is refused up front with 415."""

from __future__ import annotations

from flask import Flask, Response, request

from service.errors import problem

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _refuse_nul() -> Response | None:
    # PostgreSQL cannot store or compare NUL; no person types it, so it is refused everywhere.
    if request.method in WRITE_METHODS and request.mimetype == "multipart/form-data":
        # Uploaded photos are binary by nature: only the typed fields are text.
        body = "".join(request.form.values()).encode()
    else:
        body = request.get_data(cache=True) if request.method in WRITE_METHODS else b""
    if (
        b"\x00" in request.query_string
        or b"%00" in request.query_string.lower()
        or (b"\x00" in body or b"\\u0000" in body.lower())
    ):
        return problem(400, "the request contains a NUL character", errors={"_request": ["NUL"]})
    return None


def _require_json() -> Response | None:
    if request.method not in WRITE_METHODS or not request.path.startswith("/api/"):
        return None
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
    """Install the check (after authentication, before idempotency)."""
    app.before_request(_refuse_nul)
    app.before_request(_require_json)
