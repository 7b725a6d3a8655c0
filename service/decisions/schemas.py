"""Request and response shapes of the decisions resource."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from marshmallow import fields, validate

from domain.decision import ActionBy, Answer, DecisionStatus
from service.fields import Moment


def _backfill() -> Moment:
    return Moment(
        load_default=None,
        default_timezone=UTC,
        metadata={"description": "When it really happened (committee and admin only)"},
    )


class DecisionCreateSchema(ma.Schema):
    """A decision on a carried motion."""

    meeting_id = fields.UUID(required=True)
    motion_number = fields.Integer(strict=True, required=True, validate=validate.Range(1, 1000))
    text = fields.String(required=True, validate=validate.Length(1, 4000))
    case_ids = fields.List(fields.String(), load_default=list)
    action_by = fields.Enum(ActionBy, by_value=True, required=True)
    due_date = fields.Date(required=True)
    occurred_at = _backfill()


class AnswerSchema(ma.Schema):
    """Management's answer."""

    answer = fields.Enum(Answer, by_value=True, required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    commitment_date = fields.Date(load_default=None, allow_none=True)
    occurred_at = _backfill()


class ProgressSchema(ma.Schema):
    """Progress on a decision."""

    percent = fields.Integer(strict=True, required=True, validate=validate.Range(0, 100))
    note = fields.String(required=True, validate=validate.Length(1, 4000))
    occurred_at = _backfill()


class NoteSchema(ma.Schema):
    """A step with a note."""

    note = fields.String(required=True, validate=validate.Length(1, 4000))
    occurred_at = _backfill()


class VerifySchema(ma.Schema):
    """The committee's verification."""

    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    occurred_at = _backfill()


class CompletionDisputeSchema(ma.Schema):
    """The committee's dispute of a completion, with its reason."""

    reason = fields.String(required=True, validate=validate.Length(1, 4000))
    occurred_at = _backfill()


class DecisionQueryArgsSchema(ma.Schema):
    """Which decisions to list."""

    ppr = fields.String()
    status = fields.Enum(DecisionStatus, by_value=True)


class DecisionSchema(ma.Schema):
    """A decision in the register."""

    id = fields.String()
    ppr = fields.String()
    meeting_id = fields.String()
    motion_number = fields.Integer()
    motion = fields.Dict(metadata={"description": "The motion and its votes"})
    text = fields.String()
    case_ids = fields.List(fields.String())
    action_by = fields.String()
    due_date = fields.Date()
    made_at = fields.DateTime()
    status = fields.String()
    answer = fields.String(allow_none=True)
    answer_reason = fields.String(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    commitment_date = fields.Date(allow_none=True)
    progress_percent = fields.Integer()
    done_at = fields.DateTime(allow_none=True)
    verified_at = fields.DateTime(allow_none=True)
    version = fields.Integer()
