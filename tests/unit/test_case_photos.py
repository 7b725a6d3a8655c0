"""Photos on cases in the domain: who may attach them, how many, and reports with photos in one save."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from domain.actors import Actor, Role
from domain.application import K2K
from domain.case import CASE_PHOTOS_MAX, Case, Location, PhotoRef
from domain.errors import AlreadyExists, IllegalTransition, InvalidValue, NotPermitted
from tests.unit.world import (
    ADMIN,
    AUDITOR,
    COMMITTEE,
    MANAGER,
    NEIGHBOUR,
    REPORTER,
    SYSTEM,
    FrozenClock,
    World,
    register_schemes,
)
from webhooks.catalogue import TYPE_NAMES, publish


def photo(name: str = "lift", **changes: Any) -> PhotoRef:
    """A stored photo's reference (its hash made from ``name``)."""
    values: dict[str, Any] = {
        "sha256": hashlib.sha256(name.encode()).hexdigest(),
        "content_type": "image/jpeg",
        "byte_size": 123_456,
        "width": 1536,
        "height": 2048,
    }
    return PhotoRef(**{**values, **changes})


def event_names(world: World, case_id: Any) -> list[str]:
    return [type(event).__name__ for event in world.events(case_id)]


# -- attaching --------------------------------------------------------------------------------


def test_the_reporter_attaches_a_photo_and_the_event_holds_only_its_hash_and_metadata(
    world: World,
) -> None:
    case_id = world.report()

    saved = world.app.attach_photo(REPORTER, case_id, photo=photo())

    event = world.last_event(case_id)
    assert type(event).__name__ == "PhotoAttached"
    assert saved.version == 2
    own = {name: value for name, value in vars(event).items() if not name.startswith("originator")}
    assert own.keys() == {
        "sha256",
        "content_type",
        "byte_size",
        "width",
        "height",
        "actor_id",
        "actor_role",
        "occurred_at",
        "status",
        "whose_move",
        "timestamp",
    }
    # A photo changes nothing about whose move it is (decision 0001: events carry the state).
    assert (event.status, event.whose_move) == ("reported", "management")
    assert (event.actor_id, event.actor_role, event.occurred_at) == (
        REPORTER.principal_id,
        "resident",
        world.clock.current,
    )
    assert world.case(case_id).photos == [
        {
            "sha256": photo().sha256,
            "content_type": "image/jpeg",
            "byte_size": 123_456,
            "width": 1536,
            "height": 2048,
            "attached_by": REPORTER.principal_id,
            "attached_by_role": "resident",
            "attached_at": world.clock.current,
        }
    ]


def test_committee_and_management_attach_an_after_photo_when_resolving(world: World) -> None:
    case_id = world.in_progress()

    world.app.attach_photo(MANAGER, case_id, photo=photo("after"))
    world.app.resolve_case(MANAGER, case_id, note="Lif dibaiki, lihat gambar.")
    world.app.attach_photo(COMMITTEE, case_id, photo=photo("checked"))

    case = world.case(case_id)
    assert [each["attached_by_role"] for each in case.photos] == ["management", "committee"]
    assert case.status == "resolved"


@pytest.mark.parametrize("actor", [NEIGHBOUR, AUDITOR, SYSTEM], ids=lambda a: a.principal_id)
def test_no_one_else_may_attach_a_photo(world: World, actor: Actor) -> None:
    case_id = world.report()

    with world.refuses(case_id, NotPermitted):
        world.app.attach_photo(actor, case_id, photo=photo())


@pytest.mark.parametrize("outcome", ["withdraw", "no_further_action"])
def test_a_finished_case_takes_no_more_photos(world: World, outcome: str) -> None:
    case_id = world.report()
    if outcome == "withdraw":
        world.app.withdraw_case(REPORTER, case_id)
    else:
        world.app.decide_no_further_action(MANAGER, case_id, reason="Bukan di bawah PPR.")

    for actor in (REPORTER, MANAGER):
        with world.refuses(case_id, IllegalTransition):
            world.app.attach_photo(actor, case_id, photo=photo())


def test_the_reporter_attaches_at_most_three_photos_and_staff_may_add_more(world: World) -> None:
    case_id = world.report()
    for n in range(3):
        world.app.attach_photo(REPORTER, case_id, photo=photo(f"mine-{n}"))

    with world.refuses(case_id, IllegalTransition) as refused:
        world.app.attach_photo(REPORTER, case_id, photo=photo("mine-3"))
    assert "at most 3" in str(refused.value)

    world.app.attach_photo(MANAGER, case_id, photo=photo("inspection"))
    assert len(world.case(case_id).photos) == 4


def test_a_case_holds_at_most_ten_photos(world: World) -> None:
    case_id = world.report()
    for n in range(CASE_PHOTOS_MAX):
        world.app.attach_photo(COMMITTEE, case_id, photo=photo(f"shot-{n}"))

    with world.refuses(case_id, IllegalTransition) as refused:
        world.app.attach_photo(ADMIN, case_id, photo=photo("one-more"))
    assert "at most 10" in str(refused.value)


def test_the_same_photo_twice_on_one_case_is_refused(world: World) -> None:
    case_id = world.report()
    world.app.attach_photo(REPORTER, case_id, photo=photo())

    with world.refuses(case_id, IllegalTransition) as refused:
        world.app.attach_photo(MANAGER, case_id, photo=photo())
    assert "already" in str(refused.value)


def test_the_same_photo_may_be_on_two_cases(world: World) -> None:
    first, second = world.report(), world.report(NEIGHBOUR)

    world.app.attach_photo(REPORTER, first, photo=photo())
    world.app.attach_photo(NEIGHBOUR, second, photo=photo())

    assert world.case(first).photos[0]["sha256"] == world.case(second).photos[0]["sha256"]


@pytest.mark.parametrize(
    "bad",
    [
        {"sha256": "ABC"},
        {"sha256": "g" * 64},
        {"content_type": "image/svg+xml"},
        {"byte_size": 0},
        {"width": -1},
        {"height": True},
    ],
    ids=["short-hash", "not-hex", "svg", "empty", "negative", "bool"],
)
def test_a_malformed_photo_reference_is_refused_naming_the_photo(
    world: World, bad: dict[str, Any]
) -> None:
    case_id = world.report()

    with world.refuses(case_id, InvalidValue, field="photo"):
        world.app.attach_photo(REPORTER, case_id, photo=photo(**bad))


def test_a_backfilled_photo_keeps_the_backfill_rules(world: World) -> None:
    case_id = world.report()
    earlier = world.clock.current
    world.clock.advance(days=2)

    with world.refuses(case_id, NotPermitted):
        world.app.attach_photo(REPORTER, case_id, photo=photo(), occurred_at=earlier)
    world.app.attach_photo(COMMITTEE, case_id, photo=photo(), occurred_at=earlier)

    assert world.case(case_id).photos[0]["attached_at"] == earlier


# -- reporting with photos --------------------------------------------------------------------


def test_a_report_with_photos_records_the_report_and_each_photo_in_one_save(world: World) -> None:
    before = world.recorded()

    case_id = world.report(photos=[photo("a"), photo("b")])

    assert event_names(world, case_id) == ["Reported", "PhotoAttached", "PhotoAttached"]
    assert world.recorded() == before + 3
    assert [each["sha256"] for each in world.case(case_id).photos] == [
        photo("a").sha256,
        photo("b").sha256,
    ]


def test_a_report_with_more_than_three_photos_records_nothing(world: World) -> None:
    with world.refuses(None, InvalidValue, field="photos"):
        world.report(photos=[photo(str(n)) for n in range(4)])


def test_a_report_whose_photo_is_malformed_records_nothing(world: World) -> None:
    with world.refuses(None, InvalidValue, field="photo"):
        world.report(photos=[photo("good"), photo("bad", content_type="application/pdf")])


def test_a_report_giving_the_same_photo_twice_attaches_it_once(world: World) -> None:
    case_id = world.report(photos=[photo("a"), photo("a")])

    assert event_names(world, case_id) == ["Reported", "PhotoAttached"]


def test_a_backfilled_report_dates_its_photos_with_it(world: World) -> None:
    world.clock.advance(days=3)
    meeting_day = world.clock.current - timedelta(days=2)

    case_id = world.report(COMMITTEE, photos=[photo()], occurred_at=meeting_day)

    case = world.case(case_id)
    assert case.reported_at == case.photos[0]["attached_at"] == meeting_day


def test_a_report_with_photos_is_all_or_nothing_when_its_save_fails(world: World) -> None:
    # A retried report lands on the same id: the second save is refused and adds no photo.
    case_id = uuid4()
    world.report(case_id=case_id, photos=[photo("a")])

    with pytest.raises(AlreadyExists):
        world.report(case_id=case_id, photos=[photo("b"), photo("c")])

    assert event_names(world, case_id) == ["Reported", "PhotoAttached"]


# -- outside the case ---------------------------------------------------------------------------


def test_webhooks_publish_a_photo_as_its_hash_and_count_never_who_attached_it(
    world: World,
) -> None:
    public, private = world.report(photos=[photo()]), world.report(private=True, photos=[photo()])
    assert "case.photo_attached" in TYPE_NAMES

    for case_id in (public, private):
        event = world.events(case_id)[1]
        after = world.app.get_case(case_id, version=2)
        published = publish(event, after, "reported", 2, "https://k2k.example")
        if case_id == private:
            assert published is None
            continue
        assert published is not None
        assert published.type == "case.photo_attached"
        assert (published.data["photo_sha256"], published.data["photo_count"]) == (
            photo().sha256,
            1,
        )
        assert REPORTER.principal_id not in str(published.data)


# -- stored state -----------------------------------------------------------------------------


def test_a_case_from_a_snapshot_taken_before_photos_has_none_and_takes_them(world: World) -> None:
    case = world.case(world.report())
    del case.attached_photos  # what a snapshot written before photos existed reloads as

    assert case.photos == []
    case.attach_photo(REPORTER, photo())
    assert len(case.photos) == 1


def test_photos_survive_a_snapshot(tmp_path: Path, clock: FrozenClock) -> None:
    store = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "e")}
    app = K2K(env=store)
    try:
        register_schemes(app)
        world = World(app, clock)
        case_id = world.report(photos=[photo("a")], location=Location("A", common_area="lobi"))
        for n in range(100):
            clock.advance(minutes=1)
            app.support_case(Actor(f"resident-{n + 10}", Role.RESIDENT), case_id)
        assert app.snapshots is not None
        assert [s.originator_version for s in app.snapshots.get(case_id)] == [100]
        written = world.case(case_id)
    finally:
        app.close()

    reloading = K2K(env=store)
    try:
        reloaded = reloading.get_case(case_id)
    finally:
        reloading.close()

    assert isinstance(reloaded, Case)
    assert reloaded.photos == written.photos
    assert isinstance(reloaded.photos[0]["attached_at"], datetime)
    assert reloaded.photos[0]["attached_at"] == written.reported_at
