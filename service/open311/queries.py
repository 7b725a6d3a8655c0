"""Open311 records from the read models: services from the PPR directory, requests from the case
list, updates from the case timelines.

Nothing personal leaves here: no reporter, no unit number, no one's words beyond the case's
public title, and private cases not at all (the line the integration view draws). Photos of the
cases shown are (``media_url``): their metadata is stripped when they are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, false, func, or_, select

from domain.case import TERMINAL, Status
from projections.case_list import case_list
from projections.case_metrics import case_metrics
from projections.case_timeline import case_timeline
from projections.ppr_directory import pprs
from service.open311.formats import timestamp

#: The spec: without dates, the last 90 days; a date range may not span more.
DEFAULT_DAYS = 90
#: The spec's cap on one answer; ``page_size`` may ask for fewer.
MAX_RESULTS = 1000

_CLOSED_NOTES = {
    Status.CLOSED: "closed: the reporter confirmed the fix, or the dispute window passed",
    Status.NO_FURTHER_ACTION: "closed: no further action",
    Status.DUPLICATE: "closed: a duplicate of another request",
    Status.WITHDRAWN: "closed: withdrawn by the reporter",
}
_OPEN_NOTES = {
    Status.REPORTED: "open: reported, waiting for management",
    Status.ACKNOWLEDGED: "open: acknowledged by management",
    Status.IN_PROGRESS: "open: work in progress",
    Status.RESOLVED: "open: management reports it fixed; waiting for the reporter to confirm",
    Status.REOPENED: "open: the reporter disputed the fix; reopened",
}
_AGENCIES = {
    "management": "PPR management",
    "committee": "Residents' committee (JPP)",
    "contractor": "Contractor",
    "resident": "The reporting resident (to confirm or dispute the fix)",
}
#: Timeline events as an update's description: what happened, in plain words, not whose words.
_UPDATE_WORDS = {
    "reported": "Reported.",
    "acknowledged": "Acknowledged by management.",
    "recategorised": "Moved to another category.",
    "assigned": "Assigned.",
    "management_responded": "Management responded.",
    "resolved": "Management reports the problem fixed.",
    "resolution_confirmed": "The reporter confirmed the fix.",
    "resolution_disputed": "The reporter disputed the fix; reopened.",
    "closed": "Closed.",
    "no_further_action_decided": "Closed without further action.",
    "marked_duplicate": "Marked a duplicate of another request.",
    "withdrawn": "Withdrawn by the reporter.",
    "comment_added": "A public comment was added.",
    "tabled": "Put on the residents' committee's agenda.",
    "priority_designated": "Made a community priority by the committee.",
    "supported": "Another resident reported the same problem (me too).",
    "sla_breached": "A service-level target was missed.",
    "photo_attached": "A photo was added.",
}


def media_url(public_url: str, case_id: str, sha256: str) -> str:
    """Where anyone fetches a photo of a non-private case (``routes.request_photo``)."""
    return f"{public_url}/open311/v2/media/{case_id}/{sha256}"


def open_or_closed(status: str) -> str:
    """The spec's two statuses: closed for every ending, open for every working state."""
    return "closed" if Status(status) in TERMINAL else "open"


def status_notes(status: str) -> str:
    """Which state, in words."""
    state = Status(status)
    return _CLOSED_NOTES.get(state) or _OPEN_NOTES.get(state, state.value)


#: Between PPR and category in a service code: codes may hold "-" and "_", never ".".
SEPARATOR = "."


def service_code(ppr_code: str, category_code: str) -> str:
    """One service per PPR category."""
    return f"{ppr_code}{SEPARATOR}{category_code}"


def split_service_code(code: str) -> tuple[str, str] | None:
    """The PPR and category of a service code, or None if it is not one."""
    ppr, _, category = code.strip().upper().partition(SEPARATOR)
    return (ppr, category) if ppr and category else None


def _pprs(conn: Connection, ppr_code: str | None = None) -> list[Any]:
    query = select(pprs).order_by(pprs.c.code)
    if ppr_code:
        query = query.where(pprs.c.code == ppr_code.upper())
    return list(conn.execute(query).all())


def services(conn: Connection, jurisdiction: str | None = None) -> list[dict[str, Any]]:
    """Every category of every PPR (of one PPR, as the ``jurisdiction_id``) as a service."""
    found = []
    for ppr in _pprs(conn, jurisdiction):
        for category in sorted(ppr.categories.values(), key=lambda each: each["code"]):
            found.append(
                {
                    "service_code": service_code(ppr.code, category["code"]),
                    "service_name": f"{category['name_en']} / {category['name_ms']}",
                    "description": (
                        f"{category['name_en']} ({category['name_ms']}) problems at "
                        f"{ppr.name}: give the block, and a unit or a common area"
                    ),
                    "metadata": True,
                    "type": "realtime",
                    "keywords": ", ".join(
                        [category["code"].lower(), category["name_en"], category["name_ms"]]
                    ),
                    "group": ppr.name,
                }
            )
    return found


@dataclass(frozen=True)
class Service:
    """A service a request can be filed under."""

    ppr_code: str
    ppr_name: str
    category_code: str
    category: dict[str, Any]
    blocks: dict[str, Any]


def find_service(conn: Connection, code: str) -> Service | None:
    """The service of this code, or None."""
    parts = split_service_code(code)
    if parts is None:
        return None
    rows = _pprs(conn, parts[0])
    if not rows or parts[1] not in rows[0].categories:
        return None
    row = rows[0]
    return Service(row.code, row.name, parts[1], row.categories[parts[1]], dict(row.blocks))


def definition(service: Service) -> dict[str, Any]:
    """The service's attributes: where in the PPR."""
    blocks = sorted(service.blocks.values(), key=lambda each: each["code"])
    return {
        "service_code": service_code(service.ppr_code, service.category_code),
        "attributes": [
            {
                "variable": True,
                "code": "block",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": "The block (blok) the problem is in",
                "order": 1,
                "description": "Block",
                "values": [{"key": block["code"], "name": block["name"]} for block in blocks],
            },
            {
                "variable": True,
                "code": "floor",
                "datatype": "string",
                "required": False,
                "datatype_description": "The floor (tingkat), such as 7 or G",
                "order": 2,
                "description": "Floor",
            },
            {
                "variable": True,
                "code": "unit",
                "datatype": "string",
                "required": False,
                "datatype_description": "The unit, such as A-07-12: give a unit or a common area",
                "order": 3,
                "description": "Unit",
            },
            {
                "variable": True,
                "code": "common_area",
                "datatype": "string",
                "required": False,
                "datatype_description": "A common area, such as the lift lobby: a unit or this",
                "order": 4,
                "description": "Common area",
            },
        ],
    }


@dataclass(frozen=True)
class RequestFilters:
    """What ``GET requests`` asks for, validated."""

    ids: list[str] | None
    service_codes: list[str] | None
    start: datetime | None
    end: datetime | None
    statuses: list[str] | None
    page: int
    page_size: int
    jurisdiction: str | None = None


def _address(row: Any) -> str:
    """Where, without the unit (a household is personal)."""
    parts = [f"Block {row.block}"]
    if row.floor:
        parts.append(f"floor {row.floor}")
    parts.append(row.common_area if row.common_area else "a unit")
    return ", ".join(parts)


def find_requests(conn: Connection, filters: RequestFilters, now: datetime) -> list[Any]:
    """The non-private cases the filters select, newest first, one page of them."""
    c = case_list.c
    conditions: list[Any] = [c.private.is_(False)]
    if filters.jurisdiction:
        conditions.append(c.ppr_code == filters.jurisdiction.upper())
    if filters.ids is not None:
        conditions.append(c.case_id.in_(filters.ids))
    else:
        if filters.service_codes:
            pairs = [split_service_code(code) for code in filters.service_codes]
            # No known code among them selects nothing (an empty OR would select everything).
            conditions.append(
                or_(
                    false(),
                    *(
                        and_(c.ppr_code == ppr, c.category_code == category)
                        for ppr, category in (pair for pair in pairs if pair)
                    ),
                )
            )
        end = filters.end or now
        start = filters.start or (end - timedelta(days=DEFAULT_DAYS))
        conditions += [c.reported_at >= start, c.reported_at <= end]
        if filters.statuses and set(filters.statuses) != {"open", "closed"}:
            closed = [state.value for state in TERMINAL]
            if set(filters.statuses) == {"closed"}:
                conditions.append(c.status.in_(closed))
            else:
                conditions.append(c.status.not_in(closed))
    query = (
        select(case_list, case_metrics.c.resolve_due_at, pprs.c.name.label("ppr_name"))
        .select_from(
            case_list.outerjoin(case_metrics, case_metrics.c.case_id == c.case_id).outerjoin(
                pprs, pprs.c.code == c.ppr_code
            )
        )
        .where(*conditions)
        .order_by(c.reported_at.desc(), c.case_id)
        .limit(filters.page_size)
        .offset((filters.page - 1) * filters.page_size)
    )
    return list(conn.execute(query).all())


def _category_names(conn: Connection) -> dict[tuple[str, str], str]:
    names = {}
    for ppr in _pprs(conn):
        for code, category in ppr.categories.items():
            names[(ppr.code, code)] = f"{category['name_en']} / {category['name_ms']}"
    return names


def present_requests(
    conn: Connection, rows: list[Any], *, extensions: bool, public_url: str
) -> list[dict[str, Any]]:
    """The spec's request records (with mySociety's ``extended_attributes`` when asked).

    ``media_url`` is the case's first photo, the one its report came with.
    """
    names = _category_names(conn)
    case_ids = [row.case_id for row in rows]
    updates = updates_of(conn, case_ids, public_url) if extensions else {}
    records = []
    for row in rows:
        record: dict[str, Any] = {
            "service_request_id": row.case_id,
            "status": open_or_closed(row.status),
            "status_notes": status_notes(row.status),
            "service_name": names.get((row.ppr_code, row.category_code), row.category_code),
            "service_code": service_code(row.ppr_code, row.category_code),
            "description": row.title,
            "agency_responsible": _AGENCIES.get(row.whose_move or "", row.ppr_name or ""),
            "service_notice": "",
            "requested_datetime": timestamp(row.reported_at),
            "updated_datetime": timestamp(row.updated_at),
            # Open311's promise is the fix: the resolve target's due time, until it ends.
            "expected_datetime": None
            if Status(row.status) in TERMINAL
            else timestamp(row.resolve_due_at),
            "address": _address(row),
            "address_id": row.block,
            "zipcode": None,
            "lat": None,
            "long": None,
            "media_url": media_url(public_url, row.case_id, row.first_photo)
            if row.first_photo
            else None,
        }
        if extensions:
            record["extended_attributes"] = {
                "detailed_status": row.status,
                "ppr": row.ppr_code,
                "block": row.block,
                "support_count": row.support_count,
                "notes": [
                    {key: value for key, value in update.items() if key != "service_request_id"}
                    for update in updates.get(row.case_id, [])
                ],
            }
        records.append(record)
    return records


def updates_of(
    conn: Connection, case_ids: list[str], public_url: str
) -> dict[str, list[dict[str, Any]]]:
    """The public updates of these cases, oldest first."""
    if not case_ids:
        return {}
    rows = conn.execute(
        select(case_timeline)
        .where(case_timeline.c.case_id.in_(case_ids), case_timeline.c.internal.is_(False))
        .order_by(case_timeline.c.position)
    ).all()
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row.case_id, []).append(_update(row, public_url))
    return found


def _update(row: Any, public_url: str) -> dict[str, Any]:
    photo = row.details.get("sha256") if row.event_type == "photo_attached" else None
    return {
        "update_id": f"{row.case_id}:{row.version}",
        "service_request_id": row.case_id,
        "status": open_or_closed(row.status),
        "updated_datetime": timestamp(row.recorded_at),
        "description": _UPDATE_WORDS.get(row.event_type, row.event_type.replace("_", " ")),
        "media_url": media_url(public_url, row.case_id, photo) if photo else None,
    }


def recent_updates(
    conn: Connection,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
    limit: int,
    jurisdiction: str | None = None,
    *,
    public_url: str,
) -> list[dict[str, Any]]:
    """Public updates of non-private cases recorded in the window (default the last 90 days).

    The report itself is not an update: a client that filed it would post it back as one.
    """
    end = end or now
    start = start or (end - timedelta(days=DEFAULT_DAYS))
    t = case_timeline.c
    rows = conn.execute(
        select(case_timeline)
        .select_from(case_timeline.join(case_list, case_list.c.case_id == t.case_id))
        .where(
            t.internal.is_(False),
            case_list.c.private.is_(False),
            t.recorded_at >= start,
            t.recorded_at <= end,
            t.event_type != "reported",
            *([case_list.c.ppr_code == jurisdiction.upper()] if jurisdiction else []),
        )
        .order_by(t.recorded_at.desc(), t.position.desc())
        .limit(limit)
    ).all()
    return [_update(row, public_url) for row in rows]


def request_exists(conn: Connection, case_id: str) -> bool:
    """Whether a non-private case of this id is listed."""
    return bool(
        conn.execute(
            select(func.count())
            .select_from(case_list)
            .where(case_list.c.case_id == case_id, case_list.c.private.is_(False))
        ).scalar_one()
    )
