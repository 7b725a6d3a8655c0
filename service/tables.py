"""The service's own bookkeeping tables: tokens, idempotency records, web sessions and sign-in codes.

They live in the read-model database but are not projections: they are not rebuilt from events,
so they have their own metadata and are never dropped by ``k2k projections rebuild``.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Engine, Integer, LargeBinary, MetaData, String, Table

from projections.database import UtcDateTime

metadata = MetaData()

#: Longest accepted ``Idempotency-Key``.
MAX_KEY_LENGTH = 255

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


idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal_id", String(64), primary_key=True),
    Column("key", String(MAX_KEY_LENGTH), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("completed", Boolean, nullable=False),
    Column("status", Integer),
    Column("body", LargeBinary),
    Column("headers", JSON),
    Column("created_at", UtcDateTime, nullable=False),
)


def create_service_tables(engine: Engine) -> None:
    """Create the bookkeeping tables that do not exist yet."""
    metadata.create_all(engine)


web_sessions = Table(
    "web_sessions",
    metadata,
    # The cookie holds a random secret; only its hash is kept, as with API tokens.
    Column("session_hash", String(64), primary_key=True),
    Column("principal_id", String(64), nullable=False, index=True),
    # "code" (a one-time code) or "token" (an API token pasted in): who vouches for the holder.
    Column("via", String(8), nullable=False),
    Column("token_id", String(36)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)


sign_in_codes = Table(
    "sign_in_codes",
    metadata,
    Column("code_id", String(36), primary_key=True),
    # Everyone registered under the address (a household may share one phone).
    Column("principal_ids", JSON, nullable=False),
    Column("channel", String(8), nullable=False),
    # Keyed hashes: a stolen table gives neither the addresses nor (by brute force) the codes.
    Column("address_hash", String(64), nullable=False, index=True),
    Column("requester_hash", String(64), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("used_at", UtcDateTime),
)
