"""Demo data: a year of cases in every state, played through the command side into an empty store."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import func, select

from domain.actors import Role
from domain.case import Status
from projections.case_list import case_list
from projections.case_timeline import case_timeline
from projections.ppr_directory import pprs
from service.demo import PPRS, Planner, StoreNotEmpty, load_demo, store_is_empty
from service.runtime import Runtime
from service.tokens.store import authenticate

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
CASES = 60
SEED = 20261128


def test_a_small_demo_has_both_pprs_and_cases_in_every_state_at_past_times(
    runtime: Runtime,
) -> None:
    load_demo(runtime, cases=CASES, seed=SEED, now=NOW)
    with runtime.engine.connect() as conn:
        case_ids = set(conn.execute(select(case_list.c.case_id)).scalars())
        directory = {row.code: row for row in conn.execute(select(pprs)).all()}
        statuses = dict(
            conn.execute(
                select(case_list.c.status, func.count()).group_by(case_list.c.status)
            ).all()
        )
        per_ppr = dict(
            conn.execute(
                select(case_list.c.ppr_code, func.count()).group_by(case_list.c.ppr_code)
            ).all()
        )
        closers = set(
            conn.execute(
                select(case_timeline.c.event_type, case_timeline.c.actor_role).where(
                    case_timeline.c.status == Status.CLOSED.value
                )
            ).all()
        )
        times = conn.execute(
            select(
                case_timeline.c.occurred_at, case_timeline.c.recorded_at, case_list.c.reported_at
            ).join(case_list, case_list.c.case_id == case_timeline.c.case_id)
        ).all()

    # Both PPRs, with realistic blocks and the usual categories, and cases in each.
    assert set(directory) == {"SRP", "LSB"} == set(per_ppr)
    for row in directory.values():
        assert 4 <= len(row.blocks) <= 6
        assert all(15 <= block["floors"] <= 22 for block in row.blocks.values())
        assert {"LIF", "AIR", "SAMPAH", "KESELAMATAN"} <= set(row.categories)

    # The cases are exactly the planned ones, ids included.
    planned = Planner(runtime.app, random.Random(SEED), NOW).plan(CASES)
    assert case_ids == {str(each.id) for each in planned}

    # Every state of the lifecycle, and both ways of being closed.
    assert sum(statuses.values()) == CASES
    assert set(statuses) == {status.value for status in Status}
    assert ("closed", Role.SYSTEM.value) in closers
    assert any(kind == "resolution_confirmed" for kind, _ in closers)

    # Within the past year, never after now; the simulated clock stamps both times.
    assert times
    for occurred_at, recorded_at, reported_at in times:
        assert NOW - timedelta(days=366) <= reported_at <= occurred_at <= NOW
        assert recorded_at == occurred_at


def test_the_demo_goes_into_an_empty_store_and_hands_out_a_working_token_per_principal(
    runtime: Runtime,
) -> None:
    assert store_is_empty(runtime)
    tokens = load_demo(runtime, cases=CASES, now=NOW)
    assert not store_is_empty(runtime)

    expected = {"admin": Role.ADMIN, "auditor": Role.AUDITOR, "integration": Role.INTEGRATION}
    for spec in PPRS:
        expected |= {
            f"committee:{spec.code}": Role.COMMITTEE,
            f"management:{spec.code}": Role.MANAGEMENT,
            f"resident:{spec.code}": Role.RESIDENT,
        }
    assert set(tokens) == set(expected)
    for key, role in expected.items():
        principal = authenticate(runtime.engine, tokens[key])
        assert principal is not None, key
        assert principal.role is role
        if role in (Role.ADMIN, Role.AUDITOR):
            assert principal.all_pprs
        elif ":" in key:
            assert principal.ppr_codes == (key.split(":")[1],)

    # The resident with a token has reported cases of their own to look at.
    resident = authenticate(runtime.engine, tokens["resident:SRP"])
    assert resident is not None
    with runtime.engine.connect() as conn:
        own = conn.execute(
            select(func.count()).where(case_list.c.reporter_id == resident.principal_id)
        ).scalar()
    assert own

    # A second load would mix two demos: refused, nothing recorded.
    head = runtime.app.recorder.max_notification_id()
    with pytest.raises(StoreNotEmpty):
        load_demo(runtime, cases=5, now=NOW)
    assert runtime.app.recorder.max_notification_id() == head


def test_the_same_seed_plans_the_same_year(runtime: Runtime) -> None:
    def plan(seed: int) -> list[tuple[UUID, datetime, str]]:
        plans = Planner(runtime.app, random.Random(seed), NOW).plan(CASES)
        return [(each.id, at, label) for each in plans for at, label, _ in each.steps]

    assert plan(7) == plan(7)
    assert plan(7) != plan(8)
    assert store_is_empty(runtime)
