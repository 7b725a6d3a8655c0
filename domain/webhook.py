"""Webhook subscriptions: which external system receives which events, and who allowed it.

Giving an outside system a feed of a PPR's cases is a governance act, so every change to a
subscription is an event with its actor: created, changed, enabled, disabled (by a person, or by
the service when the receiver is gone or keeps failing), secret rotated, deleted. The secret
itself never enters the log (the log is exported to auditors); events carry its fingerprint.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import event
from eventsourcing.persistence import IntegrityError

from domain import clock
from domain.actors import Actor, Role
from domain.base import K2KAggregate, Saved, refuse_control_characters
from domain.errors import (
    ConcurrentChange,
    IllegalTransition,
    InvalidValue,
    NotFound,
    NotPermitted,
    VersionMismatch,
)

#: Hierarchical dot names (``case.resolved``), a trailing wildcard (``case.*``), or ``*``.
EVENT_TYPE_PATTERN = re.compile(r"^(\*|[a-z][a-z_]*(\.[a-z][a-z_]*)*(\.\*)?)$")
MAX_EVENT_TYPES = 50
MAX_URL_LENGTH = 2000
MAX_DESCRIPTION = 200
#: Roles that may hand an outside system a feed; the service itself may only switch one off.
MANAGERS = frozenset({Role.ADMIN, Role.INTEGRATION})


class DisabledReason(StrEnum):
    """Why a subscription stopped receiving."""

    MANUAL = "manual"  # a person switched it off
    GONE = "gone"  # the receiver answered 410 Gone: it asked us to stop
    FAILING = "failing"  # every attempt failed for the configured number of days


def matches(pattern: str, event_type: str) -> bool:
    """Whether ``event_type`` is one the pattern names (``case.*`` names every ``case.`` type)."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def validate_event_types(patterns: list[str]) -> list[str]:
    """Event-type patterns in one spelling, each once; at least one."""
    cleaned = list(dict.fromkeys(pattern.strip() for pattern in patterns))
    if not cleaned:
        raise InvalidValue("event_types", "name at least one event type (or case.* or *)")
    if len(cleaned) > MAX_EVENT_TYPES:
        raise InvalidValue("event_types", "name at most {most} event types", most=MAX_EVENT_TYPES)
    for pattern in cleaned:
        if not EVENT_TYPE_PATTERN.match(pattern):
            raise InvalidValue(
                "event_types",
                "{pattern!r} is not an event type: use dot names such as case.resolved, "
                "a wildcard such as case.*, or *",
                pattern=pattern,
            )
    return cleaned


def validate_url(url: str) -> str:
    """A target URL: http(s), bounded; the service checks where it really points."""
    cleaned = refuse_control_characters("url", url.strip())
    if not cleaned.lower().startswith(("https://", "http://")):
        raise InvalidValue("url", "must be an http:// or https:// URL")
    if len(cleaned) > MAX_URL_LENGTH:
        raise InvalidValue("url", "must be at most {limit} characters", limit=MAX_URL_LENGTH)
    return cleaned


def validate_description(description: str | None) -> str:
    """A short note saying whose system this is and what it does with the events."""
    cleaned = refuse_control_characters("description", (description or "").strip())
    if len(cleaned) > MAX_DESCRIPTION:
        raise InvalidValue(
            "description", "must be at most {limit} characters", limit=MAX_DESCRIPTION
        )
    return cleaned


class WebhookSubscription(K2KAggregate):
    """An outside system's standing order for some events of some PPRs."""

    @event("Created")
    def __init__(
        self,
        url: str,
        event_types: list[str],
        ppr_codes: list[str],
        description: str,
        owner_id: str,
        owner_role: str,
        secret_fingerprint: str,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
        id: UUID | None = None,  # the service chooses it: the secret is stored under it first
    ) -> None:
        self.url = url
        self.event_types = event_types
        self.ppr_codes = ppr_codes
        self.description = description
        self.owner_id = owner_id
        self.owner_role = owner_role
        self.secret_fingerprints = [secret_fingerprint]
        self.created_at = occurred_at
        self.enabled = True
        self.disabled_reason: str | None = None
        self.disabled_detail: str | None = None
        self.deleted = False
        self.changed_at = occurred_at

    @classmethod
    def create(
        cls,
        actor: Actor,
        *,
        url: str,
        event_types: list[str],
        ppr_codes: list[str],
        description: str | None,
        secret_fingerprint: str,
        subscription_id: UUID,
    ) -> WebhookSubscription:
        """Subscribe ``url`` to events; an empty ``ppr_codes`` means every PPR in the owner's reach."""
        if actor.role not in MANAGERS:
            raise NotPermitted("only an admin or an integration may subscribe to webhooks")
        return cls(
            url=validate_url(url),
            event_types=validate_event_types(event_types),
            ppr_codes=sorted(set(ppr_codes)),
            description=validate_description(description),
            owner_id=actor.principal_id,
            owner_role=actor.role.value,
            secret_fingerprint=secret_fingerprint,
            actor_id=actor.principal_id,
            actor_role=actor.role.value,
            occurred_at=clock.now(),
            id=subscription_id,
        )

    def require_manager(self, actor: Actor) -> None:
        """An admin manages every subscription; an integration only the ones it created."""
        if actor.role is Role.ADMIN:
            return
        if actor.role is Role.INTEGRATION and actor.principal_id == self.owner_id:
            return
        raise NotPermitted("only an admin or the integration that created it may change this")

    def _require_live(self) -> None:
        if self.deleted:
            raise IllegalTransition("the subscription was deleted")

    def change(
        self,
        actor: Actor,
        *,
        url: str | None = None,
        event_types: list[str] | None = None,
        ppr_codes: list[str] | None = None,
        description: str | None = None,
    ) -> None:
        """Change the target or what it receives; fields left out stay as they are."""
        self.require_manager(actor)
        self._require_live()
        new_url = validate_url(url) if url is not None else self.url
        new_types = validate_event_types(event_types) if event_types is not None else None
        new_pprs = sorted(set(ppr_codes)) if ppr_codes is not None else None
        new_description = validate_description(description) if description is not None else None
        unchanged = (
            new_url == self.url
            and (new_types is None or new_types == self.event_types)
            and (new_pprs is None or new_pprs == self.ppr_codes)
            and (new_description is None or new_description == self.description)
        )
        if unchanged:
            return
        self._change(
            url=new_url,
            event_types=new_types if new_types is not None else self.event_types,
            ppr_codes=new_pprs if new_pprs is not None else self.ppr_codes,
            description=new_description if new_description is not None else self.description,
            actor_id=actor.principal_id,
            actor_role=actor.role.value,
            occurred_at=clock.now(),
        )

    @event("Changed")
    def _change(
        self,
        url: str,
        event_types: list[str],
        ppr_codes: list[str],
        description: str,
        actor_id: str,
        actor_role: str,
        occurred_at: datetime,
    ) -> None:
        self.url = url
        self.event_types = event_types
        self.ppr_codes = ppr_codes
        self.description = description
        self.changed_at = occurred_at

    def enable(self, actor: Actor) -> None:
        """Switch deliveries back on (after the receiver was fixed, say)."""
        self.require_manager(actor)
        self._require_live()
        if not self.enabled:
            self._enable(actor_id=actor.principal_id, actor_role=actor.role.value)

    @event("Enabled")
    def _enable(self, actor_id: str, actor_role: str) -> None:
        self.enabled = True
        self.disabled_reason = None
        self.disabled_detail = None

    def disable(self, actor: Actor, reason: DisabledReason, detail: str = "") -> None:
        """Stop deliveries: by hand, or by the service when the receiver is gone or failing."""
        if actor.role is Role.SYSTEM:
            if reason is DisabledReason.MANUAL:
                raise NotPermitted("the service disables a subscription only for a reason")
        else:
            self.require_manager(actor)
        self._require_live()
        if self.enabled:
            self._disable(
                reason=reason.value,
                detail=detail[:500],
                actor_id=actor.principal_id,
                actor_role=actor.role.value,
            )

    @event("Disabled")
    def _disable(self, reason: str, detail: str, actor_id: str, actor_role: str) -> None:
        self.enabled = False
        self.disabled_reason = reason
        self.disabled_detail = detail

    def rotate_secret(
        self, actor: Actor, secret_fingerprint: str, previous_valid_until: datetime
    ) -> None:
        """Start signing with a new secret; the previous one signs too until it expires."""
        self.require_manager(actor)
        self._require_live()
        self._rotate_secret(
            secret_fingerprint=secret_fingerprint,
            previous_valid_until=previous_valid_until,
            actor_id=actor.principal_id,
            actor_role=actor.role.value,
        )

    @event("SecretRotated")
    def _rotate_secret(
        self,
        secret_fingerprint: str,
        previous_valid_until: datetime,
        actor_id: str,
        actor_role: str,
    ) -> None:
        self.secret_fingerprints = [secret_fingerprint, *self.secret_fingerprints[:1]]

    def delete(self, actor: Actor) -> None:
        """End the subscription for good; its delivery log stays for the record."""
        self.require_manager(actor)
        self._require_live()
        self._delete(actor_id=actor.principal_id, actor_role=actor.role.value)

    @event("Deleted")
    def _delete(self, actor_id: str, actor_role: str) -> None:
        self.deleted = True
        self.enabled = False

    @property
    def receives(self) -> bool:
        """Whether deliveries go out now."""
        return self.enabled and not self.deleted

    def wants(self, event_type: str, ppr_codes: tuple[str, ...]) -> bool:
        """Whether an event of this type about these PPRs (none: about no one PPR) is for us."""
        if not any(matches(pattern, event_type) for pattern in self.event_types):
            return False
        return not ppr_codes or not self.ppr_codes or bool(set(ppr_codes) & set(self.ppr_codes))


class WebhookCommands(Application[UUID]):
    """Commands on webhook subscriptions (a base of :class:`domain.application.K2K`)."""

    def get_webhook_subscription(
        self, subscription_id: UUID, *, include_deleted: bool = False
    ) -> WebhookSubscription:
        """A subscription (a deleted one is gone, unless asked for by the delivery log)."""
        try:
            subscription: object = self.repository.get(subscription_id)
        except AggregateNotFoundError as error:
            raise NotFound(
                "no webhook subscription {subscription_id}", subscription_id=subscription_id
            ) from error
        if not isinstance(subscription, WebhookSubscription) or (
            subscription.deleted and not include_deleted
        ):
            raise NotFound(
                "no webhook subscription {subscription_id}", subscription_id=subscription_id
            )
        return subscription

    def create_webhook_subscription(
        self,
        actor: Actor,
        *,
        subscription_id: UUID,
        url: str,
        event_types: list[str],
        ppr_codes: list[str],
        description: str | None,
        secret_fingerprint: str,
    ) -> Saved:
        """Record a new subscription (its secret is stored by the caller, outside the log)."""
        subscription = WebhookSubscription.create(
            actor,
            url=url,
            event_types=event_types,
            ppr_codes=ppr_codes,
            description=description,
            secret_fingerprint=secret_fingerprint,
            subscription_id=subscription_id,
        )
        try:
            self.save(subscription)
        except IntegrityError as error:
            raise ConcurrentChange(
                "subscription {subscription_id} exists already", subscription_id=subscription_id
            ) from error
        return Saved(subscription.id, subscription.version)

    def change_webhook_subscription(
        self,
        actor: Actor,
        subscription_id: UUID,
        *,
        url: str | None = None,
        event_types: list[str] | None = None,
        ppr_codes: list[str] | None = None,
        description: str | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Change what a subscription receives and where."""
        return self._change_subscription(
            subscription_id,
            expected_version,
            lambda subscription: subscription.change(
                actor,
                url=url,
                event_types=event_types,
                ppr_codes=ppr_codes,
                description=description,
            ),
        )

    def enable_webhook_subscription(
        self, actor: Actor, subscription_id: UUID, *, expected_version: int | None = None
    ) -> Saved:
        """Switch a subscription back on."""
        return self._change_subscription(
            subscription_id, expected_version, lambda subscription: subscription.enable(actor)
        )

    def disable_webhook_subscription(
        self,
        actor: Actor,
        subscription_id: UUID,
        *,
        reason: DisabledReason = DisabledReason.MANUAL,
        detail: str = "",
        expected_version: int | None = None,
    ) -> Saved:
        """Switch a subscription off."""
        return self._change_subscription(
            subscription_id,
            expected_version,
            lambda subscription: subscription.disable(actor, reason, detail),
        )

    def rotate_webhook_secret(
        self,
        actor: Actor,
        subscription_id: UUID,
        *,
        secret_fingerprint: str,
        previous_valid_until: datetime,
        expected_version: int | None = None,
    ) -> Saved:
        """Record that a subscription signs with a new secret."""
        return self._change_subscription(
            subscription_id,
            expected_version,
            lambda subscription: subscription.rotate_secret(
                actor, secret_fingerprint, previous_valid_until
            ),
        )

    def delete_webhook_subscription(
        self, actor: Actor, subscription_id: UUID, *, expected_version: int | None = None
    ) -> Saved:
        """End a subscription."""
        return self._change_subscription(
            subscription_id, expected_version, lambda subscription: subscription.delete(actor)
        )

    def _change_subscription(
        self,
        subscription_id: UUID,
        expected_version: int | None,
        change: Callable[[WebhookSubscription], None],
    ) -> Saved:
        subscription = self.get_webhook_subscription(subscription_id)
        if expected_version is not None and subscription.version != expected_version:
            raise VersionMismatch(expected_version, subscription.version)
        change(subscription)
        try:
            self.save(subscription)
        except IntegrityError as error:
            raise ConcurrentChange(
                "subscription {subscription_id} was changed at the same time; try again",
                subscription_id=subscription_id,
            ) from error
        return Saved(subscription.id, subscription.version)
