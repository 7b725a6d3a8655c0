"""Request and response shapes of the PPR resource."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from domain.ppr import DEFAULT_DISPUTE_WINDOW_DAYS, MAX_SLA_HOURS


class SlaSchema(ma.Schema):
    """Hours from the report to each milestone."""

    acknowledge_hours = fields.Integer(
        strict=True, required=True, validate=validate.Range(1, MAX_SLA_HOURS)
    )
    first_response_hours = fields.Integer(
        strict=True, required=True, validate=validate.Range(1, MAX_SLA_HOURS)
    )
    resolve_hours = fields.Integer(
        strict=True, required=True, validate=validate.Range(1, MAX_SLA_HOURS)
    )


class CategorySchema(ma.Schema):
    """A case category with its names in Bahasa Malaysia and English."""

    code = fields.String(required=True, validate=validate.Length(1, 32))
    name_ms = fields.String(required=True, validate=validate.Length(1, 120))
    name_en = fields.String(required=True, validate=validate.Length(1, 120))
    sla = fields.Nested(SlaSchema, required=True)


class BlockSchema(ma.Schema):
    """A residential block."""

    code = fields.String(required=True, validate=validate.Length(1, 32))
    name = fields.String(required=True, validate=validate.Length(1, 120))
    floors = fields.Integer(strict=True, required=True, validate=validate.Range(1, 100))


class PprCreateSchema(ma.Schema):
    """A new PPR scheme."""

    code = fields.String(required=True, validate=validate.Length(1, 32))
    name = fields.String(required=True, validate=validate.Length(1, 120))
    dispute_window_days = fields.Integer(
        strict=True, load_default=DEFAULT_DISPUTE_WINDOW_DAYS, validate=validate.Range(1, 90)
    )


class DisputeWindowSchema(ma.Schema):
    """How long residents may dispute a claimed fix."""

    dispute_window_days = fields.Integer(strict=True, required=True, validate=validate.Range(1, 90))


class PriorityThresholdSchema(ma.Schema):
    """How many supports make a case a community priority."""

    priority_support_threshold = fields.Integer(
        strict=True, required=True, validate=validate.Range(1, 10_000)
    )


class PprSchema(ma.Schema):
    """A PPR scheme with its configuration."""

    code = fields.String()
    name = fields.String()
    dispute_window_days = fields.Integer()
    priority_support_threshold = fields.Integer()
    blocks = fields.List(fields.Nested(BlockSchema))
    categories = fields.List(fields.Nested(CategorySchema))
    version = fields.Integer()
