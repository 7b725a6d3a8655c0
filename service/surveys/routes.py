"""HTTP endpoints of the surveys resource."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from domain.actors import Role
from domain.errors import InvalidValue, NotFound, NotPermitted
from domain.survey import AUDIENCE_ROLES, Survey
from domain.survey_starter import STARTERS
from projections.perception import surveys
from projections.perception_report import perception_report
from service.auth import current_principal, require_role
from service.concurrency import expected_version
from service.errors import documents_errors
from service.extensions import runtime
from service.governance_common import respond
from service.metrics.routes import ANALYSTS
from service.surveys import schemas
from service.tokens.store import Principal

blp = Blueprint(
    "surveys",
    __name__,
    url_prefix="/api/v1/surveys",
    description="Perception and trust surveys; responses are anonymous by construction.",
)
SURVEY = schemas.SurveySchema()
AUDIENCE_OF = {role: audience for audience, role in AUDIENCE_ROLES.items()}
#: Who reads a survey's results: whoever reads the perception metrics (not integrations).
RESULT_READERS = ANALYSTS | {Role.RESIDENT}


def _present(survey: Survey) -> dict[str, Any]:
    body: dict[str, Any] = SURVEY.dump(
        {
            "id": str(survey.id),
            "title": survey.title,
            "pprs": survey.ppr_codes,
            "audiences": survey.audiences,
            "wave": survey.wave,
            "period_start": survey.period_start,
            "period_end": survey.period_end,
            "items": survey.items,
            "audience_sizes": survey.audience_sizes,
            "status": survey.status,
            "response_count": survey.response_count,
            "version": survey.version,
        }
    )
    return body


def visible_survey(viewer: Principal, survey_id: UUID, *, drafts: bool = False) -> Survey:
    """A survey of the caller's PPRs; drafts only for admins (or to be refused when answered)."""
    survey = runtime().app.get_survey(survey_id)
    if not viewer.all_pprs and not set(survey.ppr_codes) & set(viewer.ppr_codes):
        raise NotFound("no survey {id}", id=survey_id)
    if survey.status == "draft" and viewer.role is not Role.ADMIN and not drafts:
        raise NotFound("no survey {id}", id=survey_id)
    return survey


def _answer(survey_id: UUID, status: int = 200) -> Response:
    runtime().changed()
    survey = runtime().app.get_survey(survey_id)
    return respond(_present(survey), survey.version, status)


@blp.route("")
class Surveys(MethodView):
    """The survey collection."""

    @blp.response(200, schemas.SurveySchema(many=True))
    @documents_errors(blp, 401)
    def get(self) -> list[dict[str, Any]]:
        """Surveys of the caller's PPRs (drafts for admins only)."""
        viewer = current_principal()
        with runtime().engine.connect() as conn:
            rows = conn.execute(select(surveys).order_by(surveys.c.created_at.desc())).all()
        listed = []
        for row in rows:
            if not viewer.all_pprs and not set(row.ppr_codes) & set(viewer.ppr_codes):
                continue
            if row.status == "draft" and viewer.role is not Role.ADMIN:
                continue
            listed.append({**row._asdict(), "id": row.survey_id, "pprs": row.ppr_codes})
        return listed

    @blp.arguments(schemas.SurveyCreateSchema)
    @blp.response(201, schemas.SurveySchema)
    @documents_errors(blp, 400, 401, 403, 422)
    def post(self, args: dict[str, Any]) -> Response:
        """Draft a survey (admin), from your own items or a copy of a starter instrument."""
        admin = require_role(Role.ADMIN)
        items = args["items"] if args["items"] is not None else STARTERS[args["starter"]]
        saved = runtime().app.create_survey(
            admin.actor,
            title=args["title"],
            ppr_codes=[code.strip().upper() for code in args["pprs"]],
            audiences=args["audiences"],
            wave=args["wave"],
            period_start=args["period_start"],
            period_end=args["period_end"],
            items=[dict(item) for item in items],
            audience_sizes=args["audience_sizes"],
        )
        response = _answer(saved.id, 201)
        response.headers["Location"] = f"/api/v1/surveys/{saved.id}"
        return response


@blp.route("/starter-instruments")
class StarterInstruments(MethodView):
    """The built-in instruments."""

    @blp.response(200)
    @documents_errors(blp, 401)
    def get(self) -> dict[str, Any]:
        """The starter instruments for residents and for management (about ten items each)."""
        current_principal()
        return STARTERS


@blp.route("/<uuid:survey_id>")
class SurveyById(MethodView):
    """One survey."""

    @blp.response(200, schemas.SurveySchema)
    @documents_errors(blp, 401, 404)
    def get(self, survey_id: UUID) -> Response:
        """A survey with its items (BM and EN) and status."""
        survey = visible_survey(current_principal(), survey_id)
        return respond(_present(survey), survey.version)


def _admin_command(name: str, method: str, summary: str, schema: type | None = None) -> None:
    def view(*args: Any, survey_id: UUID) -> Response:
        admin = require_role(Role.ADMIN)
        extra = args[0] if args else {}
        getattr(runtime().app, method)(
            admin.actor, survey_id, expected_version=expected_version(), **extra
        )
        return _answer(survey_id)

    view.__name__ = name.replace("-", "_")
    view.__doc__ = summary
    decorated = documents_errors(blp, 400, 401, 403, 404, 409, 412, 422)(view)
    decorated = blp.response(200, schemas.SurveySchema)(decorated)
    if schema is not None:
        decorated = blp.arguments(schema)(decorated)
    http_method = "PUT" if schema is not None else "POST"
    blp.route(f"/<uuid:survey_id>/{name}", methods=[http_method])(decorated)


_admin_command("open", "open_survey", "Start taking responses (admin).")
_admin_command("close", "close_survey", "Stop taking responses (admin).")
_admin_command(
    "items",
    "revise_survey_items",
    "Replace the items, until the first response (admin).",
    schemas.ItemsSchema,
)


@blp.route("/<uuid:survey_id>/responses", methods=["POST"])
@blp.arguments(schemas.ResponseSchema)
@blp.response(201, schemas.ReceivedSchema)
@documents_errors(blp, 400, 401, 403, 404, 409, 422)
def respond_to_survey(args: dict[str, Any], survey_id: UUID) -> Response:
    """Answer a survey, once. Nothing stored links you to your answers."""
    viewer = current_principal()
    audience = AUDIENCE_OF.get(viewer.role)
    if audience is None:
        raise NotPermitted("a {role} does not answer surveys", role=viewer.role.value)
    survey = visible_survey(viewer, survey_id, drafts=True)
    mine = [code for code in survey.ppr_codes if viewer.in_scope(code)]
    ppr = (args.get("ppr") or (mine[0] if len(mine) == 1 else "")).strip().upper()
    if not ppr:
        raise InvalidValue("ppr", "say which of your PPRs you answer for")
    if not viewer.in_scope(ppr):
        raise NotPermitted("this token does not cover PPR {ppr}", ppr=ppr)
    runtime().app.respond_to_survey(
        viewer.actor,
        survey_id,
        audience=audience,
        ppr_code=ppr,
        answers=args["answers"],
        gender=args["gender"].value if args["gender"] else None,
        age_band=args["age_band"].value if args["age_band"] else None,
        block=(args["block"] or "").strip().upper() or None,
    )
    runtime().changed()
    response = jsonify(received=True)
    response.status_code = 201
    # Nothing about this answer may be cached, nor kept for Idempotency-Key replays.
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/<uuid:survey_id>/results")
class Results(MethodView):
    """A survey's results."""

    @blp.response(200, schemas.PerceptionReportSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, survey_id: UUID) -> dict[str, Any]:
        """Results per PPR, construct and audience; groups under 5 respondents are suppressed."""
        viewer = current_principal()
        if viewer.role not in RESULT_READERS:
            # The same figures as GET /metrics/perception, so the same readers.
            raise NotPermitted("survey results are for residents, staff, auditors and admin")
        survey = visible_survey(viewer, survey_id)
        codes = None if viewer.all_pprs else [c for c in survey.ppr_codes if viewer.in_scope(c)]
        with runtime().engine.connect() as conn:
            return perception_report(conn, codes, survey_id=str(survey_id))
