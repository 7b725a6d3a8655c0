"""Request and response shapes of the notifications resource."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from workers.kinds import Channel

DELIVERY_STATUSES = ["pending", "sending", "sent", "failed", "held", "digested"]


class NotificationQueryArgsSchema(ma.Schema):
    """Filters of the caller's outbox."""

    unread = fields.Boolean(metadata={"description": "Only messages not yet marked read"})
    case = fields.UUID(metadata={"description": "Only messages about this case"})
    cursor = fields.String()
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class NotificationSchema(ma.Schema):
    """One message in a person's outbox."""

    id = fields.String(attribute="message_id")
    kind = fields.String()
    language = fields.String()
    subject = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    ppr = fields.String(attribute="ppr_code", allow_none=True)
    case_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class NotificationPageSchema(ma.Schema):
    """A page of the outbox, newest first."""

    items = fields.List(fields.Nested(NotificationSchema))
    unread = fields.Integer(metadata={"description": "Unread messages in the whole outbox"})
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "Pass as `cursor` for the next page"}
    )


class DeliveryQueryArgsSchema(ma.Schema):
    """Filters of the delivery log."""

    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    channel = fields.Enum(Channel, by_value=True)
    recipient = fields.String(validate=validate.Length(1, 64))
    cursor = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class DeliverySchema(ma.Schema):
    """One delivery of one message through one channel."""

    id = fields.String(attribute="delivery_id")
    message_id = fields.String()
    recipient_id = fields.String()
    kind = fields.String()
    source = fields.String(attribute="source_key")
    channel = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    last_attempt_at = fields.DateTime(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    digest_id = fields.String(allow_none=True)


class DeliveryPageSchema(ma.Schema):
    """A page of the delivery log, newest first."""

    items = fields.List(fields.Nested(DeliverySchema))
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Deliveries per status (all of them, not just this page)"},
    )
    next_cursor = fields.String(allow_none=True)


class KindSchema(ma.Schema):
    """A kind of notification people may mute."""

    kind = fields.String()
    description = fields.String()


class SkippedEventSchema(ma.Schema):
    """An event the relay set aside after it failed again and again."""

    notification_id = fields.Integer()
    originator_id = fields.String()
    originator_version = fields.Integer()
    topic = fields.String()
    error = fields.String()
    skipped_at = fields.DateTime()


class RelayStatusSchema(ma.Schema):
    """Where the relay stands in the event log."""

    position = fields.Integer(metadata={"description": "Last notification id relayed"})
    lag = fields.Integer(metadata={"description": "Events recorded but not yet relayed"})
    queue = fields.String(metadata={"description": "rq (Redis) or embedded (database)"})
    skipped_events = fields.Integer()
    skipped = fields.List(fields.Nested(SkippedEventSchema))
