"""SLA targets: management is warned at 80 % of the time and told of a breach, recorded once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from domain.ppr import SlaTargets
from service.runtime import Runtime
from tests.integration.notification_world import Notified, notified
from tests.unit.world import ADMIN, MANAGER, PPR, REPORTER

# LIFT in the scenario: acknowledge in 24 h, first response in 48 h, resolve in 168 h.


@pytest.fixture
def scenario(runtime: Runtime) -> Iterator[Notified]:
    with notified(runtime) as each:
        yield each


def breaches(scenario: Notified, case_id: object) -> list[tuple[str, str]]:
    """The case's recorded SlaBreached events: (target, actor role)."""
    return [
        (event.target, event.actor_role)
        for event in scenario.world.events(case_id)  # type: ignore[arg-type]
        if type(event).__name__ == "SlaBreached"
    ]


def management_news(scenario: Notified) -> dict[str, list[tuple[str, str]]]:
    news = scenario.news()
    return {who: kinds for who, kinds in news.items() if who.startswith("manager")}


def test_management_is_warned_at_80_percent_of_the_time_and_told_of_the_breach(
    scenario: Notified,
) -> None:
    case_id = scenario.world.report(REPORTER)
    scenario.news()

    scenario.clock.advance(hours=19)  # 79 % of the 24 hours to acknowledge
    assert management_news(scenario) == {}

    scenario.clock.advance(hours=0.5)  # 81 %
    assert management_news(scenario) == {
        "manager-1": [("sla.warning", "ms")],
        "manager-2": [("sla.warning", "en")],
    }
    assert breaches(scenario, case_id) == []

    scenario.clock.advance(hours=5)  # past 24 hours, still not acknowledged
    assert management_news(scenario) == {
        "manager-1": [("sla.breached", "ms")],
        "manager-2": [("sla.breached", "en")],
    }
    assert breaches(scenario, case_id) == [("acknowledge", "system")]


def test_a_target_met_in_time_is_neither_warned_about_nor_breached(scenario: Notified) -> None:
    case_id = scenario.world.report(REPORTER)
    scenario.clock.advance(hours=2)
    scenario.world.app.acknowledge_case(MANAGER, case_id)
    scenario.world.app.respond_to_case(MANAGER, case_id, message="Juruteknik dihantar.")
    scenario.news()

    scenario.clock.advance(hours=60)  # past the acknowledge and first-response due times

    assert management_news(scenario) == {}
    assert breaches(scenario, case_id) == []


def test_a_breach_is_recorded_once_however_often_its_check_runs(scenario: Notified) -> None:
    case_id = scenario.world.report(REPORTER)
    scenario.clock.advance(hours=25)
    scenario.drain()

    for _ in range(3):  # rq runs a job at least once: a repeat must change nothing
        scenario.runtime.notifier.check_sla(str(case_id), "acknowledge", "breach")
    scenario.drain()

    assert breaches(scenario, case_id) == [("acknowledge", "system")]
    assert [kind for kind in scenario.kinds("manager-1") if kind == "sla.breached"] == [
        "sla.breached"
    ]


def test_a_longer_target_moves_the_checks_to_the_new_due_time(scenario: Notified) -> None:
    case_id = scenario.world.report(REPORTER)
    scenario.news()
    longer = SlaTargets(acknowledge_hours=72, first_response_hours=96, resolve_hours=240)
    scenario.world.app.change_sla_targets(ADMIN, PPR, "LIFT", longer)

    scenario.clock.advance(hours=30)  # past the old 24 h, well inside the new 72 h
    assert management_news(scenario) == {}
    assert breaches(scenario, case_id) == []

    scenario.clock.advance(hours=43)  # past 72 h
    scenario.drain()
    assert breaches(scenario, case_id) == [("acknowledge", "system")]


def test_a_shorter_target_brings_the_checks_forward(scenario: Notified) -> None:
    case_id = scenario.world.report(REPORTER)
    scenario.news()
    shorter = SlaTargets(acknowledge_hours=2, first_response_hours=48, resolve_hours=168)
    scenario.world.app.change_sla_targets(ADMIN, PPR, "LIFT", shorter)
    scenario.drain()  # the rescan waits for the case metrics, then schedules the new checks

    scenario.clock.advance(hours=3)
    scenario.drain()
    scenario.clock.advance(seconds=10)  # the rescan retries a few seconds later if it waited

    news = management_news(scenario)
    assert breaches(scenario, case_id) == [("acknowledge", "system")]
    assert ("sla.breached", "ms") in news["manager-1"]


def test_the_breach_shows_in_the_case_history_after_the_due_time(scenario: Notified) -> None:
    case_id = scenario.world.report(REPORTER)
    reported_at = scenario.clock.current
    scenario.clock.advance(hours=30)
    scenario.drain()

    event = scenario.world.last_event(case_id)
    assert type(event).__name__ == "SlaBreached"
    assert event.due_at == reported_at + timedelta(hours=24)
    assert event.occurred_at == reported_at + timedelta(hours=24)
    assert event.status == "reported"
