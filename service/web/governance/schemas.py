"""The governance and survey forms, with messages in the page's language."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from domain.committee import AgeBand, Gender
from domain.decision import TEXT_MAX, ActionBy, Answer
from domain.meeting import MAX_ATTENDANCE, MINUTES_MAX, VoteMethod
from service.web.fields import text_field

#: Longest agenda title and meeting place the domain keeps.
TITLE_MAX = 300
PLACE_MAX = 200
#: The most votes of one kind a committee of any size can cast (the API's bound too).
VOTES_MAX = 1000


def _count(maximum: int, *, required: bool = False) -> fields.Integer:
    message = _l("Give a whole number from 0 to %(max)d.", max=maximum)
    in_range = validate.Range(min=0, max=maximum, error=message)
    messages = {"invalid": message, "required": message}
    if required:
        return fields.Integer(required=True, validate=in_range, error_messages=messages)
    return fields.Integer(load_default=0, validate=in_range, error_messages=messages)


def _date(required: bool = False) -> fields.Date:
    invalid = _l("Give a date such as 2026-12-31.")
    if required:
        return fields.Date(
            required=True, error_messages={"invalid": invalid, "required": _l("Give the date.")}
        )
    return fields.Date(load_default=None, error_messages={"invalid": invalid})


def _case_ids() -> fields.List[str]:
    return fields.List(fields.String(), load_default=list)


class ScheduleFormSchema(ma.Schema):
    """A meeting to schedule: its day and time (Malaysia time) and where."""

    day = _date(required=True)
    time = fields.Time(
        required=True,
        error_messages={
            "invalid": _l("Give a time such as 20:30."),
            "required": _l("Give the time."),
        },
    )
    place = text_field(PLACE_MAX, required=True)


class AgendaItemFormSchema(ma.Schema):
    """An agenda item and the open cases it is about."""

    title = text_field(TITLE_MAX, required=True)
    case_ids = _case_ids()


class HoldFormSchema(ma.Schema):
    """Who attended a meeting: members by id, residents counted by group, management."""

    members_present = fields.List(fields.String(), load_default=list)
    residents_attending = fields.Dict(
        keys=fields.String(), values=_count(MAX_ATTENDANCE, required=True), load_default=dict
    )
    management_present = _count(MAX_ATTENDANCE)


class MotionFormSchema(ma.Schema):
    """A motion on an agenda item and how it was decided."""

    item_number = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=VOTES_MAX, error=_l("Choose the agenda item.")),
        error_messages={
            "required": _l("Choose the agenda item."),
            "invalid": _l("Choose the agenda item."),
        },
    )
    text = text_field(TEXT_MAX, required=True)
    method = fields.Enum(
        VoteMethod,
        by_value=True,
        required=True,
        error_messages={
            "required": _l("Choose a vote or consensus."),
            "unknown": _l("Choose a vote or consensus."),
        },
    )
    votes_for = _count(VOTES_MAX)
    votes_against = _count(VOTES_MAX)
    abstentions = _count(VOTES_MAX)


class DecisionFormSchema(ma.Schema):
    """A decision on a carried motion: what must happen, by whom, by when, about which cases."""

    motion_number = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=VOTES_MAX, error=_l("Choose the motion.")),
        error_messages={"required": _l("Choose the motion."), "invalid": _l("Choose the motion.")},
    )
    text = text_field(TEXT_MAX, required=True)
    action_by = fields.Enum(
        ActionBy,
        by_value=True,
        required=True,
        error_messages={
            "required": _l("Choose who must act."),
            "unknown": _l("Choose who must act."),
        },
    )
    due_date = _date(required=True)
    case_ids = _case_ids()


class MinutesFormSchema(ma.Schema):
    """The minutes to publish."""

    text = text_field(MINUTES_MAX, required=True)


class CancelFormSchema(ma.Schema):
    """Why a meeting is called off."""

    reason = text_field(TEXT_MAX, required=True)


class AnswerFormSchema(ma.Schema):
    """Management's answer to a decision."""

    answer = fields.Enum(
        Answer,
        by_value=True,
        required=True,
        error_messages={
            "required": _l("Choose accept, accept in part or reject."),
            "unknown": _l("Choose accept, accept in part or reject."),
        },
    )
    reason = text_field(TEXT_MAX)
    commitment_date = _date()


class ProgressFormSchema(ma.Schema):
    """How far management's work on a decision has come."""

    percent = fields.Integer(
        required=True,
        validate=validate.Range(min=0, max=100, error=_l("Give a percentage from 0 to 100.")),
        error_messages={
            "required": _l("Give a percentage from 0 to 100."),
            "invalid": _l("Give a percentage from 0 to 100."),
        },
    )
    note = text_field(TEXT_MAX, required=True)


class NoteFormSchema(ma.Schema):
    """A step with a note that is needed."""

    note = text_field(TEXT_MAX, required=True)


class VerifyFormSchema(ma.Schema):
    """The committee's verification, with an optional note."""

    note = text_field(TEXT_MAX)


class CompletionDisputeFormSchema(ma.Schema):
    """Why the committee says the work is not done."""

    reason = text_field(TEXT_MAX, required=True)


class SurveyAboutFormSchema(ma.Schema):
    """The optional facts a respondent declares about themselves (the answers come apart)."""

    class Meta:
        # The answers are fields of their own (one per item), read beside this schema.
        unknown = ma.EXCLUDE

    ppr = fields.String(load_default=None)
    gender = fields.Enum(
        Gender, by_value=True, load_default=None, error_messages={"unknown": _l("Choose one.")}
    )
    age_band = fields.Enum(
        AgeBand, by_value=True, load_default=None, error_messages={"unknown": _l("Choose one.")}
    )
    block = text_field(32)
