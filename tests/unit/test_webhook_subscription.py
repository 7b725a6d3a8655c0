"""The webhook subscription aggregate: who may give an outside system a feed, and of what."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.actors import Actor, Role
from domain.errors import IllegalTransition, InvalidValue, NotPermitted
from domain.webhook import DisabledReason, WebhookSubscription, matches, validate_event_types
from tests.unit.world import ADMIN, INTEGRATION, MANAGER, SYSTEM


def subscription(actor: Actor = INTEGRATION, **fields: object) -> WebhookSubscription:
    options: dict[str, object] = {
        "url": "https://hooks.example.org/k2k",
        "event_types": ["case.*"],
        "ppr_codes": ["PPRSP"],
        "description": "City 311 aggregator",
        "secret_fingerprint": "sha256:0123456789abcdef",
        "subscription_id": uuid4(),
        **fields,
    }
    return WebhookSubscription.create(actor, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "event_type", "expected"),
    [
        ("case.*", "case.resolved", True),
        ("case.*", "case.sla_breached", True),
        ("case.*", "decision.made", False),
        ("case.*", "cases.reported", False),
        ("case.resolved", "case.resolved", True),
        ("case.resolved", "case.reported", False),
        ("*", "webhook.test", True),
    ],
)
def test_a_pattern_names_a_type_exactly_or_by_its_prefix(
    pattern: str, event_type: str, expected: bool
) -> None:
    assert matches(pattern, event_type) is expected


@pytest.mark.parametrize("pattern", ["", "Case.*", "case.", "case..resolved", "*.resolved", "a b"])
def test_malformed_event_type_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        validate_event_types([pattern])
    assert refused.value.field == "event_types"


def test_repeated_patterns_are_kept_once() -> None:
    assert validate_event_types(["case.*", " case.* ", "decision.made"]) == [
        "case.*",
        "decision.made",
    ]


@pytest.mark.parametrize("actor", [MANAGER, Actor("resident-1", Role.RESIDENT), SYSTEM])
def test_only_admins_and_integrations_subscribe(actor: Actor) -> None:
    with pytest.raises(NotPermitted):
        subscription(actor)


def test_an_integration_changes_only_its_own_subscription_while_an_admin_changes_any() -> None:
    mine = subscription()
    other = Actor("integration-other", Role.INTEGRATION)
    with pytest.raises(NotPermitted):
        mine.change(other, description="taken over")
    mine.change(ADMIN, description="Checked by the programme office")
    mine.change(INTEGRATION, event_types=["case.resolved"])
    assert (mine.description, mine.event_types) == (
        "Checked by the programme office",
        ["case.resolved"],
    )


def test_a_change_that_changes_nothing_records_nothing() -> None:
    mine = subscription()
    version = mine.version
    mine.change(INTEGRATION, url="https://hooks.example.org/k2k", event_types=["case.*"])
    assert mine.version == version


def test_the_service_switches_a_subscription_off_only_for_a_reason() -> None:
    mine = subscription()
    with pytest.raises(NotPermitted):
        mine.disable(SYSTEM, DisabledReason.MANUAL)
    mine.disable(SYSTEM, DisabledReason.GONE, "410 Gone")
    assert (mine.receives, mine.disabled_reason) == (False, "gone")
    mine.enable(INTEGRATION)
    assert (mine.receives, mine.disabled_reason) == (True, None)


def test_a_deleted_subscription_can_be_changed_no_more() -> None:
    mine = subscription()
    mine.delete(INTEGRATION)
    assert not mine.receives
    with pytest.raises(IllegalTransition):
        mine.enable(ADMIN)


def test_a_subscription_wants_its_types_in_its_pprs_and_events_of_no_one_ppr() -> None:
    mine = subscription()
    assert mine.wants("case.resolved", ("PPRSP",))
    assert not mine.wants("case.resolved", ("PPRLB",))
    assert not mine.wants("decision.made", ("PPRSP",))
    assert mine.wants("case.reported", ())
    everywhere = subscription(ppr_codes=[])
    assert everywhere.wants("case.resolved", ("PPRLB",))


def test_urls_must_be_http_and_short_enough() -> None:
    with pytest.raises(InvalidValue) as refused:
        subscription(url="ftp://hooks.example.org/k2k")
    assert refused.value.field == "url"
    with pytest.raises(InvalidValue):
        subscription(url="https://hooks.example.org/" + "a" * 2000)
