"""The published event types, and how a domain event becomes a webhook payload.

Receivers are outside systems, so a payload says what happened and where, never who or in whose
words: ids, PPR, category, block, statuses, dates and counts, with a link for readers whose token
may see more. No names, phones, unit numbers or free text (titles, descriptions, comments and
reasons are residents' and officers' words), and private cases are not published at all: the
same line that ``service/cases/visibility.py`` draws for integration tokens.

Each payload's ``sequence`` is the aggregate's version (receivers order one case's events by it),
and ``position`` is the event's place in the global log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import DomainEventProtocol

from domain.audit import AuditCheckpoint
from domain.case import Case
from domain.decision import Decision
from domain.meeting import Meeting
from domain.survey import Survey
from projections.events import jsonable


@dataclass(frozen=True)
class EventType:
    """One published type: its dot name, what it means, and the kind of thing it is about."""

    name: str
    description: str
    subject: str  # "case", "decision", "meeting", "survey", "audit" or "webhook"


@dataclass(frozen=True)
class Published:
    """A domain event as a webhook: its type, the PPR it belongs to, and the payload's data."""

    type: str
    ppr_codes: tuple[str, ...]  # empty: it concerns no one PPR (a test delivery)
    timestamp: datetime
    data: dict[str, Any]


#: (aggregate class name, event class name) -> published type, with its meaning.
_CASE = {
    "Reported": ("case.reported", "A resident (or an officer for them) reported a problem."),
    "Acknowledged": ("case.acknowledged", "Management acknowledged the case."),
    "Recategorised": ("case.recategorised", "The case moved to another category."),
    "Assigned": ("case.assigned", "The work was assigned (to management, committee, contractor)."),
    "ManagementResponded": ("case.responded", "Management published a response."),
    "Resolved": ("case.resolved", "Management claims the problem fixed."),
    "ResolutionConfirmed": ("case.confirmed", "The reporter confirmed the fix."),
    "ResolutionDisputed": ("case.disputed", "The reporter disputed the fix; the case reopened."),
    "Closed": ("case.closed", "The case closed (confirmed, or the dispute window passed)."),
    "NoFurtherActionDecided": ("case.no_further_action", "The case ended without a fix."),
    "MarkedDuplicate": ("case.duplicate", "The case was marked a duplicate of another."),
    "Withdrawn": ("case.withdrawn", "The reporter withdrew the case."),
    "CommentAdded": ("case.commented", "A public comment was added (its text is not sent)."),
    "Tabled": ("case.tabled", "The case was put on a committee meeting's agenda."),
    "PriorityDesignated": ("case.prioritised", "The committee made it a community priority."),
    "Supported": ("case.supported", "Another resident supported the case (me too)."),
    "SlaBreached": ("case.sla_breached", "A service-level target was missed."),
    "PhotoAttached": (
        "case.photo_attached",
        "A photo was attached (its hash is sent; the photo needs a token that may see the case).",
    ),
}
_DECISION = {
    "Made": ("decision.made", "A committee meeting decided what must happen, by whom, by when."),
    "ManagementAnswered": ("decision.answered", "Management accepted, partly or rejected it."),
    "ProgressReported": ("decision.progress_reported", "Management reported progress."),
    "MarkedDone": ("decision.done", "Management reported the work done."),
    "CompletionVerified": ("decision.verified", "The committee verified the work was done."),
    "CompletionDisputed": ("decision.completion_disputed", "The committee disputed completion."),
}
_MEETING = {
    "Scheduled": ("meeting.scheduled", "A committee meeting was scheduled."),
    "Held": ("meeting.held", "The meeting was held (attendance and quorum recorded)."),
    "MinutesPublished": ("meeting.minutes_published", "The meeting's minutes were published."),
    "Cancelled": ("meeting.cancelled", "The meeting was cancelled."),
}
_SURVEY = {
    "Opened": ("survey.opened", "A perception survey opened for responses."),
    "Closed": ("survey.closed", "A perception survey closed."),
}
_AUDIT = {
    "Signed": (
        "audit.checkpoint",
        "The service signed a checkpoint of its audit log: witnesses keep a copy.",
    ),
}
_BY_AGGREGATE: dict[type[Any], tuple[str, dict[str, tuple[str, str]]]] = {
    Case: ("case", _CASE),
    Decision: ("decision", _DECISION),
    Meeting: ("meeting", _MEETING),
    Survey: ("survey", _SURVEY),
    AuditCheckpoint: ("audit", _AUDIT),
}

TEST_TYPE = "webhook.test"

EVENT_TYPES: tuple[EventType, ...] = (
    *(
        EventType(name, description, subject)
        for subject, table in (
            ("case", _CASE),
            ("decision", _DECISION),
            ("meeting", _MEETING),
            ("survey", _SURVEY),
            ("audit", _AUDIT),
        )
        for name, description in table.values()
    ),
    EventType(TEST_TYPE, "A test delivery sent on request (k2k webhooks send-test).", "webhook"),
)
TYPE_NAMES = frozenset(event_type.name for event_type in EVENT_TYPES)


def unknown_patterns(patterns: list[str]) -> list[str]:
    """The patterns that name no published type (a typo the subscriber would never notice)."""
    from domain.webhook import matches

    return [
        pattern for pattern in patterns if not any(matches(pattern, name) for name in TYPE_NAMES)
    ]


def _aggregate_class(event: DomainEventProtocol[Any]) -> type[Any] | None:
    for aggregate in _BY_AGGREGATE:
        if isinstance(event, aggregate.Event):
            return aggregate
    return None


def published_type(event: DomainEventProtocol[Any]) -> str | None:
    """The type an event is published as, or None for events that are not published."""
    aggregate = _aggregate_class(event)
    if aggregate is None:
        return None
    entry = _BY_AGGREGATE[aggregate][1].get(type(event).__name__)
    return entry[0] if entry else None


def publish(
    event: DomainEventProtocol[Any],
    after: Any,
    previous_status: str | None,
    position: int,
    public_url: str,
    is_private: Callable[[str], bool] = lambda case_id: False,
) -> Published | None:
    """The webhook form of ``event`` (``after``: its aggregate right after it), or None.

    ``is_private`` says whether a case another aggregate names is private: its id is left out.
    """
    name = published_type(event)
    if name is None:
        return None
    fields = vars(event)
    recorded: datetime = fields["timestamp"]
    if isinstance(event, AuditCheckpoint.Event):
        return _checkpoint(event, fields, position, public_url)
    if isinstance(after, Case) and (
        after.private or (name == "case.commented" and fields.get("internal"))
    ):
        return None
    subject = name.split(".", 1)[0]
    aggregate_id = str(event.originator_id)
    data: dict[str, Any] = {
        "id": f"{aggregate_id}:{event.originator_version}",
        "subject": subject,
        f"{subject}_id": aggregate_id,
        "sequence": event.originator_version,
        "position": position,
        "ppr": getattr(after, "ppr_code", None),
        "occurred_at": jsonable(fields.get("occurred_at") or recorded),
        "recorded_at": jsonable(recorded),
        "actor_role": fields.get("actor_role"),
        "status": getattr(after, "status", None),
        "previous_status": previous_status,
        "link": f"{public_url}/api/v1/{subject}s/{aggregate_id}",
    }
    if isinstance(after, Case):
        data.update(_case_details(name, fields, after))
        if data.get("duplicate_of") and is_private(data["duplicate_of"]):
            data["duplicate_of"] = None
    elif isinstance(after, Decision):
        data.update(_decision_details(after))
        data["case_ids"] = [case_id for case_id in data["case_ids"] if not is_private(case_id)]
    elif isinstance(after, Meeting):
        data.update(
            scheduled_for=jsonable(after.scheduled_for),
            quorum_met=after.quorum_met,
            motions=len(after.motions),
        )
    elif isinstance(after, Survey):
        data["pprs"] = list(after.ppr_codes)
    codes = tuple(after.ppr_codes) if isinstance(after, Survey) else (after.ppr_code,)
    return Published(type=name, ppr_codes=codes, timestamp=recorded, data=data)


def _checkpoint(
    event: DomainEventProtocol[Any], fields: dict[str, Any], position: int, public_url: str
) -> Published:
    """A checkpoint (Signed, its only event) is public: it concerns no one PPR, names no one."""
    return Published(
        type="audit.checkpoint",
        ppr_codes=(),
        timestamp=fields["timestamp"],
        data={
            "id": f"{event.originator_id}:{event.originator_version}",
            "subject": "audit",
            "position": position,
            "recorded_at": jsonable(fields["timestamp"]),
            "origin": fields["origin"],
            "size": fields["size"],
            "root_hash": fields["root_hash"],
            "key_id": fields["key_id"],
            "note": fields["note"],
            "link": f"{public_url}/api/v1/audit/checkpoints?size={fields['size']}",
        },
    )


def _case_details(name: str, fields: dict[str, Any], case: Case) -> dict[str, Any]:
    details: dict[str, Any] = {
        "whose_move": case.whose_move,
        "category": case.category_code,
        "block": case.block,
        "channel": case.channel,
        "reported_at": jsonable(case.reported_at),
        "priority": case.designated_priority,
        "supports": len(case.supporter_ids),
    }
    if name == "case.assigned":
        details["assigned_to"] = fields["to"]
    elif name == "case.responded":
        details["commitment_date"] = jsonable(fields.get("commitment_date"))
    elif name == "case.confirmed":
        details["rating"] = fields.get("rating")
    elif name == "case.duplicate":
        details["duplicate_of"] = jsonable(case.duplicate_of)
    elif name == "case.recategorised":
        details["previous_category"] = fields["from_category"]
    elif name == "case.sla_breached":
        details["sla_target"] = fields["target"]
        details["due_at"] = jsonable(fields["due_at"])
    elif name == "case.tabled":
        details["meeting_id"] = jsonable(fields.get("meeting_id"))
    elif name == "case.photo_attached":
        details["photo_sha256"] = fields["sha256"]
        details["photo_count"] = len(case.photos)
    return details


def _decision_details(decision: Decision) -> dict[str, Any]:
    return {
        "meeting_id": jsonable(decision.meeting_id),
        "case_ids": list(decision.case_ids),
        "action_by": decision.action_by,
        "due_date": jsonable(decision.due_date),
        "answer": decision.answer,
        "commitment_date": jsonable(decision.commitment_date),
        "progress_percent": decision.progress_percent,
    }
