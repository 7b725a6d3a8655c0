"""Open311 GeoReport v2 under ``/open311/v2``: what existing 311 clients and aggregators speak.

Reading is public and shows no personal data; filing a request needs an integration token as
the spec's ``api_key``. A request filed here is an ordinary case (channel ``open311``) with the
same validation, idempotency (``Idempotency-Key``) and history as ``POST /api/v1/cases``.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

from flask import Blueprint, Response, g, request

from domain import clock
from domain.actors import Role
from domain.case import Channel, Location
from domain.errors import AlreadyExists, DomainError, InvalidValue, NotFound, NotPermitted
from service.extensions import runtime
from service.idempotency import derived_id
from service.open311 import queries
from service.open311.formats import Open311Error, error_response, respond
from service.photos.serving import PUBLIC_CACHE, send_photo
from service.tokens.store import Principal

blp = Blueprint("open311", __name__, url_prefix="/open311/v2")

FORMAT = "<any(json, xml):fmt>"
#: When this interface last changed, as discovery reports it.
CHANGESET = "2026-12-01T00:00:00+00:00"
DESCRIPTION_LIMIT = 4000
ADDRESS_LIMIT = 300
#: The common area of a request that named only the block.
UNSPECIFIED_AREA = "not given (Open311)"
TITLE_LIMIT = 140
#: Nested lists in XML and the element each item is.
XML_ITEMS = {"attributes": "attribute", "values": "value", "notes": "note", "formats": "format"}


@blp.errorhandler(Open311Error)
def _open311_error(error: Open311Error) -> Response:
    return error_response(_fmt(), error.status, error.description)


@blp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> Response:
    status = 404 if isinstance(error, NotFound) else 403 if isinstance(error, NotPermitted) else 400
    description = str(error)
    if isinstance(error, InvalidValue):
        description = f"{error.field}: {error.message}"
    return error_response(_fmt(), status, description)


def _fmt() -> str:
    return str((request.view_args or {}).get("fmt", "json"))


@blp.get(f"/discovery.{FORMAT}")
def discovery(fmt: str) -> Response:
    """Where this endpoint is and what it speaks."""
    base = runtime().settings.public_url
    body = {
        "changeset": CHANGESET,
        "contact": f"{base}/api/v1/docs",
        "key_service": "API keys are integration tokens: ask the programme's administrator",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": f"{base}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return respond(fmt, body, root="discovery", item=None, items=XML_ITEMS)


@blp.get(f"/services.{FORMAT}")
def list_services(fmt: str) -> Response:
    """One service per PPR category (``jurisdiction_id``: one PPR's)."""
    with runtime().engine.connect() as conn:
        found = queries.services(conn, request.args.get("jurisdiction_id") or None)
    return respond(fmt, found, root="services", item="service")


@blp.get(f"/services/<code>.{FORMAT}")
def service_definition(code: str, fmt: str) -> Response:
    """The attributes a request for this service takes: where in the PPR."""
    with runtime().engine.connect() as conn:
        service = queries.find_service(conn, code)
    if service is None:
        raise Open311Error(404, f"no service {code}")
    return respond(
        fmt, queries.definition(service), root="service_definition", item=None, items=XML_ITEMS
    )


#: The years a date filter may name: outside them no case exists, and the database cannot store some.
YEARS = range(1970, 2101)


def _when(name: str) -> datetime | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    # An unencoded "+08:00" arrives as " 08:00": put the plus back.
    text = re.sub(r" (\d{2}:?\d{2})$", r"+\1", text).replace("Z", "+00:00")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(400, f"{name} must be an ISO 8601 date and time") from None
    if value.year not in YEARS:
        raise Open311Error(400, f"{name} must lie between 1970 and 2100")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _listed(name: str) -> list[str] | None:
    text = request.args.get(name, "")
    items = [item.strip() for item in text.split(",") if item.strip()]
    return items or None


def _number(name: str, default: int, maximum: int) -> int:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    if not re.fullmatch(r"[0-9]{1,7}", text) or not 1 <= int(text) <= maximum:
        raise Open311Error(400, f"{name} must be a whole number from 1 to {maximum}")
    return int(text)


def _window() -> tuple[datetime | None, datetime | None]:
    """``start_date`` and ``end_date``, in order."""
    start, end = _when("start_date"), _when("end_date")
    if start and end and end < start:
        raise Open311Error(400, "end_date must not be before start_date")
    return start, end


def _filters() -> queries.RequestFilters:
    start, end = _window()
    if start and end and end - start > timedelta(days=queries.DEFAULT_DAYS):
        raise Open311Error(
            400, f"start_date to end_date may span at most {queries.DEFAULT_DAYS} days"
        )
    statuses = [status.lower() for status in _listed("status") or []] or None
    if statuses and not set(statuses) <= {"open", "closed"}:
        raise Open311Error(400, "status must be open, closed, or both (comma separated)")
    return queries.RequestFilters(
        ids=_listed("service_request_id"),
        service_codes=_listed("service_code"),
        start=start,
        end=end,
        statuses=statuses,
        page=_number("page", 1, 1_000_000),
        page_size=_number("page_size", queries.MAX_RESULTS, queries.MAX_RESULTS),
        jurisdiction=request.args.get("jurisdiction_id") or None,
    )


def _extensions() -> bool:
    return request.args.get("extensions", "").lower() in {"true", "1", "yes"}


@blp.get(f"/requests.{FORMAT}")
def list_requests(fmt: str) -> Response:
    """Requests, newest first: by id (overriding the rest), service, dates and status."""
    filters = _filters()
    with runtime().engine.connect() as conn:
        rows = queries.find_requests(conn, filters, clock.now())
        found = queries.present_requests(
            conn, rows, extensions=_extensions(), public_url=runtime().settings.public_url
        )
    return respond(fmt, found, root="service_requests", item="request", items=XML_ITEMS)


@blp.get(f"/requests/<request_id>.{FORMAT}")
def one_request(request_id: str, fmt: str) -> Response:
    """One request, as a one-element list."""
    filters = queries.RequestFilters([request_id], None, None, None, None, 1, 1)
    with runtime().engine.connect() as conn:
        rows = queries.find_requests(conn, filters, clock.now())
        found = queries.present_requests(
            conn, rows, extensions=_extensions(), public_url=runtime().settings.public_url
        )
    if not found:
        raise Open311Error(404, f"no service request {request_id}")
    return respond(fmt, found, root="service_requests", item="request", items=XML_ITEMS)


@blp.get(f"/tokens/<token>.{FORMAT}")
def token(token: str, fmt: str) -> Response:
    """The request a token stands for (our tokens are the request ids themselves)."""
    with runtime().engine.connect() as conn:
        known = queries.request_exists(conn, token)
    if not known:
        raise Open311Error(404, f"no service request for token {token}")
    body = [{"service_request_id": token, "token": token}]
    return respond(fmt, body, root="service_requests", item="request")


@blp.get(f"/servicerequestupdates.{FORMAT}")
def service_request_updates(fmt: str) -> Response:
    """Public updates of requests, newest first (mySociety's extension)."""
    start, end = _window()
    with runtime().engine.connect() as conn:
        found = queries.recent_updates(
            conn,
            start,
            end,
            clock.now(),
            queries.MAX_RESULTS,
            request.args.get("jurisdiction_id") or None,
            public_url=runtime().settings.public_url,
        )
    return respond(
        fmt, found, root="service_request_updates", item="request_update", items=XML_ITEMS
    )


@blp.get("/media/<uuid:case_id>/<string(length=64):sha256>")
def request_photo(case_id: UUID, sha256: str) -> Response:
    """A photo of a request (its ``media_url``): public, as Open311 reading is, for non-private
    cases only; a private case's photos are as absent here as the case itself."""
    try:
        case = runtime().app.get_case(case_id)
    except NotFound:
        raise Open311Error(404, f"no photo {sha256} of a service request {case_id}") from None
    photo = None if case.private else case.photo(sha256)
    if photo is None:
        raise Open311Error(404, f"no photo {sha256} of a service request {case_id}")
    return send_photo(runtime().photos, photo, thumbnail=False, cache=PUBLIC_CACHE)


def _filer() -> Principal:
    principal: Principal | None = g.get("principal")
    if principal is None:
        raise Open311Error(403, "api_key is missing or not a valid key")
    if principal.role is not Role.INTEGRATION:
        raise Open311Error(403, "api_key must be an integration's key")
    return principal


def _form(name: str) -> str | None:
    value = request.form.get(name, "").strip()
    if "\x00" in value:
        raise Open311Error(400, f"{name} contains a NUL character")
    return value or None


def _coordinates() -> bool:
    latitude, longitude = _form("lat"), _form("long")
    if latitude is None and longitude is None:
        return False
    try:
        lat, long = float(latitude or "nan"), float(longitude or "nan")
    except ValueError:
        raise Open311Error(400, "lat and long must be decimal degrees") from None
    if math.isnan(lat) or math.isnan(long) or not (-90 <= lat <= 90 and -180 <= long <= 180):
        raise Open311Error(400, "lat and long must both be given, in decimal degrees")
    return True


def _title(description: str) -> str:
    """A case's title from the request's description: its first line, cut at a word."""
    line = description.strip().splitlines()[0].strip() if description.strip() else ""
    if len(line) <= TITLE_LIMIT:
        return line
    cut = line[: TITLE_LIMIT - 1].rsplit(" ", 1)[0] or line[: TITLE_LIMIT - 1]
    return cut + "…"


@blp.post(f"/requests.{FORMAT}")
def create_request(fmt: str) -> Response:
    """File a request: an ordinary case, reported through the channel ``open311``."""
    viewer = _filer()
    code = _form("service_code")
    if code is None:
        raise Open311Error(400, "service_code is required")
    with runtime().engine.connect() as conn:
        service = queries.find_service(conn, code)
    if service is None:
        raise Open311Error(400, f"service_code {code} names no service (see services.{fmt})")
    if not viewer.in_scope(service.ppr_code):
        raise Open311Error(403, f"this api_key does not cover PPR {service.ppr_code}")
    address_string, address_id = _form("address_string"), _form("address_id")
    if not (address_string or address_id or _coordinates()):
        raise Open311Error(400, "a location is required: address_string, address_id or lat+long")
    block = _form("attribute[block]") or address_id
    if block is None:
        raise Open311Error(400, "attribute[block] is required (or address_id: the block code)")
    description = _form("description")
    if description is None:
        raise Open311Error(400, "description is required")
    if len(description) > DESCRIPTION_LIMIT:
        raise Open311Error(400, f"description must be at most {DESCRIPTION_LIMIT} characters")
    unit = _form("attribute[unit]")
    # Where the client said nothing finer than the block, the case says so; an address_string
    # is the client's words and may name a household, so it goes to the (staff-only)
    # description, never into the public location.
    common_area = _form("attribute[common_area]") or (None if unit else UNSPECIFIED_AREA)
    if address_string:
        description = f"{description}\n\n(Address given: {address_string})"
    if address_string and len(address_string) > ADDRESS_LIMIT:
        raise Open311Error(400, f"address_string must be at most {ADDRESS_LIMIT} characters")
    app = runtime().app
    case_id = derived_id("case")
    try:
        new_id = app.report_case(
            viewer.actor,
            ppr_code=service.ppr_code,
            location=Location(
                block=block.upper(),
                floor=_form("attribute[floor]"),
                unit=unit,
                common_area=common_area,
            ),
            category_code=service.category_code,
            title=_title(description),
            description=description,
            channel=Channel.OPEN311,
            case_id=case_id,
        ).id
    except AlreadyExists:
        if case_id is None:
            raise
        new_id = case_id
    runtime().changed()
    body = [
        {
            "service_request_id": str(new_id),
            "token": str(new_id),
            "service_notice": "",
            "account_id": None,
        }
    ]
    response = respond(fmt, body, root="service_requests", item="request", status=201)
    response.headers["Location"] = f"/open311/v2/requests/{new_id}.{fmt}"
    return response
