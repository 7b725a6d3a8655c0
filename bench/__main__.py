"""``python -m bench [suite ...] --backend sqlite|postgres|all --scale 10k[,100k,1M]``.

Each suite runs on a generated dataset of the given scale (made once and kept under
``var/bench/``; see ``bench.datasets``), prints a table and writes
``bench/results/<suite>-<backend>-<events>.json``. With no suite named, the four headline suites
run: commands, rebuild, reads and lag; relay, webhooks and audit measure those parts alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import audit, commands, lag, reads, rebuild, relay, webhooks
from bench.common import BACKENDS, RESULTS, Report
from bench.datasets import CACHE, Dataset, parse_scale, prepare, scale_name

#: What each suite needs besides the dataset: its time or size budget from the options.
SUITES: dict[str, Callable[[Dataset, argparse.Namespace], Report]] = {
    "commands": lambda dataset, options: commands.run(dataset, seconds=options.seconds),
    "rebuild": lambda dataset, options: (
        rebuild.from_build(dataset)
        if options.rebuild_from_build
        else rebuild.run(dataset, repeat=options.repeat)
    ),
    "reads": lambda dataset, options: reads.run(
        dataset, seconds=4 * options.seconds, clients=options.clients
    ),
    "lag": lambda dataset, options: lag.run(dataset, commands=options.lag_commands),
    "relay": lambda dataset, options: relay.run(dataset),
    "webhooks": lambda dataset, options: webhooks.run(dataset),
    "audit": lambda dataset, options: audit.run(dataset),
}
HEADLINE = ("commands", "rebuild", "reads", "lag")


def _scales(text: str) -> list[int]:
    try:
        return [parse_scale(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def parser() -> argparse.ArgumentParser:
    """The command line."""
    parse = argparse.ArgumentParser(
        prog="python -m bench", description=(__doc__ or "").splitlines()[0]
    )
    parse.add_argument("suites", nargs="*", metavar="suite", help=f"any of: {', '.join(SUITES)}")
    parse.add_argument("--backend", choices=[*BACKENDS, "all"], default="sqlite")
    parse.add_argument(
        "--scale", type=_scales, default=[10_000], help="events: 10k, 100k, 1M, or a list"
    )
    parse.add_argument("--seed", type=int, default=2026, help="the generator's seed")
    parse.add_argument(
        "--seconds",
        type=float,
        default=10.0,
        help="measured time per load (reads: 4x this, shared by its endpoints)",
    )
    parse.add_argument("--repeat", type=int, default=1, help="rebuilds per run (median)")
    parse.add_argument("--clients", type=int, default=2, help="client threads of the reads suite")
    parse.add_argument("--lag-commands", type=int, default=200, help="reports the lag suite times")
    parse.add_argument(
        "--rebuild-from-build",
        action="store_true",
        help="rebuild: report the dataset's own timed build instead of rebuilding again",
    )
    parse.add_argument("--quiet", action="store_true", help="no progress bars")
    parse.add_argument("--data", type=Path, default=CACHE, help="where generated stores are kept")
    parse.add_argument("--results", type=Path, default=RESULTS, help="where reports are written")
    return parse


def main(argv: list[str] | None = None) -> int:
    """Run the chosen suites on every chosen backend and scale."""
    options = parser().parse_args(argv)
    names = options.suites or list(HEADLINE)
    unknown = [name for name in names if name not in SUITES]
    if unknown:
        parser().error(f"unknown suite {unknown[0]!r} (known: {', '.join(SUITES)})")
    backends = list(BACKENDS) if options.backend == "all" else [options.backend]
    for backend in backends:
        for scale in options.scale:
            dataset = prepare(
                backend, scale, seed=options.seed, progress=not options.quiet, cache=options.data
            )
            print(
                f"dataset {scale_name(scale)} on {backend}: {dataset.events:,} events "
                f"(generated in {dataset.generated_seconds:.0f} s, read models built in "
                f"{dataset.built_seconds:.0f} s)",
                flush=True,
            )
            for name in names:
                started = time.perf_counter()
                report = SUITES[name](dataset, options)
                path = report.write(options.results)
                print(report.table())
                print(f"  ({time.perf_counter() - started:.0f} s; written to {path})\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
