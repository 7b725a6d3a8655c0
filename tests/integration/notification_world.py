"""A scenario for the notification tests: a PPR, its people with their languages, and a drain."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from domain import clock
from service.runtime import Runtime
from tests.unit.governance_world import Governance
from tests.unit.world import OTHER_PPR, PPR, START, FrozenClock, World, register_schemes
from workers.people import ensure_person, update_person
from workers.tables import deliveries, messages

#: (principal id, role, PPR, language) of everyone the scenario may notify.
PEOPLE = (
    ("resident-1", "resident", PPR, "en"),  # the reporter
    ("resident-2", "resident", PPR, "ms"),  # a neighbour who supports the case
    ("resident-3", "resident", PPR, "ms"),  # a resident with nothing to do with the case
    ("committee-1", "committee", PPR, "ms"),
    ("committee-2", "committee", PPR, "en"),
    ("manager-1", "management", PPR, "ms"),
    ("manager-2", "management", PPR, "en"),
    ("manager-9", "management", OTHER_PPR, "en"),  # management of another PPR
)


@dataclass(frozen=True)
class Received:
    """One message as its recipient sees it."""

    message_id: str
    kind: str
    language: str
    subject: str
    body: str
    case_id: str | None


class Notified:
    """The runtime under test, with steps that read like a scenario and a way to read outboxes."""

    def __init__(self, runtime: Runtime, frozen: FrozenClock) -> None:
        self.runtime = runtime
        self.clock = frozen
        self.world = World(runtime.app, frozen)
        self.governance = Governance(self.world)
        self._seen: set[str] = set()

    def set_up(self) -> None:
        """Register the PPRs and the people (with their languages)."""
        register_schemes(self.runtime.app)
        for principal_id, role, ppr, language in PEOPLE:
            ensure_person(self.runtime.engine, principal_id, principal_id, role, [ppr])
            update_person(self.runtime.engine, principal_id, language=language)

    def drain(self) -> None:
        """Run everything that is due: projections, the relay and the jobs, until quiet."""
        while True:
            self.runtime.runner.catch_up()
            relayed = self.runtime.relay.catch_up()
            ran = self.runtime.run_embedded_jobs()
            if not relayed and not ran:
                return

    def outbox(self, principal_id: str) -> list[Received]:
        """Everything sent to ``principal_id``, oldest first."""
        with self.runtime.engine.connect() as conn:
            rows = conn.execute(
                select(messages)
                .where(messages.c.recipient_id == principal_id)
                .order_by(messages.c.created_at, messages.c.message_id)
            ).all()
        return [
            Received(r.message_id, r.kind, r.language, r.subject, r.body, r.case_id) for r in rows
        ]

    def kinds(self, principal_id: str) -> list[str]:
        """The kinds of message ``principal_id`` received, oldest first."""
        return [message.kind for message in self.outbox(principal_id)]

    def everyone(self) -> dict[str, list[str]]:
        """Each person's kinds of message (people with none are left out)."""
        return {pid: self.kinds(pid) for pid, *_ in PEOPLE if self.kinds(pid)}

    def news(self) -> dict[str, list[tuple[str, str]]]:
        """Drain, then each person's (kind, language) of the messages new since the last call."""
        self.drain()
        new = {}
        for principal_id, *_ in PEOPLE:
            fresh = [m for m in self.outbox(principal_id) if m.message_id not in self._seen]
            self._seen.update(message.message_id for message in fresh)
            if fresh:
                new[principal_id] = [(message.kind, message.language) for message in fresh]
        return new

    def deliveries(self, kind: str | None = None) -> list[Any]:
        """Every delivery row (of messages of ``kind``), with its message's kind."""
        query = select(deliveries, messages.c.kind).join(
            messages, messages.c.message_id == deliveries.c.message_id
        )
        if kind is not None:
            query = query.where(messages.c.kind == kind)
        with self.runtime.engine.connect() as conn:
            return list(conn.execute(query).all())


@contextmanager
def notified(runtime: Runtime, start: datetime = START) -> Iterator[Notified]:
    """The scenario on ``runtime`` under a clock frozen at ``start``."""
    frozen = FrozenClock(start)
    with clock.clock_set_to(frozen):
        scenario = Notified(runtime, frozen)
        scenario.set_up()
        yield scenario
