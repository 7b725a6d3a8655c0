"""The PPR scheme: registration, blocks, categories with SLA targets, and who may configure them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.actors import Actor, Role
from domain.application import K2K
from domain.errors import AlreadyExists, InvalidValue, NotFound, NotPermitted
from domain.ppr import DEFAULT_DISPUTE_WINDOW_DAYS, MAX_SLA_HOURS, Ppr, SlaTargets, ppr_id
from tests.unit.world import (
    ADMIN,
    AUDITOR,
    COMMITTEE,
    INTEGRATION,
    LIFT_SLA,
    MANAGER,
    REPORTER,
    SYSTEM,
)

CODE = "PPRSP"


@pytest.fixture
def app(empty_app: K2K) -> K2K:
    """An application with one registered PPR that has no blocks or categories yet."""
    empty_app.register_ppr(ADMIN, CODE, "PPR Sri Pelangi")
    return empty_app


def version(app: K2K, code: str = CODE) -> int:
    """The stored version of the PPR."""
    return app.get_ppr(code).version


def event_names(app: K2K, code: str = CODE) -> list[str]:
    """The class names of the PPR's recorded events."""
    return [type(event).__name__ for event in app.events.get(ppr_id(code))]


# -- registering -----------------------------------------------------------------------------------


def test_an_admin_registers_a_ppr(empty_app: K2K) -> None:
    saved = empty_app.register_ppr(ADMIN, CODE, "PPR Sri Pelangi")

    ppr = empty_app.get_ppr(CODE)
    assert (saved.id, saved.version) == (ppr_id(CODE), 1)
    assert (ppr.code, ppr.name) == (CODE, "PPR Sri Pelangi")
    assert ppr.dispute_window_days == DEFAULT_DISPUTE_WINDOW_DAYS == 14
    assert (ppr.blocks, ppr.categories) == ({}, {})
    event = next(iter(empty_app.events.get(saved.id)))
    assert type(event).__name__ == "Registered"
    assert (event.actor_id, event.actor_role) == ("admin-1", "admin")


def test_a_ppr_code_is_stored_upper_case_and_trimmed(empty_app: K2K) -> None:
    empty_app.register_ppr(ADMIN, " ppr-sri_pelangi ", "  PPR Sri Pelangi  ")

    ppr = empty_app.get_ppr("PPR-SRI_PELANGI")
    assert (ppr.code, ppr.name) == ("PPR-SRI_PELANGI", "PPR Sri Pelangi")


def test_a_ppr_is_found_by_its_code_in_any_case(app: K2K) -> None:
    assert app.get_ppr("pprsp").id == app.get_ppr("PPRSP").id == ppr_id(CODE)


def test_an_unknown_ppr_is_not_found(app: K2K) -> None:
    with pytest.raises(NotFound):
        app.get_ppr("PPRXX")


@pytest.mark.parametrize("code", ["PPRSP", "pprsp", " PprSp "])
def test_a_ppr_code_is_registered_only_once(app: K2K, code: str) -> None:
    with pytest.raises(AlreadyExists):
        app.register_ppr(ADMIN, code, "Another name")

    ppr = app.get_ppr(CODE)
    assert (ppr.name, ppr.version) == ("PPR Sri Pelangi", 1)


@pytest.mark.parametrize(
    "code",
    ["", "   ", "-PPR", "_PPR", "PPR SP", "PPR.SP", "PPR/SP", "P" * 33],
    ids=["empty", "blank", "dash first", "underscore first", "space", "dot", "slash", "33 long"],
)
def test_a_ppr_code_is_a_short_identifier(empty_app: K2K, code: str) -> None:
    with pytest.raises(InvalidValue) as refusal:
        empty_app.register_ppr(ADMIN, code, "PPR")

    assert refusal.value.field == "code"
    assert empty_app.recorder.max_notification_id() is None


@pytest.mark.parametrize("code", ["P", "1PPR", "P" * 32, "PPR_SP-2"])
def test_codes_of_one_to_32_letters_digits_dashes_and_underscores_are_accepted(
    empty_app: K2K, code: str
) -> None:
    empty_app.register_ppr(ADMIN, code, "PPR")

    assert empty_app.get_ppr(code).code == code


@pytest.mark.parametrize("name", ["", "   ", "N" * 121], ids=["empty", "blank", "121 long"])
def test_a_ppr_needs_a_bounded_name(empty_app: K2K, name: str) -> None:
    with pytest.raises(InvalidValue) as refusal:
        empty_app.register_ppr(ADMIN, CODE, name)

    assert refusal.value.field == "name"


@pytest.mark.parametrize("days", [1, 14, 90])
def test_a_dispute_window_from_one_to_ninety_days_is_accepted(empty_app: K2K, days: int) -> None:
    empty_app.register_ppr(ADMIN, CODE, "PPR", dispute_window_days=days)

    assert empty_app.get_ppr(CODE).dispute_window_days == days


@pytest.mark.parametrize("days", [-1, 0, 91, 365])
def test_a_dispute_window_outside_one_to_ninety_days_is_refused(empty_app: K2K, days: int) -> None:
    with pytest.raises(InvalidValue) as refusal:
        empty_app.register_ppr(ADMIN, CODE, "PPR", dispute_window_days=days)

    assert refusal.value.field == "dispute_window_days"
    with pytest.raises(NotFound):
        empty_app.get_ppr(CODE)


def test_the_system_may_register_a_ppr_for_the_demo_loader(empty_app: K2K) -> None:
    empty_app.register_ppr(SYSTEM, CODE, "PPR Demo")

    assert empty_app.get_ppr(CODE).name == "PPR Demo"


# -- blocks ----------------------------------------------------------------------------------------


def test_an_admin_adds_a_block(app: K2K) -> None:
    saved = app.add_block(ADMIN, "pprsp", " a ", " Blok A ", floors=17)

    ppr = app.get_ppr(CODE)
    assert saved.version == ppr.version == 2
    assert ppr.blocks == {"A": {"code": "A", "name": "Blok A", "floors": 17}}
    assert event_names(app) == ["Registered", "BlockAdded"]
    ppr.require_block("A")


@pytest.mark.parametrize("floors", [1, 100])
def test_a_block_has_one_to_a_hundred_floors(app: K2K, floors: int) -> None:
    app.add_block(ADMIN, CODE, "A", "Blok A", floors=floors)

    assert app.get_ppr(CODE).blocks["A"]["floors"] == floors


@pytest.mark.parametrize(
    ("code", "name", "floors", "field"),
    [
        ("A", "Blok A", 0, "floors"),
        ("A", "Blok A", 101, "floors"),
        ("A", "", 5, "name"),
        ("A", "N" * 121, 5, "name"),
        ("", "Blok", 5, "code"),
        ("A B", "Blok", 5, "code"),
    ],
    ids=["no floors", "101 floors", "no name", "long name", "no code", "code with a space"],
)
def test_a_bad_block_is_refused(app: K2K, code: str, name: str, floors: int, field: str) -> None:
    with pytest.raises(InvalidValue) as refusal:
        app.add_block(ADMIN, CODE, code, name, floors=floors)

    assert refusal.value.field == field
    assert version(app) == 1


def test_a_block_code_is_added_only_once(app: K2K) -> None:
    app.add_block(ADMIN, CODE, "A", "Blok A", floors=17)

    with pytest.raises(AlreadyExists):
        app.add_block(ADMIN, CODE, "a", "Blok A lagi", floors=5)

    assert app.get_ppr(CODE).blocks["A"]["name"] == "Blok A"
    assert version(app) == 2


def test_an_unknown_block_is_refused_with_the_known_ones(app: K2K) -> None:
    app.add_block(ADMIN, CODE, "B", "Blok B", floors=5)
    app.add_block(ADMIN, CODE, "A", "Blok A", floors=5)

    with pytest.raises(InvalidValue) as refusal:
        app.get_ppr(CODE).require_block("C")

    assert refusal.value.field == "block"
    assert "A, B" in refusal.value.message


def test_a_ppr_without_blocks_refuses_every_block(app: K2K) -> None:
    with pytest.raises(InvalidValue) as refusal:
        app.get_ppr(CODE).require_block("A")

    assert "none registered" in refusal.value.message


def test_a_block_of_an_unknown_ppr_is_refused(app: K2K) -> None:
    with pytest.raises(NotFound):
        app.add_block(ADMIN, "PPRXX", "A", "Blok A", floors=5)


# -- categories and SLA targets --------------------------------------------------------------------


def test_an_admin_adds_a_category_with_names_and_sla_targets(app: K2K) -> None:
    app.add_category(ADMIN, CODE, " lift ", " Lif ", " Lift ", LIFT_SLA)

    ppr = app.get_ppr(CODE)
    assert ppr.categories == {
        "LIFT": {
            "code": "LIFT",
            "name_ms": "Lif",
            "name_en": "Lift",
            "sla": {"acknowledge_hours": 24, "first_response_hours": 48, "resolve_hours": 168},
        }
    }
    assert event_names(app) == ["Registered", "CategoryAdded"]
    ppr.require_category("LIFT")


@pytest.mark.parametrize(
    ("name_ms", "name_en", "field"),
    [("", "Lift", "name_ms"), ("Lif", " ", "name_en"), ("L" * 121, "Lift", "name_ms")],
)
def test_a_category_needs_both_names(app: K2K, name_ms: str, name_en: str, field: str) -> None:
    with pytest.raises(InvalidValue) as refusal:
        app.add_category(ADMIN, CODE, "LIFT", name_ms, name_en, LIFT_SLA)

    assert refusal.value.field == field
    assert version(app) == 1


def test_a_category_code_is_added_only_once(app: K2K) -> None:
    app.add_category(ADMIN, CODE, "LIFT", "Lif", "Lift", LIFT_SLA)

    with pytest.raises(AlreadyExists):
        app.add_category(ADMIN, CODE, "lift", "Lif", "Elevator", LIFT_SLA)

    assert version(app) == 2


def test_an_unknown_category_is_refused_with_the_known_ones(app: K2K) -> None:
    app.add_category(ADMIN, CODE, "WATER", "Air", "Water", LIFT_SLA)
    app.add_category(ADMIN, CODE, "LIFT", "Lif", "Lift", LIFT_SLA)

    with pytest.raises(InvalidValue) as refusal:
        app.get_ppr(CODE).require_category("PESTS")

    assert refusal.value.field == "category"
    assert "LIFT, WATER" in refusal.value.message


@pytest.mark.parametrize(
    ("sla", "field"),
    [
        (SlaTargets(0, 48, 168), "acknowledge_hours"),
        (SlaTargets(24, 0, 168), "first_response_hours"),
        (SlaTargets(24, 48, 0), "resolve_hours"),
        (SlaTargets(-1, 48, 168), "acknowledge_hours"),
        (SlaTargets(MAX_SLA_HOURS + 1, 48, MAX_SLA_HOURS), "acknowledge_hours"),
        (SlaTargets(24, MAX_SLA_HOURS + 1, 168), "first_response_hours"),
        (SlaTargets(24, 48, MAX_SLA_HOURS + 1), "resolve_hours"),
        (SlaTargets(48, 48, 24), "resolve_hours"),
        (SlaTargets(1, 100, 50), "resolve_hours"),
    ],
    ids=[
        "no time to acknowledge",
        "no time to respond",
        "no time to resolve",
        "negative",
        "acknowledge over a year",
        "respond over a year",
        "resolve over a year",
        "resolve before acknowledge",
        "resolve before first response",
    ],
)
def test_sla_targets_that_cannot_be_met_or_contradict_each_other_are_refused(
    app: K2K, sla: SlaTargets, field: str
) -> None:
    with pytest.raises(InvalidValue) as refusal:
        app.add_category(ADMIN, CODE, "LIFT", "Lif", "Lift", sla)

    assert refusal.value.field == field
    assert app.get_ppr(CODE).categories == {}


@pytest.mark.parametrize(
    "sla",
    [SlaTargets(1, 1, 1), SlaTargets(24, 24, 24), SlaTargets(1, 1, MAX_SLA_HOURS)],
    ids=["an hour each", "all equal", "a year to resolve"],
)
def test_sla_targets_at_the_bounds_are_accepted(sla: SlaTargets) -> None:
    sla.validate()

    assert sla.as_dict() == {
        "acknowledge_hours": sla.acknowledge_hours,
        "first_response_hours": sla.first_response_hours,
        "resolve_hours": sla.resolve_hours,
    }


def test_an_admin_changes_the_sla_targets_of_a_category(app: K2K) -> None:
    app.add_category(ADMIN, CODE, "LIFT", "Lif", "Lift", LIFT_SLA)

    app.change_sla_targets(ADMIN, CODE, "LIFT", SlaTargets(12, 24, 72))

    sla = app.get_ppr(CODE).categories["LIFT"]["sla"]
    assert sla == {"acknowledge_hours": 12, "first_response_hours": 24, "resolve_hours": 72}
    assert event_names(app)[-1] == "SlaTargetsChanged"


def test_sla_targets_of_an_unknown_category_are_refused(app: K2K) -> None:
    with pytest.raises(InvalidValue) as refusal:
        app.change_sla_targets(ADMIN, CODE, "LIFT", LIFT_SLA)

    assert refusal.value.field == "category"
    assert version(app) == 1


def test_changed_sla_targets_are_validated_too(app: K2K) -> None:
    app.add_category(ADMIN, CODE, "LIFT", "Lif", "Lift", LIFT_SLA)

    with pytest.raises(InvalidValue) as refusal:
        app.change_sla_targets(ADMIN, CODE, "LIFT", SlaTargets(72, 24, 12))

    assert refusal.value.field == "resolve_hours"
    assert app.get_ppr(CODE).categories["LIFT"]["sla"] == LIFT_SLA.as_dict()
    assert version(app) == 2


# -- the dispute window ----------------------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 90])
def test_an_admin_changes_the_dispute_window(app: K2K, days: int) -> None:
    app.change_dispute_window(ADMIN, CODE, days)

    assert app.get_ppr(CODE).dispute_window_days == days
    assert event_names(app)[-1] == "DisputeWindowChanged"


@pytest.mark.parametrize("days", [0, 91])
def test_a_dispute_window_change_outside_one_to_ninety_days_is_refused(app: K2K, days: int) -> None:
    with pytest.raises(InvalidValue) as refusal:
        app.change_dispute_window(ADMIN, CODE, days)

    assert refusal.value.field == "dispute_window_days"
    ppr = app.get_ppr(CODE)
    assert (ppr.dispute_window_days, ppr.version) == (14, 1)


# -- permissions -----------------------------------------------------------------------------------

NOT_ADMINS = [REPORTER, COMMITTEE, MANAGER, AUDITOR, INTEGRATION]

CONFIGURATIONS: dict[str, Callable[[K2K, Actor], object]] = {
    "add a block": lambda app, actor: app.add_block(actor, CODE, "C", "Blok C", floors=5),
    "add a category": lambda app, actor: app.add_category(
        actor, CODE, "PESTS", "Perosak", "Pests", LIFT_SLA
    ),
    "change SLA targets": lambda app, actor: app.change_sla_targets(
        actor, CODE, "LIFT", SlaTargets(1, 2, 3)
    ),
    "change the dispute window": lambda app, actor: app.change_dispute_window(actor, CODE, 30),
}


@pytest.mark.parametrize("actor", NOT_ADMINS, ids=lambda a: a.role.value)
def test_only_an_admin_registers_a_ppr(empty_app: K2K, actor: Actor) -> None:
    with pytest.raises(NotPermitted):
        empty_app.register_ppr(actor, CODE, "PPR")

    with pytest.raises(NotFound):
        empty_app.get_ppr(CODE)


@pytest.mark.parametrize("actor", NOT_ADMINS, ids=lambda a: a.role.value)
@pytest.mark.parametrize("configuration", list(CONFIGURATIONS))
def test_only_an_admin_configures_a_ppr(app: K2K, actor: Actor, configuration: str) -> None:
    app.add_category(ADMIN, CODE, "LIFT", "Lif", "Lift", LIFT_SLA)
    before = app.get_ppr(CODE)

    with pytest.raises(NotPermitted):
        CONFIGURATIONS[configuration](app, actor)

    after = app.get_ppr(CODE)
    assert after.version == before.version
    assert (after.blocks, after.categories, after.dispute_window_days) == (
        before.blocks,
        before.categories,
        before.dispute_window_days,
    )


@pytest.mark.parametrize("configuration", list(CONFIGURATIONS))
def test_every_ppr_configuration_records_the_admin(app: K2K, configuration: str) -> None:
    app.add_category(ADMIN, CODE, "LIFT", "Lif", "Lift", LIFT_SLA)
    admin = Actor("admin-2", Role.ADMIN)

    CONFIGURATIONS[configuration](app, admin)

    event = list(app.events.get(ppr_id(CODE)))[-1]
    assert (event.actor_id, event.actor_role) == ("admin-2", "admin")


def test_a_ppr_aggregate_refuses_a_non_admin_before_anything_else() -> None:
    # Even an invalid code is not looked at for a resident.
    with pytest.raises(NotPermitted):
        Ppr.register(REPORTER, "not a code!", "", dispute_window_days=0)
