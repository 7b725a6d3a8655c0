"""Token issue, lookup and revocation.

Tokens are 32 random bytes (base64url) behind a ``k2k_`` prefix. They are high-entropy secrets, so
one SHA-256 is enough to make the stored hash useless to a thief (no password-style stretching is
needed) while keeping every request's lookup a single indexed read.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, bindparam, select, update

from domain.actors import Actor, Role
from domain.application import K2K
from domain.errors import InvalidValue, NotFound
from service.tables import api_tokens
from workers.people import ensure_person, get_person

TOKEN_PREFIX = "k2k_"
#: Scope value meaning "every PPR" (admins and auditors).
ALL_PPRS = "*"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: who they are, their role and which PPRs they may act in."""

    principal_id: str
    name: str
    role: Role
    ppr_codes: tuple[str, ...]
    token_id: str = ""

    @property
    def actor(self) -> Actor:
        """The domain's view of this caller."""
        return Actor(self.principal_id, self.role)

    @property
    def all_pprs(self) -> bool:
        """Whether the scope covers every PPR."""
        return ALL_PPRS in self.ppr_codes

    def in_scope(self, ppr_code: str) -> bool:
        """Whether this caller may see or act in ``ppr_code``."""
        return self.all_pprs or ppr_code in self.ppr_codes


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


#: Roles whose tokens always cover every PPR.
EVERY_PPR_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})
#: Roles that may be given every PPR ("*"): a national aggregator, for example.
MAY_COVER_EVERY_PPR = EVERY_PPR_ROLES | {Role.INTEGRATION}
#: Principal ids the service uses itself.
RESERVED_PRINCIPALS = frozenset({"system", "anonymous"})


def _check_scope(app: K2K, role: Role, ppr_codes: list[str]) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(code.strip().upper() for code in ppr_codes))
    if not codes:
        raise InvalidValue("pprs", "name at least one PPR (or * for all)")
    if role in EVERY_PPR_ROLES:
        if codes != (ALL_PPRS,):
            raise InvalidValue("pprs", f"{role.value} tokens cover every PPR: use *")
        return codes
    if ALL_PPRS in codes:
        if role not in MAY_COVER_EVERY_PPR or len(codes) > 1:
            raise InvalidValue("pprs", f"a {role.value} token names its PPRs; * is not allowed")
        return codes
    for code in codes:
        try:
            app.get_ppr(code)
        except NotFound as error:
            raise InvalidValue("pprs", f"no PPR with code {code!r}") from error
    return codes


def issue_token(
    engine: Engine,
    app: K2K,
    *,
    role: Role,
    name: str,
    ppr_codes: list[str],
    principal_id: str | None = None,
) -> tuple[str, Principal]:
    """Create a token; the plain token is returned once and never stored.

    A person keeps one role: a second token for an existing principal id must have the same role
    (as must a person an admin registered without a token), or that person's events would read
    as another role's. The token's holder gets a person entry (or their entry gains its PPRs).
    """
    if role is Role.SYSTEM:
        raise InvalidValue("role", "the system role has no tokens")
    if not name.strip():
        raise InvalidValue("name", "must not be empty")
    codes = _check_scope(app, role, ppr_codes)
    if principal_id is not None:
        if principal_id in RESERVED_PRINCIPALS:
            raise InvalidValue("principal_id", f"{principal_id!r} is reserved")
        person = get_person(engine, principal_id)
        roles = token_roles(engine, principal_id) | ({person.role} if person else set())
        if roles - {role.value}:
            raise InvalidValue(
                "principal_id", f"{principal_id} acts as {', '.join(sorted(roles))} already"
            )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    principal = Principal(
        principal_id=principal_id or f"{role.value}-{uuid.uuid4().hex[:12]}",
        name=name.strip(),
        role=role,
        ppr_codes=codes,
        token_id=str(uuid.uuid4()),
    )
    with engine.begin() as conn:
        conn.execute(
            api_tokens.insert().values(
                token_hash=hash_token(token),
                token_id=principal.token_id,
                principal_id=principal.principal_id,
                name=principal.name,
                role=role.value,
                ppr_codes=list(principal.ppr_codes),
                created_at=datetime.now(tz=UTC),
            )
        )
        # Everyone with a token is someone to notify; "*" is a scope, not a PPR to be told about.
        ensure_person(
            conn,
            principal.principal_id,
            principal.name,
            role.value,
            [code for code in principal.ppr_codes if code != ALL_PPRS],
        )
    return token, principal


def token_roles(engine: Engine, principal_id: str) -> set[str]:
    """The roles of the tokens (revoked ones too) issued to a principal id."""
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(api_tokens.c.role).where(api_tokens.c.principal_id == principal_id)
            ).scalars()
        )


#: Built once: every request runs it, and building a statement costs more than running it.
_LIVE_TOKEN = select(api_tokens).where(
    api_tokens.c.token_hash == bindparam("token_hash"), api_tokens.c.revoked_at.is_(None)
)


def authenticate(engine: Engine, token: str) -> Principal | None:
    """The principal behind a token, or None for an unknown or revoked one."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with engine.connect() as conn:
        row = conn.execute(_LIVE_TOKEN, {"token_hash": hash_token(token)}).mappings().first()
    if row is None:
        return None
    return Principal(
        principal_id=row["principal_id"],
        name=row["name"],
        role=Role(row["role"]),
        ppr_codes=tuple(row["ppr_codes"]),
        token_id=row["token_id"],
    )


def revoke_token(engine: Engine, token_id: str) -> bool:
    """Revoke a token by its id; returns whether one was revoked."""
    with engine.begin() as conn:
        result = conn.execute(
            update(api_tokens)
            .where(api_tokens.c.token_id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(tz=UTC))
        )
    return result.rowcount == 1
