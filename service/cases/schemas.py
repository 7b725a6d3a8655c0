"""Request and response shapes of the cases resource."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from marshmallow import fields, validate

from domain.case import TEXT_MAX, TITLE_MAX, Channel, Party, Status
from service.fields import Moment


def _backfill_field() -> Moment:
    return Moment(
        load_default=None,
        default_timezone=UTC,
        metadata={
            "description": "When this really happened, for paper or offline records "
            "(committee and admin only; not in the future, not before the previous event)"
        },
    )


def _text(max_length: int, required: bool = True, description: str = "") -> fields.String:
    if required:
        return fields.String(
            required=True,
            validate=validate.Length(min=1, max=max_length),
            metadata={"description": description},
        )
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=max_length),
        metadata={"description": description},
    )


class CaseReportSchema(ma.Schema):
    """A new report."""

    ppr = fields.String(required=True, metadata={"description": "PPR code, e.g. SRP"})
    category = fields.String(required=True, metadata={"description": "Category code of the PPR"})
    block = fields.String(required=True, metadata={"description": "Block code of the PPR"})
    floor = _text(60, required=False, description="Floor, e.g. 7 or G")
    unit = _text(60, required=False, description="Unit number (give this or common_area)")
    common_area = _text(60, required=False, description="Common area, e.g. lift lobby")
    title = _text(TITLE_MAX, description="Short summary of the problem")
    description = _text(TEXT_MAX, description="What is wrong, since when, how bad")
    channel = fields.Enum(Channel, by_value=True, load_default=Channel.APP)
    anonymous = fields.Boolean(
        load_default=False, metadata={"description": "Hide the reporter from everyone but admin"}
    )
    private = fields.Boolean(
        load_default=False,
        metadata={"description": "Only the reporter, committee and management see the case"},
    )
    occurred_at = _backfill_field()


class AcknowledgeSchema(ma.Schema):
    """Management acknowledges a case."""

    note = _text(TEXT_MAX, required=False)
    occurred_at = _backfill_field()


class RecategoriseSchema(ma.Schema):
    """Move a case to another category."""

    category_code = fields.String(required=True, data_key="category")
    reason = _text(TEXT_MAX, required=False)
    occurred_at = _backfill_field()


class AssignSchema(ma.Schema):
    """Give the work to a party."""

    to = fields.Enum(
        Party,
        by_value=True,
        required=True,
        validate=validate.OneOf([Party.MANAGEMENT, Party.COMMITTEE, Party.CONTRACTOR]),
    )
    assignee = _text(120, required=False, description="Team, officer or contractor name")
    note = _text(TEXT_MAX, required=False)
    occurred_at = _backfill_field()


class RespondSchema(ma.Schema):
    """Management's public response."""

    message = _text(TEXT_MAX)
    commitment_date = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "Date management commits to"}
    )
    occurred_at = _backfill_field()


class ResolveSchema(ma.Schema):
    """Claim the problem fixed."""

    note = _text(TEXT_MAX, description="What was done")
    occurred_at = _backfill_field()


class ConfirmSchema(ma.Schema):
    """The reporter confirms the fix."""

    rating = fields.Integer(
        required=True,
        strict=True,  # 4.5 is refused, not silently truncated to 4
        validate=validate.Range(min=1, max=5),
        metadata={"description": "Satisfaction from 1 (very unhappy) to 5 (very happy)"},
    )
    comment = _text(TEXT_MAX, required=False)
    occurred_at = _backfill_field()


class DisputeSchema(ma.Schema):
    """The reporter disputes the fix."""

    reason = _text(TEXT_MAX, description="What is still wrong")
    occurred_at = _backfill_field()


class CloseSchema(ma.Schema):
    """Close a resolved case after its dispute window."""

    occurred_at = _backfill_field()


class ReasonSchema(ma.Schema):
    """An outcome that needs a reason."""

    reason = _text(TEXT_MAX)
    occurred_at = _backfill_field()


class WithdrawSchema(ma.Schema):
    """The reporter withdraws the case."""

    reason = _text(TEXT_MAX, required=False)
    occurred_at = _backfill_field()


class MarkDuplicateSchema(ma.Schema):
    """Merge into an earlier case."""

    duplicate_of = fields.UUID(required=True, metadata={"description": "The original case's id"})
    occurred_at = _backfill_field()


class CommentSchema(ma.Schema):
    """A comment or internal note."""

    text = _text(TEXT_MAX)
    internal = fields.Boolean(
        load_default=False, metadata={"description": "Committee and management only"}
    )
    occurred_at = _backfill_field()


class SupportSchema(ma.Schema):
    """A resident's "me too"."""

    occurred_at = _backfill_field()


class ActorSchema(ma.Schema):
    """Who acted: the id is null where it is hidden from the reader."""

    id = fields.String(allow_none=True)
    role = fields.String()


class LocationSchema(ma.Schema):
    """Where in the PPR (the unit is hidden from readers who may not see it)."""

    block = fields.String()
    floor = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    common_area = fields.String(allow_none=True)


class CasePhotoSchema(ma.Schema):
    """A photo attached to a case: its hash and size, who attached it, where to fetch it."""

    sha256 = fields.String(metadata={"description": "SHA-256 of the stored bytes (its ETag)"})
    content_type = fields.String(metadata={"example": "image/jpeg"})
    byte_size = fields.Integer()
    width = fields.Integer()
    height = fields.Integer()
    attached_at = fields.DateTime()
    attached_by = fields.Nested(ActorSchema)
    url = fields.String(metadata={"description": "The photo (metadata stripped, at most 2048 px)"})
    thumbnail_url = fields.String(metadata={"description": "A thumbnail, at most 320 px"})


class CaseSummarySchema(ma.Schema):
    """A case as lists show it."""

    id = fields.String()
    ppr = fields.String()
    category = fields.String()
    location = fields.Nested(LocationSchema)
    title = fields.String()
    channel = fields.String()
    status = fields.String(validate=validate.OneOf([status.value for status in Status]))
    whose_move = fields.String(
        allow_none=True, validate=validate.OneOf([party.value for party in Party])
    )
    assigned_to = fields.String(allow_none=True)
    reporter = fields.Nested(ActorSchema, allow_none=True)
    anonymous = fields.Boolean()
    private = fields.Boolean()
    is_mine = fields.Boolean()
    support_count = fields.Integer()
    comment_count = fields.Integer(metadata={"description": "Public comments"})
    reported_at = fields.DateTime()
    updated_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    duplicate_of = fields.String(allow_none=True)
    photo_count = fields.Integer()
    thumbnail_url = fields.String(
        allow_none=True, metadata={"description": "The first photo's thumbnail, if any"}
    )
    version = fields.Integer()


class CaseSchema(CaseSummarySchema):
    """A case in full (as far as the reader may see it)."""

    description = fields.String()
    assignee = fields.String(allow_none=True)
    commitment_date = fields.Date(allow_none=True)
    supported_by_me = fields.Boolean()
    reopen_count = fields.Integer()
    rating = fields.Integer(allow_none=True)
    photos = fields.List(fields.Nested(CasePhotoSchema), metadata={"description": "Oldest first"})
    links = fields.Dict(keys=fields.String(), values=fields.String())


class CaseListSchema(ma.Schema):
    """A page of cases."""

    items = fields.List(fields.Nested(CaseSummarySchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "Pass as `cursor` for the next page"}
    )


class CaseQueryArgsSchema(ma.Schema):
    """Filters, sort and paging for the case list."""

    ppr = fields.String(metadata={"description": "PPR code"})
    status = fields.List(
        fields.Enum(Status, by_value=True), metadata={"description": "Repeat for several"}
    )
    category = fields.String()
    block = fields.String()
    whose_move = fields.Enum(Party, by_value=True)
    q = fields.String(
        validate=validate.Length(min=1, max=100), metadata={"description": "Words in the title"}
    )
    mine = fields.Boolean(load_default=False, metadata={"description": "Only cases I reported"})
    sort = fields.String(
        load_default="reported",
        validate=validate.OneOf(["reported", "support"]),
        metadata={"description": "Newest first, or most supported first"},
    )
    overdue = fields.Boolean(
        load_default=False, metadata={"description": "Only open cases past an SLA due time"}
    )
    priority = fields.Boolean(
        load_default=False,
        metadata={"description": "Only community priorities (enough supports, or designated)"},
    )
    cursor = fields.String()
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class TimelineEntrySchema(ma.Schema):
    """One event in a case's history."""

    version = fields.Integer()
    type = fields.String(metadata={"description": "e.g. reported, acknowledged, comment_added"})
    actor = fields.Nested(ActorSchema)
    occurred_at = fields.DateTime(metadata={"description": "When it happened"})
    recorded_at = fields.DateTime(metadata={"description": "When the service recorded it"})
    status = fields.String()
    whose_move = fields.String(allow_none=True)
    internal = fields.Boolean()
    changes = fields.Dict(metadata={"description": "field -> [before, after]"})
    details = fields.Dict()


class CaseHistorySchema(ma.Schema):
    """A case's full history."""

    case_id = fields.String()
    version = fields.Integer(metadata={"description": "The case's current version"})
    complete = fields.Boolean(
        metadata={"description": "False while the newest events are still being projected"}
    )
    items = fields.List(fields.Nested(TimelineEntrySchema))


class AsOfArgsSchema(ma.Schema):
    """A moment in the past."""

    as_of = Moment(
        default_timezone=UTC,
        metadata={
            "description": "Show the case as it stood then (events that had happened by then)"
        },
    )


class SlaClockSchema(ma.Schema):
    """One SLA target of one case."""

    target = fields.String(validate=validate.OneOf(["acknowledge", "first_response", "resolve"]))
    target_hours = fields.Integer(allow_none=True)
    due_at = fields.DateTime()
    stopped_at = fields.DateTime(
        allow_none=True, metadata={"description": "When the milestone happened"}
    )
    state = fields.String(validate=validate.OneOf(["running", "met", "breached", "not_applicable"]))
    elapsed_hours = fields.Float()
    remaining_hours = fields.Float(allow_none=True)
    breached_by_hours = fields.Float(allow_none=True)
    breach_recorded_at = fields.DateTime(
        allow_none=True,
        metadata={
            "description": "When the service recorded the breach in the case's history "
            "(management was told then)"
        },
    )


class CaseSlaSchema(ma.Schema):
    """A case's SLA clocks against the targets in force now."""

    case_id = fields.String()
    ppr = fields.String()
    category = fields.String()
    now = fields.DateTime()
    targets = fields.List(fields.Nested(SlaClockSchema))
