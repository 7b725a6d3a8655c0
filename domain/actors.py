"""Who acts: a principal with one role. Every event records both."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The roles of DESIGN §2, plus ``system`` for the service's own timed actions."""

    RESIDENT = "resident"
    COMMITTEE = "committee"
    MANAGEMENT = "management"
    AUDITOR = "auditor"
    ADMIN = "admin"
    INTEGRATION = "integration"
    SYSTEM = "system"


#: Roles that may record something as having happened earlier (paper logbooks, offline reports).
BACKFILL_ROLES = frozenset({Role.COMMITTEE, Role.ADMIN, Role.SYSTEM})

#: Roles that see every case of their PPRs, including internal notes.
STAFF_ROLES = frozenset({Role.COMMITTEE, Role.MANAGEMENT, Role.ADMIN, Role.SYSTEM})


@dataclass(frozen=True)
class Actor:
    """The principal behind a command: a stable id and the role they act in."""

    principal_id: str
    role: Role

    @classmethod
    def system(cls) -> Actor:
        """The service itself, for actions a timer triggers (auto-close)."""
        return cls(principal_id="system", role=Role.SYSTEM)
