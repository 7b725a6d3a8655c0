"""Request and response shapes of the people resource."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from domain.actors import Role
from workers.kinds import INSTANT_CHANNELS, LANGUAGES, Kind
from workers.people import MAX_EMAIL_LENGTH, PERSON_ROLES

#: Roles an admin may register without a token: the people a PPR's notifications are for.
REGISTRABLE_ROLES = [Role.RESIDENT.value, Role.COMMITTEE.value, Role.MANAGEMENT.value]


class PersonSchema(ma.Schema):
    """Someone the service notifies; email and phone only for that person and admins."""

    principal_id = fields.String()
    name = fields.String()
    role = fields.String()
    pprs = fields.List(fields.String())
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "E.164, e.g. +60123456789"})
    language = fields.String(metadata={"description": "ms (Bahasa Malaysia) or en"})
    digest = fields.Boolean(metadata={"description": "Email and SMS once a day, not at once"})
    channels = fields.List(fields.String(), metadata={"description": "Besides the outbox"})
    muted_kinds = fields.List(fields.String())
    updated_at = fields.DateTime()


class PersonPatchSchema(ma.Schema):
    """Contact points and preferences to change; fields left out stay as they are."""

    email = fields.String(
        allow_none=True,
        validate=validate.Length(max=MAX_EMAIL_LENGTH),
        metadata={"description": "null erases it"},
    )
    phone = fields.String(
        allow_none=True,
        validate=validate.Length(max=32),
        metadata={"description": "+60123456789 or a Malaysian 012-345 6789; null erases it"},
    )
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    digest = fields.Boolean()
    channels = fields.List(
        fields.String(validate=validate.OneOf([channel.value for channel in INSTANT_CHANNELS])),
        metadata={"description": "Instant channels besides the outbox (which gets everything)"},
    )
    muted_kinds = fields.List(
        fields.String(validate=validate.OneOf([kind.value for kind in Kind])),
        metadata={"description": "Kinds of notification not wanted"},
    )


class PersonPutSchema(PersonPatchSchema):
    """Someone an admin registers (or re-registers); contact fields left out stay as they are."""

    name = fields.String(required=True, validate=validate.Length(1, 120))
    role = fields.String(required=True, validate=validate.OneOf(REGISTRABLE_ROLES))
    pprs = fields.List(
        fields.String(validate=validate.Length(1, 32)),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "The PPRs the person acts in (replacing the ones before)"},
    )


class PersonQueryArgsSchema(ma.Schema):
    """Filters and paging for the list of people."""

    ppr = fields.String(validate=validate.Length(1, 32), metadata={"description": "PPR code"})
    role = fields.String(validate=validate.OneOf(sorted(PERSON_ROLES)))
    cursor = fields.String()
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PersonListSchema(ma.Schema):
    """A page of people."""

    items = fields.List(fields.Nested(PersonSchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "Pass as `cursor` for the next page"}
    )
