"""Request and response shapes of the surveys resource."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from domain.committee import AgeBand, Gender
from domain.survey import Audience, Scale


class ItemSchema(ma.Schema):
    """A survey item."""

    code = fields.String(required=True, validate=validate.Length(1, 40))
    text_ms = fields.String(required=True, validate=validate.Length(1, 500))
    text_en = fields.String(required=True, validate=validate.Length(1, 500))
    scale = fields.String(required=True, validate=validate.OneOf([scale.value for scale in Scale]))
    construct = fields.String(
        required=True,
        validate=validate.Length(1, 40),
        metadata={"description": "e.g. trust_in_committee, or a code an admin adds"},
    )


class SurveyCreateSchema(ma.Schema):
    """A survey to draft."""

    title = fields.String(required=True, validate=validate.Length(1, 200))
    pprs = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    audiences = fields.List(
        fields.Enum(Audience, by_value=True), required=True, validate=validate.Length(min=1)
    )
    wave = fields.String(required=True, validate=validate.Length(1, 40))
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    items = fields.List(fields.Nested(ItemSchema), load_default=None)
    starter = fields.String(
        load_default=None,
        validate=validate.OneOf(["residents", "management"]),
        metadata={"description": "Copy the built-in starter instrument instead of giving items"},
    )
    audience_sizes = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(strict=True, validate=validate.Range(1, 10_000_000)),
        load_default=dict,
        metadata={"description": "Known audience sizes, for response rates"},
    )

    @ma.validates_schema
    def items_or_starter(self, data: dict[str, object], **_: object) -> None:
        """Exactly one of ``items`` and ``starter``."""
        if (data.get("items") is None) == (data.get("starter") is None):
            raise ma.ValidationError(
                "give either items or a starter instrument", field_name="items"
            )


class ItemsSchema(ma.Schema):
    """New items."""

    items = fields.List(fields.Nested(ItemSchema), required=True)


class ResponseSchema(ma.Schema):
    """One respondent's answers; skipped items are left out or null."""

    ppr = fields.String(metadata={"description": "Needed only when the token covers several PPRs"})
    answers = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(strict=True, allow_none=True, validate=validate.Range(0, 10)),
        required=True,
    )
    gender = fields.Enum(Gender, by_value=True, load_default=None, allow_none=True)
    age_band = fields.Enum(AgeBand, by_value=True, load_default=None, allow_none=True)
    block = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))


class SurveySchema(ma.Schema):
    """A survey."""

    id = fields.String()
    title = fields.String()
    pprs = fields.List(fields.String())
    audiences = fields.List(fields.String())
    wave = fields.String()
    period_start = fields.Date()
    period_end = fields.Date()
    items = fields.List(fields.Nested(ItemSchema))
    audience_sizes = fields.Dict()
    status = fields.String()
    response_count = fields.Integer()
    version = fields.Integer()


class ReceivedSchema(ma.Schema):
    """A response was recorded (it names no one, so there is nothing else to return)."""

    received = fields.Boolean()


class PerceptionQueryArgsSchema(ma.Schema):
    """Which perception figures."""

    ppr = fields.String()
    wave = fields.String()
    construct = fields.String()
    audience = fields.Enum(Audience, by_value=True)


class PerceptionReportSchema(ma.Schema):
    """Perception figures (definitions: projections/perception_report.py)."""

    minimum_group = fields.Integer()
    groups = fields.List(fields.Dict())
    gaps = fields.List(fields.Dict())
    trends = fields.List(fields.Dict())
    csat = fields.List(fields.Dict(), metadata={"description": "Case-level CSAT per category"})
