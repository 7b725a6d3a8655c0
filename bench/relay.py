"""relay: how fast the relay turns the log into notification jobs, next to reading the raw log.

On a copy of the dataset, in the same run: reading and decoding the whole log (the floor any
follower pays); the relay catching up from position 0 into the embedded jobs table (messages
planned, jobs queued), as after a long outage; and running the first ``deliveries`` of the queued
jobs (messages written to the outbox).
"""

from __future__ import annotations

import tempfile
import time

from sqlalchemy import update

from bench.common import Report, Row, ratio_row, read_log, runtime_on
from bench.datasets import Dataset, working_copy
from projections.engine import tracking
from workers.relay import RELAY_NAME


def run(dataset: Dataset, jobs: int = 2_000) -> Report:
    """Measure the raw read, the relay's catch-up from 0 and running ``jobs`` of its jobs."""
    report = Report("relay", dataset.backend, dataset.events)
    with (
        tempfile.TemporaryDirectory(prefix="k2k-bench-") as folder,
        working_copy(dataset, folder) as url,
        runtime_on(url, folder) as runtime,
    ):
        events, seconds = read_log(runtime)
        raw = events / seconds
        report.add(Row("raw select_notifications + decode (baseline)", raw, "events/s"))
        with runtime.engine.begin() as conn:
            conn.execute(update(tracking).where(tracking.c.name == RELAY_NAME).values(position=0))
        started = time.perf_counter()
        runtime.relay.catch_up()
        relayed = events / (time.perf_counter() - started)
        report.add(ratio_row("relay catch-up from 0 (jobs queued)", relayed, "events/s", raw))
        done, started = 0, time.perf_counter()
        while done < jobs and (ran := runtime.run_embedded_jobs()):
            done += ran
        elapsed = time.perf_counter() - started
        report.add(Row(f"notification jobs run (first {done:,})", done / elapsed, "jobs/s"))
    return report
