"""Request and response shapes of the committees resource."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from marshmallow import fields, validate

from domain.committee import AgeBand, CommitteeRole, Gender, Selection
from service.fields import Moment


def _backfill() -> Moment:
    return Moment(
        load_default=None,
        default_timezone=UTC,
        metadata={"description": "When it really happened (committee and admin only)"},
    )


class CommitteeCreateSchema(ma.Schema):
    """A new committee."""

    ppr = fields.String(required=True)
    term_start = fields.Date(required=True)
    term_end = fields.Date(required=True)
    quorum_minimum = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, 100),
        metadata={"description": "Fixed quorum; leave out for 'more than half of the members'"},
    )
    occurred_at = _backfill()


class MemberCreateSchema(ma.Schema):
    """A member taking a seat."""

    member_id = fields.String(required=True, validate=validate.Length(1, 64))
    name = fields.String(required=True, validate=validate.Length(1, 120))
    role = fields.Enum(CommitteeRole, by_value=True, required=True)
    selection = fields.Enum(Selection, by_value=True, required=True)
    block = fields.String(load_default=None, allow_none=True)
    gender = fields.Enum(Gender, by_value=True, load_default=None, allow_none=True)
    age_band = fields.Enum(AgeBand, by_value=True, load_default=None, allow_none=True)
    occurred_at = _backfill()


class StepDownSchema(ma.Schema):
    """A member leaving."""

    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    occurred_at = _backfill()


class QuorumRuleSchema(ma.Schema):
    """The quorum rule."""

    quorum_minimum = fields.Integer(
        strict=True, required=True, allow_none=True, validate=validate.Range(1, 100)
    )
    occurred_at = _backfill()


class AsOfSchema(ma.Schema):
    """A past moment."""

    as_of = Moment(default_timezone=UTC)


class SeatSchema(ma.Schema):
    """A seat held."""

    member_id = fields.String()
    name = fields.String()
    role = fields.String()
    selection = fields.String()
    block = fields.String(allow_none=True)
    gender = fields.String(allow_none=True, metadata={"description": "Hidden from residents"})
    age_band = fields.String(allow_none=True, metadata={"description": "Hidden from residents"})
    since = fields.DateTime()
    until = fields.DateTime(allow_none=True)


class CommitteeSchema(ma.Schema):
    """A committee and the seats held at a moment."""

    ppr = fields.String()
    term_start = fields.Date()
    term_end = fields.Date()
    quorum_minimum = fields.Integer(allow_none=True)
    quorum = fields.Integer(metadata={"description": "Members needed for a quorum at `as_of`"})
    as_of = fields.DateTime()
    members = fields.List(fields.Nested(SeatSchema))
    version = fields.Integer()


class TermSchema(ma.Schema):
    """A new term."""

    term_start = fields.Date(required=True)
    term_end = fields.Date(required=True)
    occurred_at = _backfill()
