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

from sqlalchemy import JSON, Column, Engine, String, Table, select, update

from domain.actors import Actor, Role
from projections.database import UtcDateTime, metadata

TOKEN_PREFIX = "k2k_"
#: Scope value meaning "every PPR" (admins and auditors).
ALL_PPRS = "*"

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("token_id", String(36), nullable=False, unique=True),
    Column("principal_id", String(64), nullable=False, index=True),
    Column("name", String(120), nullable=False),
    Column("role", String(16), nullable=False),
    Column("ppr_codes", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)


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


def issue_token(
    engine: Engine,
    *,
    role: Role,
    name: str,
    ppr_codes: list[str],
    principal_id: str | None = None,
) -> tuple[str, Principal]:
    """Create a token; the plain token is returned once and never stored."""
    if role is Role.SYSTEM:
        raise ValueError("the system role has no tokens")
    if not ppr_codes:
        raise ValueError("a token needs at least one PPR (or '*')")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    principal = Principal(
        principal_id=principal_id or f"{role.value}-{uuid.uuid4().hex[:12]}",
        name=name,
        role=role,
        ppr_codes=tuple(code.upper() if code != ALL_PPRS else code for code in ppr_codes),
        token_id=str(uuid.uuid4()),
    )
    with engine.begin() as conn:
        conn.execute(
            api_tokens.insert().values(
                token_hash=hash_token(token),
                token_id=principal.token_id,
                principal_id=principal.principal_id,
                name=name,
                role=role.value,
                ppr_codes=list(principal.ppr_codes),
                created_at=datetime.now(tz=UTC),
            )
        )
    return token, principal


def authenticate(engine: Engine, token: str) -> Principal | None:
    """The principal behind a token, or None for an unknown or revoked one."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(api_tokens).where(
                    api_tokens.c.token_hash == hash_token(token), api_tokens.c.revoked_at.is_(None)
                )
            )
            .mappings()
            .first()
        )
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
