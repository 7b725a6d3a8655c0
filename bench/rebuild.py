"""rebuild: every read model rebuilt from zero, next to reading and decoding the raw log.

Baseline, in the same run on the same copy of the store: the library's ``select_notifications``
in pages of 500 and the mapper's decode of every record (what any follower pays before doing
anything). The service: ``ProjectionRunner.rebuild_together()``, which drops every read model and
replays the log into all of them in one pass, as ``k2k projections rebuild`` does. Each
projection's own share of the time is measured inside that pass.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bench.common import Report, Row, median, ratio_row, read_log, runtime_on
from bench.datasets import Dataset, working_copy
from projections.engine import Projection

#: Rebuild at least this fraction of the raw read-and-decode rate (the issue's target).
TARGET_RATIO = 0.1


def _timed(projection: Projection, spent: dict[str, float]) -> None:
    """Make ``projection`` add the time of each of its hooks to ``spent[its name]``."""
    for hook in ("prefetch", "apply_stored", "end_batch"):
        original: Callable[..., Any] = getattr(projection, hook)

        def timed(*args: Any, _original: Callable[..., Any] = original) -> Any:
            started = time.perf_counter()
            try:
                return _original(*args)
            finally:
                spent[projection.name] += time.perf_counter() - started

        setattr(projection, hook, timed)


def from_build(dataset: Dataset) -> Report:
    """The rebuild figure of the dataset's own build, next to a raw read of the kept store.

    Making a dataset ends with the same ``rebuild_together()`` from zero, timed; this reuses
    that figure instead of rebuilding a large store again. The raw read runs now, on the kept
    store (reading changes nothing), so the two were not measured side by side.
    """
    report = Report("rebuild", dataset.backend, dataset.events)
    with (
        tempfile.TemporaryDirectory(prefix="k2k-bench-") as folder,
        runtime_on(dataset.database_url, folder) as runtime,
    ):
        events, seconds = read_log(runtime, page=runtime.runner.rebuild_batch_size)
    raw = events / seconds
    report.add(Row("raw select_notifications + decode (baseline)", raw, "events/s"))
    report.add(
        ratio_row(
            "every read model rebuilt in one pass (the dataset's build)",
            dataset.events / dataset.built_seconds,
            "events/s",
            raw,
            TARGET_RATIO,
        )
    )
    report.notes.append(
        "rebuild timed when the dataset was built; the raw read measured afterwards, not "
        "interleaved with it"
    )
    return report


def run(dataset: Dataset, repeat: int = 1, shares_up_to: int = 200_000) -> Report:
    """Measure the raw read and decode and the one-pass rebuild of every read model.

    The headline passes run unwrapped. Each projection's share is measured in one more pass
    with a timer around its hooks, on stores of up to ``shares_up_to`` events (the shares do not
    change with scale, and at a million events the extra pass costs minutes).
    """
    report = Report("rebuild", dataset.backend, dataset.events)
    with (
        tempfile.TemporaryDirectory(prefix="k2k-bench-") as folder,
        working_copy(dataset, folder) as url,
        runtime_on(url, folder) as runtime,
    ):
        runner = runtime.runner
        raw_rates, rebuild_rates, totals = [], [], []
        for _ in range(repeat):
            events, seconds = read_log(runtime, page=runner.rebuild_batch_size)
            raw_rates.append(events / seconds)
            started = time.perf_counter()
            applied = runner.rebuild_together()
            totals.append(time.perf_counter() - started)
            rebuild_rates.append(applied / totals[-1])
        raw, rebuilt = median(raw_rates), median(rebuild_rates)
        report.add(Row("raw select_notifications + decode (baseline)", raw, "events/s"))
        report.add(
            ratio_row(
                f"every read model rebuilt in one pass ({len(runner.projections)} projections)",
                rebuilt,
                "events/s",
                raw,
                TARGET_RATIO,
            )
        )
        report.details = {
            "raw_rates": raw_rates,
            "rebuild_rates": rebuild_rates,
            "events_rebuilt": applied,
        }
        if dataset.events > shares_up_to:
            report.notes.append(
                f"per-projection shares are measured on stores of up to {shares_up_to:,} events"
            )
            return report
        spent: dict[str, float] = defaultdict(float)
        for projection in runner.projections.values():
            _timed(projection, spent)
        started = time.perf_counter()
        runner.rebuild_together()
        total = time.perf_counter() - started
        for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
            report.add(Row(f"  of which {name}", seconds, "s", extra={"share": seconds / total}))
        report.add(
            Row(
                "  of which reading, decoding, transactions",
                total - sum(spent.values()),
                "s",
                extra={"share": 1 - sum(spent.values()) / total},
            )
        )
    return report
