"""Request and response shapes of the meetings resource."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from marshmallow import fields, validate

from domain.meeting import VoteMethod
from service.fields import Moment


def _backfill() -> Moment:
    return Moment(
        load_default=None,
        default_timezone=UTC,
        metadata={"description": "When it really happened (committee and admin only)"},
    )


class AgendaItemSchema(ma.Schema):
    """An agenda item, optionally about cases (which are then tabled)."""

    title = fields.String(required=True, validate=validate.Length(1, 300))
    case_ids = fields.List(fields.String(), load_default=list)
    occurred_at = _backfill()


class AgendaItemInSchema(ma.Schema):
    """An agenda item given when scheduling."""

    title = fields.String(required=True, validate=validate.Length(1, 300))
    case_ids = fields.List(fields.String(), load_default=list)


class MeetingCreateSchema(ma.Schema):
    """A meeting to schedule."""

    ppr = fields.String(required=True)
    scheduled_for = Moment(required=True, default_timezone=UTC)
    place = fields.String(required=True, validate=validate.Length(1, 200))
    agenda = fields.List(fields.Nested(AgendaItemInSchema), load_default=list)
    occurred_at = _backfill()


class HoldSchema(ma.Schema):
    """Attendance of a held meeting."""

    members_present = fields.List(fields.String(), required=True)
    residents_attending = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(strict=True, validate=validate.Range(0, 10_000)),
        load_default=dict,
        metadata={"description": "Residents counted by 'gender/age band', e.g. 'female/35-44'"},
    )
    resident_ids = fields.List(
        fields.String(), load_default=list, metadata={"description": "Residents who signed in"}
    )
    management_present = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(0, 10_000)
    )
    occurred_at = _backfill()


class MotionSchema(ma.Schema):
    """A motion and its outcome."""

    item_number = fields.Integer(strict=True, required=True, validate=validate.Range(1, 1000))
    text = fields.String(required=True, validate=validate.Length(1, 4000))
    method = fields.Enum(VoteMethod, by_value=True, required=True)
    votes_for = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 1000))
    votes_against = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 1000))
    abstentions = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 1000))
    occurred_at = _backfill()


class MinutesSchema(ma.Schema):
    """Minutes to publish."""

    text = fields.String(required=True, validate=validate.Length(1, 50_000))
    occurred_at = _backfill()


class CancelSchema(ma.Schema):
    """Why a meeting is called off."""

    reason = fields.String(required=True, validate=validate.Length(1, 4000))
    occurred_at = _backfill()


class MeetingQueryArgsSchema(ma.Schema):
    """Which meetings to list."""

    ppr = fields.String()
    status = fields.String(validate=validate.OneOf(["scheduled", "held", "cancelled"]))


class MeetingSchema(ma.Schema):
    """A meeting."""

    id = fields.String()
    ppr = fields.String()
    scheduled_for = fields.DateTime()
    place = fields.String()
    status = fields.String()
    agenda = fields.List(fields.Dict())
    held_at = fields.DateTime(allow_none=True)
    members_present = fields.List(fields.String())
    quorum_required = fields.Integer(allow_none=True)
    quorum_met = fields.Boolean(allow_none=True)
    residents_attending = fields.Dict(allow_none=True)
    resident_ids = fields.List(
        fields.String(), allow_none=True, metadata={"description": "Staff only"}
    )
    management_present = fields.Integer(allow_none=True)
    motions = fields.List(fields.Dict())
    minutes = fields.String(allow_none=True)
    minutes_published_at = fields.DateTime(allow_none=True)
    version = fields.Integer()
