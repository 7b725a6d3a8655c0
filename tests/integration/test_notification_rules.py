"""Every notification rule reaches the right people, in their language, once (embedded mode)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from domain.actors import Actor, Role
from domain.case import Party
from service.runtime import Runtime
from tests.integration.notification_world import Notified, notified
from tests.unit.world import COMMITTEE, MANAGER, NEIGHBOUR, REPORTER

MANAGER_2 = Actor("manager-2", Role.MANAGEMENT)
COMMITTEE_2 = Actor("committee-2", Role.COMMITTEE)


@pytest.fixture
def scenario(runtime: Runtime) -> Iterator[Notified]:
    with notified(runtime) as each:
        yield each


def test_a_new_case_reaches_the_committee_and_management_of_its_ppr_only(
    scenario: Notified,
) -> None:
    scenario.world.report(REPORTER)

    assert scenario.news() == {
        "committee-1": [("case.reported", "ms")],
        "committee-2": [("case.reported", "en")],
        "manager-1": [("case.reported", "ms")],
        "manager-2": [("case.reported", "en")],
    }


def test_the_reporter_and_supporters_hear_of_every_status_change_but_not_of_their_own(
    scenario: Notified,
) -> None:
    app = scenario.world.app
    case_id = scenario.world.report(REPORTER)
    app.support_case(NEIGHBOUR, case_id)
    scenario.news()

    app.acknowledge_case(MANAGER, case_id)
    assert scenario.news() == {
        "resident-1": [("case.status_changed", "en")],
        "resident-2": [("case.status_changed", "ms")],
    }

    app.resolve_case(MANAGER, case_id, note="Motor lif diganti.")
    assert scenario.news() == {
        "resident-1": [("case.status_changed", "en")],
        "resident-2": [("case.status_changed", "ms")],
    }

    # The reporter disputes: the neighbour hears of the reopening, the staff of the dispute.
    app.dispute_resolution(REPORTER, case_id, reason="Lif masih berhenti di tingkat 5.")
    assert scenario.news() == {
        "resident-2": [("case.status_changed", "ms")],
        "committee-1": [("case.disputed", "ms")],
        "committee-2": [("case.disputed", "en")],
        "manager-1": [("case.disputed", "ms")],
        "manager-2": [("case.disputed", "en")],
    }


def test_residents_hear_of_public_answers_and_never_of_internal_notes(scenario: Notified) -> None:
    app = scenario.world.app
    case_id = scenario.world.report(REPORTER)
    app.acknowledge_case(MANAGER, case_id)
    scenario.news()

    app.comment_on_case(COMMITTEE, case_id, text="Kontraktor lambat.", internal=True)
    app.comment_on_case(NEIGHBOUR, case_id, text="Saya pun sama.")
    assert scenario.news() == {}

    app.comment_on_case(COMMITTEE, case_id, text="Kami sudah hubungi pengurusan.")
    assert scenario.news() == {"resident-1": [("case.commented", "en")]}

    tomorrow = scenario.clock.current.date() + timedelta(days=1)
    app.respond_to_case(
        MANAGER, case_id, message="Juruteknik datang esok.", commitment_date=tomorrow
    )
    # The response also moves the case to in progress: one message, not two.
    assert scenario.news() == {"resident-1": [("case.responded", "en")]}


def test_an_assignment_reaches_management_and_the_committee_when_it_is_theirs(
    scenario: Notified,
) -> None:
    app = scenario.world.app
    case_id = scenario.world.report(REPORTER)
    app.acknowledge_case(MANAGER, case_id)
    scenario.news()

    app.assign_case(MANAGER, case_id, to=Party.CONTRACTOR, assignee="Syarikat Lif Jaya")
    assert scenario.news() == {
        "resident-1": [("case.status_changed", "en")],
        "manager-2": [("case.assigned", "en")],
    }

    app.assign_case(MANAGER_2, case_id, to=Party.COMMITTEE)
    # A reassignment does not change the status: residents are not told again.
    assert scenario.news() == {
        "manager-1": [("case.assigned", "ms")],
        "committee-1": [("case.assigned", "ms")],
        "committee-2": [("case.assigned", "en")],
    }


def test_a_tabled_case_reaches_the_committee_and_a_decision_reaches_management(
    scenario: Notified,
) -> None:
    case_id = scenario.world.report(REPORTER)
    scenario.news()

    scenario.governance.standing_committee()
    meeting_id = scenario.governance.schedule(case_id)
    assert scenario.news() == {"committee-2": [("case.tabled", "en")]}  # committee-1 tabled it

    scenario.governance.hold(meeting_id)
    motion = scenario.governance.vote(meeting_id, votes_for=3)
    scenario.news()
    scenario.governance.decide(meeting_id, motion, case_id, actor=COMMITTEE_2)
    news = scenario.news()

    assert news["manager-1"] == [("decision.made", "ms")]
    assert news["manager-2"] == [("decision.made", "en")]
    assert "manager-9" not in news


def test_a_person_who_muted_a_kind_gets_none_of_it(scenario: Notified) -> None:
    from workers.people import update_person

    update_person(scenario.runtime.engine, "manager-2", muted_kinds=["case.reported"])
    scenario.world.report(REPORTER)

    news = scenario.news()

    assert "manager-2" not in news
    assert news["manager-1"] == [("case.reported", "ms")]


def test_relaying_the_log_again_sends_nothing_twice(scenario: Notified) -> None:
    case_id = scenario.world.report(REPORTER)
    scenario.world.app.acknowledge_case(MANAGER, case_id)
    scenario.drain()
    before = len(scenario.deliveries())
    sent = sorted(row.delivery_id for row in scenario.deliveries() if row.status == "sent")

    # As if the relay had crashed before recording its position: everything is relayed again.
    from sqlalchemy import update

    from projections.engine import tracking

    with scenario.runtime.engine.begin() as conn:
        conn.execute(update(tracking).where(tracking.c.name == "relay").values(position=0))
    scenario.drain()

    assert len(scenario.deliveries()) == before
    assert sorted(row.delivery_id for row in scenario.deliveries() if row.status == "sent") == sent


def test_staff_whose_tokens_were_revoked_or_moved_to_another_ppr_hear_no_more(
    scenario: Notified,
) -> None:
    from domain.actors import Role
    from service.tokens.store import issue_token, revoke_token
    from tests.unit.world import OTHER_PPR, PPR

    engine, app = scenario.runtime.engine, scenario.world.app
    _, left = issue_token(
        engine, app, role=Role.MANAGEMENT, name="M2", ppr_codes=[PPR], principal_id="manager-2"
    )
    revoke_token(engine, left.token_id)
    # committee-2's only token is now for the other PPR: they moved on.
    issue_token(
        engine,
        app,
        role=Role.COMMITTEE,
        name="C2",
        ppr_codes=[OTHER_PPR],
        principal_id="committee-2",
    )

    scenario.world.report(REPORTER)

    assert scenario.news() == {
        "committee-1": [("case.reported", "ms")],
        "manager-1": [("case.reported", "ms")],
    }
