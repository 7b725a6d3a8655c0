"""The front page (what to do next, by role), the language switch and static files."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from flask import redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from domain import clock
from domain.actors import Role
from projections.ppr_directory import pprs as ppr_table
from service.cases.presenters import present_summary
from service.cases.queries import list_cases
from service.extensions import runtime
from service.tokens.store import Principal
from service.web.common import safe_next, web_blueprint
from service.web.i18n import LANGUAGES
from service.web.session import current_viewer
from service.web.work.routes import MOVES, queue_of

STATIC = Path(__file__).parent.parent / "static"

blp = web_blueprint("pages", __name__)
blp.static_folder = str(STATIC)
blp.static_url_path = "/assets"


@cache
def _fingerprint(filename: str) -> str:
    path = STATIC / filename
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.is_file() else "0"


@blp.app_template_global()
def asset(filename: str) -> str:
    """The URL of a static file, with its content hash so a new release is never served stale."""
    return url_for("web_pages.static", filename=filename, v=_fingerprint(filename))


@blp.route("/")
def home() -> str:
    """What the signed-in person can do next; for visitors, what this is and how to sign in."""
    viewer = current_viewer()
    context: dict[str, Any] = {}
    if viewer is not None and viewer.role is Role.RESIDENT:
        rows, _ = list_cases(runtime().engine, viewer, {"mine": True, "limit": 5})
        key = runtime().settings.pseudonym_key
        context["my_cases"] = [present_summary(row, viewer, key) for row in rows]
    if viewer is not None and viewer.role in MOVES:
        waiting = queue_of(viewer, None, clock.now())
        context["waiting"] = len(waiting)
        context["overdue"] = sum(
            1 for item in waiting if item["countdown"] and item["countdown"].overdue
        )
    if viewer is not None:
        context["pprs"] = _pprs_of(viewer)
    return render_template("web/home.html", **context)


def _pprs_of(viewer: Principal) -> list[dict[str, Any]]:
    """The PPRs the viewer works in, with their names, for links to their boards."""
    query = select(ppr_table.c.code, ppr_table.c.name).order_by(ppr_table.c.code)
    if not viewer.all_pprs:
        query = query.where(ppr_table.c.code.in_(viewer.ppr_codes))
    with runtime().engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


@blp.route("/language/<code>")
def language(code: str) -> Response:
    """Switch the pages' language and come back to the same page."""
    if code not in LANGUAGES:
        raise NotFound()
    session["lang"] = code
    return redirect(safe_next(request.args.get("next")), code=303)
