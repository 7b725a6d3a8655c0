"""Request bodies of the API are JSON: anything else is refused up front with 415."""

from __future__ import annotations

from flask import Flask, Response, request

from service.errors import problem

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})


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
    app.before_request(_require_json)
