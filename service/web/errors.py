"""Errors on the web pages: a page in the visitor's language, never a stack trace or JSON."""

from __future__ import annotations

from flask import render_template
from werkzeug.wrappers import Response

from domain.errors import DomainError
from service.web.common import page_context
from service.web.i18n import gettext
from service.web.refusals import refusal


def _titles() -> dict[int, str]:
    return {
        400: gettext("Something in the form was not right"),
        403: gettext("This page is not for your role"),
        404: gettext("We could not find that page"),
        409: gettext("That cannot be done now"),
        412: gettext("Someone changed this just before you"),
        413: gettext("That upload is too big"),
        422: gettext("Something in the form was not right"),
        429: gettext("Too many tries"),
        500: gettext("Something went wrong on our side"),
    }


def error_page(status: int, error: DomainError | None) -> Response:
    """The page for an error status (and the domain's reason, when it gave one)."""
    title = _titles().get(status, gettext("Something went wrong"))
    detail = refusal(error) if error is not None else None
    body = render_template(
        "web/error.html", status=status, title=title, detail=detail, **page_context()
    )
    return Response(body, status=status, mimetype="text/html")
