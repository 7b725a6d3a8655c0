"""The one place where failures become HTTP: RFC 9457 problem details for every error."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, TypeVar

import marshmallow as ma
from flask import Flask, Response, current_app, json, request
from werkzeug.exceptions import HTTPException

from domain.errors import (
    AlreadyExists,
    ConcurrentChange,
    DomainError,
    IllegalTransition,
    InvalidValue,
    NotFound,
    NotPermitted,
    VersionMismatch,
)
from service.photos.processing import PhotoRefused

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://k2k.example/problems/"

#: Domain refusals and the status each one means to an HTTP client.
DOMAIN_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    InvalidValue: 422,
    IllegalTransition: 409,
    NotPermitted: 403,
    AlreadyExists: 409,
    VersionMismatch: 412,
    ConcurrentChange: 409,
}


class BadParameter(Exception):
    """A request parameter the schema could not judge is unusable (a tampered cursor, say)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem: what went wrong, and for bad input which field and why."""

    type = ma.fields.String(metadata={"description": "URI naming the kind of problem"})
    title = ma.fields.String(metadata={"description": "Short summary of the kind of problem"})
    status = ma.fields.Integer(metadata={"description": "HTTP status code"})
    detail = ma.fields.String(metadata={"description": "What went wrong this time"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Per-field messages: field name -> list of reasons"},
    )


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build a problem+json response."""
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + phrase.lower().replace(" ", "-").replace("'", ""),
        "title": phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = dict(errors)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs nests messages by location and field; clients want ``{"field": ["reason"]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            # Locations (json, query, form, headers) are not part of a field's name.
            is_location = not prefix and key in {"json", "query", "form", "headers", "files"}
            if is_location:
                name = ""
            elif isinstance(key, int) and prefix:
                name = prefix  # the n-th value of a repeated field is still that field
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for field, reasons in flatten_messages(value, name).items():
                flat.setdefault(field, []).extend(reasons)
    elif isinstance(messages, list | tuple):
        if all(isinstance(item, str) for item in messages):
            flat[prefix or "_body"] = [str(item) for item in messages]
        else:
            for item in messages:
                for field, reasons in flatten_messages(item, prefix).items():
                    flat.setdefault(field, []).extend(reasons)
    else:
        flat[prefix or "_body"] = [str(messages)]
    return flat


def _page(status: int, error: DomainError | None) -> Response | None:
    """For a request to the web pages, the error as a page (its renderer is set by the pages)."""
    renderer = current_app.extensions.get("k2k-error-page")
    if renderer is None:
        return None
    if request.blueprint is None:
        # An unknown URL: a page for a browser, a problem for an API client.
        outside_api = not request.path.startswith(("/api/", "/open311/"))
        if not (outside_api and request.accept_mimetypes.accept_html):
            return None
    elif not request.blueprint.startswith("web_"):
        return None
    page: Response = renderer(status, error)
    return page


def http_exception_to_problem(error: HTTPException) -> Response:
    """Werkzeug and webargs errors (including request validation) as problems."""
    status = error.code or 500
    if (page := _page(status, None)) is not None:
        return page
    if request.path.startswith("/open311/"):
        # Open311 clients read the spec's error list, even for a URL or method it lacks.
        from service.open311.formats import error_response

        fmt = "xml" if request.path.endswith(".xml") else "json"
        return error_response(fmt, status, error.description or HTTPStatus(status).phrase)
    data = getattr(error, "data", None) or {}
    messages = data.get("errors") or data.get("messages")
    errors = flatten_messages(messages) if messages else None
    detail = data.get("message") or error.description
    if status == 422 and errors:
        detail = "Some fields are missing or invalid: " + ", ".join(sorted(errors))
    elif status == 400 and errors:
        detail = "The request body is not valid JSON." if "_body" in errors else detail
    headers = dict(data.get("headers") or {})
    return problem(status, detail, errors=errors, headers=headers)


def domain_error_to_problem(error: DomainError) -> Response:
    """A domain refusal as a problem with its mapped status."""
    for kind in type(error).__mro__:
        if kind in DOMAIN_STATUS:
            status = DOMAIN_STATUS[kind]
            break
    else:
        status = 400
    if (page := _page(status, error)) is not None:
        return page
    errors = {error.field: [error.message]} if isinstance(error, InvalidValue) else None
    return problem(status, str(error), errors=errors)


def refused_photo_to_problem(error: PhotoRefused) -> Response:
    """An upload that is too big (413), not a photo we take (415) or unreadable (422)."""
    return problem(error.status, error.message, errors={error.field: [error.message]})


def bad_parameter_to_problem(error: BadParameter) -> Response:
    """A parameter that passed validation but cannot be used."""
    return problem(400, error.message, errors={error.field: [error.message]})


def overflow_to_problem(error: OverflowError) -> Response:
    """A date or number beyond what can be computed with (the year 9999, 10**30 supports)."""
    return problem(400, "a value is out of range (a date outside 1970-2100, or a huge number)")


def unexpected_error_to_problem(error: Exception) -> Response:
    """Anything unforeseen: log it, tell the client nothing internal."""
    log.exception("unhandled error", exc_info=error)
    if (page := _page(500, None)) is not None:
        return page
    return problem(500, "Something went wrong on our side; nothing was changed by this request.")


def register_error_handlers(app: Flask) -> None:
    """Install the problem+json handlers on the Flask app."""
    app.register_error_handler(HTTPException, http_exception_to_problem)
    app.register_error_handler(DomainError, domain_error_to_problem)
    app.register_error_handler(BadParameter, bad_parameter_to_problem)
    app.register_error_handler(PhotoRefused, refused_photo_to_problem)
    app.register_error_handler(OverflowError, overflow_to_problem)
    app.register_error_handler(Exception, unexpected_error_to_problem)


F = TypeVar("F", bound=Callable[..., Any])

ERROR_DESCRIPTIONS = {
    400: "Malformed request (for example a body that is not JSON, or a bad header)",
    401: "No valid bearer token",
    403: "The token's role or PPR scope does not allow this",
    404: "No such resource, or not visible to this token",
    409: "Not allowed in the current state, or a conflicting concurrent change",
    412: "If-Match names a version that is no longer current",
    413: "The upload is larger than the service takes",
    415: "The body (or an uploaded file) is not of a type this endpoint takes",
    422: "Invalid field values (see `errors`)",
    503: "Not ready yet (read models catching up); retry after the Retry-After seconds",
}


def documents_errors(blp: Any, *codes: int) -> Callable[[F], F]:
    """Document problem+json error responses on an endpoint."""

    def decorate(func: F) -> F:
        for code in codes:
            func = blp.alt_response(
                code,
                schema=ProblemSchema,
                content_type=PROBLEM_JSON,
                description=ERROR_DESCRIPTIONS[code],
            )(func)
        return func

    return decorate
