"""Dashboards for committee, management, auditors and admin: charts, tables, CSV, past states.

The figures come from the report functions behind ``/api/v1/metrics``, with the same filters and
the same PPR scope (``service.metrics.routes.metrics_filters``); ``sections`` lays them out. Each
chart is drawn from its table and each table downloads as CSV, so the picture, the table and the
file always hold the same numbers.
"""

from __future__ import annotations

import shlex
from datetime import datetime
from typing import Any
from uuid import UUID

import marshmallow as ma
from flask import Response, render_template, request, url_for
from sqlalchemy import select

from domain.errors import DomainError, NotFound, NotPermitted
from projections.audit import latest_checkpoint
from projections.ppr_directory import pprs as ppr_table
from projections.resolution_report import Filters
from service.cases.presenters import present_case, present_history
from service.cases.queries import case_history, last_projected_version
from service.cases.visibility import can_view_case, sees_internal
from service.extensions import runtime
from service.metrics.routes import ANALYSTS, metrics_filters
from service.tokens.store import Principal
from service.web.cases.timeline import worded_timeline
from service.web.common import category_names, form_errors, viewer_with, web_blueprint
from service.web.dashboards import schemas
from service.web.dashboards.charts import cell_text, slug
from service.web.dashboards.sections import (
    DASH,
    DASHBOARDS,
    Query,
    measure_names,
)
from service.web.i18n import category_name, gettext

blp = web_blueprint("dashboards", __name__, url_prefix="/dashboard")

#: Who sees the dashboards: the roles the metrics API gives every figure of their PPRs to.
DASHBOARD_ROLES = tuple(sorted(ANALYSTS, key=lambda role: role.value))
QUERY = schemas.DashboardQueryArgsSchema()
AS_OF = schemas.AsOfQueryArgsSchema()


@blp.app_template_global()
def may_see_dashboards(viewer: Principal | None) -> bool:
    """Whether the signed-in person gets the dashboards (for the main menu)."""
    return viewer is not None and viewer.role in ANALYSTS


@blp.app_template_global()
def table_cell(cell: int | float | str | None) -> str:
    """A table cell as the page shows it (a dash where the report has no figure)."""
    return cell_text(cell, DASH)


def _given() -> dict[str, str]:
    return {key: value.strip() for key, value in request.args.items() if value.strip()}


#: Dashboards whose figures have no period (perception is counted per survey wave).
UNDATED = frozenset({"perception"})


def _query(page: str) -> tuple[Query | None, dict[str, list[str]]]:
    """The form's values, or the messages of the fields that are wrong.

    An undated dashboard ignores the period, but keeps it in its links to the others.
    """
    given = _given()
    try:
        loaded = QUERY.load(given)
    except ma.ValidationError as error:
        return None, form_errors(error)
    ppr = loaded["ppr"].upper() if loaded["ppr"] else None
    keep: dict[str, str] = {
        key: given[key] for key in ("ppr", "from", "to", "measure") if key in given
    }
    if page in UNDATED:
        return Query(ppr, None, None, loaded["measure"], keep), {}
    return Query(ppr, loaded["from_"], loaded["to"], loaded["measure"], keep), {}


def _ppr_names() -> dict[str, str]:
    with runtime().engine.connect() as conn:
        rows = conn.execute(select(ppr_table.c.code, ppr_table.c.name).order_by(ppr_table.c.code))
        return {row.code: row.name for row in rows}


def _filters(viewer: Principal, query: Query, known: dict[str, str]) -> Filters:
    """The report filters for the form, within the viewer's PPRs (the metrics API's own rule)."""
    if query.ppr is not None:
        if not viewer.in_scope(query.ppr):
            raise NotPermitted(
                gettext(
                    "These figures are only for your own PPRs; %(code)s is not one of them.",
                    code=query.ppr,
                )
            )
        # Asked of the command side: a PPR registered a moment ago exists before the
        # directory's read model has caught up with it.
        if query.ppr not in known and not _registered(query.ppr):
            raise NotFound(gettext("There is no PPR %(code)s.", code=query.ppr))
    return metrics_filters(viewer, {"ppr": query.ppr, "from_": query.start, "to": query.end})


def _registered(code: str) -> bool:
    try:
        runtime().app.get_ppr(code)
    except DomainError:
        return False
    return True


def _choices(viewer: Principal, known: dict[str, str]) -> list[tuple[str, str]]:
    """The PPR chooser's options: the viewer's PPRs, and all of them together."""
    if viewer.all_pprs:
        return [("", gettext("All PPRs")), *known.items()]
    mine = [(code, known.get(code, code)) for code in sorted(viewer.ppr_codes)]
    if len(mine) > 1:
        return [("", gettext("All my PPRs")), *mine]
    return mine


def _titles() -> dict[str, str]:
    return {
        "cases": gettext("Cases and resolution"),
        "governance": gettext("Governance and inclusion"),
        "perception": gettext("Perception and trust"),
    }


def _dashboard(page: str) -> tuple[str, int]:
    viewer = viewer_with(*DASHBOARD_ROLES)
    known = _ppr_names()
    query, errors = _query(page)
    context: dict[str, Any] = {
        "page": page,
        "title": _titles()[page],
        "choices": _choices(viewer, known),
        "form": _given(),
        "errors": errors,
        "measures": measure_names(),
        "sections": [],
        "keep": {},
    }
    if query is None:
        return render_template("web/dashboard.html", **context), 400
    filters = _filters(viewer, query, known)
    context.update(
        sections=DASHBOARDS[page](viewer, filters, query, known),
        keep=query.args,
        scope=known.get(query.ppr, query.ppr) if query.ppr else None,
        query=query,
    )
    return render_template("web/dashboard.html", **context), 200


@blp.get("/")
def cases() -> tuple[str, int]:
    """Resolution times, SLA breaches, backlog, claimed vs verified fixes and priorities."""
    return _dashboard("cases")


@blp.get("/governance")
def governance() -> tuple[str, int]:
    """Meetings, quorum, attendance, seat and leadership shares and decisions."""
    return _dashboard("governance")


@blp.get("/perception")
def perception() -> tuple[str, int]:
    """Perception per construct and side with the gap, per wave, and satisfaction with fixes."""
    return _dashboard("perception")


def csv_filename(table: str, query: Query) -> str:
    """The download's name: the table, the PPR and the period (``k2k-times-by-month-SRP.csv``)."""
    parts = ["k2k", table, query.ppr or "all"]
    if query.first_day or query.last_day:
        parts.append(f"{query.first_day or ''}_{query.last_day or ''}")
    return f"{slug('-'.join(parts))}.csv"


@blp.get("/<page>/<name>.csv")
def download(page: str, name: str) -> Response | tuple[str, int]:
    """One chart's table as CSV, for the same PPR and period as the page."""
    viewer = viewer_with(*DASHBOARD_ROLES)
    if page not in DASHBOARDS:
        raise NotFound(gettext("There is no such dashboard."))
    known = _ppr_names()
    query, _ = _query(page)
    if query is None:
        # A link with a bad value: the dashboard's own form says which and why.
        return _dashboard(page)
    filters = _filters(viewer, query, known)
    panels = {
        panel.name: panel
        for section in DASHBOARDS[page](viewer, filters, query, known)
        for panel in section.panels
    }
    if name not in panels:
        raise NotFound(gettext("There is no such table on this dashboard."))
    return Response(
        panels[name].table.csv(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{csv_filename(name, query)}"'},
    )


# -- a case as it stood at a moment ----------------------------------------------------------------


def _as_of_page(status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("errors", {})
    context.setdefault("form", _given())
    return render_template("web/dashboard_case.html", page="case", **context), status


@blp.get("/case-as-of")
def as_of() -> tuple[str, int]:
    """A case as it stood at a date and time: its status, whose move it was and its history."""
    viewer = viewer_with(*DASHBOARD_ROLES)
    try:
        args = AS_OF.load(_given())
    except ma.ValidationError as error:
        return _as_of_page(400, errors=form_errors(error))
    case_id: UUID | None = args["case"]
    if case_id is None:
        return _as_of_page()
    not_found = {"case": [gettext("There is no case with this number that you may see.")]}
    app = runtime().app
    try:
        now = app.get_case(case_id)
    except NotFound:
        return _as_of_page(404, errors=not_found)
    # The same rule as the case API's ?as_of=: a case the viewer may not see does not exist.
    if not can_view_case(viewer, now.ppr_code, now.private, now.reporter_id):
        return _as_of_page(404, errors=not_found)
    moment: datetime = args["at"]
    try:
        past = app.get_case_as_of(case_id, moment)
    except NotFound:
        return _as_of_page(
            404, errors={"at": [gettext("The case had not been reported yet at that moment.")]}
        )
    key = runtime().settings.pseudonym_key
    engine = runtime().engine
    rows = case_history(
        engine, str(case_id), include_internal=sees_internal(viewer), up_to_version=past.version
    )
    categories = category_names([past.ppr_code])
    return _as_of_page(
        case=present_case(past, viewer, key),
        current=present_case(now, viewer, key),
        moment=moment,
        category=category_name(categories, past.category_code),
        ppr_name=_ppr_names().get(past.ppr_code, past.ppr_code),
        timeline=worded_timeline(
            present_history(past, rows, viewer, key), viewer.principal_id, categories
        ),
        complete=last_projected_version(engine, str(case_id)) >= past.version,
    )


# -- the audit checkpoint --------------------------------------------------------------------------


@blp.get("/audit")
def audit() -> str:
    """The latest signed checkpoint, the public key, and the command that verifies them."""
    viewer_with(*DASHBOARD_ROLES)
    parts = runtime()
    verifier = parts.audit_verifier
    checkpoint = None
    if verifier is not None:
        with parts.engine.connect() as conn:
            checkpoint = latest_checkpoint(conn, verifier)
    url = shlex.quote(parts.settings.public_url)
    return render_template(
        "web/dashboard_audit.html",
        page="audit",
        verifier=verifier,
        checkpoint=checkpoint,
        public_url=parts.settings.public_url,
        command=(
            f"k2k audit verify --url {url} --public-key audit.key.pub "
            "--state ~/k2k-audit-state.json --full"
        ),
        case_command=f"k2k audit verify --url {url} --public-key audit.key.pub --case CASE_ID",
        key_url=url_for("audit.PublicKey"),
        checkpoint_url=url_for("audit.LatestCheckpoint"),
    )
