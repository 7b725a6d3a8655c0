"""Generated stores, made once per backend, scale and seed, and copied for each run that changes them.

Generating a million events and building every read model over them takes minutes, so a store is
made once and kept: SQLite files under ``var/bench/``, a PostgreSQL database named after the
dataset. Each suite works on a copy (file copy, or ``CREATE DATABASE ... TEMPLATE``), so one run's
commands never leak into the next run's figures. Bump ``GENERATOR_VERSION`` when the generator
writes something different: old stores are then made again instead of being reused.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update

from bench.common import (
    POSTGRES_SERVER,
    ROOT,
    create_database,
    database_exists,
    drop_database,
    new_database_name,
    runtime_on,
)
from projections.case_list import case_list
from projections.engine import tracking
from projections.ppr_directory import pprs
from service.runtime import Runtime
from workers.relay import RELAY_NAME
from workers.tables import people

#: Bump when bench/generate.py changes what it writes.
GENERATOR_VERSION = 2
CACHE = ROOT / "var" / "bench"
SQLITE_FILES = ("k2k.sqlite", "k2k.events.sqlite")


def parse_scale(text: str) -> int:
    """``10k``, ``100k``, ``1M`` or a plain number of events."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not match:
        raise ValueError(f"not a scale: {text!r} (use e.g. 10k, 100k, 1M or 5000)")
    number, suffix = float(match.group(1)), match.group(2).lower()
    return int(number * {"": 1, "k": 1_000, "m": 1_000_000}[suffix])


def scale_name(events: int) -> str:
    """1000000 -> 1M, 10000 -> 10k, 300 -> 300."""
    if events >= 1_000_000 and events % 1_000_000 == 0:
        return f"{events // 1_000_000}M"
    if events >= 1_000 and events % 1_000 == 0:
        return f"{events // 1_000}k"
    return str(events)


@dataclass(frozen=True)
class Dataset:
    """A generated store with every read model built, kept for reuse."""

    backend: str
    scale: int
    seed: int
    #: The kept store's URL: copy it (``working_copy``); never change it.
    database_url: str
    events: int
    generated_seconds: float
    built_seconds: float
    #: The kept PostgreSQL database (copied with CREATE DATABASE ... TEMPLATE), or None.
    database: str | None = None


def _read_models_version() -> str:
    """A short digest of every projection's version: kept read models of another shape differ."""
    from projections.registry import all_projections

    shapes = ",".join(f"{each.name}={each.version}" for each in all_projections())
    return hashlib.sha1(shapes.encode()).hexdigest()[:6]


def dataset_key(backend: str, scale: int, seed: int) -> str:
    """The name of a dataset in the cache (and of its PostgreSQL database)."""
    return (
        f"k2k_bench_{backend}_{scale_name(scale).lower()}_s{seed}"
        f"_g{GENERATOR_VERSION}_r{_read_models_version()}"
    )


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, flush=True)


def prepare(
    backend: str, scale: int, seed: int = 2026, progress: bool = True, cache: Path = CACHE
) -> Dataset:
    """The dataset for this backend, scale and seed: from ``cache``, or generated and built now."""
    from bench.generate import generate  # the generator is heavy; only load it when needed

    key = dataset_key(backend, scale, seed)
    folder = cache / key
    marker = folder / "dataset.json"
    database = None
    if backend == "sqlite":
        url = f"sqlite:///{folder / SQLITE_FILES[0]}"
    else:
        # Another cache folder (a test's) keeps its own database under a name of its own.
        suffix = "" if cache == CACHE else "_" + hashlib.sha1(str(cache).encode()).hexdigest()[:8]
        database = key + suffix
        url = f"{POSTGRES_SERVER}/{database}"
    if marker.exists() and (database is None or database_exists(database)):
        return Dataset(**json.loads(marker.read_text()))
    # A half-made store (a run killed while generating) is thrown away and made again.
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if database is not None:
        drop_database(database)
        create_database(database)
    _say(progress, f"generating {scale_name(scale)} events on {backend} (kept as {key})")
    try:
        with runtime_on(url, folder) as runtime:
            started = time.perf_counter()
            generate(runtime, scale, seed=seed, progress=progress)
            generated = time.perf_counter() - started
            events = runtime.runner.head()
            with runtime.engine.begin() as conn:
                # Generated history is history, as a restored backup is: nobody is notified.
                conn.execute(
                    update(tracking).where(tracking.c.name == RELAY_NAME).values(position=events)
                )
            _say(progress, f"building every read model over {events:,} events")
            started = time.perf_counter()
            runtime.runner.rebuild_together()
            built = time.perf_counter() - started
    except BaseException:
        # Nothing half-made is kept: not the folder, not the database.
        shutil.rmtree(folder, ignore_errors=True)
        if database is not None:
            drop_database(database)
        raise
    dataset = Dataset(backend, scale, seed, url, events, generated, built, database)
    marker.write_text(json.dumps(dataset.__dict__, indent=2) + "\n")
    return dataset


@contextmanager
def working_copy(dataset: Dataset, folder: str | Path) -> Iterator[str]:
    """A copy of the dataset's store that a run may change; yields its URL, removed afterwards."""
    if dataset.backend == "sqlite":
        source = Path(dataset.database_url.removeprefix("sqlite:///")).parent
        target = Path(folder) / f"copy-{uuid.uuid4().hex[:6]}"
        target.mkdir(parents=True)
        for name in SQLITE_FILES:
            for suffix in ("", "-wal"):
                if (source / f"{name}{suffix}").exists():
                    shutil.copyfile(source / f"{name}{suffix}", target / f"{name}{suffix}")
        try:
            yield f"sqlite:///{target / SQLITE_FILES[0]}"
        finally:
            shutil.rmtree(target, ignore_errors=True)
        return
    assert dataset.database is not None, "a PostgreSQL dataset names its database"
    name = new_database_name()
    url = create_database(name, template=dataset.database)
    try:
        yield url
    finally:
        drop_database(name)


@dataclass(frozen=True)
class Cast:
    """Who acts in a benchmark, and where: one PPR of the dataset and people with roles in it."""

    ppr_code: str
    block: str
    category: str
    management: str
    committee: str
    residents: tuple[str, ...]
    #: PPRs of the dataset, busiest first.
    ppr_codes: tuple[str, ...]


def cast_of(runtime: Runtime) -> Cast:
    """The busiest PPR of the store, one of its blocks and categories, and its people."""
    with runtime.engine.connect() as conn:
        busiest = [
            row.ppr_code
            for row in conn.execute(
                select(case_list.c.ppr_code, func.count().label("cases"))
                .group_by(case_list.c.ppr_code)
                .order_by(func.count().desc(), case_list.c.ppr_code)
            )
        ]
        code = busiest[0]
        ppr = conn.execute(select(pprs).where(pprs.c.code == code)).mappings().one()
        category = conn.execute(
            select(case_list.c.category_code)
            .where(case_list.c.ppr_code == code)
            .group_by(case_list.c.category_code)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar_one()
        everyone = conn.execute(select(people.c.principal_id, people.c.role, people.c.ppr_codes))
        by_role: dict[str, list[str]] = {}
        for row in everyone:
            if code in (row.ppr_codes or []):
                by_role.setdefault(row.role, []).append(row.principal_id)
    for role in ("management", "committee", "resident"):
        if not by_role.get(role):
            raise RuntimeError(f"the dataset has no {role} in PPR {code}")
    return Cast(
        ppr_code=code,
        block=sorted(ppr["blocks"])[0],
        category=category,
        management=sorted(by_role["management"])[0],
        committee=sorted(by_role["committee"])[0],
        residents=tuple(sorted(by_role["resident"])),
        ppr_codes=tuple(busiest),
    )


def forget(dataset: Dataset, cache: Path = CACHE) -> None:
    """Remove a kept dataset (its files, and its PostgreSQL database)."""
    if dataset.database is not None:
        drop_database(dataset.database)
    shutil.rmtree(
        cache / dataset_key(dataset.backend, dataset.scale, dataset.seed), ignore_errors=True
    )
