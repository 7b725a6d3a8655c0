"""Shared fixtures: every storage test runs on SQLite and on PostgreSQL, each in its own database."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.runtime import Runtime
from service.settings import Settings

POSTGRES_ADMIN_URL = os.environ.get(
    "K2K_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


@functools.cache
def _postgres_unavailable_reason() -> str | None:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as error:  # any failure to connect means "not here"
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable: {error}"


def require_postgres() -> None:
    """Skip on a laptop without PostgreSQL; fail under CI=true."""
    reason = _postgres_unavailable_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)


def _base_url(url: str) -> str:
    return url.rsplit("/", 1)[0]


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards; yields its URL."""
    require_postgres()
    import psycopg

    name = f"k2k_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{_base_url(POSTGRES_ADMIN_URL)}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Storage settings for one backend; no background threads (tests drive projections)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'k2k.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_database")
    return Settings(database_url=url, background=False)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """The command side and read models on the test's own storage."""
    parts = Runtime.from_settings(settings)
    try:
        yield parts
    finally:
        parts.close()
