"""How fast the relay turns the event log into notification jobs, next to reading the raw log.

    python -m bench.relay [--backend sqlite|postgres] [--cases 300] [--repeat 3]

Each run builds a fresh store (a PPR, its committee and management, residents who report and
support cases through a short life), then measures, in the same run: reading and decoding the
whole log (the floor any follower pays), the relay catching up from position 0 into the embedded
jobs table (messages and deliveries written, jobs queued), and running every queued delivery.
Figures are medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

import psycopg

from domain.actors import Actor, Role
from domain.case import Channel, Location
from domain.ppr import SlaTargets
from service.runtime import Runtime
from service.settings import Settings
from workers.people import ensure_person

ADMIN = Actor("admin", Role.ADMIN)
MANAGER = Actor("manager-0", Role.MANAGEMENT)
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def seed(runtime: Runtime, cases: int) -> int:
    """A PPR with 3 committee members, 3 officers and residents; returns the events recorded."""
    app = runtime.app
    app.register_ppr(ADMIN, "BENCH", "PPR Bench")
    app.add_block(ADMIN, "BENCH", "A", "Blok A", 20)
    app.add_category(ADMIN, "BENCH", "LIFT", "Lif", "Lift", SlaTargets(24, 48, 168))
    for number in range(3):
        for role in ("committee", "management"):
            ensure_person(runtime.engine, f"{role}-{number}", f"{role} {number}", role, ["BENCH"])
    for number in range(cases):
        reporter = Actor(f"resident-{number}", Role.RESIDENT)
        neighbour = Actor(f"resident-{number + 1}", Role.RESIDENT)
        for actor in (reporter, neighbour):
            ensure_person(
                runtime.engine, actor.principal_id, actor.principal_id, "resident", ["BENCH"]
            )
        case_id = app.report_case(
            reporter,
            ppr_code="BENCH",
            location=Location("A", common_area="lobi"),
            category_code="LIFT",
            title=f"Lif rosak {number}",
            description="Lif tidak bergerak.",
            channel=Channel.APP,
        ).id
        app.support_case(neighbour, case_id)
        app.acknowledge_case(MANAGER, case_id)
        app.comment_on_case(MANAGER, case_id, text="Juruteknik datang esok.")
        app.resolve_case(MANAGER, case_id, note="Motor diganti.")
    return app.recorder.max_notification_id() or 0


def read_log(runtime: Runtime) -> float:
    """Seconds to page through and decode the whole log, 500 at a time."""
    started = time.perf_counter()
    position = 0
    while True:
        page = runtime.app.recorder.select_notifications(
            start=position, limit=500, inclusive_of_start=False
        )
        if not page:
            return time.perf_counter() - started
        for notification in page:
            runtime.app.mapper.to_domain_event(notification)
        position = page[-1].id


def one_run(backend: str, cases: int) -> dict[str, float]:
    """Figures of one fresh store."""
    with tempfile.TemporaryDirectory() as folder:
        database = None
        if backend == "sqlite":
            url = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        else:
            database = f"k2k_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{database}"')
            url = POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{database}"
        settings = replace(
            Settings(database_url=url, background=False), outbox_dir=str(Path(folder) / "outbox")
        )
        runtime = Runtime.from_settings(settings)
        try:
            events = seed(runtime, cases)
            raw = read_log(runtime)
            started = time.perf_counter()
            runtime.relay.catch_up()
            relayed = time.perf_counter() - started
            started = time.perf_counter()
            jobs = runtime.run_embedded_jobs()
            while more := runtime.run_embedded_jobs():
                jobs += more
            delivered = time.perf_counter() - started
        finally:
            runtime.close()
            if database:
                with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return {
        "events": events,
        "raw_events_per_s": events / raw,
        "relay_events_per_s": events / relayed,
        "jobs": jobs,
        "deliveries_per_s": jobs / delivered,
    }


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = [one_run(args.backend, args.cases) for _ in range(args.repeat)]
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    print(f"relay benchmark: {args.backend}, {args.cases} cases, median of {args.repeat}")
    print(f"  events in the log          {median['events']:>10.0f}")
    print(f"  raw log read + decode      {median['raw_events_per_s']:>10.0f} events/s  (baseline)")
    print(
        f"  relay catch-up             {median['relay_events_per_s']:>10.0f} events/s  "
        f"({median['relay_events_per_s'] / median['raw_events_per_s']:.3f} x raw)"
    )
    print(f"  jobs run (outbox files)    {median['jobs']:>10.0f}")
    print(f"  deliveries                 {median['deliveries_per_s']:>10.0f} /s")


if __name__ == "__main__":
    main()
