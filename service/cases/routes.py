"""HTTP endpoints of the cases resource: report, list, read, history, and one POST per command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import marshmallow as ma
from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from domain import clock
from domain.actors import Role
from domain.base import Saved
from domain.case import Case, Location
from domain.errors import AlreadyExists, NotFound, NotPermitted
from projections.resolution_report import sla_of_case
from service.auth import current_principal
from service.cases import schemas
from service.cases.presenters import present_case, present_history, present_summary
from service.cases.queries import case_history, last_projected_version, list_cases
from service.cases.visibility import can_view_case, sees_internal
from service.concurrency import expected_version, with_etag
from service.errors import documents_errors, problem
from service.extensions import runtime
from service.idempotency import derived_id
from service.tokens.store import Principal

blp = Blueprint(
    "cases",
    __name__,
    url_prefix="/api/v1/cases",
    description="Problems reported by residents and everything that happens to them.",
)

CASE_SCHEMA = schemas.CaseSchema()


def visible_case(viewer: Principal, case_id: UUID) -> Case:
    """The case, if ``viewer`` may see it; 404 (as if it did not exist) otherwise."""
    case = runtime().app.get_case(case_id)
    if not can_view_case(viewer, case.ppr_code, case.private, case.reporter_id):
        raise NotFound("no case {case}", case=case_id)
    return case


def _saved_case(saved: Saved) -> Case:
    """The case a command saved, as it saved it (read back only if the command did not say)."""
    if isinstance(saved.aggregate, Case):
        return saved.aggregate
    return runtime().app.get_case(saved.id)


def _case_response(case: Case, viewer: Principal, status: int = 200) -> Response:
    body = CASE_SCHEMA.dump(present_case(case, viewer, runtime().settings.pseudonym_key))
    response = jsonify(body)
    response.status_code = status
    return with_etag(response, case.version)


@blp.route("")
class Cases(MethodView):
    """The case collection."""

    @blp.arguments(schemas.CaseQueryArgsSchema, location="query")
    @blp.response(200, schemas.CaseListSchema)
    @documents_errors(blp, 400, 401, 403)
    def get(self, args: dict[str, Any]) -> Any:
        """List the cases the caller may see, filtered and sorted, a page at a time."""
        viewer = current_principal()
        if args.get("ppr") and not viewer.in_scope(args["ppr"].upper()):
            raise NotPermitted("this token does not cover PPR {ppr}", ppr=args["ppr"])
        rows, next_cursor = list_cases(runtime().engine, viewer, args)
        key = runtime().settings.pseudonym_key
        return {
            "items": [present_summary(row, viewer, key) for row in rows],
            "next_cursor": next_cursor,
        }

    @blp.arguments(schemas.CaseReportSchema)
    @blp.response(201, schemas.CaseSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @documents_errors(blp, 400, 401, 403, 409, 422)
    def post(self, args: dict[str, Any]) -> Response:
        """Report a problem."""
        viewer = current_principal()
        ppr = args["ppr"].strip().upper()
        if not viewer.in_scope(ppr):
            raise NotPermitted("this token does not cover PPR {ppr}", ppr=ppr)
        app = runtime().app
        case_id = derived_id("case")
        try:
            saved = app.report_case(
                viewer.actor,
                ppr_code=ppr,
                location=Location(
                    block=args["block"].strip().upper(),
                    floor=args["floor"],
                    unit=args["unit"],
                    common_area=args["common_area"],
                ),
                category_code=args["category"].strip().upper(),
                title=args["title"],
                description=args["description"],
                channel=args["channel"],
                anonymous=args["anonymous"],
                private=args["private"],
                occurred_at=args["occurred_at"],
                case_id=case_id,
            )
            case = _saved_case(saved)
        except AlreadyExists:
            # The same Idempotency-Key after a crash that lost the stored answer: same case.
            if case_id is None:
                raise
            case = app.get_case(case_id)
        new_id = case.id
        runtime().changed()
        response = _case_response(case, viewer, status=201)
        response.headers["Location"] = f"/api/v1/cases/{new_id}"
        return response


@blp.route("/<uuid:case_id>")
class CaseById(MethodView):
    """One case."""

    @blp.arguments(schemas.AsOfArgsSchema, location="query")
    @blp.response(200, schemas.CaseSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @documents_errors(blp, 401, 404)
    def get(self, args: dict[str, Any], case_id: UUID) -> Response:
        """Read a case as it is now (its version is the ETag), or as it stood at ``as_of``."""
        viewer = current_principal()
        case = visible_case(viewer, case_id)
        if args.get("as_of") is None:
            return _case_response(case, viewer)
        past = runtime().app.get_case_as_of(case_id, args["as_of"])
        body = CASE_SCHEMA.dump(present_case(past, viewer, runtime().settings.pseudonym_key))
        return jsonify(body)  # no ETag: a past state cannot be the target of a command


@blp.route("/<uuid:case_id>/history")
class CaseHistory(MethodView):
    """A case's full history."""

    @blp.arguments(schemas.AsOfArgsSchema, location="query")
    @blp.response(200, schemas.CaseHistorySchema)
    @documents_errors(blp, 401, 404)
    def get(self, args: dict[str, Any], case_id: UUID) -> dict[str, Any]:
        """Every event of the case: who, in what role, when it happened and was recorded, what changed.

        With ``as_of``, only the events that had happened by then (by ``occurred_at``).
        """
        viewer = current_principal()
        case = visible_case(viewer, case_id)
        if args.get("as_of") is not None:
            case = runtime().app.get_case_as_of(case_id, args["as_of"])
        engine = runtime().engine
        rows = case_history(
            engine, str(case_id), include_internal=sees_internal(viewer), up_to_version=case.version
        )
        return {
            "case_id": str(case_id),
            "version": case.version,
            "complete": last_projected_version(engine, str(case_id)) >= case.version,
            "items": present_history(case, rows, viewer, runtime().settings.pseudonym_key),
        }


@blp.route("/<uuid:case_id>/sla")
class CaseSla(MethodView):
    """A case's SLA clocks."""

    @blp.response(200, schemas.CaseSlaSchema)
    @documents_errors(blp, 401, 404, 503)
    def get(self, case_id: UUID) -> Any:
        """Each SLA target of the case: due time, elapsed, remaining or breached by how much."""
        viewer = current_principal()
        visible_case(viewer, case_id)
        with runtime().engine.connect() as conn:
            figures = sla_of_case(conn, str(case_id), clock.now())
        if figures is None:
            return problem(
                503,
                "this case's figures are still being computed; try again in a moment",
                headers={"Retry-After": "1"},
            )
        return figures


@dataclass(frozen=True)
class Command:
    """One lifecycle command exposed as ``POST /cases/{id}/<path>``."""

    path: str
    schema: type[ma.Schema]
    method: str
    summary: str
    description: str


COMMANDS = (
    Command(
        "acknowledge",
        schemas.AcknowledgeSchema,
        "acknowledge_case",
        "Acknowledge a reported case",
        "Management only. The case becomes acknowledged.",
    ),
    Command(
        "recategorise",
        schemas.RecategoriseSchema,
        "recategorise_case",
        "Move a case to another category",
        "Committee or management.",
    ),
    Command(
        "assign",
        schemas.AssignSchema,
        "assign_case",
        "Assign the work on a case",
        "Committee or management; the case must be acknowledged. It becomes the assignee's move.",
    ),
    Command(
        "respond",
        schemas.RespondSchema,
        "respond_to_case",
        "Respond publicly for management",
        "Management only; optionally with a commitment date.",
    ),
    Command(
        "resolve",
        schemas.ResolveSchema,
        "resolve_case",
        "Claim a case fixed",
        "Committee or management. The reporter then confirms or disputes.",
    ),
    Command(
        "confirm",
        schemas.ConfirmSchema,
        "confirm_resolution",
        "Confirm the fix (resident-verified)",
        "The reporter, or the committee on their behalf, with a 1-5 rating. The case closes.",
    ),
    Command(
        "dispute",
        schemas.DisputeSchema,
        "dispute_resolution",
        "Dispute the fix",
        "The reporter (or the committee for them) within the PPR's dispute window; the case reopens.",
    ),
    Command(
        "close",
        schemas.CloseSchema,
        "close_case",
        "Close a resolved case after its dispute window",
        "Committee or management; refused while the reporter may still dispute.",
    ),
    Command(
        "no-further-action",
        schemas.ReasonSchema,
        "decide_no_further_action",
        "End a case without a fix",
        "Committee or management, with a reason.",
    ),
    Command(
        "mark-duplicate",
        schemas.MarkDuplicateSchema,
        "mark_duplicate",
        "Mark a case as a duplicate",
        "Committee or management; the original must be in the same PPR.",
    ),
    Command(
        "withdraw",
        schemas.WithdrawSchema,
        "withdraw_case",
        "Withdraw a case",
        "The reporter only, before it is resolved.",
    ),
    Command(
        "comment",
        schemas.CommentSchema,
        "comment_on_case",
        "Comment on a case",
        "Anyone who can see the case except auditors; internal notes are committee and management only.",
    ),
    Command(
        "designate-priority",
        schemas.ReasonSchema,
        "designate_priority",
        "Designate a case a community priority",
        "Committee (or admin), with the reason (a meeting's decision, a petition).",
    ),
    Command(
        "support",
        schemas.SupportSchema,
        "support_case",
        'Support a case ("me too")',
        "Residents other than the reporter, once each.",
    ),
)


def _command_view(command: Command) -> Callable[..., Response]:
    def view(args: dict[str, Any], case_id: UUID) -> Response:
        viewer = current_principal()
        if viewer.role is Role.AUDITOR:
            raise NotPermitted("auditors read; they do not change cases")
        visible_case(viewer, case_id)
        version = expected_version()
        handler = getattr(runtime().app, command.method)
        saved: Saved = handler(viewer.actor, case_id, expected_version=version, **args)
        runtime().changed()
        return _case_response(_saved_case(saved), viewer)

    view.__name__ = command.path.replace("-", "_")
    view.__doc__ = f"{command.summary}.\n\n{command.description}"
    return view


for _command in COMMANDS:
    _view = _command_view(_command)
    _view = documents_errors(blp, 400, 401, 403, 404, 409, 412, 422)(_view)
    _view = blp.response(200, schemas.CaseSchema, headers={"ETag": {"schema": {"type": "string"}}})(
        _view
    )
    _view = blp.arguments(_command.schema)(_view)
    _view = blp.doc(
        parameters=[
            {
                "in": "header",
                "name": "If-Match",
                "required": False,
                "schema": {"type": "string"},
                "description": "The case's ETag; a stale one is refused with 412",
            }
        ]
    )(_view)
    blp.route(f"/<uuid:case_id>/{_command.path}", methods=["POST"])(_view)
