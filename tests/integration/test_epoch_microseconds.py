"""The database turns a stored moment into exact microseconds since 1970, on both backends."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Column, Integer, MetaData, Table, select

from projections.database import UtcDateTime, epoch_us, make_engine, microseconds
from service.settings import Settings


def test_every_stored_moment_comes_back_as_its_exact_microseconds(settings: Settings) -> None:
    rng = random.Random(2026)
    moments: list[datetime | None] = [
        datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),  # SQLite's own time would round
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 3, 1, 7, 5, 9, 123_456, tzinfo=timezone(timedelta(hours=8))),  # Malaysia
        None,
        *(
            datetime(2000, 1, 1, tzinfo=UTC) + timedelta(microseconds=rng.randrange(10**15))
            for _ in range(500)
        ),
    ]
    metadata = MetaData()
    table = Table(
        "moments", metadata, Column("n", Integer, primary_key=True), Column("at", UtcDateTime)
    )
    engine = make_engine(settings.read_model_url)
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"n": n, "at": at} for n, at in enumerate(moments)])
            stored = conn.execute(select(epoch_us(table.c.at)).order_by(table.c.n)).scalars()
            assert list(stored) == [None if at is None else microseconds(at) for at in moments]
    finally:
        metadata.drop_all(engine)
        engine.dispose()
