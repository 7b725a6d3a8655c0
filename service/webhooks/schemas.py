"""Request and response shapes of the webhooks resource, and the payloads we send."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from domain.webhook import MAX_DESCRIPTION, MAX_EVENT_TYPES, MAX_URL_LENGTH

DELIVERY_STATUSES = ["pending", "sending", "succeeded", "failed", "cancelled"]
DELIVERY_ORIGINS = ["event", "replay", "redelivery", "test"]


# -- subscriptions ---------------------------------------------------------------------------


class SubscriptionCreateSchema(ma.Schema):
    """A new subscription."""

    url = fields.String(
        required=True,
        validate=validate.Length(1, MAX_URL_LENGTH),
        metadata={"description": "Where to POST deliveries (http or https, a public address)"},
    )
    event_types = fields.List(
        fields.String(validate=validate.Length(1, 60)),
        required=True,
        validate=validate.Length(1, MAX_EVENT_TYPES),
        metadata={
            "description": "Types to receive: dot names (case.resolved), wildcards (case.*) or *",
            "example": ["case.*", "decision.made"],
        },
    )
    pprs = fields.List(
        fields.String(validate=validate.Length(1, 32)),
        load_default=list,
        metadata={"description": "Only these PPRs (empty: every PPR the owner may see)"},
    )
    description = fields.String(
        load_default="",
        validate=validate.Length(0, MAX_DESCRIPTION),
        metadata={"description": "Whose system this is and what it does with the events"},
    )
    enabled = fields.Boolean(load_default=True)


class SubscriptionPatchSchema(ma.Schema):
    """Changes to a subscription; fields left out stay as they are."""

    url = fields.String(validate=validate.Length(1, MAX_URL_LENGTH))
    event_types = fields.List(
        fields.String(validate=validate.Length(1, 60)),
        validate=validate.Length(1, MAX_EVENT_TYPES),
    )
    pprs = fields.List(fields.String(validate=validate.Length(1, 32)))
    description = fields.String(validate=validate.Length(0, MAX_DESCRIPTION))
    enabled = fields.Boolean(
        metadata={"description": "false stops deliveries; true resumes them (after a disable)"}
    )


class SubscriptionQueryArgsSchema(ma.Schema):
    """Filters of the subscription list."""

    enabled = fields.Boolean()
    include_deleted = fields.Boolean(load_default=False)
    cursor = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class WebhookSecretSchema(ma.Schema):
    """A signing secret, by its fingerprint (the secret itself is shown once, when made)."""

    fingerprint = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime(
        allow_none=True, metadata={"description": "When a rotated-out secret stops signing"}
    )


class WebhookOwnerSchema(ma.Schema):
    """Who made the subscription."""

    id = fields.String()
    role = fields.String()


class WebhookHealthSchema(ma.Schema):
    """Whether the receiver answers."""

    failing_since = fields.DateTime(allow_none=True)
    last_success_at = fields.DateTime(allow_none=True)
    last_failure_at = fields.DateTime(allow_none=True)


class SubscriptionSchema(ma.Schema):
    """A webhook subscription."""

    id = fields.String()
    url = fields.String()
    event_types = fields.List(fields.String())
    pprs = fields.List(fields.String())
    description = fields.String()
    enabled = fields.Boolean()
    deleted = fields.Boolean()
    disabled_reason = fields.String(
        allow_none=True, metadata={"description": "manual, gone (410) or failing"}
    )
    disabled_detail = fields.String(allow_none=True)
    owner = fields.Nested(WebhookOwnerSchema)
    secrets = fields.List(fields.Nested(WebhookSecretSchema))
    health = fields.Nested(WebhookHealthSchema)
    created_at = fields.DateTime()
    version = fields.Integer()


class CreatedSubscriptionSchema(SubscriptionSchema):
    """A new subscription with its secret, shown this once."""

    secret = fields.String(
        metadata={"description": "whsec_...: store it now; it is never shown again"}
    )


class SubscriptionPageSchema(ma.Schema):
    """A page of subscriptions, newest first."""

    items = fields.List(fields.Nested(SubscriptionSchema))
    next_cursor = fields.String(allow_none=True)


class RotatedSecretSchema(ma.Schema):
    """A new secret (shown once) and until when the previous one keeps signing."""

    secret = fields.String()
    fingerprint = fields.String()
    previous_valid_until = fields.DateTime()
    subscription = fields.Nested(SubscriptionSchema)


# -- deliveries ------------------------------------------------------------------------------


class WebhookAttemptSchema(ma.Schema):
    """One attempt at a delivery: when, what the receiver answered, how long it took."""

    attempt = fields.Integer()
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    address = fields.String(allow_none=True, metadata={"description": "The IP address called"})
    status_code = fields.Integer(allow_none=True)
    latency_ms = fields.Float(allow_none=True)
    error = fields.String(allow_none=True)
    response_excerpt = fields.String(allow_none=True)


class WebhookDeliverySchema(ma.Schema):
    """One delivery of one event to one subscription, with its attempts."""

    id = fields.String(attribute="delivery_id")
    subscription_id = fields.String()
    webhook_id = fields.String(
        attribute="message_id", metadata={"description": "The webhook-id header"}
    )
    event_type = fields.String()
    position = fields.Integer(allow_none=True)
    origin = fields.String(metadata={"description": "event, replay, redelivery or test"})
    status = fields.String(metadata={"description": ", ".join(DELIVERY_STATUSES)})
    attempts = fields.Integer()
    created_at = fields.DateTime()
    next_attempt_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    attempt_log = fields.List(fields.Nested(WebhookAttemptSchema))
    payload = fields.Raw(metadata={"description": "The body sent, as JSON"})


class WebhookDeliveryQueryArgsSchema(ma.Schema):
    """Filters of a subscription's delivery log."""

    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    event_type = fields.String(validate=validate.Length(1, 60))
    cursor = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class WebhookDeliveryPageSchema(ma.Schema):
    """A page of the delivery log, newest first."""

    items = fields.List(fields.Nested(WebhookDeliverySchema))
    next_cursor = fields.String(allow_none=True)


class WebhookReplayRequestSchema(ma.Schema):
    """Where a replay starts: after a position in the log, or from a time."""

    since_position = fields.Integer(
        validate=validate.Range(min=0),
        metadata={"description": "Replay the events after this position (a payload's position)"},
    )
    since = fields.AwareDateTime(
        metadata={"description": "Replay the events recorded from this time (ISO 8601, a zone)"}
    )


class WebhookReplaySchema(ma.Schema):
    """A replay and how far it got."""

    id = fields.String(attribute="replay_id")
    subscription_id = fields.String()
    requested_by = fields.String()
    requested_at = fields.DateTime()
    from_position = fields.Integer()
    to_position = fields.Integer()
    since = fields.DateTime(allow_none=True)
    reached_position = fields.Integer()
    deliveries = fields.Integer()
    finished_at = fields.DateTime(allow_none=True)


# -- what we publish -------------------------------------------------------------------------


class WebhookEventTypeSchema(ma.Schema):
    """A published event type."""

    type = fields.String(metadata={"example": "case.resolved"})
    description = fields.String()
    subject = fields.String(
        metadata={"description": "case, decision, meeting, survey, audit, webhook"}
    )
    payload_schema = fields.String(
        metadata={"description": "Its payload's schema in the OpenAPI document"}
    )
    schema = fields.Dict(metadata={"description": "The payload's JSON Schema"})


class WebhookEventTypesSchema(ma.Schema):
    """Every published type, with how deliveries are signed and retried."""

    items = fields.List(fields.Nested(WebhookEventTypeSchema))
    signature = fields.String()
    retry_schedule_seconds = fields.List(fields.Integer())


class _EventData(ma.Schema):
    """What every event payload says: which event of what, where and when; never who."""

    id = fields.String(
        metadata={"description": "The event: aggregate id and sequence", "example": "…:3"}
    )
    subject = fields.String(metadata={"description": "case, decision, meeting or survey"})
    sequence = fields.Integer(
        metadata={"description": "The event's number within its case (decision...): order by it"}
    )
    position = fields.Integer(metadata={"description": "The event's place in the global log"})
    ppr = fields.String(allow_none=True)
    occurred_at = fields.DateTime()
    recorded_at = fields.DateTime()
    actor_role = fields.String(metadata={"description": "The role that acted (never who)"})
    status = fields.String(allow_none=True, metadata={"description": "The status after it"})
    previous_status = fields.String(allow_none=True)
    link = fields.String(metadata={"description": "The API resource (needs a token)"})


class CaseEventDataSchema(_EventData):
    """A case event."""

    case_id = fields.String()
    whose_move = fields.String(allow_none=True)
    category = fields.String()
    block = fields.String()
    channel = fields.String()
    reported_at = fields.DateTime()
    priority = fields.Boolean(metadata={"description": "Designated a community priority"})
    supports = fields.Integer(metadata={"description": "Residents who said me too"})
    assigned_to = fields.String(metadata={"description": "case.assigned only"})
    commitment_date = fields.Date(allow_none=True, metadata={"description": "case.responded"})
    rating = fields.Integer(metadata={"description": "case.confirmed: 1-5"})
    duplicate_of = fields.String(metadata={"description": "case.duplicate only"})
    previous_category = fields.String(metadata={"description": "case.recategorised only"})
    sla_target = fields.String(metadata={"description": "case.sla_breached only"})
    due_at = fields.DateTime(metadata={"description": "case.sla_breached only"})
    meeting_id = fields.String(metadata={"description": "case.tabled only"})
    photo_sha256 = fields.String(
        metadata={"description": "case.photo_attached only: SHA-256 of the stored photo"}
    )
    photo_count = fields.Integer(metadata={"description": "case.photo_attached only"})


class DecisionEventDataSchema(_EventData):
    """A committee decision event."""

    decision_id = fields.String()
    meeting_id = fields.String()
    case_ids = fields.List(fields.String())
    action_by = fields.String()
    due_date = fields.Date()
    answer = fields.String(allow_none=True)
    commitment_date = fields.Date(allow_none=True)
    progress_percent = fields.Integer()


class MeetingEventDataSchema(_EventData):
    """A committee meeting event."""

    meeting_id = fields.String()
    scheduled_for = fields.DateTime()
    quorum_met = fields.Boolean(allow_none=True)
    motions = fields.Integer()


class SurveyEventDataSchema(_EventData):
    """A perception survey event."""

    survey_id = fields.String()
    pprs = fields.List(fields.String())


class AuditCheckpointDataSchema(ma.Schema):
    """A signed checkpoint of the audit log (check it with the service's public key)."""

    id = fields.String(metadata={"description": "The checkpoint event: its id and sequence"})
    subject = fields.String(metadata={"description": "audit"})
    position = fields.Integer(metadata={"description": "The checkpoint event's place in the log"})
    recorded_at = fields.DateTime()
    origin = fields.String(metadata={"description": "The log's name, the note's first line"})
    size = fields.Integer(metadata={"description": "How many events the checkpoint covers"})
    root_hash = fields.String(metadata={"description": "Base64 RFC 6962 root of those events"})
    key_id = fields.String(metadata={"description": "The signing key's id (hex)"})
    note = fields.String(metadata={"description": "The C2SP signed checkpoint note itself"})
    link = fields.String(metadata={"description": "The checkpoint in the public audit API"})


class TestEventDataSchema(ma.Schema):
    """A test delivery."""

    subscription_id = fields.String()
    test_id = fields.String()
    message = fields.String()


def _envelope(name: str, data: type[ma.Schema]) -> type[ma.Schema]:
    return ma.Schema.from_dict(
        {
            "type": fields.String(metadata={"description": "The event type"}),
            "timestamp": fields.DateTime(metadata={"description": "When it was recorded"}),
            "data": fields.Nested(data),
        },
        name=name,
    )


#: Each subject's payload: its name in the OpenAPI document, the envelope and its data.
PAYLOADS: dict[str, tuple[str, type[ma.Schema], type[ma.Schema]]] = {
    subject: (name, _envelope(name, data), data)
    for subject, name, data in (
        ("case", "CaseWebhook", CaseEventDataSchema),
        ("decision", "DecisionWebhook", DecisionEventDataSchema),
        ("meeting", "MeetingWebhook", MeetingEventDataSchema),
        ("survey", "SurveyWebhook", SurveyEventDataSchema),
        ("audit", "AuditCheckpointWebhook", AuditCheckpointDataSchema),
        ("webhook", "TestWebhook", TestEventDataSchema),
    )
}
