"""The read-model database: SQLAlchemy engine construction and shared column types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

#: Every read-model and bookkeeping table registers here, so ``create_all`` makes them all.
metadata = MetaData()


def insert_into(table: Table, bind: Engine | Connection) -> Any:
    """An INSERT into ``table`` in ``bind``'s dialect, so that it takes ``on_conflict_do_*``
    (PostgreSQL and SQLite spell ON CONFLICT alike; SQLAlchemy's generic insert has none)."""
    return (pg_insert if bind.dialect.name == "postgresql" else sqlite_insert)(table)


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC datetimes and always hands back timezone-aware values (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC; SQLite keeps the naive UTC value."""
        if value is None:
            return None
        value = value.astimezone(UTC) if value.tzinfo else value
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Re-attach UTC where the database dropped it."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def microseconds(moment: datetime) -> int:
    """A moment as whole microseconds since 1970 UTC, exactly (the unit of ``epoch_us``)."""
    return (moment - EPOCH) // MICROSECOND


class epoch_us(FunctionElement[int]):  # noqa: N801 (an SQL function, named like one)
    """A ``UtcDateTime`` column as whole microseconds since 1970 UTC, computed by the database.

    Reports that read thousands of moments compare and subtract these integers instead of
    making a timezone-aware ``datetime`` of each; the values are exact, so durations equal
    ``timedelta.total_seconds()`` of the same moments.
    """

    type = BigInteger()
    inherit_cache = True
    name = "epoch_us"


@compiles(epoch_us, "sqlite")
def _epoch_us_sqlite(element: epoch_us, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps the naive UTC value as text, 'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy always
    # writes the six digits): whole seconds from strftime on the text without its fraction
    # (SQLite's own time has milliseconds and would round .9995 up a second), microseconds
    # from the text.
    column = compiler.process(next(iter(element.clauses)), **kw)
    return (
        f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000"
        f" + CAST(substr({column}, 21, 6) AS INTEGER))"
    )


@compiles(epoch_us, "postgresql")
def _epoch_us_postgresql(element: epoch_us, compiler: SQLCompiler, **kw: Any) -> str:
    # EXTRACT(EPOCH ...) is numeric since PostgreSQL 14, so the microseconds are exact.
    column = compiler.process(next(iter(element.clauses)), **kw)
    return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"


def _tune_sqlite(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # WAL lets the web threads read while the projection thread writes; the busy timeout turns
    # a momentary write lock into a short wait instead of "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # SQLite's default page cache is 2 MiB: once the read models outgrow it, every batch's
    # index inserts and every metrics scan go to the file. 64 MiB per connection holds the
    # hot pages of a few hundred thousand events' read models.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """Create the engine for a read-model URL (``sqlite:///...`` or ``postgresql+psycopg://...``)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)


def create_tables(engine: Engine) -> None:
    """Create every registered table that does not exist yet."""
    metadata.create_all(engine)
