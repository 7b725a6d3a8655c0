"""HTTP endpoints of the metrics resource."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from domain import clock
from domain.actors import Role
from domain.errors import NotPermitted
from projections.governance_report import governance_report
from projections.perception_report import csat_report, perception_report
from projections.resolution_report import Filters, priority_report, resolution_report
from service.auth import current_principal
from service.cases.visibility import can_view_case
from service.errors import documents_errors
from service.extensions import runtime
from service.metrics import schemas
from service.surveys.schemas import PerceptionQueryArgsSchema, PerceptionReportSchema
from service.tokens.store import Principal

blp = Blueprint(
    "metrics",
    __name__,
    url_prefix="/api/v1/metrics",
    description="Resolution times, SLA breaches, backlog and priority problems solved.",
)

#: Roles that see every figure of their PPRs, broken down as they like.
ANALYSTS = frozenset({Role.COMMITTEE, Role.MANAGEMENT, Role.AUDITOR, Role.ADMIN})


def metrics_filters(viewer: Principal, args: dict[str, Any]) -> Filters:
    """The report's filters, limited to the caller's PPRs; residents get PPR-level figures."""
    if viewer.role not in ANALYSTS | {Role.RESIDENT}:
        raise NotPermitted("metrics are for committee, management, auditors, admin and residents")
    if viewer.role is Role.RESIDENT and (
        args.get("category") or args.get("block") or args.get("group_by")
    ):
        raise NotPermitted("residents see PPR-level figures: no category, block or grouping")
    ppr = args.get("ppr")
    if ppr:
        code = ppr.strip().upper()
        if not viewer.in_scope(code):
            raise NotPermitted("this token does not cover PPR {ppr}", ppr=code)
        codes: list[str] | None = [code]
    else:
        codes = None if viewer.all_pprs else list(viewer.ppr_codes)
    return Filters(
        ppr_codes=codes,
        category=(args.get("category") or "").strip().upper() or None,
        block=(args.get("block") or "").strip().upper() or None,
        start=args.get("from_"),
        end=args.get("to"),
        public_only=viewer.role is Role.RESIDENT,
    )


@blp.route("/resolution")
class Resolution(MethodView):
    """Resolution figures."""

    @blp.arguments(schemas.ResolutionQueryArgsSchema, location="query")
    @blp.response(200, schemas.ResolutionReportSchema)
    @documents_errors(blp, 401, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Times to acknowledge, respond, resolve and close; SLA breaches; reopens; backlog; stages."""
        filters = metrics_filters(current_principal(), args)
        with runtime().engine.connect() as conn:
            return resolution_report(conn, filters, args.get("group_by"), clock.now())


@blp.route("/priorities")
class Priorities(MethodView):
    """Community priority problems."""

    @blp.arguments(schemas.MetricsQueryArgsSchema, location="query")
    @blp.response(200, schemas.PriorityReportSchema)
    @documents_errors(blp, 401, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Priority problems (by supports or committee designation) and the share verified fixed."""
        viewer = current_principal()
        filters = metrics_filters(viewer, args)

        def visible(row: Any) -> bool:
            return can_view_case(viewer, row.ppr_code, row.private, row.reporter_id)

        with runtime().engine.connect() as conn:
            return priority_report(conn, filters, visible)


@blp.route("/governance")
class Governance(MethodView):
    """Governance figures."""

    @blp.arguments(schemas.MetricsQueryArgsSchema, location="query")
    @blp.response(200, schemas.GovernanceReportSchema)
    @documents_errors(blp, 401, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Meetings, quorum, attendance, seat and leadership shares, blocks, decisions, minutes."""
        viewer = current_principal()
        if args.get("category") or args.get("block"):
            raise NotPermitted("governance figures are per PPR: no category or block filter")
        filters = metrics_filters(viewer, args)
        with runtime().engine.connect() as conn:
            report = governance_report(
                conn, filters.ppr_codes, filters.start, filters.end, clock.now()
            )
        if viewer.role not in ANALYSTS:
            # A committee has a handful of named members: any breakdown of their self-declared
            # gender and age band, read at chosen moments, would tell residents who declared what.
            for section in ("seats", "leadership"):
                report[section] = {
                    kind: {"n": figures["n"], "suppressed": True}
                    for kind, figures in report[section].items()
                }
        return report


@blp.route("/perception")
class Perception(MethodView):
    """Perception figures."""

    @blp.arguments(PerceptionQueryArgsSchema, location="query")
    @blp.response(200, PerceptionReportSchema)
    @documents_errors(blp, 401, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Perception per PPR, wave, construct and audience; gaps, trends and case-level CSAT."""
        viewer = current_principal()
        filters = metrics_filters(viewer, {"ppr": args.get("ppr")})
        audience = args.get("audience")
        with runtime().engine.connect() as conn:
            report = perception_report(
                conn,
                filters.ppr_codes,
                wave=args.get("wave"),
                construct=args.get("construct"),
                audience=audience.value if audience else None,
            )
            report["csat"] = csat_report(conn, filters.ppr_codes)
        return report
