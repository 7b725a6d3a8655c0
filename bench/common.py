"""What every benchmark suite shares: fresh storage, timing, percentiles, the report and its file.

Machines here are shared and noisy, so a figure on its own says little: every suite measures its
baseline (the raw event store doing the nearest equivalent work) in the same run, and reports the
service's figure as a ratio of it. A report is printed as a table and written as JSON under
``bench/results/``, with the machine it ran on.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
import statistics
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg

from service.runtime import Runtime
from service.settings import Settings

BACKENDS = ("sqlite", "postgres")
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
POSTGRES_ADMIN = f"{POSTGRES_SERVER}/test"
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


# -- storage ------------------------------------------------------------------------------------


def new_database_name(prefix: str = "k2k_bench") -> str:
    """A PostgreSQL database name no other run uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def create_database(name: str, template: str | None = None) -> str:
    """Create a PostgreSQL database (optionally as a copy of ``template``); returns its URL."""
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        copy = f' TEMPLATE "{template}"' if template else ""
        if template and conn.info.server_version >= 150000:
            # PostgreSQL 15 copies through the WAL by default: a gigabyte of log that then slows
            # the first seconds of whatever is measured on the copy. A file copy writes none.
            copy += " STRATEGY FILE_COPY"
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    return f"{POSTGRES_SERVER}/{name}"


def drop_database(name: str) -> None:
    """Drop a PostgreSQL database, closing whatever still holds it open."""
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(name: str) -> bool:
    """Whether the PostgreSQL server has this database."""
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


@contextmanager
def fresh_database_url(backend: str, folder: str | Path) -> Iterator[str]:
    """The URL of new, empty storage on ``backend``, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{Path(folder) / f'bench-{uuid.uuid4().hex[:6]}.sqlite'}"
        return
    name = new_database_name()
    url = create_database(name)
    try:
        yield url
    finally:
        drop_database(name)


def bench_settings(database_url: str, folder: str | Path, **changes: Any) -> Settings:
    """Settings of a runtime that starts no threads and keeps its files in ``folder``."""
    settings = Settings.from_env(
        {"K2K_DATABASE_URL": database_url, "K2K_DATA_DIR": str(folder), "K2K_BACKGROUND": "0"}
    )
    return replace(
        settings,
        audit_key_file=None,  # suites that sign make their own key
        audit_public_key_file=None,
        outbox_dir=str(Path(folder) / "outbox"),
        webhook_allow_loopback=True,
        **changes,
    )


@contextmanager
def runtime_on(database_url: str, folder: str | Path, **changes: Any) -> Iterator[Runtime]:
    """A runtime on existing (or new) storage, closed afterwards."""
    runtime = Runtime.from_settings(bench_settings(database_url, folder, **changes))
    try:
        yield runtime
    finally:
        runtime.close()


@contextmanager
def store(backend: str, folder: str | Path, **changes: Any) -> Iterator[Runtime]:
    """A runtime on fresh, empty storage, dropped afterwards."""
    with fresh_database_url(backend, folder) as url, runtime_on(url, folder, **changes) as runtime:
        yield runtime


def read_log(runtime: Runtime, page: int = 500) -> tuple[int, float]:
    """Read and decode the whole log as a follower does; returns (events, seconds).

    This is the floor any projection or relay pays: the library's page read plus the mapper's
    decode of each record, nothing of ours.
    """
    recorder, mapper = runtime.app.recorder, runtime.app.mapper
    started = time.perf_counter()
    position, events = 0, 0
    while True:
        notifications = recorder.select_notifications(
            start=position, limit=page, inclusive_of_start=False
        )
        if not notifications:
            return events, time.perf_counter() - started
        for notification in notifications:
            mapper.to_domain_event(notification)
        events += len(notifications)
        position = notifications[-1].id


# -- figures ------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by the nearest-rank method: a value that was measured."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The median, or NaN for no values."""
    return statistics.median(values) if values else math.nan


@dataclass
class Row:
    """One line of a report: a figure, and how it compares with its baseline and target."""

    measure: str
    value: float
    unit: str
    #: The figure divided by the same run's baseline (None for the baseline itself).
    ratio: float | None = None
    #: What is asked of it, in words ("ratio >= 0.6", "<= 15 ms"), and whether this run met it.
    target: str | None = None
    met: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def ratio_row(
    measure: str, value: float, unit: str, baseline: float, minimum: float | None = None
) -> Row:
    """A figure as a ratio of its baseline, checked against a minimum ratio if one is set."""
    ratio = value / baseline if baseline else math.nan
    if minimum is None:
        return Row(measure, value, unit, ratio)
    return Row(measure, value, unit, ratio, f"ratio >= {minimum:g}", ratio >= minimum)


def latency_rows(
    measure: str, samples_ms: Sequence[float], maximum_p99: float | None = None
) -> Row:
    """p50 and p99 of latency samples as one row (value is the p99)."""
    p50, p99 = percentile(samples_ms, 50), percentile(samples_ms, 99)
    row = Row(measure, p99, "ms p99", extra={"p50_ms": p50, "p99_ms": p99, "n": len(samples_ms)})
    if maximum_p99 is not None:
        row.target, row.met = f"p99 <= {maximum_p99:g} ms", p99 <= maximum_p99
    return row


@dataclass
class Report:
    """What one suite measured on one backend at one scale."""

    suite: str
    backend: str
    scale: int
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, row: Row) -> Row:
        """Append a row and return it."""
        self.rows.append(row)
        return row

    def table(self) -> str:
        """The report as a plain-text table."""
        width = max([len(row.measure) for row in self.rows] + [20])
        lines = [f"{self.suite}: {self.backend}, {self.scale:,} events"]
        for row in self.rows:
            value = f"{row.value:>12,.1f} {row.unit:<11}"
            if row.unit.startswith("ms"):
                p50 = row.extra.get("p50_ms")
                value = f"{row.value:>12,.2f} {row.unit:<11}"
                if p50 is not None:
                    value += f" p50 {p50:,.2f} ms"
            ratio = f"  {row.ratio:.3f}x" if row.ratio is not None else ""
            target = ""
            if row.target:
                target = f"  [{row.target}: {'met' if row.met else 'MISSED'}]"
            lines.append(f"  {row.measure:<{width}} {value}{ratio}{target}")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        """The report with the machine and code it ran on."""
        return {
            "suite": self.suite,
            "backend": self.backend,
            "scale": self.scale,
            "finished_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
            "machine": machine(self.backend),
            "rows": [asdict(row) for row in self.rows],
            "notes": self.notes,
            "details": self.details,
        }

    def write(self, folder: Path = RESULTS) -> Path:
        """Write the JSON file for this suite, backend and scale; returns its path."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.suite}-{self.backend}-{self.scale}.json"
        path.write_text(json.dumps(self.as_json(), indent=2, default=str) + "\n")
        return path


# -- the machine --------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _postgres_version() -> str | None:
    try:
        with psycopg.connect(POSTGRES_ADMIN, connect_timeout=2) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return None
    return str(row[0]) if row else None


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def machine(backend: str) -> dict[str, Any]:
    """The machine, software and code a figure was measured on."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "load_average": os.getloadavg(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version() if backend == "postgres" else None,
        "eventsourcing": version("eventsourcing"),
        "commit": _git_commit(),
    }
