"""commands: HTTP command throughput, next to the raw library's get -> mutate -> save.

Baseline, in the same run on the same backend: eventsourcing's own ``Application`` and a
one-attribute aggregate, loaded, changed and saved in a loop, one event per save and nothing of
ours (no seal, no checks, no HTTP). The service: each client thread walks cases through their
life over HTTP, as people do: a resident reports, management acknowledges, comments and resolves,
the resident confirms. Each is one POST recording one event and answered with the case. gunicorn
runs with one and with two sync workers, as in production (no background threads in the web
processes). The same five commands called in-process on ``K2K`` split the cost between the domain
and the web layer.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.common import Report, Row, ratio_row, runtime_on
from bench.datasets import Cast, Dataset, cast_of, working_copy
from bench.serving import Client, ServiceError, gunicorn, run_load, service_env
from domain.actors import Actor, Role
from domain.base import replay
from domain.case import Channel, Location
from service.runtime import Runtime
from service.settings import Settings
from service.tokens.store import issue_token

#: Targets of the issue, per backend: (gunicorn workers, minimum ratio to the raw command rate).
TARGETS = {"sqlite": (1, 0.6), "postgres": (2, 0.8)}
LIFECYCLE = ("report", "acknowledge", "comment", "resolve", "confirm")


class Counter(Aggregate):
    """The smallest honest aggregate: one attribute, one event per command."""

    @event("Started")
    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self) -> None:
        self.count += 1


#: Each rate is measured after this long at the same work, as the HTTP loads are (run_load's
#: warm-up): a fresh copy's first commands fill caches and would tilt the baseline.
WARMUP_SECONDS = 1.0


class RawApplication(Application[UUID]):
    """The bare library on the service's own event tables (PostgreSQL names them after this)."""

    name = "k2k"


def raw_command_rate(
    dataset: Dataset, folder: str, seconds: float, warmup: float = WARMUP_SECONDS
) -> float:
    """Commands per second with the bare library on a copy of the dataset's event store.

    The same shape as the service's lifecycle: each aggregate is created by one command and
    then loaded, changed and saved by four more, so histories stay as short as a case's. It
    reads aggregates with the same replay loop as the service (``domain.base.replay``), so the
    ratio compares the service's work with the library's, not two ways of replaying.
    """
    with working_copy(dataset, folder) as url:
        env = Settings(database_url=url).event_store_env()
        for sealing in ("MAPPER_TOPIC", "CIPHER_TOPIC"):
            env.pop(sealing)
        app = RawApplication(env=env)

        def lifecycles(for_seconds: float) -> tuple[int, float]:
            done, started = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - started) < for_seconds:
                counter = Counter()
                app.save(counter)
                for _ in range(len(LIFECYCLE) - 1):
                    counter = app.repository.get(counter.id, projector_func=replay)  # type: ignore[arg-type]
                    counter.increment()
                    app.save(counter)
                done += len(LIFECYCLE)
            return done, elapsed

        try:
            lifecycles(warmup)
            done, elapsed = lifecycles(seconds)
            return done / elapsed
        finally:
            app.close()


def _report_body(cast: Cast, number: int) -> dict[str, Any]:
    return {
        "ppr": cast.ppr_code,
        "category": cast.category,
        "block": cast.block,
        "common_area": "lobi lif",
        "title": f"Lif rosak lagi ({number})",
        "description": "Lif tidak bergerak sejak pagi; warga emas terpaksa naik tangga.",
    }


def live_cases(runtime: Runtime, cast: Cast, cases: int, start: int = 0) -> int:
    """Walk ``cases`` new cases through their life on ``K2K`` directly; returns commands made."""
    app, manager = runtime.app, Actor(cast.management, Role.MANAGEMENT)
    for number in range(start, start + cases):
        resident = Actor(cast.residents[number % len(cast.residents)], Role.RESIDENT)
        body = _report_body(cast, number)
        case_id = app.report_case(
            resident,
            ppr_code=cast.ppr_code,
            location=Location(cast.block, common_area=body["common_area"]),
            category_code=cast.category,
            title=body["title"],
            description=body["description"],
            channel=Channel.APP,
        ).id
        app.acknowledge_case(manager, case_id)
        app.comment_on_case(manager, case_id, text="Juruteknik akan datang esok pagi.")
        app.resolve_case(manager, case_id, note="Motor lif diganti.")
        app.confirm_resolution(resident, case_id, rating=4)
    return cases * len(LIFECYCLE)


def in_process_rate(
    dataset: Dataset, folder: str, seconds: float, warmup: float = WARMUP_SECONDS
) -> float:
    """The lifecycle's commands per second called on ``K2K`` directly (no HTTP, one thread)."""
    with working_copy(dataset, folder) as url, runtime_on(url, folder) as runtime:
        cast = cast_of(runtime)
        warmed = time.perf_counter() + warmup
        while time.perf_counter() < warmed:
            live_cases(runtime, cast, 1, start=1_000_000)
        done, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            done += live_cases(runtime, cast, 1, start=done)
        return done / elapsed


def http_rate(
    dataset: Dataset,
    folder: str,
    workers: int,
    clients: int,
    seconds: float,
) -> tuple[float, dict[str, list[float]]]:
    """Commands per second over HTTP through gunicorn with ``workers`` sync workers."""
    with working_copy(dataset, folder) as url:
        with runtime_on(url, folder) as runtime:
            cast = cast_of(runtime)
            manager_token, _ = issue_token(
                runtime.engine,
                runtime.app,
                role=Role.MANAGEMENT,
                name="Bench officer",
                ppr_codes=[cast.ppr_code],
                principal_id=cast.management,
            )
            resident_tokens = [
                issue_token(
                    runtime.engine,
                    runtime.app,
                    role=Role.RESIDENT,
                    name=f"Bench resident {n}",
                    ppr_codes=[cast.ppr_code],
                    principal_id=cast.residents[n % len(cast.residents)],
                )[0]
                for n in range(clients)
            ]
        with gunicorn(service_env(url, folder), workers, log=Path(folder) / "gunicorn.log") as base:
            connections = [
                (Client(base, resident_tokens[n]), Client(base, manager_token))
                for n in range(clients)
            ]

            def lifecycle(number: int, iteration: int, record: Any) -> None:
                resident, manager = connections[number]
                started = time.perf_counter()
                case = resident.request(
                    "POST",
                    "/api/v1/cases",
                    _report_body(cast, number * 1_000_000 + iteration),
                    expect=201,
                )
                record("report", started)
                path = f"/api/v1/cases/{case['id']}"
                steps: tuple[tuple[str, Client, dict[str, Any]], ...] = (
                    ("acknowledge", manager, {}),
                    ("comment", manager, {"text": "Juruteknik akan datang esok pagi."}),
                    ("resolve", manager, {"note": "Motor lif diganti."}),
                    ("confirm", resident, {"rating": 4}),
                )
                for step, client, body in steps:
                    started = time.perf_counter()
                    client.request("POST", f"{path}/{step}", body)
                    record(step, started)

            load = run_load(clients, seconds, lifecycle, warmup=WARMUP_SECONDS)
            for pair in connections:
                for client in pair:
                    client.close()
    if load.errors:
        raise ServiceError("; ".join(load.errors[:3]))
    return load.rate, load.latencies_ms


def run(dataset: Dataset, seconds: float = 10.0, warmup: float = WARMUP_SECONDS) -> Report:
    """Measure the raw rate, the in-process rate and HTTP with one and two gunicorn workers.

    The raw and in-process rates are measured after ``warmup`` seconds of the same work; the
    HTTP loads always warm up for ``WARMUP_SECONDS`` (a worker's first requests are slow).
    """
    report = Report("commands", dataset.backend, dataset.events)
    target_workers, target_ratio = TARGETS[dataset.backend]
    with tempfile.TemporaryDirectory(prefix="k2k-bench-") as folder:
        raw = raw_command_rate(dataset, folder, seconds, warmup)
        report.add(Row("raw library get -> mutate -> save (baseline)", raw, "commands/s"))
        in_process = in_process_rate(dataset, folder, seconds, warmup)
        report.add(ratio_row("K2K commands in-process, 1 thread", in_process, "commands/s", raw))
        for workers in (1, 2):
            clients = 2 * workers
            rate, latencies = http_rate(dataset, folder, workers, clients, seconds)
            row = report.add(
                ratio_row(
                    f"HTTP commands, gunicorn {workers} worker{'s' if workers > 1 else ''}, "
                    f"{clients} clients",
                    rate,
                    "commands/s",
                    raw,
                    target_ratio if workers == target_workers else None,
                )
            )
            row.extra = {
                step: {"n": len(values), "median_ms": sorted(values)[len(values) // 2]}
                for step, values in latencies.items()
            }
    report.notes.append(
        "each HTTP command is one POST recording one event (report, acknowledge, comment, "
        "resolve, confirm); clients run in this process's threads on the same two cores"
    )
    return report
