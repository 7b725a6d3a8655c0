"""Who is signed in to the web pages: a server-side session behind an HTTP-only cookie.

The cookie (Flask's signed session) carries a random session secret; the ``web_sessions`` row
behind it says who signed in and how. The caller's role and PPRs are read afresh on every request
from what vouched for them (the API token, or the person's registration), so revoking a token,
erasing a person or changing their role takes effect on their next page, not when a cookie expires.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import g, session
from sqlalchemy import bindparam, select, update

from domain.actors import Role
from service.extensions import runtime
from service.tables import api_tokens, web_sessions
from service.tokens.store import ALL_PPRS, EVERY_PPR_ROLES, Principal
from workers.tables import people

SESSION_KEY = "sid"
#: Residents sign in once on their own phone; staff sessions, which can change other people's
#: cases, are shorter.
RESIDENT_SESSION = timedelta(days=30)
STAFF_SESSION = timedelta(days=7)
#: Roles that may use the web pages (integrations are systems: they use the API).
WEB_ROLES = frozenset({Role.RESIDENT, Role.COMMITTEE, Role.MANAGEMENT, Role.AUDITOR, Role.ADMIN})

_LIVE_SESSION = select(web_sessions).where(
    web_sessions.c.session_hash == bindparam("session_hash"),
    web_sessions.c.revoked_at.is_(None),
    web_sessions.c.expires_at > bindparam("now"),
)
_LIVE_TOKEN = select(api_tokens).where(
    api_tokens.c.token_id == bindparam("token_id"), api_tokens.c.revoked_at.is_(None)
)
_PERSON = select(people).where(people.c.principal_id == bindparam("principal_id"))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def session_length(role: Role) -> timedelta:
    """How long a sign-in lasts for ``role``."""
    return RESIDENT_SESSION if role is Role.RESIDENT else STAFF_SESSION


def sign_in(principal: Principal, via: str) -> None:
    """Start a session for ``principal`` (vouched for by ``via``: "code" or "token")."""
    secret = secrets.token_urlsafe(32)
    now = datetime.now(tz=UTC)
    with runtime().engine.begin() as conn:
        conn.execute(
            web_sessions.insert().values(
                session_hash=_hash(secret),
                principal_id=principal.principal_id,
                via=via,
                token_id=principal.token_id or None,
                created_at=now,
                expires_at=now + session_length(principal.role),
            )
        )
    language = session.get("lang")
    # A new session id for a new sign-in: a cookie planted before sign-in is worth nothing after.
    session.clear()
    if language:
        session["lang"] = language
    session[SESSION_KEY] = secret
    session.permanent = True
    g.viewer = principal


def sign_out() -> None:
    """End the current session (the row is revoked, the cookie emptied)."""
    secret = session.get(SESSION_KEY)
    if secret:
        with runtime().engine.begin() as conn:
            conn.execute(
                update(web_sessions)
                .where(web_sessions.c.session_hash == _hash(secret))
                .values(revoked_at=datetime.now(tz=UTC))
            )
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    g.viewer = None


def person_principal(principal_id: str) -> Principal | None:
    """A registered person as a caller: their role and PPRs as registered now."""
    with runtime().engine.connect() as conn:
        person = conn.execute(_PERSON, {"principal_id": principal_id}).mappings().first()
    if person is None:
        return None
    role = Role(person["role"])
    codes = (ALL_PPRS,) if role in EVERY_PPR_ROLES else tuple(person["ppr_codes"] or ())
    principal = Principal(
        principal_id=person["principal_id"], name=person["name"], role=role, ppr_codes=codes
    )
    return principal if principal.role in WEB_ROLES else None


def _token_principal(token_id: str) -> Principal | None:
    with runtime().engine.connect() as conn:
        token = conn.execute(_LIVE_TOKEN, {"token_id": token_id}).mappings().first()
    if token is None:
        return None
    principal = Principal(
        principal_id=token["principal_id"],
        name=token["name"],
        role=Role(token["role"]),
        ppr_codes=tuple(token["ppr_codes"]),
        token_id=token["token_id"],
    )
    return principal if principal.role in WEB_ROLES else None


def current_viewer() -> Principal | None:
    """The signed-in person, or None (looked up once per request)."""
    if "viewer" in g:
        viewer: Principal | None = g.viewer
        return viewer
    g.viewer = None
    secret = session.get(SESSION_KEY)
    if isinstance(secret, str) and secret:
        with runtime().engine.connect() as conn:
            row = conn.execute(
                _LIVE_SESSION, {"session_hash": _hash(secret), "now": datetime.now(tz=UTC)}
            ).first()
        if row is not None:
            g.viewer = (
                _token_principal(row.token_id)
                if row.via == "token"
                else person_principal(row.principal_id)
            )
    return g.viewer  # type: ignore[no-any-return]
