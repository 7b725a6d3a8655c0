"""The kinds of notification, who receives each, and the message a channel sends."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What a notification is about; people may mute any kind."""

    CASE_REPORTED = "case.reported"
    CASE_STATUS_CHANGED = "case.status_changed"
    CASE_RESPONDED = "case.responded"
    CASE_COMMENTED = "case.commented"
    CASE_ASSIGNED = "case.assigned"
    CASE_DISPUTED = "case.disputed"
    CASE_TABLED = "case.tabled"
    SLA_WARNING = "sla.warning"
    SLA_BREACHED = "sla.breached"
    DECISION_MADE = "decision.made"
    DECISION_DUE = "decision.due"
    WEBHOOK_DISABLED = "webhook.disabled"
    DIGEST = "digest"
    SIGN_IN_CODE = "sign_in.code"


#: One line per kind for people choosing what to mute (and for the API's list of kinds).
DESCRIPTIONS: dict[Kind, str] = {
    Kind.CASE_REPORTED: "A new case in your PPR (committee and management).",
    Kind.CASE_STATUS_CHANGED: "A case you reported or support changed status.",
    Kind.CASE_RESPONDED: "Management answered a case you reported or support.",
    Kind.CASE_COMMENTED: "Committee or management commented publicly on your case.",
    Kind.CASE_ASSIGNED: "A case was assigned or reassigned (management; committee when to it).",
    Kind.CASE_DISPUTED: "A resident disputed a fix (committee and management).",
    Kind.CASE_TABLED: "A case was put on a committee meeting's agenda (committee).",
    Kind.SLA_WARNING: "80 % of an SLA target's time is used and it is not met (management).",
    Kind.SLA_BREACHED: "An SLA target was missed (management).",
    Kind.DECISION_MADE: "The committee made a decision for management to answer (management).",
    Kind.DECISION_DUE: "A committee decision is due today and not done (management, committee).",
    Kind.WEBHOOK_DISABLED: "The service switched off your webhook subscription (its owner).",
    Kind.DIGEST: "The daily digest of held email or SMS messages.",
    Kind.SIGN_IN_CODE: "A one-time code to sign in to the web pages (cannot be muted).",
}

#: Kinds that are sent at once whatever a person's preferences: muting or holding them for a
#: digest would lock the person out.
UNMUTABLE = frozenset({Kind.SIGN_IN_CODE})


class Channel(StrEnum):
    """Where a message goes. The outbox gets every message; email and SMS when configured."""

    OUTBOX = "outbox"
    EMAIL = "email"
    SMS = "sms"


#: Channels a person may choose besides the outbox.
INSTANT_CHANNELS = (Channel.EMAIL, Channel.SMS)
LANGUAGES = ("ms", "en")


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered message on its way through one channel."""

    delivery_id: str
    message_id: str
    recipient_id: str
    recipient_name: str
    channel: Channel
    #: The email address or phone number for this channel (None for the outbox).
    address: str | None
    language: str
    kind: str
    subject: str
    body: str
    #: A short text for SMS (the subject and the link).
    short_text: str
    link: str | None
    created_at_iso: str
    extra_headers: dict[str, Any] = field(default_factory=dict)
