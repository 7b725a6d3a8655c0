"""The people the service notifies: who they are, their contact points and their preferences.

Contact points are personal data kept out of the event log, so they can be corrected and erased.
A row is keyed by the principal id that person's events carry; tokens create it, admins may
register someone who has no token (a committee member reached only by SMS).

Every change is a compare-and-set on ``updated_at`` (which each write moves strictly forward), so
two writers that read the same row cannot lose each other's change: the loser reads again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, String, cast, select, update
from sqlalchemy.sql.elements import ColumnElement

from domain.actors import Role
from domain.errors import ConcurrentChange, InvalidValue, NotFound
from projections.database import insert_into
from workers.kinds import INSTANT_CHANNELS, LANGUAGES, Kind
from workers.tables import people

DEFAULT_LANGUAGE = "ms"
DEFAULT_CHANNELS: tuple[str, ...] = tuple(channel.value for channel in INSTANT_CHANNELS)
#: Roles a person may hold (the system acts itself and is nobody to notify).
PERSON_ROLES = frozenset(role.value for role in Role if role is not Role.SYSTEM)
#: Fields ``update_person`` may change.
CHANGEABLE = frozenset(
    {
        "name",
        "role",
        "ppr_codes",
        "email",
        "phone",
        "language",
        "digest",
        "channels",
        "muted_kinds",
    }
)
MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 120
#: Compare-and-set attempts before a change gives up as conflicting.
MAX_ATTEMPTS = 20
#: Rows read per query while a list is filtered in Python.
SCAN_BATCH = 200

_EMAIL_LOCAL = re.compile(r"[^\s@\"(),:;<>\[\]\\]{1,64}")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PHONE_SEPARATORS = re.compile(r"[\s\-]")
#: Malaysia's country code: a local number's leading 0 (the trunk prefix) becomes +60.
MALAYSIA_CODE = "60"

Bind = Engine | Connection


@dataclass(frozen=True)
class Person:
    """Someone to notify, with where and how they want to hear."""

    principal_id: str
    name: str
    role: str
    ppr_codes: tuple[str, ...]
    email: str | None = None
    phone: str | None = None
    language: str = DEFAULT_LANGUAGE
    digest: bool = False
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    muted_kinds: tuple[str, ...] = ()
    updated_at: datetime | None = None

    def wants(self, kind: str) -> bool:
        """Whether this person wants notifications of ``kind`` (they have not muted it)."""
        return str(kind) not in self.muted_kinds


def _person(row: RowMapping) -> Person:
    return Person(
        principal_id=row["principal_id"],
        name=row["name"],
        role=row["role"],
        ppr_codes=tuple(row["ppr_codes"]),
        email=row["email"],
        phone=row["phone"],
        language=row["language"],
        digest=bool(row["digest"]),
        channels=tuple(row["channels"]),
        muted_kinds=tuple(row["muted_kinds"]),
        updated_at=row["updated_at"],
    )


@contextmanager
def _transaction(bind: Bind) -> Iterator[Connection]:
    """A connection in a transaction: the caller's own, or one begun (and committed) here."""
    if isinstance(bind, Engine):
        with bind.begin() as conn:
            yield conn
    elif bind.in_transaction():
        yield bind
    else:
        with bind.begin():
            yield bind


# -- validation ---------------------------------------------------------------------------------


def normalise_email(value: str) -> str:
    """A plausible email address, its domain lowercased; InvalidValue("email") otherwise."""
    address = value.strip()
    local, at, domain = address.rpartition("@")
    domain = domain.lower()
    labels = domain.split(".")
    if (
        not at
        or len(address) > MAX_EMAIL_LENGTH
        or not _EMAIL_LOCAL.fullmatch(local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or len(labels) < 2
        or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise InvalidValue("email", "is not an email address (name@example.my)")
    return f"{local}@{domain}"


def normalise_phone(value: str) -> str:
    """A phone number in E.164 form (+ and 8-15 digits); InvalidValue("phone") otherwise.

    Spaces and dashes are dropped; a Malaysian local number (``012-345 6789``, ``03-2345 6789``)
    loses its trunk 0 for +60, and an international 00 prefix becomes +.
    """
    number = _PHONE_SEPARATORS.sub("", value)
    if number.startswith("+"):
        digits = number[1:]
    elif number.startswith("00"):
        digits = number[2:]
    elif number.startswith("0"):
        digits = MALAYSIA_CODE + number[1:]
    else:
        digits = number
    if not (digits.isascii() and digits.isdigit()) or not 8 <= len(digits) <= 15:
        raise InvalidValue("phone", "is not a phone number (+60123456789 or 012-345 6789)")
    if digits.startswith("0"):
        raise InvalidValue("phone", "a country code does not start with 0")
    return "+" + digits


def _codes(field: str, values: object) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidValue(field, "must be a list")
    items = list(values)
    if not all(isinstance(item, str) for item in items):
        raise InvalidValue(field, "must be a list of strings")
    return tuple(dict.fromkeys(item.strip() for item in items))


def _ppr_codes(values: object) -> tuple[str, ...]:
    codes = tuple(code.upper() for code in _codes("ppr_codes", values))
    if any(not code or code == "*" for code in codes):
        raise InvalidValue("ppr_codes", "name PPR codes (every PPR is not a PPR)")
    return codes


def _validated(field: str, value: object, role: str) -> object:
    """The stored form of one changed field."""
    if field == "name":
        if not isinstance(value, str) or not 1 <= len(value.strip()) <= MAX_NAME_LENGTH:
            raise InvalidValue("name", f"must be 1-{MAX_NAME_LENGTH} characters")
        return value.strip()
    if field == "role":
        if value not in PERSON_ROLES:
            raise InvalidValue("role", f"must be one of {', '.join(sorted(PERSON_ROLES))}")
        return value
    if field == "ppr_codes":
        return list(_ppr_codes(value))
    if field in {"email", "phone"}:
        if value is None:
            return None  # erased
        if not isinstance(value, str):
            raise InvalidValue(field, "must be a string or null")
        if role == Role.INTEGRATION.value:
            raise InvalidValue(field, "an integration is a system and has no contact points")
        return normalise_email(value) if field == "email" else normalise_phone(value)
    if field == "language":
        if value not in LANGUAGES:
            raise InvalidValue("language", f"must be one of {', '.join(LANGUAGES)}")
        return value
    if field == "digest":
        if not isinstance(value, bool):
            raise InvalidValue("digest", "must be true or false")
        return value
    if field == "channels":
        chosen = set(_codes("channels", value))
        allowed = [channel.value for channel in INSTANT_CHANNELS]
        if chosen - set(allowed):
            raise InvalidValue("channels", f"may name only {', '.join(allowed)}")
        return [channel for channel in allowed if channel in chosen]
    if field == "muted_kinds":
        muted = set(_codes("muted_kinds", value))
        unknown = sorted(muted - {kind.value for kind in Kind})
        if unknown:
            raise InvalidValue("muted_kinds", f"unknown kinds: {', '.join(unknown)}")
        return [kind.value for kind in Kind if kind.value in muted]
    raise TypeError(f"a person has no changeable field {field!r}")


# -- writes -------------------------------------------------------------------------------------


def _next_stamp(previous: datetime) -> datetime:
    # Strictly later than the previous write, so the compare-and-set always sees a change.
    return max(datetime.now(tz=UTC), previous + timedelta(microseconds=1))


def _compare_and_set(
    conn: Connection, principal_id: str, change: Callable[[Person], dict[str, Any]]
) -> Person:
    """Apply ``change`` (the new values given the current row) without losing a concurrent one."""
    for _ in range(MAX_ATTEMPTS):
        current = _get(conn, principal_id)
        if current is None:
            raise NotFound(f"no person {principal_id}")
        assert current.updated_at is not None
        values = change(current)
        if not values:
            return current
        values["updated_at"] = _next_stamp(current.updated_at)
        result = conn.execute(
            update(people)
            .where(
                people.c.principal_id == principal_id,
                people.c.updated_at == current.updated_at,
            )
            .values(**values)
        )
        if result.rowcount == 1:
            changed = _get(conn, principal_id)
            assert changed is not None
            return changed
    raise ConcurrentChange(f"person {principal_id} kept changing; try again")


def ensure_person(
    bind: Bind, principal_id: str, name: str, role: str, ppr_codes: Iterable[str]
) -> Person:
    """The person, created with default preferences if missing; an existing one gains the PPRs.

    An existing person keeps their name, role, contact points and preferences. Idempotent; on
    a connection it joins the caller's transaction.
    """
    codes = _ppr_codes(list(ppr_codes))
    role = str(_validated("role", role, role))
    name = str(_validated("name", name, role))
    with _transaction(bind) as conn:
        conn.execute(
            insert_into(people, conn)
            .values(
                principal_id=principal_id,
                name=name,
                role=role,
                ppr_codes=list(codes),
                language=DEFAULT_LANGUAGE,
                digest=False,
                channels=list(DEFAULT_CHANNELS),
                muted_kinds=[],
                updated_at=datetime.now(tz=UTC),
            )
            .on_conflict_do_nothing(index_elements=[people.c.principal_id])
        )

        def add_pprs(person: Person) -> dict[str, Any]:
            missing = [code for code in codes if code not in person.ppr_codes]
            return {"ppr_codes": [*person.ppr_codes, *missing]} if missing else {}

        return _compare_and_set(conn, principal_id, add_pprs)


def update_person(bind: Bind, principal_id: str, **changes: object) -> Person:
    """Change some of a person's fields (``CHANGEABLE``); None for email or phone erases it.

    Raises InvalidValue naming the first bad field, NotFound for an unknown person.
    """
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise TypeError(f"a person has no changeable field {', '.join(sorted(unknown))}")

    def apply(person: Person) -> dict[str, Any]:
        role = str(changes.get("role", person.role))
        return {field: _validated(field, value, role) for field, value in changes.items()}

    with _transaction(bind) as conn:
        return _compare_and_set(conn, principal_id, apply)


def erase_contact_points(bind: Bind, principal_id: str) -> bool:
    """Forget a person's email address and phone number; returns whether the person exists."""
    try:
        update_person(bind, principal_id, email=None, phone=None)
    except NotFound:
        return False
    return True


# -- reads --------------------------------------------------------------------------------------


def _get(conn: Connection, principal_id: str) -> Person | None:
    row = conn.execute(select(people).where(people.c.principal_id == principal_id)).mappings()
    found = row.first()
    return None if found is None else _person(found)


def get_person(bind: Bind, principal_id: str) -> Person | None:
    """The person with this principal id, or None."""
    with _transaction(bind) as conn:
        return _get(conn, principal_id)


def _may_list(ppr_code: str) -> ColumnElement[bool]:
    # A coarse SQL filter on the JSON text (the same in both dialects); Python decides exactly.
    needle = json.dumps(ppr_code).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(people.c.ppr_codes, String).like(f"%{needle}%", escape="\\")


def _scan(
    conn: Connection,
    conditions: list[ColumnElement[bool]],
    ppr_code: str | None,
    after: str | None,
) -> Iterator[Person]:
    """People matching ``conditions`` (and acting in ``ppr_code``) in principal-id order."""
    if ppr_code is not None:
        conditions = [*conditions, _may_list(ppr_code)]
    while True:
        keyset = [people.c.principal_id > after] if after is not None else []
        rows = (
            conn.execute(
                select(people)
                .where(*conditions, *keyset)
                .order_by(people.c.principal_id)
                .limit(SCAN_BATCH)
            )
            .mappings()
            .all()
        )
        for row in rows:
            person = _person(row)
            if ppr_code is None or ppr_code in person.ppr_codes:
                yield person
        if len(rows) < SCAN_BATCH:
            return
        after = rows[-1]["principal_id"]


def people_in(bind: Bind, ppr_code: str, roles: Iterable[str]) -> list[Person]:
    """The people with one of ``roles`` who act in ``ppr_code``, in principal-id order."""
    wanted = sorted(set(roles))
    if not wanted:
        return []
    with _transaction(bind) as conn:
        return list(_scan(conn, [people.c.role.in_(wanted)], ppr_code.strip().upper(), None))


def list_people(
    bind: Bind,
    *,
    ppr: str | None = None,
    role: str | None = None,
    limit: int = 20,
    after: str | None = None,
) -> list[Person]:
    """At most ``limit`` people in principal-id order after ``after``, filtered by PPR and role.

    Ask for one more than a page to learn whether another page follows.
    """
    conditions = [] if role is None else [people.c.role == role]
    code = None if ppr is None else ppr.strip().upper()
    with _transaction(bind) as conn:
        found: list[Person] = []
        for person in _scan(conn, conditions, code, after):
            if len(found) == limit:
                break
            found.append(person)
        return found
