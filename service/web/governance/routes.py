"""The decision register and its tracking, committee meetings as recorded on a phone, surveys.

Every form calls the application method the API calls, after the API's own checks
(``require_scope``, ``require_writer``); the domain decides what is allowed. Which forms a page
offers only follows the domain's roles and states, so a refusal is rare, and says why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import marshmallow as ma
from flask import render_template, request
from sqlalchemy import and_, select
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from domain import clock
from domain.actors import Role
from domain.case import TERMINAL, Status
from domain.clock import MALAYSIA
from domain.committee import COMMITTEE_KEEPERS, Committee
from domain.decision import MANAGERS, WORKING, ActionBy, Answer, Decision, DecisionStatus
from domain.errors import (
    AlreadyExists,
    ConcurrentChange,
    DomainError,
    IllegalTransition,
    InvalidValue,
    NotPermitted,
    VersionMismatch,
)
from domain.meeting import Meeting, MeetingStatus, VoteMethod
from domain.ppr import Ppr
from domain.survey import SCALE_VALUES, Scale, Survey, SurveyStatus
from projections.case_list import case_list
from projections.governance import decisions, meetings
from projections.perception import surveys
from projections.perception_report import MINIMUM_GROUP, perception_report
from service.cases.presenters import present_summary
from service.cases.queries import list_cases, visible_cases
from service.decisions.routes import visible_decision
from service.extensions import runtime
from service.governance_common import require_scope, require_writer, scoped_to
from service.meetings.routes import visible_meeting
from service.surveys.routes import AUDIENCE_OF, RESULT_READERS, visible_survey
from service.tokens.store import Principal
from service.web.common import (
    back_to,
    form_errors,
    load_form,
    ppr_or_404,
    shown_version,
    viewer_with,
    web_blueprint,
)
from service.web.governance import schemas, words
from service.web.i18n import current_language, gettext, role_label
from service.web.refusals import refusal

blp = web_blueprint("governance", __name__)
for _name, _filter in words.FILTERS.items():
    blp.add_app_template_filter(_filter, _name)

#: Roles that may sign in to the pages and record meetings (the domain's committee keepers).
KEEPERS = frozenset(COMMITTEE_KEEPERS & {Role.COMMITTEE, Role.ADMIN})
#: Roles that answer surveys (each for its audience).
RESPONDENTS = tuple(AUDIENCE_OF)
OPEN_STATUSES = [status for status in Status if status not in TERMINAL]
#: Decisions shown per page of the register, and open cases offered for one agenda item.
REGISTER_PAGE = 30
AGENDA_CHOICES = 60

# -- shared steps ---------------------------------------------------------------------------------


def _in_ppr(code: str, *roles: Role) -> tuple[Principal, Ppr]:
    """The viewer (holding one of ``roles``, if named) and a PPR they cover (else 404)."""
    viewer = viewer_with(*roles)
    code = code.strip().upper()
    require_scope(viewer, code, "no PPR in the PPRs this token covers")
    return viewer, ppr_or_404(code)


def _forms(actions: list[str], failed: str | None) -> dict[str, Any]:
    """What each form shows: what was sent, for the form that failed, else nothing."""
    empty: MultiDict[str, str] = MultiDict()
    forms: dict[str, Any] = dict.fromkeys(actions, empty)
    if failed:
        forms[failed] = request.form
    return forms


def _case_rows(viewer: Principal, case_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The cases among ``case_ids`` the viewer may see, by id (others are only counted)."""
    if not case_ids:
        return {}
    c = case_list.c
    query = select(c.case_id, c.title, c.status, c.block, c.category_code).where(
        and_(visible_cases(viewer), c.case_id.in_(case_ids))
    )
    with runtime().engine.connect() as conn:
        return {row.case_id: dict(row._mapping) for row in conn.execute(query)}


def _worded(error: InvalidValue, action: str) -> str:
    """A domain refusal of a value, in the page's language where its meaning is known."""
    known = {
        ("hold", "members_present"): gettext(
            "Only members seated on the committee can be present."
        ),
        ("hold", "residents_attending"): gettext("Give each count as a whole number."),
        ("hold", "management_present"): gettext("Give a whole number."),
        ("motion", "item_number"): gettext("Choose an item of the agenda."),
        ("motion", "votes_for"): gettext(
            "Count at least one vote, and no more votes than members present."
        ),
        ("decision", "due_date"): gettext("The due date cannot be before the day of the decision."),
        ("decision", "case_ids"): gettext("Choose cases of this PPR."),
        ("agenda", "case_ids"): gettext("Choose cases of this PPR."),
        ("respond", "reason"): gettext(
            "Give the reason: it is needed to reject or accept in part."
        ),
        ("respond", "commitment_date"): gettext(
            "Give the date by when management will act (today or later)."
        ),
        ("progress", "percent"): gettext("Give a percentage from 0 to 100."),
        ("survey", "answers"): gettext("Answer at least one question."),
        ("survey", "block"): gettext("Choose one of the blocks."),
    }
    return known.get((action, error.field)) or refusal(error)


def _refused(endpoint: str, error: DomainError, **values: Any) -> Response:
    """Back to the page with why a step was refused (nothing was recorded)."""
    if isinstance(error, VersionMismatch):
        message = gettext("Someone changed this just before you. Here it is now; try again.")
    elif isinstance(error, ConcurrentChange):
        message = gettext("Something changed at the same moment. Please try again.")
    else:
        message = gettext("That cannot be done now: %(why)s", why=refusal(error))
    return back_to(endpoint, message, "error", **values)


# -- the decision register ------------------------------------------------------------------------


@blp.get("/ppr/<code>/decisions")
def register(code: str) -> str:
    """A PPR's decision register, newest first: what was decided, who acts, what came of it."""
    _, ppr = _in_ppr(code)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    d = decisions.c
    query = (
        select(decisions)
        .where(d.ppr_code == ppr.code)
        .order_by(d.made_at.desc(), d.decision_id)
        .offset((page - 1) * REGISTER_PAGE)
        .limit(REGISTER_PAGE + 1)
    )
    with runtime().engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(query).mappings()]
    return render_template(
        "web/governance_register.html",
        ppr=ppr,
        decisions=rows[:REGISTER_PAGE],
        page=page,
        older=len(rows) > REGISTER_PAGE,
    )


@blp.get("/decisions/awaiting")
def awaiting() -> str:
    """Decisions waiting for the viewer: management's answers and progress, the committee's checks."""
    viewer = viewer_with(Role.MANAGEMENT, Role.COMMITTEE, Role.ADMIN)
    d = decisions.c
    sections: list[dict[str, Any]] = []

    def rows(*statuses: str) -> list[dict[str, Any]]:
        query = select(decisions).where(d.status.in_(statuses)).order_by(d.due_date, d.made_at)
        query = scoped_to(query, decisions, viewer, request.args.get("ppr"))
        with runtime().engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    if viewer.role in MANAGERS:
        sections.append(
            {
                "id": "answer",
                "title": gettext("Waiting for your answer"),
                "empty": gettext("No decision waits for your answer."),
                "decisions": rows(DecisionStatus.MADE.value),
            }
        )
        sections.append(
            {
                "id": "working",
                "title": gettext("Accepted: report progress or mark done"),
                "empty": gettext("No accepted decision is in work."),
                "decisions": rows(*(status.value for status in WORKING)),
            }
        )
    if viewer.role in COMMITTEE_KEEPERS:
        sections.append(
            {
                "id": "verify",
                "title": gettext("Done: verify the work"),
                "empty": gettext("No finished work waits for your check."),
                "decisions": rows(DecisionStatus.DONE.value),
            }
        )
    return render_template("web/governance_awaiting.html", sections=sections)


def _decision_actions(viewer: Principal, decision: Decision) -> set[str]:
    """The steps this viewer can take on the decision now (the domain has the last word)."""
    status = decision.current_status
    actions: set[str] = set()
    if viewer.role in MANAGERS:
        if status is DecisionStatus.MADE:
            actions.add("respond")
        if status in WORKING:
            actions |= {"progress", "done"}
    if viewer.role in COMMITTEE_KEEPERS and status is DecisionStatus.DONE:
        actions |= {"verify", "dispute"}
    return actions


def _who(role: str) -> str:
    return {
        "management": gettext("Management"),
        "committee": gettext("The residents' committee"),
        "admin": gettext("An administrator"),
        "system": gettext("K2K, automatically"),
    }.get(role, role_label(role))


def _decision_history(decision: Decision) -> list[dict[str, Any]]:
    """Each step of the decision: when, which side (never which person), what, and why."""
    steps = []
    for event in runtime().app.events.get(decision.id):
        fields = vars(event)
        kind = type(event).__name__
        said = fields.get("note") or fields.get("reason")
        commitment = None
        if kind == "Made":
            what = gettext("made the decision")
            said = None
        elif kind == "ManagementAnswered":
            what = gettext("answered: %(answer)s", answer=words.answer_label(fields["answer"]))
            commitment = fields.get("commitment_date")
        elif kind == "ProgressReported":
            percent = f"{fields['percent']}%"
            what = gettext("reported progress: %(percent)s", percent=percent)
        elif kind == "MarkedDone":
            what = gettext("marked the work done")
        elif kind == "CompletionVerified":
            what = gettext("verified that the work is done")
        elif kind == "CompletionDisputed":
            what = gettext("said the work is not done")
        else:
            what = kind
        steps.append(
            {
                "at": fields["occurred_at"],
                "who": _who(str(fields.get("actor_role", ""))),
                "what": what,
                "said": said,
                "commitment": commitment,
            }
        )
    return steps


def _render_decision(
    viewer: Principal,
    decision: Decision,
    *,
    errors: dict[str, dict[str, list[str]]] | None = None,
    failed: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    meeting = runtime().app.get_meeting(UUID(decision.meeting_id))
    seen = _case_rows(viewer, decision.case_ids)
    page = render_template(
        "web/governance_decision.html",
        decision=decision,
        ppr=ppr_or_404(decision.ppr_code),
        meeting=meeting,
        motion=meeting.motion(decision.motion_number),
        cases=[seen[case_id] for case_id in decision.case_ids if case_id in seen],
        unseen=sum(1 for case_id in decision.case_ids if case_id not in seen),
        history=_decision_history(decision),
        actions=_decision_actions(viewer, decision),
        answers=list(Answer),
        errors=errors or {},
        forms=_forms(["respond", "progress", "done", "verify", "dispute"], failed),
        today=clock.now().astimezone(MALAYSIA).date().isoformat(),
    )
    return page, status


@blp.get("/decisions/<uuid:decision_id>")
def decision_page(decision_id: UUID) -> tuple[str, int]:
    """A decision: what must happen, its meeting and cases, management's answer and progress."""
    viewer = viewer_with()
    return _render_decision(viewer, visible_decision(viewer, decision_id))


#: Each step on a decision's page: its form, the application method, the message after it.
DECISION_ACTIONS: dict[str, tuple[ma.Schema, str]] = {
    "respond": (schemas.AnswerFormSchema(), "respond_to_decision"),
    "progress": (schemas.ProgressFormSchema(), "report_decision_progress"),
    "done": (schemas.NoteFormSchema(), "mark_decision_done"),
    "verify": (schemas.VerifyFormSchema(), "verify_decision"),
    "dispute": (schemas.CompletionDisputeFormSchema(), "dispute_decision_completion"),
}


def _decision_done(action: str) -> str:
    return {
        "respond": gettext("Your answer is in the decision register."),
        "progress": gettext("The progress is recorded."),
        "done": gettext("The work is marked done; the committee will verify it."),
        "verify": gettext("Thank you. The decision is verified as done."),
        "dispute": gettext("The decision goes back to management as not done."),
    }[action]


@blp.post("/decisions/<uuid:decision_id>/<action>")
def decision_act(decision_id: UUID, action: str) -> tuple[str, int] | Response:
    """Take one step on a decision from its page, then show the page again."""
    viewer = viewer_with()
    if action not in DECISION_ACTIONS:
        raise NotFound()
    decision = visible_decision(viewer, decision_id)
    require_writer(viewer)
    schema, method = DECISION_ACTIONS[action]
    try:
        args = load_form(schema)
    except ma.ValidationError as error:
        return _render_decision(
            viewer, decision, errors={action: form_errors(error)}, failed=action, status=422
        )
    try:
        getattr(runtime().app, method)(
            viewer.actor, decision_id, expected_version=shown_version(), **args
        )
    except InvalidValue as error:
        errors = {action: {error.field: [_worded(error, action)]}}
        return _render_decision(viewer, decision, errors=errors, failed=action, status=422)
    except (VersionMismatch, ConcurrentChange, IllegalTransition) as error:
        return _refused("web_governance.decision_page", error, decision_id=decision_id)
    runtime().changed()
    return back_to("web_governance.decision_page", _decision_done(action), decision_id=decision_id)


# -- meetings -------------------------------------------------------------------------------------


@blp.get("/ppr/<code>/meetings")
def meetings_list(code: str) -> str:
    """A PPR's committee meetings, the next and the latest first."""
    viewer, ppr = _in_ppr(code)
    m = meetings.c
    query = (
        select(
            m.meeting_id,
            m.scheduled_for,
            m.place,
            m.status,
            m.quorum_met,
            m.agenda,
            m.motions,
            m.minutes_published_at,
        )
        .where(m.ppr_code == ppr.code)
        .order_by(m.scheduled_for.desc())
        .limit(100)
    )
    with runtime().engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(query).mappings()]
    return render_template(
        "web/governance_meetings.html", ppr=ppr, meetings=rows, keeper=viewer.role in KEEPERS
    )


def _committee(ppr_code: str) -> Committee | None:
    try:
        return runtime().app.get_committee(ppr_code)
    except DomainError:
        return None


def _schedule_page(ppr: Ppr, status: int = 200, **context: Any) -> tuple[str, int]:
    page = render_template(
        "web/governance_schedule.html",
        ppr=ppr,
        committee=_committee(ppr.code),
        form=context.pop("form", {}),
        errors=context.pop("errors", {}),
    )
    return page, status


@blp.get("/ppr/<code>/meetings/new")
def schedule_form(code: str) -> tuple[str, int]:
    """The form to schedule a committee meeting."""
    _, ppr = _in_ppr(code, *KEEPERS)
    return _schedule_page(ppr)


@blp.post("/ppr/<code>/meetings")
def schedule(code: str) -> tuple[str, int] | Response:
    """Schedule a meeting, then build its agenda on its page."""
    viewer, ppr = _in_ppr(code, *KEEPERS)  # the same roles as the form
    try:
        form = load_form(schemas.ScheduleFormSchema())
    except ma.ValidationError as error:
        return _schedule_page(ppr, 422, form=request.form, errors=form_errors(error))
    # The secretary gives the day and time as people in the PPR read a clock: Malaysia time.
    scheduled_for = datetime.combine(form["day"], form["time"], tzinfo=MALAYSIA)
    try:
        saved = runtime().app.schedule_meeting(
            viewer.actor, ppr.code, scheduled_for=scheduled_for, place=form["place"], agenda=[]
        )
    except InvalidValue as error:
        return _schedule_page(ppr, 422, form=request.form, errors={error.field: [refusal(error)]})
    runtime().changed()
    return back_to(
        "web_governance.meeting_page",
        gettext("The meeting is scheduled. Now put the cases to discuss on its agenda."),
        meeting_id=saved.id,
    )


def _meeting_actions(viewer: Principal, meeting: Meeting) -> set[str]:
    """The steps this viewer can record at the meeting now, in the order a secretary takes them."""
    if viewer.role not in KEEPERS:
        return set()
    if meeting.status == MeetingStatus.SCHEDULED.value:
        return {"agenda", "hold", "cancel"}
    if meeting.status == MeetingStatus.HELD.value:
        actions = {"motion"}
        if meeting.quorum_met:
            actions.add("decision")
        if meeting.minutes_published_at is None:
            actions.add("minutes")
        return actions
    return set()


def _render_meeting(
    viewer: Principal,
    meeting: Meeting,
    *,
    errors: dict[str, dict[str, list[str]]] | None = None,
    failed: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    committee = _committee(meeting.ppr_code)
    now = clock.now()
    actions = _meeting_actions(viewer, meeting)
    tabled = [case_id for item in meeting.agenda for case_id in item["case_ids"]]
    seen = _case_rows(viewer, tabled)
    open_cases: list[dict[str, Any]] = []
    if "agenda" in actions:
        rows, _ = list_cases(
            runtime().engine,
            viewer,
            {
                "ppr": meeting.ppr_code,
                "status": OPEN_STATUSES,
                "limit": AGENDA_CHOICES,
                "sort": "support",
            },
        )
        key = runtime().settings.pseudonym_key
        on_agenda = set(tabled)
        open_cases = [
            present_summary(row, viewer, key) for row in rows if row.case_id not in on_agenda
        ]
    names = {stint["member_id"]: stint for stint in committee.stints} if committee else {}
    d = decisions.c
    with runtime().engine.connect() as conn:
        made = conn.execute(
            select(d.decision_id, d.motion_number, d.text, d.status)
            .where(d.meeting_id == str(meeting.id))
            .order_by(d.made_at)
        ).all()
    ppr = ppr_or_404(meeting.ppr_code)
    page = render_template(
        "web/governance_meeting.html",
        meeting=meeting,
        ppr=ppr,
        actions=actions,
        cases=seen,
        open_cases=open_cases,
        members=committee.members_at(now) if committee else [],
        names=names,
        quorum=committee.quorum_at(now) if committee else None,
        groups=words.attendance_groups(),
        residents_total=sum((meeting.residents_attending or {}).values()),
        made={
            number: [row for row in made if row.motion_number == number]
            for number in {row.motion_number for row in made}
        },
        methods=list(VoteMethod),
        parties=list(ActionBy),
        errors=errors or {},
        forms=_forms(
            ["agenda", "hold", "motion", "minutes", "cancel"]
            + [f"decision-{motion['number']}" for motion in meeting.motions],
            failed,
        ),
        today=now.astimezone(MALAYSIA).date().isoformat(),
    )
    return page, status


@blp.get("/meetings/<uuid:meeting_id>")
def meeting_page(meeting_id: UUID) -> tuple[str, int]:
    """A meeting: its agenda, attendance and quorum, motions and votes, decisions and minutes."""
    viewer = viewer_with()
    return _render_meeting(viewer, visible_meeting(viewer, meeting_id))


#: Each step a secretary records on the meeting's page: its form and the application method.
MEETING_ACTIONS: dict[str, tuple[ma.Schema, str]] = {
    "agenda": (schemas.AgendaItemFormSchema(), "add_agenda_item"),
    "hold": (schemas.HoldFormSchema(unknown=ma.EXCLUDE), "hold_meeting"),
    "motion": (schemas.MotionFormSchema(), "record_motion"),
    "decision": (schemas.DecisionFormSchema(), "make_decision"),
    "minutes": (schemas.MinutesFormSchema(), "publish_minutes"),
    "cancel": (schemas.CancelFormSchema(), "cancel_meeting"),
}


def _meeting_done(action: str) -> str:
    return {
        "agenda": gettext("The item is on the agenda; its cases show that they were tabled."),
        "hold": gettext("The meeting and its attendance are recorded."),
        "motion": gettext("The motion and its outcome are recorded."),
        "minutes": gettext("The minutes are published."),
        "cancel": gettext("The meeting is called off."),
    }[action]


def _meeting_extra(action: str) -> dict[str, Any]:
    """The fields a form sends several times (checkboxes) or under many names (counts)."""
    if action in ("agenda", "decision"):
        return {"case_ids": request.form.getlist("case_ids")}
    if action == "hold":
        counts = {
            name.removeprefix("residents:"): value.strip()
            for name, value in request.form.items()
            if name.startswith("residents:") and value.strip()
        }
        return {
            "members_present": request.form.getlist("members_present"),
            "residents_attending": counts,
        }
    return {}


@blp.post("/meetings/<uuid:meeting_id>/<action>")
def meeting_act(meeting_id: UUID, action: str) -> tuple[str, int] | Response:
    """Record one step of a meeting from its page, then show the page again."""
    viewer = viewer_with()
    if action not in MEETING_ACTIONS:
        raise NotFound()
    meeting = visible_meeting(viewer, meeting_id)
    require_writer(viewer)
    schema, method = MEETING_ACTIONS[action]
    # Each carried motion has a decision form of its own; errors go to the one that was sent.
    failed = action
    if action == "decision":
        failed = f"decision-{request.form.get('motion_number', '')}"
    try:
        args = load_form(schema, extra=_meeting_extra(action))
    except ma.ValidationError as error:
        return _render_meeting(
            viewer, meeting, errors={failed: form_errors(error)}, failed=failed, status=422
        )
    app = runtime().app
    try:
        if action == "decision":
            saved = app.make_decision(viewer.actor, meeting_id, **args)
        else:
            getattr(app, method)(viewer.actor, meeting_id, expected_version=shown_version(), **args)
    except InvalidValue as error:
        errors = {failed: {error.field: [_worded(error, action)]}}
        return _render_meeting(viewer, meeting, errors=errors, failed=failed, status=422)
    except (VersionMismatch, ConcurrentChange, IllegalTransition) as error:
        return _refused("web_governance.meeting_page", error, meeting_id=meeting_id)
    runtime().changed()
    if action == "decision":
        return back_to(
            "web_governance.decision_page",
            gettext("The decision is in the register; management is asked to answer it."),
            decision_id=saved.id,
        )
    return back_to("web_governance.meeting_page", _meeting_done(action), meeting_id=meeting_id)


# -- surveys --------------------------------------------------------------------------------------


def _answered(viewer: Principal, survey_id: UUID | str) -> bool:
    """Whether the viewer's response exists: looked up by its keyed id, never by who they are."""
    app = runtime().app
    response_id = app.response_id(UUID(str(survey_id)), viewer.principal_id)
    return any(True for _ in app.events.get(response_id, limit=1))


def _asks(viewer: Principal, audiences: list[str]) -> bool:
    audience = AUDIENCE_OF.get(viewer.role)
    return audience is not None and audience.value in audiences


@blp.get("/surveys")
def surveys_list() -> str:
    """The open surveys of my PPRs that ask people like me, and whether I have answered."""
    viewer = viewer_with(*RESPONDENTS)
    s = surveys.c
    query = select(s.survey_id, s.title, s.ppr_codes, s.audiences, s.period_end).where(
        s.status == SurveyStatus.OPEN.value
    )
    with runtime().engine.connect() as conn:
        rows = conn.execute(query.order_by(s.created_at.desc())).all()
    listed = [
        {
            "id": row.survey_id,
            "title": row.title,
            "period_end": row.period_end,
            "answered": _answered(viewer, row.survey_id),
        }
        for row in rows
        if set(row.ppr_codes) & set(viewer.ppr_codes) and _asks(viewer, row.audiences)
    ]
    return render_template("web/surveys.html", surveys=listed)


def _items(survey: Survey) -> list[dict[str, Any]]:
    """The survey's items in the page's language, each with its answers and their words."""
    language = current_language()
    shown = []
    for item in survey.items:
        scale = Scale(item["scale"])
        choices = []
        for value in SCALE_VALUES[scale]:
            if scale is Scale.LIKERT_5:
                words_for = words.likert_anchor(value)
            elif scale is Scale.YES_NO:
                words_for = gettext("Yes") if value == 1 else gettext("No")
            else:
                words_for = words.ten_anchor(value)
            choices.append({"value": value, "words": words_for})
        if scale is Scale.YES_NO:
            choices.reverse()  # "yes" first, as people expect
        shown.append(
            {
                "code": item["code"],
                "text": item.get(f"text_{language}") or item["text_ms"],
                "scale": scale.value,
                "choices": choices,
            }
        )
    return shown


def _render_survey(
    viewer: Principal,
    survey: Survey,
    *,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    mine = [code for code in survey.ppr_codes if viewer.in_scope(code)]
    blocks = []
    if len(mine) == 1:
        blocks = sorted(ppr_or_404(mine[0]).blocks.values(), key=lambda block: block["code"])
    page = render_template(
        "web/survey.html",
        survey=survey,
        items=_items(survey),
        pprs=mine,
        blocks=blocks,
        asks_me=_asks(viewer, survey.audiences),
        answered=_answered(viewer, survey.id),
        results=viewer.role in RESULT_READERS,
        age_bands=words.AGE_BANDS[:-1],
        errors=errors or {},
        form=request.form if errors else ImmutableMultiDict(),
    )
    return page, status


@blp.get("/surveys/<uuid:survey_id>")
def survey_page(survey_id: UUID) -> tuple[str, int]:
    """A survey's questions to answer (once), or the thanks and the way to its results."""
    viewer = viewer_with()
    return _render_survey(viewer, visible_survey(viewer, survey_id))


def _answers(survey: Survey) -> tuple[dict[str, int | None], dict[str, list[str]]]:
    """The chosen answer of each item (skipped ones left out), and any that is not a choice."""
    answers: dict[str, int | None] = {}
    errors: dict[str, list[str]] = {}
    for item in survey.items:
        raw = request.form.get(f"q-{item['code']}", "").strip()
        if not raw:
            continue
        if raw.isdigit() and int(raw) in SCALE_VALUES[Scale(item["scale"])]:
            answers[item["code"]] = int(raw)
        else:
            errors[f"q-{item['code']}"] = [gettext("Choose one of the answers shown.")]
    return answers, errors


@blp.post("/surveys/<uuid:survey_id>")
def answer_survey(survey_id: UUID) -> tuple[str, int] | Response:
    """Record my answers, once. Nothing stored links me to them (decision 0009)."""
    viewer = viewer_with()
    # The same checks, in the same order, as POST /api/v1/surveys/{id}/responses.
    audience = AUDIENCE_OF.get(viewer.role)
    if audience is None:
        raise NotPermitted("a {role} does not answer surveys", role=viewer.role.value)
    survey = visible_survey(viewer, survey_id, drafts=True)
    try:
        about = load_form(schemas.SurveyAboutFormSchema())
    except ma.ValidationError as error:
        return _render_survey(viewer, survey, errors=form_errors(error), status=422)
    answers, errors = _answers(survey)
    if errors:
        return _render_survey(viewer, survey, errors=errors, status=422)
    mine = [code for code in survey.ppr_codes if viewer.in_scope(code)]
    ppr = (about["ppr"] or (mine[0] if len(mine) == 1 else "")).strip().upper()
    if not ppr:
        message = gettext("Choose the PPR you answer for.")
        return _render_survey(viewer, survey, errors={"ppr": [message]}, status=422)
    if not viewer.in_scope(ppr):
        raise NotPermitted("this sign-in does not cover PPR {ppr}", ppr=ppr)
    try:
        runtime().app.respond_to_survey(
            viewer.actor,
            survey_id,
            audience=audience,
            ppr_code=ppr,
            answers=answers,
            gender=about["gender"].value if about["gender"] else None,
            age_band=about["age_band"].value if about["age_band"] else None,
            block=(about["block"] or "").strip().upper() or None,
        )
    except AlreadyExists:
        return back_to(
            "web_governance.survey_page",
            gettext("You have answered this survey already. Each person answers once."),
            "error",
            survey_id=survey_id,
        )
    except InvalidValue as error:
        worded = {error.field: [_worded(error, "survey")]}
        return _render_survey(viewer, survey, errors=worded, status=422)
    except (ConcurrentChange, IllegalTransition) as error:
        return _refused("web_governance.survey_page", error, survey_id=survey_id)
    runtime().changed()
    return back_to(
        "web_governance.survey_page",
        gettext("Thank you. Your answers are recorded, and nothing links them to you."),
        survey_id=survey_id,
    )


@blp.get("/surveys/<uuid:survey_id>/results")
def survey_results(survey_id: UUID) -> str:
    """A survey's results per construct and audience; small groups stay hidden."""
    viewer = viewer_with()
    if viewer.role not in RESULT_READERS:
        raise NotPermitted("survey results are for residents, staff, auditors and admin")
    survey = visible_survey(viewer, survey_id)
    codes = None if viewer.all_pprs else [c for c in survey.ppr_codes if viewer.in_scope(c)]
    with runtime().engine.connect() as conn:
        report = perception_report(conn, codes, survey_id=str(survey_id))
    return render_template(
        "web/survey_results.html",
        survey=survey,
        groups=report["groups"],
        gaps=report["gaps"],
        minimum=MINIMUM_GROUP,
    )
