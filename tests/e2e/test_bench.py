"""Every benchmark suite runs end to end at a tiny scale, so none of them rots.

Nothing here is timed: the figures of a tiny run mean nothing. What is checked is that each suite
measures its baseline and the service against a real server and real storage, and reports both
in its table and its JSON file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench import audit, commands, lag, reads, rebuild, relay, webhooks
from bench.__main__ import main
from bench.common import Report, percentile
from bench.datasets import Dataset, forget, parse_scale, prepare, scale_name
from bench.summary import tables
from tests.conftest import require_postgres, require_redis

TINY = 400
#: Where each backend's tiny dataset is kept during this module.
CACHES: dict[str, Path] = {}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def dataset(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dataset]:
    """A tiny generated store with its read models built, shared by this module's tests."""
    if request.param == "postgres":
        require_postgres()
    cache = CACHES[request.param] = tmp_path_factory.mktemp("bench-data")
    made = prepare(request.param, TINY, progress=False, cache=cache)
    yield made
    forget(made, cache)


def rows_of(report: Report) -> dict[str, float]:
    """Each row's value by its measure."""
    return {row.measure: row.value for row in report.rows}


def assert_written(report: Report, folder: Path) -> dict[str, object]:
    """The report's JSON file holds its rows and the machine it ran on."""
    written = json.loads(report.write(folder).read_text())
    assert written["suite"] == report.suite
    assert written["machine"]["cores"] >= 1
    assert [row["measure"] for row in written["rows"]] == [row.measure for row in report.rows]
    return dict(written)


def test_scales_read_as_people_write_them() -> None:
    assert [parse_scale(text) for text in ("10k", "100k", "1M", "2500")] == [
        10_000,
        100_000,
        1_000_000,
        2_500,
    ]
    assert [scale_name(events) for events in (10_000, 1_000_000, 300)] == ["10k", "1M", "300"]
    with pytest.raises(ValueError, match="not a scale"):
        parse_scale("lots")


def test_a_percentile_is_a_value_that_was_measured() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


def test_a_kept_dataset_is_reused_not_generated_again(dataset: Dataset) -> None:
    assert dataset.events >= TINY
    # The same timings come back: they were read from the kept dataset, not measured anew.
    assert prepare(dataset.backend, TINY, progress=False, cache=CACHES[dataset.backend]) == dataset


def test_the_rebuild_suite_compares_rebuilding_every_read_model_with_the_raw_read(
    dataset: Dataset, tmp_path: Path
) -> None:
    report = rebuild.run(dataset)
    figures = rows_of(report)
    raw = figures["raw select_notifications + decode (baseline)"]
    rebuilt = next(row for row in report.rows if row.measure.startswith("every read model"))
    assert raw > 0 and rebuilt.value > 0
    assert rebuilt.ratio == pytest.approx(rebuilt.value / raw)
    assert rebuilt.target == "ratio >= 0.1" and isinstance(rebuilt.met, bool)
    assert report.details["events_rebuilt"] == dataset.events  # the whole log, once
    shares = [row for row in report.rows if row.measure.strip().startswith("of which")]
    assert {"case_list", "case_metrics", "audit_log"} <= {row.measure.split()[-1] for row in shares}
    assert sum(row.extra["share"] for row in shares) == pytest.approx(1.0)
    assert "rebuild: " in report.table()
    assert_written(report, tmp_path)
    markdown = tables(tmp_path)
    assert "### rebuild" in markdown and "every read model rebuilt in one pass" in markdown


def test_the_rebuild_suite_can_report_the_datasets_own_timed_build(dataset: Dataset) -> None:
    report = rebuild.from_build(dataset)
    raw, built = report.rows
    assert built.value == pytest.approx(dataset.events / dataset.built_seconds)
    assert built.ratio == pytest.approx(built.value / raw.value)
    assert "dataset was built" in report.notes[0]


def test_the_commands_suite_measures_the_raw_library_in_process_and_http_with_two_servers(
    dataset: Dataset, tmp_path: Path
) -> None:
    report = commands.run(dataset, seconds=0.5, warmup=0.2)
    measures = [row.measure for row in report.rows]
    assert measures[0].startswith("raw library")
    http = [row for row in report.rows if row.measure.startswith("HTTP commands")]
    assert [row.measure.split(",")[1].strip() for row in http] == [
        "gunicorn 1 worker",
        "gunicorn 2 workers",
    ]
    assert all(row.value > 0 and row.ratio is not None for row in report.rows[1:])
    # Every step of a case's life was answered, and the backend's target is on its row.
    assert all(set(row.extra) == set(commands.LIFECYCLE) for row in http)
    assert sum(row.target is not None for row in http) == 1
    assert_written(report, tmp_path)


def test_the_reads_suite_gives_each_endpoint_a_p50_and_a_p99(
    dataset: Dataset, tmp_path: Path
) -> None:
    report = reads.run(dataset, seconds=1.0, most=8)
    assert len(report.rows) == 8
    for row in report.rows:
        assert row.extra["n"] > 0, row.measure
        assert 0 < row.extra["p50_ms"] <= row.extra["p99_ms"] == row.value
        assert row.target is not None and row.target.startswith("p99 <=")
    # The lists and the history answered with something to show, not empty pages.
    answered = report.details["answers_with_items"]
    assert all(answered.get(row.measure, 0) > 0 for row in report.rows[:3]), answered
    assert_written(report, tmp_path)


def test_the_lag_suite_sees_each_report_in_the_read_models_and_as_a_webhook(
    dataset: Dataset, tmp_path: Path
) -> None:
    if dataset.backend == "postgres":
        require_redis()  # production mode runs its jobs on rq
    report = lag.run(dataset, commands=3, pause=0.05)
    projected, delivered = report.rows
    assert projected.extra["n"] == delivered.extra["n"] == 3
    assert report.details["lost"] == 0
    assert projected.target == "p99 <= 1000 ms"
    assert_written(report, tmp_path)


@pytest.mark.parametrize(
    "suite",
    [
        pytest.param(lambda dataset: relay.run(dataset, jobs=50), id="relay"),
        pytest.param(lambda dataset: webhooks.run(dataset, cases=20, deliveries=20), id="webhooks"),
        pytest.param(audit.run, id="audit"),
    ],
)
def test_the_relay_webhook_and_audit_suites_report_against_their_baselines(
    dataset: Dataset, tmp_path: Path, suite: Callable[[Dataset], Report]
) -> None:
    report = suite(dataset)
    assert report.rows[0].ratio is None  # the baseline comes first
    assert all(row.value > 0 for row in report.rows)
    assert any(row.ratio is not None for row in report.rows)
    assert_written(report, tmp_path)


def test_the_entry_point_runs_the_chosen_suite_and_writes_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "rebuild",
            "--backend",
            "sqlite",
            "--scale",
            str(TINY),
            "--quiet",
            "--data",
            str(tmp_path / "data"),
            "--results",
            str(tmp_path / "results"),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "rebuild: sqlite" in printed
    written = list((tmp_path / "results").glob("rebuild-sqlite-*.json"))
    assert len(written) == 1


def test_the_entry_point_refuses_an_unknown_suite(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["nonsense", "--quiet"])
    assert exit_.value.code == 2
    assert "unknown suite 'nonsense'" in capsys.readouterr().err
