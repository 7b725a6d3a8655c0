"""Who may see which case, and what of it (DESIGN §2).

- A resident sees the public cases of their PPRs and their own cases in full; never internal
  notes, another resident's identity, or another household's unit number.
- Committee and management see every case of their PPRs with internal notes and identities,
  except the reporter of an anonymous case.
- Admin sees everything. Auditors see everything read-only with every person pseudonymised.
- Integrations see the non-private cases of their PPRs without personal data.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from domain.actors import Actor, Role
from domain.case import CASE_WORKERS
from service.tokens.store import Principal

#: Those who work cases see them whole: the same roles the domain lets work a case.
STAFF = CASE_WORKERS

#: The service's own principal (its timed actions): shown as it is to every viewer.
SERVICE_PRINCIPAL = Actor.system().principal_id


def pseudonym(key: str | bytes, principal_id: str) -> str:
    """A stable stand-in for a person: ``p-`` and 16 hex of HMAC-SHA256, the same for one key."""
    secret = key.encode() if isinstance(key, str) else key
    digest = hmac.new(secret, principal_id.encode(), hashlib.sha256).hexdigest()
    return f"p-{digest[:16]}"


def can_view_case(viewer: Principal, ppr_code: str, private: bool, reporter_id: str) -> bool:
    """Whether the case exists as far as ``viewer`` is concerned."""
    if viewer.role in (Role.ADMIN, Role.AUDITOR):
        return True
    if not viewer.in_scope(ppr_code):
        return False
    if viewer.role in STAFF:
        return True
    return not private or reporter_id == viewer.principal_id


def sees_internal(viewer: Principal) -> bool:
    """Whether internal notes are shown."""
    return viewer.role in STAFF or viewer.role is Role.AUDITOR


class Redactor:
    """Hides or pseudonymises people for one viewer of one case."""

    def __init__(
        self, viewer: Principal, *, reporter_id: str, anonymous: bool, pseudonym_key: str
    ) -> None:
        self.viewer = viewer
        self.reporter_id = reporter_id
        self.anonymous = anonymous
        self.key = pseudonym_key.encode()

    def pseudonym(self, principal_id: str) -> str:
        """A stable stand-in for a person, the same across cases for one key."""
        return pseudonym(self.key, principal_id)

    def person(self, principal_id: str, role: str) -> dict[str, Any]:
        """How ``viewer`` sees the actor ``principal_id`` of this case."""
        shown: str | None
        if (
            principal_id == SERVICE_PRINCIPAL
            or self.viewer.role is Role.ADMIN
            or principal_id == self.viewer.principal_id
        ):
            shown = principal_id
        elif self.anonymous and principal_id == self.reporter_id:
            shown = None
        elif self.viewer.role is Role.AUDITOR:
            shown = self.pseudonym(principal_id)
        elif self.viewer.role in STAFF:
            shown = principal_id
        elif role == Role.RESIDENT.value:
            shown = None
        else:
            shown = principal_id
        return {"id": shown, "role": role}

    @property
    def sees_unit(self) -> bool:
        """Unit numbers identify a household: staff and the reporter only."""
        return self.viewer.role in STAFF or self.viewer.principal_id == self.reporter_id
