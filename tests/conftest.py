"""Shared fixtures: every storage test runs on SQLite and on PostgreSQL, each in its own database."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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


def _missing(reason: str | None) -> None:
    """Skip on a laptop without the service; fail under CI=true, where it must be there."""
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)


def require_postgres() -> None:
    """Skip on a laptop without PostgreSQL; fail under CI=true."""
    _missing(_postgres_unavailable_reason())


def _base_url(url: str) -> str:
    return url.rsplit("/", 1)[0]


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards; yields its URL."""
    with fresh_postgres_database() as url:
        yield url


@functools.cache
def _schema_template() -> str:
    """A database holding the service's empty tables, made once per test process.

    Copying it is cheaper than creating some hundred tables and indexes for every test: the
    copy is the state ``Runtime.from_settings`` leaves on a new, empty store. It is dropped
    when the process ends.
    """
    import atexit

    import psycopg

    name = f"k2k_template_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    Runtime.from_settings(
        Settings(database_url=f"{_base_url(POSTGRES_ADMIN_URL)}/{name}", background=False)
    ).close()

    def drop() -> None:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return name


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database of this test's own (empty tables), dropped afterwards."""
    require_postgres()
    import psycopg

    name = f"k2k_test_{uuid.uuid4().hex[:12]}"
    template = _schema_template()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
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


REDIS_URL = os.environ.get("K2K_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@functools.cache
def _redis_unavailable_reason() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
        return None
    except Exception as error:  # any failure to connect means "not here"
        return f"Redis at {REDIS_URL} is unreachable: {error}"


def require_redis() -> None:
    """Skip on a laptop without Redis; fail under CI=true."""
    _missing(_redis_unavailable_reason())


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A queue prefix of this test's own on the real Redis; its keys are deleted afterwards."""
    require_redis()
    import redis

    prefix = f"k2ktest-{uuid.uuid4().hex[:10]}"
    yield prefix
    connection = redis.Redis.from_url(REDIS_URL)
    keys = list(connection.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        connection.delete(*keys)
    connection.close()
