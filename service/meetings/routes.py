"""HTTP endpoints of the meetings resource."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from domain.meeting import Meeting
from projections.governance import meetings
from service.auth import current_principal
from service.cases.visibility import Redactor
from service.concurrency import expected_version
from service.errors import documents_errors
from service.extensions import runtime
from service.governance_common import (
    STAFF_VIEWERS,
    register_command,
    require_scope,
    require_writer,
    respond,
    scoped_to,
)
from service.meetings import schemas
from service.tokens.store import Principal

blp = Blueprint(
    "meetings",
    __name__,
    url_prefix="/api/v1/meetings",
    description="Committee meetings: agenda, attendance, quorum, motions and votes, minutes.",
)
MEETING = schemas.MeetingSchema()


def _present(meeting: Meeting | Any, viewer: Principal, *, meeting_id: str) -> dict[str, Any]:
    """A meeting (aggregate or read-model row) as ``viewer`` may see it.

    Who signed the attendance register is for committee, management and admin; auditors see
    each resident as a pseudonym; residents and integrations see only the counts.
    """

    def get(name: str) -> Any:
        return getattr(meeting, name, None)

    staff = viewer.role in STAFF_VIEWERS
    # Auditors see every person as the same pseudonym as in case histories (DESIGN §2).
    redactor = Redactor(
        viewer, reporter_id="", anonymous=False, pseudonym_key=runtime().settings.pseudonym_key
    )
    signed = [redactor.person(person, "resident")["id"] for person in get("resident_ids") or []]
    return {
        "id": meeting_id,
        "ppr": get("ppr_code"),
        "scheduled_for": get("scheduled_for"),
        "place": get("place"),
        "status": get("status"),
        "agenda": get("agenda"),
        "held_at": get("held_at"),
        "members_present": get("members_present") or [],
        "quorum_required": get("quorum_required"),
        "quorum_met": get("quorum_met"),
        "residents_attending": get("residents_attending"),
        "resident_ids": signed if staff else None,
        "management_present": get("management_present"),
        "motions": get("motions") or [],
        "minutes": get("minutes"),
        "minutes_published_at": get("minutes_published_at"),
        "version": get("version"),
    }


def visible_meeting(viewer: Principal, meeting_id: UUID) -> Meeting:
    meeting = runtime().app.get_meeting(meeting_id)
    require_scope(viewer, meeting.ppr_code, "no meeting in the PPRs this token covers")
    return meeting


def _answer(meeting_id: UUID, viewer: Principal, status: int = 200) -> Response:
    runtime().changed()
    meeting = runtime().app.get_meeting(meeting_id)
    body = MEETING.dump(_present(meeting, viewer, meeting_id=str(meeting_id)))
    return respond(body, meeting.version, status)


@blp.route("")
class Meetings(MethodView):
    """The meeting collection."""

    @blp.arguments(schemas.MeetingQueryArgsSchema, location="query")
    @blp.response(200, schemas.MeetingSchema(many=True))
    @documents_errors(blp, 401)
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Meetings of the caller's PPRs, newest first."""
        viewer = current_principal()
        query = select(meetings).order_by(meetings.c.scheduled_for.desc())
        query = scoped_to(query, meetings, viewer, args.get("ppr"))
        if args.get("status"):
            query = query.where(meetings.c.status == args["status"])
        with runtime().engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_present(row, viewer, meeting_id=row.meeting_id) for row in rows]

    @blp.arguments(schemas.MeetingCreateSchema)
    @blp.response(201, schemas.MeetingSchema)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, args: dict[str, Any]) -> Response:
        """Schedule a meeting; cases on the agenda record that they were tabled (committee)."""
        viewer = current_principal()
        ppr = args["ppr"].strip().upper()
        require_scope(viewer, ppr, "no committee in the PPRs this token covers")
        require_writer(viewer)
        saved = runtime().app.schedule_meeting(
            viewer.actor,
            ppr,
            scheduled_for=args["scheduled_for"],
            place=args["place"],
            agenda=[(item["title"], item["case_ids"]) for item in args["agenda"]],
            occurred_at=args["occurred_at"],
        )
        response = _answer(saved.id, viewer, 201)
        response.headers["Location"] = f"/api/v1/meetings/{saved.id}"
        return response


@blp.route("/<uuid:meeting_id>")
class MeetingById(MethodView):
    """One meeting."""

    @blp.response(200, schemas.MeetingSchema)
    @documents_errors(blp, 401, 404)
    def get(self, meeting_id: UUID) -> Response:
        """A meeting with its agenda, attendance, motions and minutes."""
        viewer = current_principal()
        meeting = visible_meeting(viewer, meeting_id)
        body = MEETING.dump(_present(meeting, viewer, meeting_id=str(meeting_id)))
        return respond(body, meeting.version)


def _command(name: str, schema: type, method: str, summary: str) -> None:
    def handle(args: dict[str, Any], meeting_id: UUID) -> Response:
        viewer = current_principal()
        visible_meeting(viewer, meeting_id)
        require_writer(viewer)
        getattr(runtime().app, method)(
            viewer.actor, meeting_id, expected_version=expected_version(), **args
        )
        return _answer(meeting_id, viewer)

    register_command(
        blp,
        id_name="meeting_id",
        name=name,
        schema=schema,
        response_schema=schemas.MeetingSchema,
        summary=summary,
        handle=handle,
    )


_command(
    "agenda-items",
    schemas.AgendaItemSchema,
    "add_agenda_item",
    "Add an agenda item before the meeting (its cases are tabled).",
)
_command(
    "hold",
    schemas.HoldSchema,
    "hold_meeting",
    "Record that the meeting was held, with attendance; quorum is checked against the committee.",
)
_command(
    "motions",
    schemas.MotionSchema,
    "record_motion",
    "Record a motion and its vote (or consensus) at a held meeting.",
)
_command(
    "minutes", schemas.MinutesSchema, "publish_minutes", "Publish the minutes of a held meeting."
)
_command("cancel", schemas.CancelSchema, "cancel_meeting", "Call off a scheduled meeting.")
