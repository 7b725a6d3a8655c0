"""What every web page shares: its blueprint, who may open it, forms, and where to go next."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import marshmallow as ma
from flask import Blueprint, flash, g, redirect, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import Forbidden
from werkzeug.exceptions import NotFound as NotFoundPage
from werkzeug.wrappers import Response

from domain.actors import Role
from domain.errors import NotFound
from domain.ppr import Ppr
from projections.ppr_directory import pprs
from service.extensions import runtime
from service.tokens.store import Principal
from service.web.i18n import current_language, other_language
from service.web.session import current_viewer

TEMPLATES = Path(__file__).parent / "templates"


class SignInNeeded(Exception):
    """The page needs a signed-in person; they are sent to sign in and brought back."""


def web_blueprint(name: str, import_name: str, url_prefix: str | None = None) -> Blueprint:
    """A blueprint of pages: its forms are CSRF-checked and its context knows the viewer."""
    blueprint = Blueprint(
        f"web_{name}", import_name, url_prefix=url_prefix, template_folder=str(TEMPLATES)
    )

    @blueprint.before_request
    def _protect_forms() -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            from service.web import csrf

            csrf.protect()

    blueprint.register_error_handler(SignInNeeded, _to_sign_in)
    blueprint.context_processor(page_context)
    return blueprint


def _to_sign_in(_: SignInNeeded) -> Response:
    target = request.full_path if request.method == "GET" else request.referrer or "/"
    return redirect(url_for("web_signin.start", next=safe_next(target)))


def page_context() -> dict[str, Any]:
    """The variables every template sees."""
    return {
        "viewer": current_viewer(),
        "lang": current_language(),
        "other_lang": other_language(),
        "Role": Role,
    }


def viewer_with(*roles: Role) -> Principal:
    """The signed-in viewer, who must hold one of ``roles`` (any role when none are named)."""
    viewer = current_viewer()
    if viewer is None:
        raise SignInNeeded()
    if roles and viewer.role not in roles:
        raise Forbidden()
    return viewer


def shown_version() -> int | None:
    """The version the page's form showed: acting on something changed since is refused."""
    shown = request.form.get("version", "")
    return int(shown) if shown.isdigit() else None


def category_names(ppr_codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The categories of these PPRs by code, with their names (PPRs share codes such as LIFT),
    from the PPR directory in one read."""
    with runtime().engine.connect() as conn:
        rows = conn.execute(
            select(pprs.c.categories)
            .where(pprs.c.code.in_(sorted(set(ppr_codes))))
            .order_by(pprs.c.code)
        ).scalars()
        return {code: category for categories in rows for code, category in categories.items()}


def ppr_or_404(code: str) -> Ppr:
    """The PPR with ``code`` (as the command side has it now); 404 when there is none."""
    try:
        return runtime().app.get_ppr(code)
    except NotFound as error:
        raise NotFoundPage() from error


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site, else ``default``: no open redirects."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target.rstrip("?") or default


def form_errors(error: ma.ValidationError) -> dict[str, list[str]]:
    """A form schema's messages per field (nested messages flattened to their field)."""
    messages = error.normalized_messages()  # type: ignore[no-untyped-call]
    flat: dict[str, list[str]] = {}
    for field, reasons in messages.items():
        flat[str(field)] = _reasons(reasons)
    return flat


def _reasons(value: Any) -> list[str]:
    # A translated message is a lazy string, which marshmallow does not wrap in a list.
    if isinstance(value, Mapping):
        return [reason for each in value.values() for reason in _reasons(each)]
    if isinstance(value, list | tuple):
        return [reason for each in value for reason in _reasons(each)]
    return [str(value)]


def load_form(schema: ma.Schema, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The submitted form through ``schema``; blank fields count as absent."""
    data = {key: value for key, value in request.form.items() if value.strip() != ""}
    for control in ("csrf_token", "version", "back"):  # the form's own controls, not fields
        data.pop(control, None)
    if extra:
        data.update(extra)
    loaded: dict[str, Any] = schema.load(data)
    return loaded


def back_to(
    endpoint: str, message: str | None = None, category: str = "ok", **values: Any
) -> Response:
    """Redirect to a page after a form (post/redirect/get), with a message shown there."""
    if message:
        flash(message, category)
    return redirect(url_for(endpoint, **values), code=303)


def remember(name: str, value: Any) -> None:
    """Keep a value for this request's templates."""
    setattr(g, name, value)
