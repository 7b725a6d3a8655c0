"""One-time sign-in codes sent to a registered email address or phone number.

A code is six digits, lives ten minutes, works once and survives five wrong guesses: a guesser
has five chances in a million per code, and the rate limits below cap how many codes anyone can
ask for. Codes and addresses are stored only as keyed hashes (HMAC with a key derived from
``K2K_SECRETS_KEY``): six digits are too few to survive a plain hash in a stolen table.

Asking for a code never says whether the address is registered (the page reads the same either
way), so the form cannot be used to find out who lives where.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select, update

from domain.errors import InvalidValue
from service.runtime import Runtime
from service.tables import sign_in_codes
from workers.kinds import Channel
from workers.people import normalise_email, normalise_phone
from workers.tables import people

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
MAX_GUESSES = 5
#: At most this many codes per address, and per requester (browser address), in RATE_WINDOW.
CODES_PER_ADDRESS = 3
CODES_PER_REQUESTER = 10
RATE_WINDOW = timedelta(minutes=15)
#: Roles that sign in to the web pages with a code.
CODE_ROLES = ("resident", "committee", "management", "auditor", "admin")


class TooManyCodes(Exception):
    """Too many codes asked for lately; ``retry_after`` seconds until the next may be sent."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many sign-in codes; try again in {retry_after} s")
        self.retry_after = retry_after


class CodeRejected(Exception):
    """The code is wrong, used, expired or has had too many wrong guesses."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        #: ``wrong``, ``expired`` (expired, used or unknown) or ``locked`` (too many guesses).
        self.reason = reason


@dataclass(frozen=True)
class Address:
    """Where a person asked for their code: an email address or an E.164 phone number."""

    channel: Channel
    value: str

    @property
    def masked(self) -> str:
        """The address with most of it hidden, to show on the page: ``a•••@example.com``."""
        if self.channel is Channel.EMAIL:
            local, _, domain = self.value.partition("@")
            return f"{local[:1]}\u2022\u2022\u2022@{domain}"
        return f"{self.value[:3]}\u2022\u2022\u2022\u2022{self.value[-3:]}"


def parse_address(text: str) -> Address:
    """An email address or a (Malaysian or international) phone number; InvalidValue otherwise."""
    value = text.strip()
    if not value:
        raise InvalidValue("address", "enter your email address or phone number")
    if "@" in value:
        try:
            return Address(Channel.EMAIL, normalise_email(value).lower())
        except InvalidValue as error:
            raise InvalidValue("address", "this is not an email address") from error
    try:
        return Address(Channel.SMS, normalise_phone(value))
    except InvalidValue as error:
        raise InvalidValue(
            "address", "this is neither an email address nor a phone number"
        ) from error


def _key(runtime: Runtime, purpose: str) -> bytes:
    return hmac.new(
        runtime.settings.secrets_key.encode(), purpose.encode(), hashlib.sha256
    ).digest()


def _keyed(runtime: Runtime, purpose: str, value: str) -> str:
    return hmac.new(_key(runtime, purpose), value.encode(), hashlib.sha256).hexdigest()


def _registered(runtime: Runtime, address: Address) -> list[tuple[str, str]]:
    """(principal id, language) of everyone registered under ``address`` who may sign in."""
    column = people.c.email if address.channel is Channel.EMAIL else people.c.phone
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(people.c.principal_id, people.c.language)
            .where(func.lower(column) == address.value.lower(), people.c.role.in_(CODE_ROLES))
            .order_by(people.c.principal_id)
        ).all()
    return [(row.principal_id, row.language) for row in rows]


def _check_rate(runtime: Runtime, address_hash: str, requester_hash: str, now: datetime) -> None:
    since = now - RATE_WINDOW
    c = sign_in_codes.c
    with runtime.engine.connect() as conn:
        recent = conn.execute(
            select(c.address_hash, c.requester_hash, c.created_at).where(
                c.created_at > since,
                or_(c.address_hash == address_hash, c.requester_hash == requester_hash),
            )
        ).all()
    for limit, rows in (
        (CODES_PER_ADDRESS, [row for row in recent if row.address_hash == address_hash]),
        (CODES_PER_REQUESTER, [row for row in recent if row.requester_hash == requester_hash]),
    ):
        if len(rows) >= limit:
            oldest = min(row.created_at for row in rows)
            raise TooManyCodes(max(1, int((oldest + RATE_WINDOW - now).total_seconds()) + 1))


def request_code(runtime: Runtime, address: Address, requester: str, language: str) -> str:
    """Record a code for ``address`` and queue its message; returns the code's id.

    The id is returned (and a row written) whether or not anyone is registered there, so that
    asking reveals nothing; only a registered person gets a message.
    """
    now = datetime.now(tz=UTC)
    address_hash = _keyed(runtime, "sign-in address", f"{address.channel}:{address.value}")
    requester_hash = _keyed(runtime, "sign-in requester", requester)
    _check_rate(runtime, address_hash, requester_hash, now)
    registered = _registered(runtime, address)
    code_id = str(uuid.uuid4())
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    with runtime.engine.begin() as conn:
        conn.execute(
            sign_in_codes.insert().values(
                code_id=code_id,
                principal_ids=[principal_id for principal_id, _ in registered],
                channel=address.channel.value,
                address_hash=address_hash,
                requester_hash=requester_hash,
                code_hash=_keyed(runtime, "sign-in code", f"{code_id}:{code}"),
                created_at=now,
                expires_at=now + CODE_LIFETIME,
                attempts=0,
            )
        )
    if registered:
        # One message for the address, in its first holder's language (a shared phone gets one
        # SMS, not one per person on it; who signs in is chosen after the code).
        principal_id, their_language = registered[0]
        jobs = runtime.notifier.prepare_sign_in_code(
            code_id,
            principal_id,
            address.channel,
            code,
            int(CODE_LIFETIME.total_seconds() // 60),
            their_language or language,
        )
        runtime.request_queue.enqueue_many(jobs)
        runtime.changed()
    return code_id


def verify_code(runtime: Runtime, code_id: str, code: str) -> list[str]:
    """The principal ids the code signs in as; CodeRejected when it does not.

    Each guess is counted before it is judged (a compare-and-set on the count), so parallel
    guesses cannot get past the limit, and a right code is spent in the same way: once.
    """
    now = datetime.now(tz=UTC)
    c = sign_in_codes.c
    with runtime.engine.connect() as conn:
        row = conn.execute(select(sign_in_codes).where(c.code_id == code_id)).mappings().first()
    if row is None or row["used_at"] is not None or row["expires_at"] <= now:
        raise CodeRejected("expired")
    if row["attempts"] >= MAX_GUESSES:
        raise CodeRejected("locked")
    with runtime.engine.begin() as conn:
        counted = conn.execute(
            update(sign_in_codes)
            .where(c.code_id == code_id, c.attempts == row["attempts"], c.used_at.is_(None))
            .values(attempts=row["attempts"] + 1)
        )
    if counted.rowcount != 1:
        raise CodeRejected("wrong")  # a parallel guess counted first: judge this one again later
    digits = "".join(ch for ch in code if ch.isdigit())
    expected = row["code_hash"]
    given = _keyed(runtime, "sign-in code", f"{code_id}:{digits}")
    if not row["principal_ids"] or not hmac.compare_digest(expected, given):
        raise CodeRejected("locked" if row["attempts"] + 1 >= MAX_GUESSES else "wrong")
    with runtime.engine.begin() as conn:
        spent = conn.execute(
            update(sign_in_codes)
            .where(c.code_id == code_id, c.used_at.is_(None))
            .values(used_at=now)
        )
    if spent.rowcount != 1:
        raise CodeRejected("expired")
    return list(row["principal_ids"])
