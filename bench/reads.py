"""reads: p50 / p99 latency of what people open most, over HTTP with concurrent clients.

On a copy of the dataset with every read model built, gunicorn with two sync workers serves
client threads that take turns over the endpoints: the case list filtered as an officer filters
it, the public board a resident sees, a case's history, and each metrics endpoint for one PPR
(plus the resolution figures over every PPR, as an auditor reads them). Latency is measured at
the client, from sending the request to the last byte of the answer.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.common import Report, latency_rows, runtime_on
from bench.datasets import Dataset, cast_of, working_copy
from bench.serving import Client, ServiceError, gunicorn, run_load, service_env
from domain.actors import Role
from projections.case_list import case_list
from service.tokens.store import ALL_PPRS, issue_token

#: The issue's targets (p99, milliseconds) at a million events.
LIST_AND_HISTORY_P99_MS = 15.0
METRICS_P99_MS = 50.0
HISTORY_SAMPLE = 2_000


def run(
    dataset: Dataset,
    seconds: float = 20.0,
    workers: int = 2,
    clients: int = 2,
    most: int | None = None,
) -> Report:
    """Measure each endpoint's latency while ``clients`` threads load the service.

    ``most`` caps the requests measured per endpoint (for smoke tests; figures need none).
    """
    report = Report("reads", dataset.backend, dataset.events)
    with (
        tempfile.TemporaryDirectory(prefix="k2k-bench-") as folder,
        working_copy(dataset, folder) as url,
    ):
        with runtime_on(url, folder) as runtime:
            cast = cast_of(runtime)
            issue = runtime.engine, runtime.app
            officer, _ = issue_token(
                *issue,
                role=Role.MANAGEMENT,
                name="Bench officer",
                ppr_codes=[cast.ppr_code],
                principal_id=cast.management,
            )
            resident, _ = issue_token(
                *issue,
                role=Role.RESIDENT,
                name="Bench resident",
                ppr_codes=[cast.ppr_code],
                principal_id=cast.residents[0],
            )
            auditor, _ = issue_token(
                *issue, role=Role.AUDITOR, name="Bench auditor", ppr_codes=[ALL_PPRS]
            )
            with runtime.engine.connect() as conn:
                case_ids = list(
                    conn.execute(
                        select(case_list.c.case_id)
                        .where(case_list.c.ppr_code == cast.ppr_code)
                        .order_by(case_list.c.case_id)
                    ).scalars()
                )
        rng = random.Random(dataset.seed)
        histories = rng.sample(case_ids, min(HISTORY_SAMPLE, len(case_ids)))
        ppr = cast.ppr_code
        endpoints: list[tuple[str, str, Callable[[int], str], float]] = [
            (
                "case list, filtered (officer)",
                "officer",
                lambda n: (
                    f"/api/v1/cases?ppr={ppr}&status=acknowledged&status=in_progress"
                    f"&category={cast.category}"
                ),
                LIST_AND_HISTORY_P99_MS,
            ),
            (
                "case list, public board by support (resident)",
                "resident",
                lambda n: f"/api/v1/cases?ppr={ppr}&sort=support",
                LIST_AND_HISTORY_P99_MS,
            ),
            (
                "case history (officer)",
                "officer",
                lambda n: f"/api/v1/cases/{histories[n % len(histories)]}/history",
                LIST_AND_HISTORY_P99_MS,
            ),
            (
                "metrics: resolution, one PPR",
                "officer",
                lambda n: f"/api/v1/metrics/resolution?ppr={ppr}",
                METRICS_P99_MS,
            ),
            (
                "metrics: priorities, one PPR",
                "officer",
                lambda n: f"/api/v1/metrics/priorities?ppr={ppr}",
                METRICS_P99_MS,
            ),
            (
                "metrics: governance, one PPR",
                "officer",
                lambda n: f"/api/v1/metrics/governance?ppr={ppr}",
                METRICS_P99_MS,
            ),
            (
                "metrics: perception, one PPR",
                "officer",
                lambda n: f"/api/v1/metrics/perception?ppr={ppr}",
                METRICS_P99_MS,
            ),
            (
                f"metrics: resolution, all {len(cast.ppr_codes)} PPRs (auditor)",
                "auditor",
                lambda n: "/api/v1/metrics/resolution",
                METRICS_P99_MS,
            ),
        ]
        tokens = {"officer": officer, "resident": resident, "auditor": auditor}
        env = service_env(url, folder)
        with gunicorn(env, workers, log=Path(folder) / "gunicorn.log") as base:
            connections = [
                {role: Client(base, token) for role, token in tokens.items()}
                for _ in range(clients)
            ]
            answered: dict[str, int] = {}  # answers with items, per endpoint that lists
            latencies: dict[str, list[float]] = {}
            errors: list[str] = []
            requests = 0
            # At least a second each, so a slow machine still gives every endpoint samples.
            window = max(seconds / len(endpoints), 1.0)
            # One window per endpoint: a slow endpoint must not starve the others of samples.
            for label, role, path, _ in endpoints:

                def read(
                    number: int,
                    iteration: int,
                    record: Any,
                    label: str = label,
                    role: str = role,
                    path: Any = path,
                ) -> None:
                    started = time.perf_counter()
                    answer = connections[number][role].request("GET", path(iteration * 7 + number))
                    record("sample", started)
                    if answer.get("items"):
                        answered[label] = answered.get(label, 0) + 1

                load = run_load(clients, window, read, warmup=0.5, most=most)
                latencies[label] = load.latencies_ms.get("sample", [])
                errors += load.errors
                requests += load.operations
            for pair in connections:
                for client in pair.values():
                    client.close()
    if errors:
        raise ServiceError("; ".join(errors[:3]))
    report.details = {"answers_with_items": answered}
    for label, _, _, target in endpoints:
        report.add(latency_rows(label, latencies[label], target))
    report.notes.append(
        f"gunicorn {workers} sync workers, {clients} client threads; each endpoint loaded on its "
        f"own for {window:.1f} s after a 0.5 s warm-up; {requests:,} requests in all"
    )
    return report
