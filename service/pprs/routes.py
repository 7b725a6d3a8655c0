"""HTTP endpoints of the PPR resource."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from domain.actors import Role
from domain.ppr import Ppr, SlaTargets
from projections.ppr_directory import pprs as ppr_table
from service.auth import require_role
from service.concurrency import with_etag
from service.errors import documents_errors
from service.extensions import runtime
from service.pprs import schemas

blp = Blueprint(
    "pprs",
    __name__,
    url_prefix="/api/v1/pprs",
    description="Housing schemes, their blocks and case categories with SLA targets.",
)

PPR_SCHEMA = schemas.PprSchema()


def _describe(ppr: Ppr) -> dict[str, Any]:
    return {
        "code": ppr.code,
        "name": ppr.name,
        "dispute_window_days": ppr.dispute_window_days,
        "priority_support_threshold": ppr.priority_support_threshold,
        "blocks": sorted(ppr.blocks.values(), key=lambda block: block["code"]),
        "categories": sorted(ppr.categories.values(), key=lambda category: category["code"]),
        "version": ppr.version,
    }


def _ppr_response(code: str, status: int = 200) -> Response:
    ppr = runtime().app.get_ppr(code)
    response = jsonify(PPR_SCHEMA.dump(_describe(ppr)))
    response.status_code = status
    return with_etag(response, ppr.version)


def _changed(code: str) -> Response:
    """The PPR after an admin's change (waking the projections)."""
    runtime().changed()
    return _ppr_response(code)


def _created(code: str) -> Response:
    runtime().changed()
    response = _ppr_response(code, status=201)
    response.headers["Location"] = f"/api/v1/pprs/{code.strip().upper()}"
    return response


@blp.route("")
class Pprs(MethodView):
    """The PPR collection."""

    @blp.response(200, schemas.PprSchema(many=True))
    @blp.doc(security=[])
    def get(self) -> list[dict[str, Any]]:
        """List every PPR with its blocks and categories (public)."""
        with runtime().engine.connect() as conn:
            rows = conn.execute(select(ppr_table).order_by(ppr_table.c.code)).mappings().all()
        return [
            {
                **row,
                "blocks": sorted(row["blocks"].values(), key=lambda block: block["code"]),
                "categories": sorted(row["categories"].values(), key=lambda cat: cat["code"]),
            }
            for row in rows
        ]

    @blp.arguments(schemas.PprCreateSchema)
    @blp.response(201, schemas.PprSchema)
    @documents_errors(blp, 400, 401, 403, 409, 422)
    def post(self, args: dict[str, Any]) -> Response:
        """Register a PPR (admin)."""
        admin = require_role(Role.ADMIN)
        runtime().app.register_ppr(
            admin.actor, args["code"], args["name"], args["dispute_window_days"]
        )
        return _created(args["code"])


@blp.route("/<string:code>")
class PprByCode(MethodView):
    """One PPR."""

    @blp.response(200, schemas.PprSchema)
    @documents_errors(blp, 404)
    @blp.doc(security=[])
    def get(self, code: str) -> Response:
        """Read a PPR's configuration (public)."""
        return _ppr_response(code)


@blp.route("/<string:code>/blocks", methods=["POST"])
@blp.arguments(schemas.BlockSchema)
@blp.response(201, schemas.PprSchema)
@documents_errors(blp, 400, 401, 403, 404, 409, 422)
def add_block(args: dict[str, Any], code: str) -> Response:
    """Add a block to a PPR (admin)."""
    admin = require_role(Role.ADMIN)
    runtime().app.add_block(admin.actor, code, args["code"], args["name"], args["floors"])
    return _created(code)


@blp.route("/<string:code>/categories", methods=["POST"])
@blp.arguments(schemas.CategorySchema)
@blp.response(201, schemas.PprSchema)
@documents_errors(blp, 400, 401, 403, 404, 409, 422)
def add_category(args: dict[str, Any], code: str) -> Response:
    """Add a case category with SLA targets (admin)."""
    admin = require_role(Role.ADMIN)
    runtime().app.add_category(
        admin.actor, code, args["code"], args["name_ms"], args["name_en"], SlaTargets(**args["sla"])
    )
    return _created(code)


@blp.route("/<string:code>/categories/<string:category>/sla", methods=["PUT"])
@blp.arguments(schemas.SlaSchema)
@blp.response(200, schemas.PprSchema)
@documents_errors(blp, 400, 401, 403, 404, 409, 422)
def change_sla(args: dict[str, Any], code: str, category: str) -> Response:
    """Set a category's SLA targets (admin); metrics are recomputed against them."""
    admin = require_role(Role.ADMIN)
    runtime().app.change_sla_targets(admin.actor, code, category.upper(), SlaTargets(**args))
    return _changed(code)


@blp.route("/<string:code>/dispute-window", methods=["PUT"])
@blp.arguments(schemas.DisputeWindowSchema)
@blp.response(200, schemas.PprSchema)
@documents_errors(blp, 400, 401, 403, 404, 409, 422)
def change_dispute_window(args: dict[str, Any], code: str) -> Response:
    """Set how many days residents may dispute a claimed fix (admin)."""
    admin = require_role(Role.ADMIN)
    runtime().app.change_dispute_window(admin.actor, code, args["dispute_window_days"])
    return _changed(code)


@blp.route("/<string:code>/priority-threshold", methods=["PUT"])
@blp.arguments(schemas.PriorityThresholdSchema)
@blp.response(200, schemas.PprSchema)
@documents_errors(blp, 400, 401, 403, 404, 409, 422)
def change_priority_threshold(args: dict[str, Any], code: str) -> Response:
    """Set how many supports make a case a community priority (admin)."""
    admin = require_role(Role.ADMIN)
    runtime().app.change_priority_support_threshold(
        admin.actor, code, args["priority_support_threshold"]
    )
    return _changed(code)
