"""The case forms, with messages in the page's language."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate, validates_schema

from domain.case import TEXT_MAX, TITLE_MAX

REQUIRED = {"required": _l("This is needed.")}


def _text(max_length: int, *, required: bool = False) -> fields.String:
    too_long = _l("At most %(count)d characters.", count=max_length)
    if required:
        return fields.String(
            required=True,
            validate=[
                validate.Length(min=1, error=REQUIRED["required"]),
                validate.Length(max=max_length, error=too_long),
            ],
            error_messages=REQUIRED,
        )
    return fields.String(
        load_default=None, validate=validate.Length(max=max_length, error=too_long)
    )


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
    floor = _text(60)
    unit = _text(60)
    common_area = _text(60)
    title = _text(TITLE_MAX)
    description = _text(TEXT_MAX, required=True)
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
    comment = _text(TEXT_MAX)


class DisputeFormSchema(ma.Schema):
    """The reporter says it is not fixed."""

    reason = _text(TEXT_MAX, required=True)


class CommentFormSchema(ma.Schema):
    """A comment (or, for staff, an internal note)."""

    text = _text(TEXT_MAX, required=True)
    internal = fields.Boolean(load_default=False)


class ReasonFormSchema(ma.Schema):
    """A reason, optional (withdraw) or not."""

    reason = _text(TEXT_MAX)


class RespondFormSchema(ma.Schema):
    """Management's public answer."""

    message = _text(TEXT_MAX, required=True)
    commitment_date = fields.Date(
        load_default=None, error_messages={"invalid": _l("Give a date such as 2026-12-31.")}
    )


class ResolveFormSchema(ma.Schema):
    """What was done to fix it."""

    note = _text(TEXT_MAX, required=True)


class NoteFormSchema(ma.Schema):
    """An optional note."""

    note = _text(TEXT_MAX)
