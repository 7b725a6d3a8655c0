"""Report a problem, follow my cases, a case's page with its timeline and actions, the board."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import marshmallow as ma
from flask import render_template, request, session
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from domain.actors import Role
from domain.case import (
    IN_WORK,
    TERMINAL,
    UNRESOLVED,
    Case,
    Channel,
    Location,
    Status,
)
from domain.errors import (
    AlreadyExists,
    DomainError,
    IllegalTransition,
    InvalidValue,
    NotPermitted,
    VersionMismatch,
)
from service.cases.presenters import present_case, present_history, present_summary
from service.cases.queries import case_history, last_projected_version, list_cases
from service.cases.routes import visible_case
from service.cases.visibility import STAFF, sees_internal
from service.extensions import runtime
from service.photos.processing import PhotoRefused
from service.photos.routes import held_photo
from service.photos.serving import send_photo
from service.photos.store import process_and_store
from service.tokens.store import Principal
from service.web.cases import schemas
from service.web.cases.timeline import worded_timeline
from service.web.common import (
    back_to,
    category_names,
    form_errors,
    load_form,
    ppr_or_404,
    shown_version,
    viewer_with,
    web_blueprint,
)
from service.web.i18n import category_name, gettext
from service.web.refusals import refusal

blp = web_blueprint("cases", __name__)

REPORT_FORM = schemas.ReportFormSchema()
#: How long a case page waits for the timeline to show a change just made (then it says so).
TIMELINE_WAIT_SECONDS = 1.5
OPEN_STATUSES = [status for status in Status if status not in TERMINAL]
#: A title made from the description is cut here (at a word), for residents who skip the title.
AUTO_TITLE_LENGTH = 80

#: Category codes and the icon each is shown with; other categories get a generic one.
CATEGORY_ICONS = {
    "LIF": "lift",
    "AIR": "water",
    "PAIP": "pipe",
    "SAMPAH": "rubbish",
    "KEBERSIHAN": "clean",
    "KESELAMATAN": "security",
    "TAMAN": "playground",
    "PARKIR": "parking",
    "PEROSAK": "pest",
    "BUMBUNG": "roof",
    "LAMPU": "light",
}


@blp.app_template_global()
def category_icon(code: str) -> str:
    """The icon's name for a category."""
    return CATEGORY_ICONS.get(code, "other")


def _auto_title(description: str) -> str:
    first_line = " ".join(description.split())
    if len(first_line) <= AUTO_TITLE_LENGTH:
        return first_line
    cut = first_line[:AUTO_TITLE_LENGTH].rsplit(" ", 1)[0]
    return f"{cut}\u2026"


# -- reporting ----------------------------------------------------------------------------------


def _report_page(viewer: Principal, status: int = 200, **context: Any) -> tuple[str, int]:
    codes = [code for code in viewer.ppr_codes if code != "*"]
    chosen = (request.values.get("ppr") or (codes[0] if codes else "")).upper()
    if chosen not in codes:
        raise NotFound()
    ppr = ppr_or_404(chosen)
    categories = sorted(ppr.categories.values(), key=lambda category: category["code"])
    blocks = sorted(ppr.blocks.values(), key=lambda block: block["code"])
    return (
        render_template(
            "web/report.html",
            ppr=ppr,
            ppr_codes=codes,
            categories=categories,
            blocks=blocks,
            form=context.pop("form", {}),
            errors=context.pop("errors", {}),
            **context,
        ),
        status,
    )


@blp.get("/report")
def report_form() -> tuple[str, int]:
    """The report form: what kind of problem, where, what is wrong."""
    viewer = viewer_with(Role.RESIDENT)
    return _report_page(viewer)


@blp.post("/report")
def report() -> tuple[str, int] | Response:
    """Record the report and show the new case."""
    viewer = viewer_with(Role.RESIDENT)
    try:
        form = load_form(REPORT_FORM)
    except ma.ValidationError as error:
        return _report_page(viewer, 422, form=request.form, errors=form_errors(error))
    ppr = form["ppr"].strip().upper()
    if not viewer.in_scope(ppr):
        raise NotFound()
    unit_place = form["place"] == "unit"
    try:
        photos = process_and_store(runtime(), request.files.getlist("photo"))
    except PhotoRefused as refused:
        return _report_page(
            viewer, 422, form=request.form, errors={"photo": [_photo_refusal(refused)]}
        )
    try:
        saved = runtime().app.report_case(
            viewer.actor,
            ppr_code=ppr,
            location=Location(
                block=form["block"].strip().upper(),
                floor=form["floor"],
                unit=form["unit"] if unit_place else None,
                common_area=None if unit_place else form["common_area"],
            ),
            category_code=form["category"].strip().upper(),
            title=form["title"] or _auto_title(form["description"]),
            description=form["description"],
            channel=Channel.WEB,
            anonymous=form["anonymous"],
            private=form["private"],
            photos=photos,
        )
    except InvalidValue as error:
        return _report_page(viewer, 422, form=request.form, errors={error.field: [refusal(error)]})
    runtime().changed()
    session["wait_for"] = [str(saved.id), saved.version]
    return back_to(
        "web_cases.case_page",
        gettext("Thank you. Your report is recorded; you can follow it here."),
        case_id=saved.id,
    )


def _photo_refusal(refused: PhotoRefused) -> str:
    """Why a photo was refused, in the page's language."""
    if refused.status == 413:
        megabytes = runtime().settings.photo_max_bytes // (1024 * 1024)
        return gettext("A photo is too big: at most %(size)d MB each.", size=megabytes)
    if refused.status == 415:
        return gettext(
            "Send photos as JPEG, PNG or WebP. On an iPhone: Settings, Camera, Formats, "
            "Most Compatible."
        )
    if refused.most is not None:
        return gettext("At most %(count)d photos.", count=refused.most)
    return gettext("A photo could not be read. Try taking it again.")


# -- my cases and the board ---------------------------------------------------------------------


@blp.get("/cases")
def my_cases() -> str:
    """The cases I reported, newest first, a page at a time."""
    viewer = viewer_with(Role.RESIDENT)
    args: dict[str, Any] = {"mine": True, "limit": 20}
    if request.args.get("cursor"):
        args["cursor"] = request.args["cursor"]
    rows, next_cursor = list_cases(runtime().engine, viewer, args)
    key = runtime().settings.pseudonym_key
    cases = [present_summary(row, viewer, key) for row in rows]
    return render_template(
        "web/my_cases.html",
        cases=cases,
        next_cursor=next_cursor,
        categories=category_names(case["ppr"] for case in cases),
    )


@blp.get("/ppr/<code>/board")
def board(code: str) -> str:
    """A PPR's public board: its community priorities and its open cases, most supported first."""
    viewer = viewer_with()
    code = code.upper()
    if not viewer.in_scope(code):
        raise NotFound()
    ppr = ppr_or_404(code)
    engine, key = runtime().engine, runtime().settings.pseudonym_key
    priority_rows, _ = list_cases(
        engine,
        viewer,
        {"ppr": code, "priority": True, "status": OPEN_STATUSES, "limit": 20, "sort": "support"},
    )
    open_rows, _ = list_cases(
        engine, viewer, {"ppr": code, "status": OPEN_STATUSES, "limit": 30, "sort": "support"}
    )
    priority_ids = {row.case_id for row in priority_rows}
    return render_template(
        "web/board.html",
        ppr=ppr,
        priorities=[present_summary(row, viewer, key) for row in priority_rows],
        cases=[
            present_summary(row, viewer, key)
            for row in open_rows
            if row.case_id not in priority_ids
        ],
        categories=ppr.categories,
    )


# -- one case -----------------------------------------------------------------------------------


def _actions(viewer: Principal, case: Case) -> set[str]:
    """What this viewer can do to the case now (the domain still has the last word)."""
    status = Status(case.status)
    actions: set[str] = set()
    if viewer.role is Role.AUDITOR:
        return actions
    mine = case.reporter_id == viewer.principal_id
    actions.add("comment")
    if mine and status is Status.RESOLVED:
        actions |= {"confirm", "dispute"}
    if mine and status in UNRESOLVED:
        actions.add("withdraw")
    if (
        viewer.role is Role.RESIDENT
        and not mine
        and status not in TERMINAL
        and viewer.principal_id not in case.supporter_ids
    ):
        actions.add("support")
    if viewer.role in (Role.MANAGEMENT, Role.ADMIN):
        if status is Status.REPORTED:
            actions.add("acknowledge")
        if status not in TERMINAL:
            actions.add("respond")
    if viewer.role in STAFF and status in IN_WORK:
        actions.add("resolve")
    try:
        case.check_may_attach_photo(viewer.actor)
        actions.add("photo")
    except DomainError:
        pass
    return actions


def _wait_for_timeline(case_id: UUID, version: int) -> bool:
    """Whether the timeline has caught up with ``version`` (waiting a moment if needed)."""
    engine = runtime().engine
    deadline = time.monotonic() + TIMELINE_WAIT_SECONDS
    while last_projected_version(engine, str(case_id)) < version:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _render_case(
    viewer: Principal,
    case: Case,
    *,
    errors: dict[str, dict[str, list[str]]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    key = runtime().settings.pseudonym_key
    # Right after this person's own change the page waits a moment for the timeline to show it.
    waiting_for = session.pop("wait_for", None)
    if isinstance(waiting_for, list) and waiting_for[0] == str(case.id) and not errors:
        complete = _wait_for_timeline(case.id, int(waiting_for[1]))
    else:
        complete = last_projected_version(runtime().engine, str(case.id)) >= case.version
    rows = case_history(
        runtime().engine,
        str(case.id),
        include_internal=sees_internal(viewer),
        up_to_version=case.version,
    )
    ppr = ppr_or_404(case.ppr_code)
    entries = present_history(case, rows, viewer, key)
    page = render_template(
        "web/case.html",
        case=present_case(case, viewer, key),
        ppr=ppr,
        category=category_name(ppr.categories, case.category_code),
        timeline=worded_timeline(entries, viewer.principal_id, ppr.categories),
        complete=complete,
        actions=_actions(viewer, case),
        staff=viewer.role in STAFF,
        errors=errors or {},
        form=request.form if errors else {},
    )
    return page, status


@blp.get("/cases/<uuid:case_id>")
def case_page(case_id: UUID) -> tuple[str, int]:
    """A case: what, where, its status and whose move it is, its timeline, and what I can do."""
    viewer = viewer_with()
    return _render_case(viewer, visible_case(viewer, case_id))


#: Each action of the case page: its form, the application method and the message after it.
ACTIONS: dict[str, tuple[ma.Schema | None, str]] = {
    "confirm": (schemas.ConfirmFormSchema(), "confirm_resolution"),
    "dispute": (schemas.DisputeFormSchema(), "dispute_resolution"),
    "support": (None, "support_case"),
    "comment": (schemas.CommentFormSchema(), "comment_on_case"),
    "withdraw": (schemas.ReasonFormSchema(), "withdraw_case"),
    "acknowledge": (schemas.NoteFormSchema(), "acknowledge_case"),
    "respond": (schemas.RespondFormSchema(), "respond_to_case"),
    "resolve": (schemas.ResolveFormSchema(), "resolve_case"),
}


def _done_message(action: str) -> str:
    return {
        "confirm": gettext("Thank you for confirming. The case is closed."),
        "dispute": gettext("The case is open again; management has been told."),
        "support": gettext("Thank you. Your support is counted."),
        "comment": gettext("Your comment is added."),
        "withdraw": gettext("The case is withdrawn."),
        "acknowledge": gettext("The case is acknowledged."),
        "respond": gettext("Your answer is published on the case."),
        "resolve": gettext("The case is marked as fixed; the reporter will be asked to confirm."),
    }[action]


@blp.get("/cases/<uuid:case_id>/photos/<sha256>")
def photo(case_id: UUID, sha256: str) -> Response:
    """A photo of a case, for whoever may see the case."""
    return _photo(case_id, sha256, thumbnail=False)


@blp.get("/cases/<uuid:case_id>/photos/<sha256>/thumbnail")
def thumbnail(case_id: UUID, sha256: str) -> Response:
    """A photo's thumbnail, for whoever may see the case."""
    return _photo(case_id, sha256, thumbnail=True)


def _photo(case_id: UUID, sha256: str, *, thumbnail: bool) -> Response:
    held = held_photo(viewer_with(), case_id, sha256)
    return send_photo(runtime().photos, held, thumbnail=thumbnail)


@blp.post("/cases/<uuid:case_id>/photo")
def add_photo(case_id: UUID) -> tuple[str, int] | Response:
    """Add a photo to a case (the reporter's own, or staff's evidence of the work)."""
    viewer = viewer_with()
    case = visible_case(viewer, case_id)
    version = shown_version()
    changed_meanwhile = back_to(
        "web_cases.case_page",
        gettext("Someone changed this case just before you. Here it is now; try again."),
        "error",
        case_id=case_id,
    )
    # A stale page is refused before its photo is decoded and stored, as the API does.
    if version is not None and version != case.version:
        return changed_meanwhile
    try:
        case.check_may_attach_photo(viewer.actor)
        refs = process_and_store(runtime(), request.files.getlist("photo"), most=1)
        if not refs:
            return _render_case(
                viewer,
                case,
                errors={"photo": {"photo": [gettext("Choose a photo first.")]}},
                status=422,
            )
        saved = runtime().app.attach_photo(
            viewer.actor, case_id, photo=refs[0], expected_version=version
        )
    except PhotoRefused as refused:
        return _render_case(
            viewer, case, errors={"photo": {"photo": [_photo_refusal(refused)]}}, status=422
        )
    except VersionMismatch:
        return changed_meanwhile
    except AlreadyExists:
        return back_to(
            "web_cases.case_page",
            gettext("This photo is on the case already."),
            "error",
            case_id=case_id,
        )
    except (NotPermitted, IllegalTransition) as error:
        return back_to(
            "web_cases.case_page",
            gettext("That cannot be done now: %(why)s", why=refusal(error)),
            "error",
            case_id=case_id,
        )
    runtime().changed()
    session["wait_for"] = [str(case_id), saved.version]
    return back_to("web_cases.case_page", gettext("The photo is added."), case_id=case_id)


@blp.post("/cases/<uuid:case_id>/<action>")
def act(case_id: UUID, action: str) -> tuple[str, int] | Response:
    """Do one thing to a case from its page, then show the page again."""
    viewer = viewer_with()
    if action not in ACTIONS:
        raise NotFound()
    if viewer.role is Role.AUDITOR:
        raise NotPermitted("auditors read; they do not change cases")
    case = visible_case(viewer, case_id)
    schema, method = ACTIONS[action]
    try:
        args = load_form(schema) if schema is not None else {}
    except ma.ValidationError as error:
        return _render_case(viewer, case, errors={action: form_errors(error)}, status=422)
    # The version the page showed: acting on a case someone changed since is refused (412).
    version = shown_version()
    if action == "comment" and viewer.role not in STAFF:
        args["internal"] = False
    try:
        saved = getattr(runtime().app, method)(
            viewer.actor, case_id, expected_version=version, **args
        )
    except VersionMismatch:
        return back_to(
            "web_cases.case_page",
            gettext("Someone changed this case just before you. Here it is now; try again."),
            "error",
            case_id=case_id,
        )
    except IllegalTransition as error:
        return back_to(
            "web_cases.case_page",
            gettext("That cannot be done now: %(why)s", why=refusal(error)),
            "error",
            case_id=case_id,
        )
    except InvalidValue as error:
        return _render_case(
            viewer, case, errors={action: {error.field: [refusal(error)]}}, status=422
        )
    runtime().changed()
    if request.form.get("back") == "work":  # a quick action from the work queue goes back there
        return back_to("web_work.queue", _done_message(action))
    session["wait_for"] = [str(case_id), saved.version]
    return back_to("web_cases.case_page", _done_message(action), case_id=case_id)
