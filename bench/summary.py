"""``python -m bench.summary``: the results under ``bench/results/`` as Markdown tables.

One table per suite, a column per backend and scale, so docs/performance.md can show the latest
figures exactly as they were measured (``--results`` reads another folder).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import RESULTS
from bench.datasets import scale_name

SUITE_ORDER = ("commands", "rebuild", "reads", "lag", "relay", "webhooks", "audit")


def _scale(events: int) -> str:
    # Generated stores end a little past their target (10,018 for 10k): name the target.
    for target in (1_000_000, 100_000, 10_000):
        if target <= events < target * 1.01:
            return scale_name(target)
    return f"{events:,}"


def _cell(row: dict[str, Any]) -> str:
    if row["unit"].startswith("ms"):
        p50 = row["extra"].get("p50_ms")
        text = f"{p50:,.1f} / {row['value']:,.1f}" if p50 is not None else f"{row['value']:,.2f}"
    elif row["unit"] == "s":
        text = f"{row['value']:,.1f} s"
    else:
        text = f"{row['value']:,.0f}"
    if row.get("ratio") is not None:
        text += f" ({row['ratio']:.2f}x)"
    if row.get("met") is False:
        text += " **missed**"
    elif row.get("met") is True:
        text += " met"
    return text


def tables(folder: Path = RESULTS) -> str:
    """Markdown tables of every result file in ``folder``."""
    reports: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted(folder.glob("*.json")):
        report = json.loads(path.read_text())
        reports[report["suite"]].append(report)
    out = []
    for suite in sorted(reports, key=lambda name: (*SUITE_ORDER, name).index(name)):
        runs = sorted(reports[suite], key=lambda report: (report["backend"], report["scale"]))
        columns = [f"{run['backend']} {_scale(run['scale'])}" for run in runs]
        measures: list[str] = []
        for run in runs:
            measures += [row["measure"] for row in run["rows"] if row["measure"] not in measures]
        units = {row["measure"]: row["unit"] for run in runs for row in run["rows"]}
        out.append(f"### {suite}\n")
        out.append("| measure | unit | " + " | ".join(columns) + " |")
        out.append("|---|---|" + "---|" * len(columns))
        for measure in measures:
            cells = []
            for run in runs:
                row = next((row for row in run["rows"] if row["measure"] == measure), None)
                cells.append(_cell(row) if row else "")
            unit = "ms p50 / p99" if units[measure].startswith("ms p99") else units[measure]
            out.append(f"| {measure.strip()} | {unit} | " + " | ".join(cells) + " |")
        notes = sorted({note for run in runs for note in run["notes"]})
        out.extend(["", *(f"- {note}" for note in notes), ""])
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    print(tables(parser.parse_args(argv).results))


if __name__ == "__main__":
    main()
