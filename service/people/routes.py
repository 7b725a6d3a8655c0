"""HTTP endpoints of the people resource: one's own entry, and everyone's for admins."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from domain.actors import Role
from domain.errors import InvalidValue, NotFound, NotPermitted
from service.auth import current_principal, require_role
from service.cursors import INVALID_CURSOR, decode_cursor, encode_cursor
from service.errors import BadParameter, documents_errors
from service.extensions import runtime
from service.people import schemas
from service.tokens.store import ALL_PPRS, RESERVED_PRINCIPALS, Principal, token_roles
from workers.people import Person, ensure_person, get_person, list_people, update_person

blp = Blueprint(
    "people",
    __name__,
    url_prefix="/api/v1/people",
    description="Who the service notifies: contact points (personal data) and preferences.",
)

PERSON_SCHEMA = schemas.PersonSchema()
#: Request fields that are contact points or preferences (the same name in the store).
CONTACT_FIELDS = ("email", "phone", "language", "digest", "channels", "muted_kinds")
MAX_PRINCIPAL_ID_LENGTH = 64


def _present(person: Person, viewer: Principal) -> dict[str, Any]:
    # Contact points are personal data: only the person and admins see them.
    sees_contact = viewer.role is Role.ADMIN or viewer.principal_id == person.principal_id
    return {
        "principal_id": person.principal_id,
        "name": person.name,
        "role": person.role,
        "pprs": list(person.ppr_codes),
        "email": person.email if sees_contact else None,
        "phone": person.phone if sees_contact else None,
        "language": person.language,
        "digest": person.digest,
        "channels": list(person.channels),
        "muted_kinds": list(person.muted_kinds),
        "updated_at": person.updated_at,
    }


def _contact_changes(args: dict[str, Any]) -> dict[str, Any]:
    return {name: args[name] for name in CONTACT_FIELDS if name in args}


def _own_entry(viewer: Principal) -> Person:
    """The caller's entry, made from their token if missing (tokens older than the entries)."""
    engine = runtime().engine
    codes = [code for code in viewer.ppr_codes if code != ALL_PPRS]
    person = get_person(engine, viewer.principal_id)
    if person is None or not set(codes) <= set(person.ppr_codes):
        person = ensure_person(engine, viewer.principal_id, viewer.name, viewer.role.value, codes)
    return person


def _encode_cursor(principal_id: str) -> str:
    return encode_cursor("people", principal_id)


def _decode_cursor(cursor: str) -> str:
    kind, principal_id = decode_cursor(cursor, 2)
    if kind != "people" or not isinstance(principal_id, str):
        raise BadParameter("cursor", INVALID_CURSOR)
    return principal_id


def _registrable_pprs(codes: list[str]) -> list[str]:
    """The PPR codes, each of an existing PPR; InvalidValue("pprs") otherwise."""
    found = list(dict.fromkeys(code.strip().upper() for code in codes))
    for code in found:
        try:
            runtime().app.get_ppr(code)
        except NotFound as error:
            raise InvalidValue("pprs", f"no PPR with code {code!r}") from error
    return found


def _person_response(person: Person, viewer: Principal, status: int = 200) -> Response:
    response = jsonify(PERSON_SCHEMA.dump(_present(person, viewer)))
    response.status_code = status
    return response


@blp.route("/me")
class Me(MethodView):
    """The caller's own entry."""

    @blp.response(200, schemas.PersonSchema)
    @documents_errors(blp, 401)
    def get(self) -> dict[str, Any]:
        """My contact points and notification preferences."""
        viewer = current_principal()
        return _present(_own_entry(viewer), viewer)

    @blp.arguments(schemas.PersonPatchSchema)
    @blp.response(200, schemas.PersonSchema)
    @documents_errors(blp, 400, 401, 403, 409, 422)
    def patch(self, args: dict[str, Any]) -> dict[str, Any]:
        """Change my contact points or preferences (null erases an email or phone)."""
        viewer = current_principal()
        if viewer.role is Role.INTEGRATION:
            raise NotPermitted("an integration is a system and has no contact points")
        _own_entry(viewer)
        person = update_person(runtime().engine, viewer.principal_id, **_contact_changes(args))
        return _present(person, viewer)


@blp.route("")
class People(MethodView):
    """Everyone the service may notify."""

    @blp.arguments(schemas.PersonQueryArgsSchema, location="query")
    @blp.response(200, schemas.PersonListSchema)
    @documents_errors(blp, 400, 401, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List people (admin), by PPR and role, a page at a time."""
        viewer = require_role(Role.ADMIN)
        after = _decode_cursor(args["cursor"]) if args.get("cursor") else None
        limit = int(args["limit"])
        found = list_people(
            runtime().engine,
            ppr=args.get("ppr"),
            role=args.get("role"),
            limit=limit + 1,
            after=after,
        )
        next_cursor = _encode_cursor(found[limit - 1].principal_id) if len(found) > limit else None
        return {
            "items": [_present(person, viewer) for person in found[:limit]],
            "next_cursor": next_cursor,
        }


@blp.route("/<string:principal_id>")
class PersonById(MethodView):
    """One person."""

    @blp.response(200, schemas.PersonSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, principal_id: str) -> dict[str, Any]:
        """Read someone's entry (admin)."""
        viewer = require_role(Role.ADMIN)
        person = get_person(runtime().engine, principal_id)
        if person is None:
            raise NotFound(f"no person {principal_id}")
        return _present(person, viewer)

    @blp.arguments(schemas.PersonPatchSchema)
    @blp.response(200, schemas.PersonSchema)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def patch(self, args: dict[str, Any], principal_id: str) -> dict[str, Any]:
        """Change someone's contact points or preferences (admin)."""
        viewer = require_role(Role.ADMIN)
        person = update_person(runtime().engine, principal_id, **_contact_changes(args))
        return _present(person, viewer)

    @blp.arguments(schemas.PersonPutSchema)
    @blp.response(200, schemas.PersonSchema)
    @blp.alt_response(201, schema=schemas.PersonSchema, description="Registered")
    @documents_errors(blp, 400, 401, 403, 409, 422)
    def put(self, args: dict[str, Any], principal_id: str) -> Response:
        """Register someone, with or without a token, or replace their name, role and PPRs (admin)."""
        viewer = require_role(Role.ADMIN)
        if len(principal_id) > MAX_PRINCIPAL_ID_LENGTH:
            raise InvalidValue("principal_id", f"at most {MAX_PRINCIPAL_ID_LENGTH} characters")
        if principal_id in RESERVED_PRINCIPALS:
            raise InvalidValue("principal_id", f"{principal_id!r} is reserved")
        codes = _registrable_pprs(args["pprs"])
        engine = runtime().engine
        other_roles = token_roles(engine, principal_id) - {args["role"]}
        if other_roles:
            # A person keeps one role, or their events would read as another role's.
            raise InvalidValue(
                "role", f"{principal_id} has tokens as {', '.join(sorted(other_roles))}"
            )
        is_new = get_person(engine, principal_id) is None
        with engine.begin() as conn:
            ensure_person(conn, principal_id, args["name"], args["role"], codes)
            person = update_person(
                conn,
                principal_id,
                name=args["name"],
                role=args["role"],
                ppr_codes=codes,
                **_contact_changes(args),
            )
        response = _person_response(person, viewer, status=201 if is_new else 200)
        if is_new:
            response.headers["Location"] = f"/api/v1/people/{quote(principal_id, safe='')}"
        return response
