"""The case forms, with messages in the page's language."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate, validates_schema

from domain.case import TEXT_MAX, TITLE_MAX
from service.web.fields import REQUIRED, text_field


class ReportFormSchema(ma.Schema):
    """A resident's report, as the form sends it."""

    ppr = fields.String(required=True, error_messages=REQUIRED)
    category = fields.String(
        required=True, error_messages={"required": _l("Choose what kind of problem it is.")}
    )
    block = fields.String(required=True, error_messages={"required": _l("Choose the block.")})
    place = fields.String(
        required=True,
        validate=validate.OneOf(["unit", "common"], error=_l("Choose where the problem is.")),
        error_messages={"required": _l("Choose where the problem is.")},
    )
    floor = text_field(60)
    unit = text_field(60)
    common_area = text_field(60)
    title = text_field(TITLE_MAX)
    description = text_field(TEXT_MAX, required=True)
    anonymous = fields.Boolean(load_default=False)
    private = fields.Boolean(load_default=False)

    @validates_schema(skip_on_field_errors=False)
    def _place_is_named(self, data: dict[str, object], **_: object) -> None:
        if data.get("place") == "unit" and not data.get("unit"):
            raise ma.ValidationError(_l("Give the unit number."), "unit")
        if data.get("place") == "common" and not data.get("common_area"):
            raise ma.ValidationError(
                _l("Say where, for example: lift lobby, floor 7."), "common_area"
            )


class ConfirmFormSchema(ma.Schema):
    """The reporter says the fix worked, with a rating."""

    rating = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=5, error=_l("Choose from 1 to 5 stars.")),
        error_messages={
            "required": _l("Choose from 1 to 5 stars."),
            "invalid": _l("Choose from 1 to 5 stars."),
        },
    )
    comment = text_field(TEXT_MAX)


class DisputeFormSchema(ma.Schema):
    """The reporter says it is not fixed."""

    reason = text_field(TEXT_MAX, required=True)


class CommentFormSchema(ma.Schema):
    """A comment (or, for staff, an internal note)."""

    text = text_field(TEXT_MAX, required=True)
    internal = fields.Boolean(load_default=False)


class ReasonFormSchema(ma.Schema):
    """A reason, optional (withdraw) or not."""

    reason = text_field(TEXT_MAX)


class RespondFormSchema(ma.Schema):
    """Management's public answer."""

    message = text_field(TEXT_MAX, required=True)
    commitment_date = fields.Date(
        load_default=None, error_messages={"invalid": _l("Give a date such as 2026-12-31.")}
    )


class ResolveFormSchema(ma.Schema):
    """What was done to fix it."""

    note = text_field(TEXT_MAX, required=True)


class NoteFormSchema(ma.Schema):
    """An optional note."""

    note = text_field(TEXT_MAX)
