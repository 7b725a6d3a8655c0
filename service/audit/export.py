"""``k2k audit export``: the event log as JSON Lines for offline analysis, with people pseudonymised.

One line per stored event, in log order: its position (the event's notification id), aggregate,
version, event, topic, recorded time, the SHA-256 of its stored state and its fields. A line
matches the audit log's entry whose ``notification_id`` is its ``position``, and carries the same
``state_sha256``; it is not the entry's ``index`` (a position in the entries' stream), which
differs wherever the notification ids have gaps, as they do on PostgreSQL. The fields are shown
as an auditor reads cases through the API (DESIGN §2): every person is the auditor's pseudonym
(``visibility.pseudonym``, as ``Redactor`` makes it), the reporter of an anonymous case is not
shown at all, and the text people wrote is kept. Names and contact points become keyed
pseudonyms of their values, so an analyst can still count repeat reports per household or seat
without learning who. Which field is which is the data in the tables below.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

import click
from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification

from domain.case import Case
from domain.clock import as_utc
from projections.engine import BATCH_SIZE
from projections.events import jsonable
from service.cases.visibility import SERVICE_PRINCIPAL, pseudonym

#: Every event's library metadata: the line carries it as ``originator_id``, ``version`` and
#: ``recorded_at``; ``originator_topic`` (on creation events) repeats the line's ``aggregate``.
LIBRARY_FIELDS = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})

# -- what is personal: the rule, field by field ----------------------------------------------------
#
# Each table applies to a field of that name wherever it occurs, in an event's own fields and in
# dicts and lists nested inside them, so a new event that reuses a name is covered unseen. A field
# in no table passes through unchanged; tests/integration/test_audit_export.py fails when a field
# whose name looks personal is in none of them, so adding one forces a decision here.

#: Fields holding principal ids (one, a list of them, or dicts of them): each id becomes the
#: auditor's pseudonym, the same for one person across events and as in the auditor's API.
PERSON_FIELDS = frozenset(
    {
        "actor_id",
        "reporter_id",
        "member_id",
        "owner_id",
        "principal_id",
        "respondent_id",
        "members_present",
        "resident_ids",
        "supporter_ids",
        "attendee_ids",
        "member_ids",
    }
)

#: Fields holding a person's name or a contact point, by kind: the value becomes a keyed
#: pseudonym of its normalised self (``unit-…``, ``name-…``), stable across events. A unit
#: number names a household, which the auditor's API never shows; its pseudonym still lets
#: repeat reports per household (with the block and PPR, which are kept) be counted.
CONTACT_FIELDS: Mapping[str, str] = {
    "name": "name",
    "full_name": "name",
    "phone": "phone",
    "mobile": "phone",
    "email": "email",
    "unit": "unit",
}

#: Fields whose names look personal but that hold no one's identity, with the reason they stay.
KEPT_FIELDS: Mapping[str, str] = {
    "actor_role": "a role, not a person",
    "owner_role": "a role, not a person",
    "case_ids": "ids of cases",
    "meeting_id": "a meeting's id",
    "decision_id": "a decision's id",
    "survey_id": "a survey's id",
    "key_id": "the id of the key that signs audit checkpoints",
    "gender": "self-declared, for inclusion figures; the auditor's API shows it",
    "age_band": "self-declared, for inclusion figures; the auditor's API shows it",
    "residents_attending": "head counts per gender/age-band group",
    "members_seated": "how many sat on the committee (a count)",
    "assignee": "the contractor or team given the work; every viewer of the case sees it",
}

#: Per (aggregate, event): fields a table above would rewrite that here name places and things.
KEPT_IN_EVENT: Mapping[tuple[str, str], Mapping[str, str]] = {
    ("Ppr", "Registered"): {"name": "the scheme's name"},
    ("Ppr", "BlockAdded"): {"name": "a block's name"},
    ("Ppr", "CategoryAdded"): {
        "name_ms": "a case category's name",
        "name_en": "a case category's name",
    },
}

#: Fields the auditor's API never shows for an anonymous case, so the export drops them (None):
#: the reporter's id wherever it appears in the case's events (``Redactor.person``), and the unit,
#: whose pseudonym would tie the report to the household's other, signed reports.
ANONYMOUS_CASE_DROPS = frozenset({"unit"})


def classify(aggregate: str, event: str, field: str) -> str | None:
    """How the export treats ``field`` of ``aggregate.event``: person, contact, kept, or None."""
    if field in KEPT_IN_EVENT.get((aggregate, event), {}):
        return "kept"
    if field in PERSON_FIELDS:
        return "person"
    if field in CONTACT_FIELDS:
        return "contact"
    if field in KEPT_FIELDS or field in LIBRARY_FIELDS:
        return "kept"
    return None


# -- pseudonyms ------------------------------------------------------------------------------------


def _normalised(kind: str, value: str) -> str:
    """One spelling per value, so "A-10-01" and "a-10-01 " are one household."""
    if kind == "phone":
        return "".join(character for character in value if character.isdigit())
    if kind == "unit":
        return "".join(value.split()).upper()
    return " ".join(value.split()).casefold()


def value_pseudonym(key: str, kind: str, value: str) -> str:
    """A stable stand-in for a name or contact point: ``<kind>-`` and 16 hex of a keyed hash.

    The kind is hashed with the value, so a unit and a name that happen to be spelled alike (or a
    name equal to someone's principal id) never share a pseudonym.
    """
    message = f"{kind}\x00{_normalised(kind, value)}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
    return f"{kind}-{digest[:16]}"


class _Scrubber:
    """Applies the tables to one event's fields."""

    def __init__(self, key: str) -> None:
        self.key = key

    def fields(
        self, aggregate: str, event: str, fields: dict[str, Any], hidden: str | None
    ) -> dict[str, Any]:
        """The event's own fields with people replaced; ``hidden``: an anonymous reporter's id."""
        kept = KEPT_IN_EVENT.get((aggregate, event), {})
        return {
            name: value if name in kept else self.value(name, value, hidden)
            for name, value in fields.items()
        }

    def value(self, name: str | None, value: Any, hidden: str | None) -> Any:
        """``value`` of the field ``name`` (None inside a list), rewritten by the tables."""
        if value is None:
            return None
        if hidden is not None and name in ANONYMOUS_CASE_DROPS:
            return None
        if name in KEPT_FIELDS:
            return value
        if name in PERSON_FIELDS:
            return self.people(value, hidden)
        if name is not None and name in CONTACT_FIELDS:
            return self.contact(CONTACT_FIELDS[name], value)
        if isinstance(value, dict):
            return {key: self.value(key, item, hidden) for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(None, item, hidden) for item in value]
        return value

    def people(self, value: Any, hidden: str | None) -> Any:
        """Principal ids, however nested, as the auditor's API shows them."""
        if isinstance(value, str):
            if value == hidden:
                return None
            # The service's own id is shown as it is, as the auditor's API shows it.
            return value if value == SERVICE_PRINCIPAL else pseudonym(self.key, value)
        if isinstance(value, list):
            return [self.people(item, hidden) for item in value]
        if isinstance(value, dict):
            return {key: self.people(item, hidden) for key, item in value.items()}
        return value

    def contact(self, kind: str, value: Any) -> Any:
        """Names and contact points, however nested, as pseudonyms of their values."""
        if isinstance(value, str):
            return value_pseudonym(self.key, kind, value)
        if isinstance(value, list):
            return [self.contact(kind, item) for item in value]
        if isinstance(value, dict):
            return {key: self.contact(kind, item) for key, item in value.items()}
        return value


class _AnonymousReporters:
    """Who reported each anonymous case, so their id is dropped from its events."""

    def __init__(self, app: Application[UUID]) -> None:
        self.app = app
        self.reporters: dict[UUID, str | None] = {}

    def hidden(self, event: DomainEventProtocol[Any]) -> str | None:
        """The id to hide in this event: its case's reporter, if the case is anonymous."""
        if not isinstance(event, Case.Event):
            return None
        case_id = event.originator_id
        if type(event).__name__ == "Reported":
            fields = vars(event)
            self.reporters[case_id] = fields["actor_id"] if fields["anonymous"] else None
        elif case_id not in self.reporters:
            # An export resumed with --since starts after the case's report: read it back.
            case: Case = self.app.repository.get(case_id, version=1)
            self.reporters[case_id] = case.reporter_id if case.anonymous else None
        return self.reporters[case_id]


def _line(
    notification: Notification,
    event: DomainEventProtocol[Any],
    scrubber: _Scrubber,
    hidden: str | None,
) -> dict[str, Any]:
    """One stored event as an export line (``hidden``: an id the auditor may not see)."""
    kind = type(event)
    aggregate = kind.__qualname__.rsplit(".", 1)[0]
    own = {
        name: jsonable(value) for name, value in vars(event).items() if name not in LIBRARY_FIELDS
    }
    return {
        # The notification id: the audit entries' ``notification_id``, not their ``index``.
        "position": notification.id,
        "originator_id": str(notification.originator_id),
        "aggregate": aggregate,
        "version": notification.originator_version,
        "event": kind.__name__,
        "topic": notification.topic,
        "recorded_at": as_utc(vars(event)["timestamp"]).isoformat(),
        "state_sha256": hashlib.sha256(notification.state).hexdigest(),
        "data": scrubber.fields(aggregate, kind.__name__, own, hidden),
    }


def export_log(
    app: Application[UUID],
    out: TextIO,
    pseudonym_key: str,
    *,
    start: int = 0,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Write every event after position (notification id) ``start`` as JSON Lines; how many.

    The export is the log as it stood when it began: events recorded meanwhile wait for the next
    export, which passes the last line's position as ``start``. ``progress`` is told the size of
    each batch written.
    """
    head = app.recorder.max_notification_id() or 0
    scrubber = _Scrubber(pseudonym_key)
    reporters = _AnonymousReporters(app)
    position, count = start, 0
    while position < head:
        notifications = app.recorder.select_notifications(
            start=position, limit=batch_size, stop=head, inclusive_of_start=False
        )
        if not notifications:
            break
        for notification in notifications:
            event = app.mapper.to_domain_event(notification)
            line = _line(notification, event, scrubber, reporters.hidden(event))
            out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        position = notifications[-1].id
        count += len(notifications)
        if progress:
            progress(len(notifications))
    return count


# -- the command -----------------------------------------------------------------------------------


@contextmanager
def _replacing(path: Path) -> Iterator[TextIO]:
    """A file that becomes ``path`` only when the block succeeds; a failure leaves no half file."""
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".part"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@contextmanager
def _standard_output() -> Iterator[TextIO]:
    """Standard output as UTF-8 whatever the locale (the lines keep non-ASCII text as it is)."""
    sys.stdout.flush()
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    try:
        yield out
    finally:
        out.flush()
        out.detach()  # sys.stdout keeps its buffer


@click.command("export")
@click.option(
    "--out",
    "path",
    default="-",
    show_default=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Where to write the JSON Lines ('-': standard output)",
)
@click.option(
    "--since",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Start after this position: the last line's position of an earlier export",
)
def export_command(path: Path, since: int) -> None:
    """Write the event log as JSON Lines, every person pseudonymised as auditors see them.

    Each line's position is the event's notification id. To match a line to an entry of the
    audit log (/api/v1/audit/entries), use the entry's notification_id, not its index: the index
    is a position in the entries' stream, which differs from the notification id wherever the
    ids have gaps (as on PostgreSQL).
    """
    from service.runtime import Runtime
    from service.settings import Settings

    if str(path) != "-" and not path.parent.is_dir():
        raise click.ClickException(f"{path.parent} is not a directory")
    # Commands run once and exit: no projection or auto-close threads.
    runtime = Runtime.from_settings(replace(Settings.from_env(), background=False))
    try:
        head = runtime.app.recorder.max_notification_id() or 0
        key = runtime.settings.pseudonym_key
        target = _standard_output() if str(path) == "-" else _replacing(path)
        # The bar goes to stderr: stdout may be the export itself, and holds only its lines.
        bar = click.progressbar(length=max(head - since, 0), label="exporting", file=sys.stderr)
        with bar, target as out:
            count = export_log(runtime.app, out, key, start=since, progress=bar.update)
    finally:
        runtime.close()
    where = "standard output" if str(path) == "-" else str(path)
    click.echo(f"exported {count} event(s) after position {since} to {where}", err=True)


__all__ = [
    "CONTACT_FIELDS",
    "KEPT_FIELDS",
    "KEPT_IN_EVENT",
    "PERSON_FIELDS",
    "classify",
    "export_command",
    "export_log",
    "pseudonym",
    "value_pseudonym",
]
