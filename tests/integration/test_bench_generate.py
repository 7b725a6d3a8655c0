"""The benchmark generator on real storage: a legal, realistic, deterministic history, fast."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import func, select

from bench.generate import GeneratedSummary, generate
from domain.base import K2KAggregate
from domain.case import Status
from projections.case_list import case_list
from projections.governance import decisions, meetings
from projections.perception import survey_answers
from service.demo import StoreNotEmpty
from service.runtime import Runtime
from service.settings import Settings
from workers.people import get_person

EVENTS = 3_000


def stored(runtime: Runtime) -> list[tuple[str, str]]:
    """Every stored event's originator id and topic, in log order."""
    return [(originator, topic) for originator, topic, _ in recorded(runtime)]


def recorded(runtime: Runtime) -> list[tuple[str, str, datetime]]:
    """Every stored event's originator id, topic and recorded time, in log order."""
    records: list[tuple[str, str, datetime]] = []
    position = 0
    while page := runtime.app.recorder.select_notifications(
        start=position, limit=1_000, inclusive_of_start=False
    ):
        for each in page:
            event = runtime.app.mapper.to_domain_event(each)
            assert isinstance(event, K2KAggregate.Event)
            records.append((str(UUID(str(each.originator_id))), each.topic, event.timestamp))
        position = page[-1].id
    return records


def reported(records: list[tuple[str, str]]) -> list[str]:
    """The ids of the reported cases, in the order they were reported."""
    return [originator for originator, topic in records if topic.endswith("Case.Reported")]


@contextmanager
def sqlite_runtime(folder: Path) -> Iterator[Runtime]:
    """A runtime on a SQLite store of its own in ``folder``."""
    runtime = Runtime.from_settings(
        Settings(database_url=f"sqlite:///{folder / 'k2k.sqlite'}", background=False)
    )
    try:
        yield runtime
    finally:
        runtime.close()


def test_a_generated_history_is_legal_realistic_and_answers_every_read_model(
    runtime: Runtime,
) -> None:
    summary = generate(runtime, EVENTS, progress=False)
    records = recorded(runtime)
    runtime.runner.catch_up()

    # At least the events asked for, all of them in the log, which reads in the order things
    # happened across every PPR, over the simulated past.
    assert summary.events >= EVENTS
    assert len(records) == summary.events
    times = [moment for _, _, moment in records]
    assert times == sorted(times)
    assert summary.began_at <= times[0] < times[-1] <= summary.ended_at

    with runtime.engine.connect() as conn:
        cases = conn.execute(
            select(case_list.c.case_id, case_list.c.ppr_code, case_list.c.category_code)
        ).all()
        statuses = set(conn.execute(select(case_list.c.status).distinct()).scalars())
        meetings_held = conn.execute(
            select(func.count()).select_from(meetings).where(meetings.c.held_at.is_not(None))
        ).scalar_one()
        decided = conn.execute(select(func.count()).select_from(decisions)).scalar_one()
        answered = conn.execute(
            select(func.count(func.distinct(survey_answers.c.response_id)))
        ).scalar_one()

    # Cases spread over several PPRs and categories, in every state of the lifecycle.
    assert len(cases) == summary.cases
    assert len({ppr for _, ppr, _ in cases}) == summary.pprs >= 3
    assert len({category for _, _, category in cases}) >= 8
    assert statuses == {status.value for status in Status}

    # Every case has between 5 and 50 events (its own and those its meetings gave it).
    per_case = Counter(originator for originator, _, _ in records)
    counts = [per_case[case_id] for case_id, _, _ in cases]
    assert min(counts) >= 5
    assert max(counts) <= 50

    # Governance and perception: committees meet, decide, and residents answer surveys.
    assert summary.committees == summary.pprs
    assert 0 < summary.decisions < summary.meetings
    assert meetings_held > 0
    assert decided == summary.decisions
    assert answered == summary.survey_responses > 0

    # The people a suite acts as exist, in their PPR.
    for scheme in summary.schemes:
        assert scheme.blocks and scheme.categories and len(scheme.residents) >= 3
        for principal_id in (scheme.committee, scheme.management, *scheme.residents):
            person = get_person(runtime.engine, principal_id)
            assert person is not None
            assert scheme.code in person.ppr_codes


def test_the_same_seed_gives_the_same_history_and_progress_can_be_silenced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    histories: list[tuple[GeneratedSummary, list[tuple[str, str]]]] = []
    for run, progress in enumerate((False, True)):
        folder = tmp_path / f"run-{run}"
        with sqlite_runtime(folder) as runtime:
            summary = generate(runtime, 400, seed=7, progress=progress)
            histories.append((summary, stored(runtime)))
            err = capsys.readouterr().err
            # Silent when asked; otherwise a progress line on stderr.
            assert ("events" in err) is progress
    (first, first_log), (second, second_log) = histories
    assert first.events >= 400
    # Meetings and surveys get fresh random ids; the cases and the order of events do not change.
    assert [topic for _, topic in first_log] == [topic for _, topic in second_log]
    assert reported(first_log) == reported(second_log)
    assert (first.cases, first.meetings, first.schemes) == (
        second.cases,
        second.meetings,
        second.schemes,
    )
    with sqlite_runtime(tmp_path / "other-seed") as runtime:
        generate(runtime, 400, seed=8, progress=False)
        assert reported(stored(runtime)) != reported(first_log)


def test_only_an_empty_store_takes_a_generated_history(tmp_path: Path) -> None:
    with sqlite_runtime(tmp_path) as runtime:
        generate(runtime, 300, progress=False)
        with pytest.raises(StoreNotEmpty):
            generate(runtime, 300, progress=False)
