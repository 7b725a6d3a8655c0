"""Form fields the web pages share, with their messages in the page's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

REQUIRED = {"required": _l("This is needed.")}


def text_field(max_length: int, *, required: bool = False) -> fields.String:
    """A typed text of at most ``max_length`` characters (blank counts as absent)."""
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
