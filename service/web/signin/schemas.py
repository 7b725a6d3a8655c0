"""The sign-in forms."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate


class AddressFormSchema(ma.Schema):
    """Where to send a code."""

    address = fields.String(
        required=True,
        validate=validate.Length(max=254),
        error_messages={"required": _l("Enter your email address or phone number.")},
    )
    next = fields.String(load_default="/")


class CodeFormSchema(ma.Schema):
    """The code that came by email or SMS."""

    code = fields.String(
        required=True,
        validate=validate.Regexp(r"^\s*(\d\s*){6}$", error=_l("The code is 6 digits.")),
        error_messages={"required": _l("Enter the 6-digit code.")},
    )


class TokenFormSchema(ma.Schema):
    """An API token pasted in (staff and demo accounts)."""

    token = fields.String(
        required=True,
        validate=validate.Length(max=200),
        error_messages={"required": _l("Paste your sign-in token.")},
    )
    next = fields.String(load_default="/")


class ChooseFormSchema(ma.Schema):
    """Which of the people registered under one address is signing in."""

    principal_id = fields.String(required=True)
