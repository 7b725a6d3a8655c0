"""The scenario the domain unit tests share: two PPRs, the people who act on them, a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.actors import Actor, Role
from domain.application import K2K
from domain.case import Case, Channel, Location, Party
from domain.errors import DomainError, InvalidValue
from domain.ppr import SlaTargets

#: A Monday morning in Kuala Lumpur (09:30 MYT), so that dates are not near a UTC day boundary.
START = datetime(2024, 3, 4, 1, 30, tzinfo=UTC)

PPR = "PPRSP"
OTHER_PPR = "PPRLB"

ADMIN = Actor("admin-1", Role.ADMIN)
REPORTER = Actor("resident-1", Role.RESIDENT)
NEIGHBOUR = Actor("resident-2", Role.RESIDENT)
MANAGER = Actor("manager-1", Role.MANAGEMENT)
COMMITTEE = Actor("committee-1", Role.COMMITTEE)
AUDITOR = Actor("auditor-1", Role.AUDITOR)
INTEGRATION = Actor("open311-1", Role.INTEGRATION)
SYSTEM = Actor.system()

LIFT_SLA = SlaTargets(acknowledge_hours=24, first_response_hours=48, resolve_hours=168)
WATER_SLA = SlaTargets(acknowledge_hours=4, first_response_hours=8, resolve_hours=48)


class FrozenClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by ``timedelta(**delta)`` and return the new time."""
        self.current += timedelta(**delta)
        return self.current

    def set(self, when: datetime) -> None:
        """Put the clock at ``when``."""
        self.current = when


class World:
    """The application under test with helpers that read like the steps of a scenario."""

    def __init__(self, app: K2K, clock: FrozenClock) -> None:
        self.app = app
        self.clock = clock

    # -- reading ---------------------------------------------------------------------------------

    def case(self, case_id: UUID) -> Case:
        """The case as stored now (read straight from the repository)."""
        case = self.app.repository.get(case_id)
        assert isinstance(case, Case)
        return case

    def version(self, case_id: UUID) -> int:
        """The stored version of the case."""
        return self.case(case_id).version

    def events(self, case_id: UUID) -> list[Any]:
        """Every recorded event of the case, oldest first."""
        return list(self.app.events.get(case_id))

    def last_event(self, case_id: UUID) -> Any:
        """The newest recorded event of the case."""
        return self.events(case_id)[-1]

    def recorded(self) -> int:
        """How many events the whole application has recorded."""
        return self.app.recorder.max_notification_id() or 0

    # -- writing ---------------------------------------------------------------------------------

    def report(
        self,
        actor: Actor = REPORTER,
        *,
        ppr_code: str = PPR,
        location: Location | None = None,
        category_code: str = "LIFT",
        title: str = "Lif blok A rosak",
        description: str = "Lif berhenti di tingkat 5 sejak pagi tadi.",
        **options: Any,
    ) -> UUID:
        """Report a case (a broken lift in a unit of block A unless told otherwise)."""
        saved = self.app.report_case(
            actor,
            ppr_code=ppr_code,
            location=location or Location("A", floor="5", unit="A-05-12"),
            category_code=category_code,
            title=title,
            description=description,
            channel=options.pop("channel", Channel.APP),
            **options,
        )
        return saved.id

    def acknowledged(self) -> UUID:
        """A case that management has acknowledged."""
        case_id = self.report()
        self.app.acknowledge_case(MANAGER, case_id)
        return case_id

    def in_progress(self, to: Party = Party.CONTRACTOR) -> UUID:
        """A case acknowledged and assigned."""
        case_id = self.acknowledged()
        self.app.assign_case(MANAGER, case_id, to=to, assignee="Syarikat Lif Jaya")
        return case_id

    def resolved(self) -> UUID:
        """A case management claims is fixed; the reporter's dispute window starts now."""
        case_id = self.in_progress()
        self.app.resolve_case(MANAGER, case_id, note="Motor lif diganti.")
        return case_id

    # -- refusing --------------------------------------------------------------------------------

    @contextmanager
    def refuses(
        self, case_id: UUID | None, error: type[DomainError], *, field: str | None = None
    ) -> Iterator[pytest.ExceptionInfo[DomainError]]:
        """Expect the enclosed command to raise ``error`` and to record nothing at all."""
        version = self.version(case_id) if case_id is not None else None
        recorded = self.recorded()
        with pytest.raises(error) as info:
            yield info
        # Nothing recorded: neither on this case nor anywhere else.
        assert self.recorded() == recorded
        if case_id is not None:
            assert self.version(case_id) == version
        if field is not None:
            assert isinstance(info.value, InvalidValue)
            assert info.value.field == field


def register_schemes(app: K2K) -> None:
    """Two PPRs: the one under test (blocks A and B, lift and water) and another one."""
    app.register_ppr(ADMIN, PPR, "PPR Sri Pelangi")
    app.add_block(ADMIN, PPR, "A", "Blok A", floors=17)
    app.add_block(ADMIN, PPR, "B", "Blok B", floors=17)
    app.add_category(ADMIN, PPR, "LIFT", "Lif", "Lift", LIFT_SLA)
    app.add_category(ADMIN, PPR, "WATER", "Bekalan air", "Water supply", WATER_SLA)
    app.register_ppr(ADMIN, OTHER_PPR, "PPR Lembah Subang")
    app.add_block(ADMIN, OTHER_PPR, "A", "Blok A", floors=5)
    app.add_category(ADMIN, OTHER_PPR, "LIFT", "Lif", "Lift", LIFT_SLA)
