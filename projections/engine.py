"""The projection engine: follow the global notification log, apply events, track the position.

Each projection has one tracking row. A batch of events is applied and the tracking row moved to
the batch's last notification id in the same database transaction, so a crash leaves either the
whole batch applied with its position or none of it. The tracking row is updated first with a
compare-and-set on the old position: a second runner working the same projection blocks on that
row (PostgreSQL) or on the write lock (SQLite), then finds the position moved and rolls back, so
no event is ever applied twice.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from sqlalchemy import Column, Connection, Engine, Integer, String, Table, select, update

from projections.database import UtcDateTime, insert_into, metadata

log = logging.getLogger(__name__)

#: Events read and applied per transaction (DESIGN §10: ~500 gave 5x the one-per-transaction rate).
BATCH_SIZE = 500
#: A rebuild's batches are bigger: more of each batch's rows are touched more than once, and
#: nobody waits on a read model being rebuilt (bench: 2000 rebuilt ~1.4x faster than 500).
REBUILD_BATCH_SIZE = 2000
#: A rebuild refreshes PostgreSQL's table statistics after this many events, then at each doubling.
FIRST_ANALYZE = 4000

tracking = Table(
    "projection_tracking",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=True),
    Column("schema_version", Integer, nullable=False, server_default="1"),
)


class Projection(ABC):
    """One read model: its tables and how each event changes them."""

    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]
    #: Bump when the tables or formulas change: the runner then rebuilds the read model.
    version: ClassVar[int] = 1

    @abstractmethod
    def apply(self, conn: Connection, event: DomainEventProtocol[Any], position: int) -> None:
        """Apply one event inside the batch's transaction."""

    def apply_stored(
        self, conn: Connection, notification: Notification, event: DomainEventProtocol[Any]
    ) -> None:
        """Apply one stored record; projections that read the record's own bytes override this."""
        self.apply(conn, event, notification.id)

    def start_batch(self) -> None:  # noqa: B027 - optional hook
        """Called before each batch; projections may reset per-batch caches."""

    def prefetch(  # noqa: B027 - optional hook
        self, conn: Connection, events: Sequence[DomainEventProtocol[Any]]
    ) -> None:
        """Called with the batch's events before the first is applied: read what they touch."""

    def end_batch(self, conn: Connection) -> None:  # noqa: B027 - optional hook
        """Called after a batch's last event, in its transaction: write what was buffered."""


@dataclass(frozen=True)
class ProjectionStatus:
    """Where a projection stands relative to the head of the log."""

    name: str
    position: int
    head: int
    updated_at: datetime | None

    @property
    def lag(self) -> int:
        """Notification ids not yet applied (ids can have gaps, so this is an upper bound)."""
        return max(0, self.head - self.position)


class PositionMoved(Exception):
    """Another runner applied this batch first."""


def upsert(conn: Connection, table: Table, values: dict[str, Any], keys: Sequence[str]) -> None:
    """Insert a row, or update it where the key exists (both dialects)."""
    statement = insert_into(table, conn).values(**values)
    changes = {name: statement.excluded[name] for name in values if name not in keys}
    conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changes))


class ProjectionRunner:
    """Runs projections over one application's notification log into one read-model database."""

    def __init__(
        self,
        app: Application[Any],
        engine: Engine,
        projections: Iterable[Projection],
        batch_size: int = BATCH_SIZE,
        rebuild_batch_size: int = REBUILD_BATCH_SIZE,
    ) -> None:
        self.app = app
        self.engine = engine
        self.projections = {projection.name: projection for projection in projections}
        self.batch_size = batch_size
        self.rebuild_batch_size = rebuild_batch_size
        self.wake = threading.Event()

    def projection(self, name: str) -> Projection:
        """The projection called ``name``."""
        try:
            return self.projections[name]
        except KeyError:
            known = ", ".join(sorted(self.projections))
            raise KeyError(f"no projection {name!r} (known: {known})") from None

    def head(self) -> int:
        """The last notification id in the log (0 for an empty log)."""
        return self.app.recorder.max_notification_id() or 0

    def ensure_tracking(self, conn: Connection, name: str) -> int:
        """The projection's position, creating its tracking row at 0 the first time."""
        position = conn.execute(select(tracking.c.position).where(tracking.c.name == name)).scalar()
        if position is None:
            conn.execute(
                insert_into(tracking, conn)
                .values(name=name, position=0, schema_version=self.projection(name).version)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            return 0
        return int(position)

    def position(self, name: str) -> int:
        """The projection's tracked position."""
        with self.engine.begin() as conn:
            return self.ensure_tracking(conn, name)

    def status(self) -> list[ProjectionStatus]:
        """Position, head and lag of every projection."""
        head = self.head()
        # Read-only: a probe must not write (a projection never run is simply at 0).
        with self.engine.connect() as conn:
            rows = conn.execute(select(tracking)).mappings().all()
        by_name = {row["name"]: row for row in rows}
        return [
            ProjectionStatus(
                name,
                by_name[name]["position"] if name in by_name else 0,
                head,
                by_name[name]["updated_at"] if name in by_name else None,
            )
            for name in self.projections
        ]

    def process_batch(self, name: str) -> int:
        """Apply the next batch of events to one projection; returns how many were applied.

        Returns 0 only at the head of the log: when another runner applied the batch first, this
        one reads the new position and tries the batch after it.
        """
        projection = self.projection(name)
        while True:
            start = self.position(name)
            notifications: Sequence[Notification] = self.app.recorder.select_notifications(
                start=start, limit=self.batch_size, inclusive_of_start=False
            )
            if not notifications:
                return 0
            last = notifications[-1].id
            try:
                with self.engine.begin() as conn:
                    moved = conn.execute(
                        update(tracking)
                        .where(tracking.c.name == name, tracking.c.position == start)
                        .values(position=last, updated_at=datetime.now(tz=UTC))
                    )
                    if moved.rowcount != 1:
                        raise PositionMoved
                    events = [self.app.mapper.to_domain_event(each) for each in notifications]
                    projection.start_batch()
                    projection.prefetch(conn, events)
                    for notification, event in zip(notifications, events, strict=True):
                        projection.apply_stored(conn, notification, event)
                    projection.end_batch(conn)
            except PositionMoved:
                log.debug("projection %s: batch after %s applied by another runner", name, start)
                continue
            return len(notifications)

    def catch_up(
        self, name: str | None = None, progress: Callable[[int], None] | None = None
    ) -> int:
        """Apply events until the projection (or every projection) reaches the head."""
        names = [name] if name else list(self.projections)
        total = 0
        for each in names:
            while True:
                applied = self.process_batch(each)
                if not applied:
                    break
                total += applied
                if progress:
                    progress(applied)
        return total

    def rebuild(self, name: str, progress: Callable[[int], None] | None = None) -> int:
        """Drop the projection's tables, recreate them empty and replay the whole log."""
        return self.rebuild_together([name], progress)

    def rebuild_together(
        self, names: Sequence[str] | None = None, progress: Callable[[int], None] | None = None
    ) -> int:
        """Drop and replay several read models (default: all) in one pass; returns the events.

        Reading and decoding the log is most of a rebuild's cost; one pass pays it once for all
        of them instead of once each. Each batch is applied to every projection and moves every
        tracking row in one transaction. If another runner moves one of the positions meanwhile,
        the pass stops and each projection catches up on its own from where it stands.
        """
        chosen = list(self.projections) if names is None else list(names)
        projections = [self.projection(name) for name in chosen]
        with self.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                # pysqlite runs DDL outside any transaction unless one is open: without this a
                # failure after the drop leaves empty tables behind a position at the head.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            for projection in projections:
                # Take the tracking row first, as every runner's batch does, so a rebuild and a
                # running batch wait for each other instead of deadlocking (PostgreSQL).
                self.ensure_tracking(conn, projection.name)
                conn.execute(
                    update(tracking)
                    .where(tracking.c.name == projection.name)
                    .values(
                        position=0,
                        updated_at=datetime.now(tz=UTC),
                        schema_version=projection.version,
                    )
                )
                for table in reversed(projection.tables):
                    table.drop(conn, checkfirst=True)
                for table in projection.tables:
                    table.create(conn, checkfirst=True)
        position, applied, next_analyze = 0, 0, FIRST_ANALYZE
        while True:
            try:
                batch = self._process_batch_together(projections, position)
            except PositionMoved:
                break
            if not batch:
                return applied
            position, count = batch
            applied += count
            if progress:
                progress(count)
            if applied >= next_analyze:
                self._analyze(projections)
                next_analyze *= 2
        # Each catches up alone; the events are counted once (by the one that applied most).
        alone = [self.catch_up(projection.name) for projection in projections]
        if progress and alone:
            progress(max(alone))
        return applied + max(alone, default=0)

    def _analyze(self, projections: Sequence[Projection]) -> None:
        """Refresh PostgreSQL's statistics of tables that are being rebuilt.

        Tables made afresh have no statistics, and autovacuum may not get to them during a long
        rebuild: the planner then reads a batch's prefetch (``key IN (...)``) as matching most
        of the table and scans all of it, so each batch costs more than the last. ANALYZE
        samples a fixed number of rows, so refreshing each time the tables double is cheap.
        """
        if self.engine.dialect.name != "postgresql":
            return  # SQLite uses the primary key for IN (...) without statistics
        with self.engine.begin() as conn:
            for projection in projections:
                for table in projection.tables:
                    conn.exec_driver_sql(f'ANALYZE "{table.name}"')

    def _process_batch_together(
        self, projections: Sequence[Projection], start: int
    ) -> tuple[int, int] | None:
        """Apply the batch after ``start`` to projections that all stand at ``start``.

        Returns the new position and the events applied, or None at the head of the log.
        """
        notifications: Sequence[Notification] = self.app.recorder.select_notifications(
            start=start, limit=self.rebuild_batch_size, inclusive_of_start=False
        )
        if not notifications:
            return None
        last = notifications[-1].id
        with self.engine.begin() as conn:
            for projection in projections:
                moved = conn.execute(
                    update(tracking)
                    .where(tracking.c.name == projection.name, tracking.c.position == start)
                    .values(position=last, updated_at=datetime.now(tz=UTC))
                )
                if moved.rowcount != 1:
                    raise PositionMoved
            events = [self.app.mapper.to_domain_event(each) for each in notifications]
            for projection in projections:
                projection.start_batch()
                projection.prefetch(conn, events)
            for notification, event in zip(notifications, events, strict=True):
                for projection in projections:
                    projection.apply_stored(conn, notification, event)
            for projection in projections:
                projection.end_batch(conn)
        return last, len(notifications)

    def outdated(self) -> list[str]:
        """Projections whose stored read model was built by an older version of their code."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(tracking.c.name, tracking.c.schema_version)).all()
        stored: dict[str, int] = {row.name: row.schema_version for row in rows}
        return [
            name
            for name, projection in self.projections.items()
            if name in stored and stored[name] != projection.version
        ]

    def rebuild_outdated(self, progress: Callable[[int], None] | None = None) -> list[str]:
        """Rebuild every outdated projection; returns their names."""
        names = self.outdated()
        if names:
            log.warning("projections %s changed shape: rebuilding them from the log", names)
            self.rebuild_together(names, progress)
        return names

    def run_forever(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Keep every projection caught up until ``stop`` is set; ``wake`` skips the wait."""
        while not stop.is_set():
            failed = False
            try:
                self.rebuild_outdated()
            except Exception:  # a database hiccup must not kill the thread; positions are safe
                log.exception("projection runner: rebuild failed; retrying")
                failed = True
            # Each projection on its own: one that cannot apply an event must not hold up the rest.
            for name in self.projections:
                try:
                    self.catch_up(name)
                except Exception:
                    log.exception("projection %s: batch failed; retrying", name)
                    failed = True
            if failed:
                stop.wait(min(interval * 5, 10))
            self.wake.wait(interval)
            self.wake.clear()
