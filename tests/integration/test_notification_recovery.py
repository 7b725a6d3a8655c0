"""What the relay and the sweeps recover: lost jobs, poison events, a relay meeting an old store,
and the reminder of a decision that falls due."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from domain.clock import MALAYSIA
from projections.engine import tracking
from service.runtime import Runtime
from service.settings import Settings
from tests.integration.notification_world import Notified, notified
from tests.unit.governance_world import TODAY
from tests.unit.world import MANAGER, REPORTER
from workers import rules
from workers.relay import GIVE_UP_AFTER, RELAY_NAME, Relay
from workers.tables import queued_jobs, relay_skipped


@pytest.fixture
def scenario(settings: Settings, tmp_path: Path) -> Iterator[Notified]:
    # With an outbox folder every message has a delivery that needs a job (writing its file).
    runtime = Runtime.from_settings(replace(settings, outbox_dir=str(tmp_path / "outbox")))
    try:
        with notified(runtime) as each:
            yield each
    finally:
        runtime.close()


def lose_every_queued_job(scenario: Notified) -> None:
    """As if the queue's storage (Redis without persistence) had been wiped."""
    with scenario.runtime.engine.begin() as conn:
        conn.execute(delete(queued_jobs))


def test_deliveries_whose_jobs_were_lost_are_queued_again_by_the_sweep(scenario: Notified) -> None:
    scenario.world.report(REPORTER)
    scenario.runtime.runner.catch_up()
    scenario.runtime.relay.catch_up()
    lose_every_queued_job(scenario)
    assert {row.status for row in scenario.deliveries()} == {"pending"}

    scenario.clock.advance(minutes=2)
    queued = scenario.runtime.notifier.requeue_due()
    scenario.drain()

    assert queued == 4  # the committee and management of the PPR, one outbox delivery each
    assert {row.status for row in scenario.deliveries()} == {"sent"}


def test_sla_checks_lost_with_the_queue_are_found_again_by_the_sla_sweep(
    scenario: Notified,
) -> None:
    case_id = scenario.world.report(REPORTER)
    scenario.drain()
    lose_every_queued_job(scenario)

    scenario.clock.advance(hours=25)  # the 24 h to acknowledge ran out with no check left
    scenario.drain()
    assert not any(type(e).__name__ == "SlaBreached" for e in scenario.world.events(case_id))

    scenario.runtime.notifier.sweep_sla()
    scenario.drain()

    breaches = [
        e.target for e in scenario.world.events(case_id) if type(e).__name__ == "SlaBreached"
    ]
    assert breaches == ["acknowledge"]
    # The sweep after that finds the breach recorded and queues nothing more for it.
    scenario.runtime.runner.catch_up()
    scenario.runtime.notifier.sweep_sla()
    scenario.drain()
    assert (
        len([e for e in scenario.world.events(case_id) if type(e).__name__ == "SlaBreached"]) == 1
    )


def test_an_event_that_always_fails_is_set_aside_and_the_ones_after_it_are_relayed(
    scenario: Notified, monkeypatch: pytest.MonkeyPatch
) -> None:
    poisoned = scenario.world.report(REPORTER, title="Kes beracun")
    scenario.world.report(REPORTER, title="Kes biasa")
    scenario.runtime.runner.catch_up()
    plan = rules.plan_event

    def failing(facts: Any, event: Any, notification_id: int) -> Any:
        if event.originator_id == poisoned:
            raise RuntimeError("this event cannot be planned")
        return plan(facts, event, notification_id)

    monkeypatch.setattr("workers.relay.plan_event", failing)
    monkeypatch.setattr("workers.relay.GIVE_UP_AFTER_SECONDS", 0.0)  # as if it failed all along
    for _ in range(GIVE_UP_AFTER - 1):
        with pytest.raises(RuntimeError):
            scenario.runtime.relay.catch_up()
    scenario.drain()

    with scenario.runtime.engine.connect() as conn:
        [skipped] = conn.execute(select(relay_skipped)).all()
    assert skipped.originator_id == str(poisoned)
    assert "cannot be planned" in skipped.error
    assert scenario.runtime.relay.status()["skipped_events"] == 1
    subjects = [m.subject for m in scenario.outbox("manager-1")]
    assert len(subjects) == 1 and "Kes biasa" in subjects[0]

    # Its cause fixed, an admin has the set-aside event relayed after all.
    monkeypatch.setattr("workers.relay.plan_event", plan)
    assert scenario.runtime.relay.replay_skipped(skipped.notification_id) is True
    scenario.drain()
    assert len(scenario.outbox("manager-1")) == 2
    assert scenario.runtime.relay.status()["skipped_events"] == 0
    assert scenario.runtime.relay.replay_skipped(skipped.notification_id) is False


def test_a_database_that_keeps_failing_is_waited_out_and_no_event_is_set_aside(
    scenario: Notified, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    scenario.world.report(REPORTER)
    scenario.runtime.runner.catch_up()

    def database_away(*_: Any) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr("workers.relay.plan_event", database_away)
    monkeypatch.setattr("workers.relay.GIVE_UP_AFTER_SECONDS", 0.0)
    for _ in range(GIVE_UP_AFTER * 2):
        with pytest.raises(OperationalError):
            scenario.runtime.relay.catch_up()
    monkeypatch.undo()
    scenario.drain()

    assert scenario.runtime.relay.status()["skipped_events"] == 0
    assert [m.kind for m in scenario.outbox("manager-1")] == ["case.reported"]


def test_a_sweep_queues_one_job_per_lost_delivery_however_often_it_runs(
    scenario: Notified,
) -> None:
    scenario.world.report(REPORTER)
    scenario.runtime.runner.catch_up()
    scenario.runtime.relay.catch_up()
    lose_every_queued_job(scenario)
    scenario.clock.advance(minutes=2)

    queued = [scenario.runtime.notifier.requeue_due() for _ in range(5)]

    assert queued == [4, 0, 0, 0, 0]


def test_a_relay_meeting_a_store_that_already_has_events_starts_at_its_head(
    scenario: Notified,
) -> None:
    scenario.world.report(REPORTER)
    with scenario.runtime.engine.begin() as conn:
        conn.execute(delete(tracking).where(tracking.c.name == RELAY_NAME))
    runtime = scenario.runtime
    relay = Relay(runtime.app, runtime.engine, runtime.notifier, runtime.queue)

    assert relay.initialise() == runtime.app.recorder.max_notification_id()
    assert relay.catch_up() == 0
    assert scenario.outbox("manager-1") == []


def test_management_and_the_committee_are_reminded_on_the_morning_a_decision_is_due(
    scenario: Notified,
) -> None:
    case_id = scenario.world.report(REPORTER)
    decision_id = scenario.governance.decided(case_id)  # due in 30 days
    scenario.world.app.acknowledge_case(MANAGER, case_id)
    scenario.world.app.comment_on_case(MANAGER, case_id, text="Dalam tindakan.")
    scenario.news()

    due_morning = datetime.combine(TODAY + timedelta(days=30), datetime.min.time(), MALAYSIA)
    scenario.clock.set(due_morning.replace(hour=8, minute=59).astimezone(UTC))
    assert "decision.due" not in str(scenario.news())

    scenario.clock.set(due_morning.replace(hour=9, minute=1).astimezone(UTC))
    news = scenario.news()

    for person in ("manager-1", "manager-2", "committee-1", "committee-2"):
        assert ("decision.due", "ms" if person.endswith("1") else "en") in news[person]
    [reminder] = [m for m in scenario.outbox("manager-2") if m.kind == "decision.due"]
    assert "due today" in reminder.subject
    assert f"/api/v1/decisions/{decision_id}" in reminder.body


def test_no_reminder_for_a_decision_that_is_done(scenario: Notified) -> None:
    case_id = scenario.world.report(REPORTER)
    scenario.governance.done(case_id)
    scenario.news()

    due_morning = datetime.combine(TODAY + timedelta(days=30), datetime.min.time(), MALAYSIA)
    scenario.clock.set(due_morning.replace(hour=10).astimezone(UTC))

    assert "decision.due" not in str(scenario.news())
