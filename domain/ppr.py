"""The PPR scheme aggregate: its blocks, its case categories and their SLA targets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.actors import Actor, Role
from domain.base import K2KAggregate
from domain.errors import AlreadyExists, InvalidValue, NotPermitted

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
#: Residents may dispute a claimed fix for this many days unless the PPR sets otherwise.
DEFAULT_DISPUTE_WINDOW_DAYS = 14
#: A case with this many "me too"s is a community priority unless the PPR sets otherwise.
DEFAULT_PRIORITY_SUPPORTS = 10
MAX_SLA_HOURS = 24 * 365


@dataclass(frozen=True)
class SlaTargets:
    """Hours allowed from the report to each milestone, for one category of one PPR."""

    acknowledge_hours: int
    first_response_hours: int
    resolve_hours: int

    def validate(self) -> None:
        """Refuse targets that cannot be met or that contradict each other."""
        for name in ("acknowledge_hours", "first_response_hours", "resolve_hours"):
            value = getattr(self, name)
            if not 1 <= value <= MAX_SLA_HOURS:
                raise InvalidValue(name, "must be between 1 and {most} hours", most=MAX_SLA_HOURS)
        if self.resolve_hours < max(self.acknowledge_hours, self.first_response_hours):
            raise InvalidValue(
                "resolve_hours", "cannot be shorter than acknowledge_hours or first_response_hours"
            )

    def as_dict(self) -> dict[str, int]:
        """Plain form, as stored in events."""
        return {
            "acknowledge_hours": self.acknowledge_hours,
            "first_response_hours": self.first_response_hours,
            "resolve_hours": self.resolve_hours,
        }


def ppr_id(code: str) -> UUID:
    """The aggregate id of the PPR with this code: derived, so a code can be registered only once."""
    return uuid5(NAMESPACE_URL, f"k2k:ppr:{code.strip().upper()}")


def require_admin(actor: Actor) -> None:
    """PPR configuration is the admin's job (DESIGN §2)."""
    if actor.role not in (Role.ADMIN, Role.SYSTEM):
        raise NotPermitted("only an admin may configure a PPR")


def validate_code(field: str, code: str) -> str:
    """Codes are short upper-case identifiers that appear in URLs and exports."""
    normalised = code.strip().upper()
    if not CODE_PATTERN.match(normalised):
        raise InvalidValue(
            field, "use 1-32 letters, digits, '-' or '_', starting with a letter or digit"
        )
    return normalised


def validate_name(field: str, name: str, limit: int = 120) -> str:
    """Names are required and bounded."""
    cleaned = name.strip()
    if not cleaned:
        raise InvalidValue(field, "must not be empty")
    if len(cleaned) > limit:
        raise InvalidValue(field, "must be at most {limit} characters", limit=limit)
    return cleaned


class Ppr(K2KAggregate):
    """A public housing scheme (Program Perumahan Rakyat)."""

    @staticmethod
    def create_id(code: str, **_: Any) -> UUID:
        """Derive the id from the code."""
        return ppr_id(code)

    @event("Registered")
    def __init__(
        self, code: str, name: str, dispute_window_days: int, actor_id: str, actor_role: str
    ) -> None:
        self.code = code
        self.name = name
        self.dispute_window_days = dispute_window_days
        self.blocks: dict[str, dict[str, Any]] = {}
        self.categories: dict[str, dict[str, Any]] = {}
        self.priority_support_threshold = DEFAULT_PRIORITY_SUPPORTS

    @classmethod
    def register(cls, actor: Actor, code: str, name: str, dispute_window_days: int) -> Ppr:
        """Register a new PPR scheme."""
        require_admin(actor)
        _validate_window(dispute_window_days)
        return cls(
            code=validate_code("code", code),
            name=validate_name("name", name),
            dispute_window_days=dispute_window_days,
            actor_id=actor.principal_id,
            actor_role=actor.role.value,
        )

    def add_block(self, actor: Actor, code: str, name: str, floors: int) -> None:
        """Add a residential block (its code is what residents write on reports)."""
        require_admin(actor)
        code = validate_code("code", code)
        if code in self.blocks:
            raise AlreadyExists("block {block} exists already in {ppr}", block=code, ppr=self.code)
        if not 1 <= floors <= 100:
            raise InvalidValue("floors", "must be between 1 and 100")
        self._add_block(
            code, validate_name("name", name), floors, actor.principal_id, actor.role.value
        )

    @event("BlockAdded")
    def _add_block(self, code: str, name: str, floors: int, actor_id: str, actor_role: str) -> None:
        self.blocks[code] = {"code": code, "name": name, "floors": floors}

    def add_category(
        self, actor: Actor, code: str, name_ms: str, name_en: str, sla: SlaTargets
    ) -> None:
        """Add a case category with its names in Bahasa Malaysia and English and its SLA targets."""
        require_admin(actor)
        code = validate_code("code", code)
        if code in self.categories:
            raise AlreadyExists(
                "category {category} exists already in {ppr}", category=code, ppr=self.code
            )
        sla.validate()
        self._add_category(
            code,
            validate_name("name_ms", name_ms),
            validate_name("name_en", name_en),
            sla.as_dict(),
            actor.principal_id,
            actor.role.value,
        )

    @event("CategoryAdded")
    def _add_category(
        self,
        code: str,
        name_ms: str,
        name_en: str,
        sla: dict[str, int],
        actor_id: str,
        actor_role: str,
    ) -> None:
        self.categories[code] = {"code": code, "name_ms": name_ms, "name_en": name_en, "sla": sla}

    def change_sla_targets(self, actor: Actor, category_code: str, sla: SlaTargets) -> None:
        """Set new SLA targets for a category; metrics are recomputed against them."""
        require_admin(actor)
        self.require_category(category_code)
        sla.validate()
        self._change_sla_targets(category_code, sla.as_dict(), actor.principal_id, actor.role.value)

    @event("SlaTargetsChanged")
    def _change_sla_targets(
        self, category_code: str, sla: dict[str, int], actor_id: str, actor_role: str
    ) -> None:
        self.categories[category_code]["sla"] = sla

    def change_dispute_window(self, actor: Actor, days: int) -> None:
        """Change how long residents may dispute a claimed fix before the case closes itself."""
        require_admin(actor)
        _validate_window(days)
        self._change_dispute_window(days, actor.principal_id, actor.role.value)

    @event("DisputeWindowChanged")
    def _change_dispute_window(self, days: int, actor_id: str, actor_role: str) -> None:
        self.dispute_window_days = days

    def change_priority_support_threshold(self, actor: Actor, supports: int) -> None:
        """Set how many "me too"s make a case a community priority."""
        require_admin(actor)
        if not 1 <= supports <= 10_000:
            raise InvalidValue("priority_support_threshold", "must be between 1 and 10000")
        self._change_priority_support_threshold(supports, actor.principal_id, actor.role.value)

    @event("PrioritySupportThresholdChanged")
    def _change_priority_support_threshold(
        self, supports: int, actor_id: str, actor_role: str
    ) -> None:
        self.priority_support_threshold = supports

    def require_block(self, code: str) -> None:
        """Refuse a block this PPR does not have."""
        if code not in self.blocks:
            known = ", ".join(sorted(self.blocks)) or "none registered"
            raise InvalidValue(
                "block",
                "{ppr} has no block {block!r} (blocks: {known})",
                ppr=self.code,
                block=code,
                known=known,
            )

    def require_category(self, code: str) -> None:
        """Refuse a category this PPR does not have."""
        if code not in self.categories:
            known = ", ".join(sorted(self.categories)) or "none registered"
            raise InvalidValue(
                "category",
                "{ppr} has no category {category!r} (categories: {known})",
                ppr=self.code,
                category=code,
                known=known,
            )


def _validate_window(days: int) -> None:
    if not 1 <= days <= 90:
        raise InvalidValue("dispute_window_days", "must be between 1 and 90 days")


__all__ = [
    "DEFAULT_DISPUTE_WINDOW_DAYS",
    "DEFAULT_PRIORITY_SUPPORTS",
    "Ppr",
    "SlaTargets",
    "ppr_id",
]
