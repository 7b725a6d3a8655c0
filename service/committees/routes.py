"""HTTP endpoints of the committees resource."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from domain import clock
from domain.committee import Committee
from service.auth import current_principal
from service.committees import schemas
from service.concurrency import expected_version
from service.errors import documents_errors
from service.extensions import runtime
from service.governance_common import STAFF_VIEWERS, require_scope, require_writer, respond
from service.tokens.store import Principal

blp = Blueprint(
    "committees",
    __name__,
    url_prefix="/api/v1/committees",
    description="Each PPR's residents' committee: its term, quorum rule and members over time.",
)
COMMITTEE = schemas.CommitteeSchema()


def _present(committee: Committee, viewer: Principal, as_of: Any = None) -> dict[str, Any]:
    moment = as_of or clock.now()
    members = []
    for seat in committee.members_at(moment):
        shown = dict(seat)
        if viewer.role not in STAFF_VIEWERS:
            shown["gender"] = shown["age_band"] = None
        members.append(shown)
    body: dict[str, Any] = COMMITTEE.dump(
        {
            "ppr": committee.ppr_code,
            "term_start": committee.term_start,
            "term_end": committee.term_end,
            "quorum_minimum": committee.quorum_minimum,
            "quorum": committee.quorum_at(moment),
            "as_of": moment,
            "members": members,
            "version": committee.version,
        }
    )
    return body


def _answer(ppr: str, viewer: Principal, status: int = 200) -> Response:
    committee = runtime().app.get_committee(ppr)
    runtime().changed()
    return respond(_present(committee, viewer), committee.version, status)


def _writer(ppr: str) -> Principal:
    viewer = current_principal()
    require_scope(viewer, ppr.upper(), "no committee in the PPRs this token covers")
    require_writer(viewer)
    return viewer


@blp.route("")
class Committees(MethodView):
    """Committee establishment."""

    @blp.arguments(schemas.CommitteeCreateSchema)
    @blp.response(201, schemas.CommitteeSchema)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, args: dict[str, Any]) -> Response:
        """Establish a PPR's committee for a term (committee or admin)."""
        ppr = args["ppr"].strip().upper()
        viewer = _writer(ppr)
        runtime().app.establish_committee(
            viewer.actor,
            ppr,
            term_start=args["term_start"],
            term_end=args["term_end"],
            quorum_minimum=args["quorum_minimum"],
            occurred_at=args["occurred_at"],
        )
        return _answer(ppr, viewer, 201)


@blp.route("/<string:ppr>")
class CommitteeByPpr(MethodView):
    """One committee."""

    @blp.arguments(schemas.AsOfSchema, location="query")
    @blp.response(200, schemas.CommitteeSchema)
    @documents_errors(blp, 401, 404)
    def get(self, args: dict[str, Any], ppr: str) -> Response:
        """The committee and its members now, or at ``as_of``."""
        viewer = current_principal()
        require_scope(viewer, ppr.upper(), "no committee in the PPRs this token covers")
        committee = runtime().app.get_committee(ppr)
        return respond(_present(committee, viewer, args.get("as_of")), committee.version)


@blp.route("/<string:ppr>/members", methods=["POST"])
@blp.arguments(schemas.MemberCreateSchema)
@blp.response(201, schemas.CommitteeSchema)
@documents_errors(blp, 400, 401, 403, 404, 409, 412, 422)
def appoint(args: dict[str, Any], ppr: str) -> Response:
    """Seat a member, elected or appointed (committee or admin)."""
    viewer = _writer(ppr)
    runtime().app.appoint_member(viewer.actor, ppr, expected_version=expected_version(), **args)
    return _answer(ppr, viewer, 201)


@blp.route("/<string:ppr>/members/<string:member_id>/step-down", methods=["POST"])
@blp.arguments(schemas.StepDownSchema)
@blp.response(200, schemas.CommitteeSchema)
@documents_errors(blp, 400, 401, 403, 404, 409, 412, 422)
def step_down(args: dict[str, Any], ppr: str, member_id: str) -> Response:
    """A member leaves the committee (committee or admin)."""
    viewer = _writer(ppr)
    runtime().app.step_down_member(
        viewer.actor, ppr, member_id=member_id, expected_version=expected_version(), **args
    )
    return _answer(ppr, viewer)


@blp.route("/<string:ppr>/quorum-rule", methods=["PUT"])
@blp.arguments(schemas.QuorumRuleSchema)
@blp.response(200, schemas.CommitteeSchema)
@documents_errors(blp, 400, 401, 403, 404, 409, 412, 422)
def quorum_rule(args: dict[str, Any], ppr: str) -> Response:
    """Set a fixed quorum, or null for "more than half of the members" (committee or admin)."""
    viewer = _writer(ppr)
    runtime().app.change_quorum_rule(viewer.actor, ppr, expected_version=expected_version(), **args)
    return _answer(ppr, viewer)


@blp.route("/<string:ppr>/terms", methods=["POST"])
@blp.arguments(schemas.TermSchema)
@blp.response(200, schemas.CommitteeSchema)
@documents_errors(blp, 400, 401, 403, 404, 409, 412, 422)
def start_term(args: dict[str, Any], ppr: str) -> Response:
    """Begin a new term after an AGM (committee or admin); members stay until they step down."""
    viewer = _writer(ppr)
    runtime().app.start_committee_term(
        viewer.actor, ppr, expected_version=expected_version(), **args
    )
    return _answer(ppr, viewer)
