"""HTTP endpoints of the decisions resource: the public decision register and its steps."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from domain.decision import Decision
from projections.governance import decisions
from service.auth import current_principal
from service.concurrency import expected_version
from service.decisions import schemas
from service.errors import documents_errors
from service.extensions import runtime
from service.governance_common import (
    register_command,
    require_scope,
    require_writer,
    respond,
    scoped_to,
)
from service.tokens.store import Principal

blp = Blueprint(
    "decisions",
    __name__,
    url_prefix="/api/v1/decisions",
    description="The decision register: committee decisions and management's answers.",
)
DECISION = schemas.DecisionSchema()


def _present(decision: Decision) -> dict[str, Any]:
    meeting = runtime().app.get_meeting(UUID(decision.meeting_id))
    body: dict[str, Any] = DECISION.dump(
        {
            "id": str(decision.id),
            "ppr": decision.ppr_code,
            "meeting_id": decision.meeting_id,
            "motion_number": decision.motion_number,
            "motion": meeting.motion(decision.motion_number),
            "text": decision.text,
            "case_ids": decision.case_ids,
            "action_by": decision.action_by,
            "due_date": decision.due_date,
            "made_at": decision.made_at,
            "status": decision.status,
            "answer": decision.answer,
            "answer_reason": decision.answer_reason,
            "answered_at": decision.answered_at,
            "commitment_date": decision.commitment_date,
            "progress_percent": decision.progress_percent,
            "done_at": decision.done_at,
            "verified_at": decision.verified_at,
            "version": decision.version,
        }
    )
    return body


def visible_decision(viewer: Principal, decision_id: UUID) -> Decision:
    decision = runtime().app.get_decision(decision_id)
    require_scope(viewer, decision.ppr_code, "no decision in the PPRs this token covers")
    return decision


def _answer(decision_id: UUID, status: int = 200) -> Response:
    runtime().changed()
    decision = runtime().app.get_decision(decision_id)
    return respond(_present(decision), decision.version, status)


@blp.route("")
class Decisions(MethodView):
    """The decision register."""

    @blp.arguments(schemas.DecisionQueryArgsSchema, location="query")
    @blp.response(200, schemas.DecisionSchema(many=True))
    @documents_errors(blp, 401)
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Every decision of the caller's PPRs (residents included), newest first."""
        viewer = current_principal()
        query = select(decisions).order_by(decisions.c.made_at.desc())
        query = scoped_to(query, decisions, viewer, args.get("ppr"))
        if args.get("status"):
            query = query.where(decisions.c.status == args["status"].value)
        with runtime().engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [{**row, "id": row["decision_id"], "ppr": row["ppr_code"]} for row in rows]

    @blp.arguments(schemas.DecisionCreateSchema)
    @blp.response(201, schemas.DecisionSchema)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, args: dict[str, Any]) -> Response:
        """Record a decision of a held, quorate meeting on a carried motion (committee)."""
        viewer = current_principal()
        meeting = runtime().app.get_meeting(args.pop("meeting_id"))
        require_scope(viewer, meeting.ppr_code, "no meeting in the PPRs this token covers")
        require_writer(viewer)
        saved = runtime().app.make_decision(viewer.actor, meeting.id, **args)
        response = _answer(saved.id, 201)
        response.headers["Location"] = f"/api/v1/decisions/{saved.id}"
        return response


@blp.route("/<uuid:decision_id>")
class DecisionById(MethodView):
    """One decision."""

    @blp.response(200, schemas.DecisionSchema)
    @documents_errors(blp, 401, 404)
    def get(self, decision_id: UUID) -> Response:
        """A decision, its motion and votes, management's answer and progress."""
        decision = visible_decision(current_principal(), decision_id)
        return respond(_present(decision), decision.version)


def _command(name: str, schema: type, method: str, summary: str) -> None:
    def handle(args: dict[str, Any], decision_id: UUID) -> Response:
        viewer = current_principal()
        visible_decision(viewer, decision_id)
        require_writer(viewer)
        getattr(runtime().app, method)(
            viewer.actor, decision_id, expected_version=expected_version(), **args
        )
        return _answer(decision_id)

    register_command(
        blp,
        id_name="decision_id",
        name=name,
        schema=schema,
        response_schema=schemas.DecisionSchema,
        summary=summary,
        handle=handle,
    )


_command(
    "respond",
    schemas.AnswerSchema,
    "respond_to_decision",
    "Management accepts, accepts in part or rejects (with a reason) and commits to a date.",
)
_command(
    "progress",
    schemas.ProgressSchema,
    "report_decision_progress",
    "Management reports progress (percent and note).",
)
_command("done", schemas.NoteSchema, "mark_decision_done", "Management marks the decision done.")
_command(
    "verify",
    schemas.VerifySchema,
    "verify_decision",
    "The committee verifies that the decision was carried out.",
)
_command(
    "dispute",
    schemas.CompletionDisputeSchema,
    "dispute_decision_completion",
    "The committee disputes the completion; the work goes back to management.",
)
