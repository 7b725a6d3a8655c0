"""Optimistic concurrency: a stale ``If-Match`` is refused, a lost race never loses an event."""

from __future__ import annotations

import copy
from collections.abc import Callable
from uuid import UUID

import pytest

from domain.actors import Actor, Role
from domain.application import K2K
from domain.case import Case, Party, Status
from domain.errors import ConcurrentChange, IllegalTransition, VersionMismatch
from tests.unit.world import COMMITTEE, MANAGER, NEIGHBOUR, REPORTER, World

COMMANDS: dict[str, Callable[[K2K, UUID, int], object]] = {
    "acknowledge": lambda app, case_id, v: app.acknowledge_case(
        MANAGER, case_id, expected_version=v
    ),
    "comment": lambda app, case_id, v: app.comment_on_case(
        COMMITTEE, case_id, text="Nota.", expected_version=v
    ),
    "support": lambda app, case_id, v: app.support_case(NEIGHBOUR, case_id, expected_version=v),
    "withdraw": lambda app, case_id, v: app.withdraw_case(REPORTER, case_id, expected_version=v),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_at_the_expected_version_is_applied(world: World, command: str) -> None:
    case_id = world.report()

    saved = COMMANDS[command](world.app, case_id, 1)

    assert getattr(saved, "version", None) == 2
    assert world.version(case_id) == 2


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("expected", [0, 2, 7])
def test_a_command_at_another_version_is_refused_and_records_nothing(
    world: World, command: str, expected: int
) -> None:
    case_id = world.report()

    with world.refuses(case_id, VersionMismatch) as refusal:
        COMMANDS[command](world.app, case_id, expected)

    assert isinstance(refusal.value, VersionMismatch)
    assert (refusal.value.expected, refusal.value.actual) == (expected, 1)


def test_a_stale_version_is_refused_after_someone_else_changed_the_case(world: World) -> None:
    case_id = world.report()
    seen = world.version(case_id)
    # Someone comments between our read and our command.
    world.app.comment_on_case(NEIGHBOUR, case_id, text="Saya pun.")

    with world.refuses(case_id, VersionMismatch):
        world.app.acknowledge_case(MANAGER, case_id, expected_version=seen)

    assert world.case(case_id).status == Status.REPORTED


def _racing(app: K2K, stale: list[Case], monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the application's next loads return ``stale`` copies, then fresh state again."""
    fresh = app.get_case

    def get_case(case_id: UUID, version: int | None = None) -> Case:
        if stale:
            return copy.deepcopy(stale.pop(0))
        return fresh(case_id, version)

    monkeypatch.setattr(app, "get_case", get_case)


def test_a_command_that_loses_a_race_is_refused_and_records_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = world.report()
    # Management read the case; the reporter withdraws it before management's write lands.
    stale = world.case(case_id)
    world.app.withdraw_case(REPORTER, case_id)
    _racing(world.app, [stale], monkeypatch)

    with world.refuses(case_id, ConcurrentChange):
        world.app.acknowledge_case(MANAGER, case_id)

    assert world.case(case_id).status == Status.WITHDRAWN


def test_a_comment_that_loses_a_race_is_retried_on_fresh_state(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = world.in_progress(to=Party.CONTRACTOR)
    # The committee read the case; management resolves it before the comment lands.
    stale = world.case(case_id)
    world.app.resolve_case(MANAGER, case_id, note="Siap.")
    _racing(world.app, [stale], monkeypatch)

    saved = world.app.comment_on_case(COMMITTEE, case_id, text="Kontraktor sudah datang?")

    case = world.case(case_id)
    assert saved.version == case.version == stale.version + 2
    assert case.comment_count == 1
    # The comment is stamped with the state it landed on, not the stale one.
    event = world.last_event(case_id)
    assert (event.status, event.whose_move) == (Status.RESOLVED, Party.RESIDENT)


def test_a_support_that_loses_a_race_is_rechecked_on_fresh_state(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = world.report()
    # A double tap: both requests read the case before either support landed.
    stale = world.case(case_id)
    world.app.support_case(NEIGHBOUR, case_id)
    _racing(world.app, [stale], monkeypatch)

    with world.refuses(case_id, IllegalTransition):
        world.app.support_case(NEIGHBOUR, case_id)

    assert world.case(case_id).supporter_ids == [NEIGHBOUR.principal_id]


def test_a_comment_with_an_expected_version_is_not_retried(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = world.report()
    stale = world.case(case_id)
    world.app.support_case(Actor("resident-7", Role.RESIDENT), case_id)
    # The stale copy passes the version check, then loses the race at save: the version the
    # caller named stopped being current, so it is a version mismatch (HTTP 412), not retried.
    _racing(world.app, [stale], monkeypatch)

    with world.refuses(case_id, VersionMismatch):
        world.app.comment_on_case(COMMITTEE, case_id, text="Nota.", expected_version=1)
