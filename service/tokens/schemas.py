"""Request and response shapes of the tokens resource."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from domain.actors import Role

ISSUABLE_ROLES = [role for role in Role if role is not Role.SYSTEM]


class TokenCreateSchema(ma.Schema):
    """A token to issue."""

    role = fields.Enum(Role, by_value=True, required=True, validate=validate.OneOf(ISSUABLE_ROLES))
    name = fields.String(required=True, validate=validate.Length(1, 120))
    pprs = fields.List(
        fields.String(validate=validate.Length(1, 32)),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": 'PPR codes, or ["*"] for all'},
    )
    principal_id = fields.String(
        validate=validate.Length(1, 64),
        metadata={"description": "Reuse an existing person's id (a second device)"},
    )


class PrincipalSchema(ma.Schema):
    """Who a token stands for."""

    principal_id = fields.String()
    name = fields.String()
    role = fields.String()
    pprs = fields.List(fields.String())
    token_id = fields.String()


class IssuedTokenSchema(PrincipalSchema):
    """A newly issued token: the secret is shown this once."""

    token = fields.String()
