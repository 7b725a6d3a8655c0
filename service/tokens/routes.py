"""HTTP endpoints of the tokens resource: issue and revoke (admin), and "who am I"."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from domain.actors import Role
from domain.errors import NotFound
from service.auth import current_principal, require_role
from service.errors import documents_errors
from service.extensions import runtime
from service.tokens import schemas
from service.tokens.store import Principal, issue_token, revoke_token

blp = Blueprint(
    "tokens",
    __name__,
    url_prefix="/api/v1/tokens",
    description="Bearer tokens for people and systems.",
)


def _describe(principal: Principal) -> dict[str, Any]:
    return {
        "principal_id": principal.principal_id,
        "name": principal.name,
        "role": principal.role.value,
        "pprs": list(principal.ppr_codes),
        "token_id": principal.token_id,
    }


@blp.route("")
class Tokens(MethodView):
    """Token issue."""

    @blp.arguments(schemas.TokenCreateSchema)
    @blp.response(201, schemas.IssuedTokenSchema)
    @documents_errors(blp, 400, 401, 403, 409, 422)
    def post(self, args: dict[str, Any]) -> Response:
        """Issue a token (admin). The secret is in this response only."""
        require_role(Role.ADMIN)
        token, principal = issue_token(
            runtime().engine,
            runtime().app,
            role=args["role"],
            name=args["name"],
            ppr_codes=args["pprs"],
            principal_id=args.get("principal_id"),
        )
        response = jsonify(
            schemas.IssuedTokenSchema().dump({**_describe(principal), "token": token})
        )
        response.status_code = 201
        # The secret must not be cached anywhere, nor kept for Idempotency-Key replays.
        response.headers["Cache-Control"] = "no-store"
        return response


@blp.route("/me")
class Me(MethodView):
    """The caller."""

    @blp.response(200, schemas.PrincipalSchema)
    @documents_errors(blp, 401)
    def get(self) -> dict[str, Any]:
        """Who this token stands for."""
        return _describe(current_principal())


@blp.route("/<string:token_id>")
class TokenById(MethodView):
    """One token."""

    @blp.response(204)
    @documents_errors(blp, 401, 403, 404)
    def delete(self, token_id: str) -> None:
        """Revoke a token (admin); it stops working at once."""
        require_role(Role.ADMIN)
        if not revoke_token(runtime().engine, token_id):
            raise NotFound(f"no active token {token_id}")
