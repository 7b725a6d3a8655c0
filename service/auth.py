"""Bearer-token authentication: who is calling, checked once per request."""

from __future__ import annotations

from flask import Flask, g, request
from werkzeug.exceptions import Unauthorized

from domain.actors import Role
from domain.errors import NotPermitted
from service.extensions import runtime
from service.tokens.store import Principal, authenticate


class MissingToken(Unauthorized):
    """No (valid) bearer token on a request that needs one."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.data = {"headers": {"WWW-Authenticate": 'Bearer realm="k2k"'}}


#: Endpoints anyone may call without a token: PPR configuration reads, the API documents and
#: the list of published webhook types (an integrator reads it before asking for a token).
PUBLIC_ENDPOINTS = frozenset(
    {
        "pprs.Pprs",
        "pprs.PprByCode",
        "health.healthz",
        "health.readyz",
        "webhooks.EventTypes",
        # The audit log is for auditors, witnesses and the public alike: it holds no personal data.
        "audit.PublicKey",
        "audit.LatestCheckpoint",
        "audit.Checkpoints",
        "audit.InclusionProof",
        "audit.ConsistencyProof",
        "audit.Entries",
    }
)


def _is_public(endpoint: str | None, method: str) -> bool:
    if endpoint is None or not request.path.startswith("/api/"):
        return True  # health probes, unknown URLs (404) and anything outside the API
    if endpoint.startswith("api-docs."):
        return True
    return endpoint in PUBLIC_ENDPOINTS and method in {"GET", "HEAD", "OPTIONS"}


#: Open311 clients send their key as the form field ``api_key`` (GeoReport v2), not a header.
OPEN311_FILING = "open311.create_request"
#: A filed request is a few fields and up to 4000 characters of description.
OPEN311_MAX_BODY = 64 * 1024


def _load_principal() -> None:
    g.principal = None
    if request.endpoint == OPEN311_FILING:
        request.max_content_length = OPEN311_MAX_BODY
        # Cache the body before the form is parsed from it: the NUL check and the idempotency
        # fingerprint read the same bytes after us.
        request.get_data(cache=True)
        key = request.form.get("api_key", "").strip()
        if key:
            g.principal = authenticate(runtime().engine, key)
        return  # the Open311 route answers a missing or unknown key in the spec's own words
    header = request.headers.get("Authorization", "")
    if not header:
        # Refuse before the body is validated: a caller without a token learns nothing else.
        if not _is_public(request.endpoint, request.method):
            raise MissingToken("This endpoint needs 'Authorization: Bearer <token>'.")
        return
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MissingToken("Use 'Authorization: Bearer <token>'.")
    principal = authenticate(runtime().engine, token.strip())
    if principal is None:
        raise MissingToken("The bearer token is unknown or revoked.")
    g.principal = principal


def init_app(app: Flask) -> None:
    """Authenticate every request that carries a token."""
    app.before_request(_load_principal)


def current_principal() -> Principal:
    """The caller; 401 when the request carries no token."""
    principal: Principal | None = g.get("principal")
    if principal is None:
        raise MissingToken("This endpoint needs 'Authorization: Bearer <token>'.")
    return principal


def require_role(*roles: Role) -> Principal:
    """The caller, who must hold one of ``roles``; 403 otherwise."""
    principal = current_principal()
    if principal.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise NotPermitted(f"this needs one of the roles: {allowed}")
    return principal
