"""The dashboards' GET forms: which PPR and period, and which case at which moment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate, validates_schema

from domain.clock import MALAYSIA
from service.fields import EARLIEST_YEAR, LATEST_YEAR

#: The durations the resolution charts can show: the report's figure for each.
MEASURES = ("acknowledge", "first_response", "resolve", "close")
PPR_CODE = r"^[A-Za-z0-9_-]{1,32}$"
FIRST_DAY = date(EARLIEST_YEAR, 1, 1)
LAST_DAY = date(LATEST_YEAR, 12, 31)


def _day(data_key: str | None = None) -> fields.Date:
    message = _l("Give a date such as 2026-01-31.")
    return fields.Date(
        load_default=None,
        data_key=data_key,
        error_messages={"invalid": message},
        validate=validate.Range(
            min=FIRST_DAY,
            max=LAST_DAY,
            error=_l(
                "Give a date between %(first)d and %(last)d.", first=EARLIEST_YEAR, last=LATEST_YEAR
            ),
        ),
    )


class DashboardQueryArgsSchema(ma.Schema):
    """Which PPR, which period (Malaysian calendar days, both included) and which duration."""

    class Meta:
        unknown = ma.EXCLUDE

    ppr = fields.String(
        load_default=None,
        validate=validate.Regexp(PPR_CODE, error=_l("Choose a PPR from the list.")),
    )
    from_ = _day("from")
    to = _day()
    measure = fields.String(
        load_default="resolve",
        validate=validate.OneOf(MEASURES, error=_l("Choose a measure from the list.")),
    )

    @validates_schema
    def _period_runs_forward(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("from_"), data.get("to")
        if start is not None and end is not None and start > end:
            raise ma.ValidationError(_l("The last day must not be before the first day."), "to")


class LocalMoment(fields.Field[datetime]):
    """A moment as a ``datetime-local`` input sends it: Malaysia time unless it names a zone."""

    default_error_messages = {
        "invalid": _l("Give a date and time such as 2026-01-31 14:30."),
        "range": _l(
            "Give a date between %(first)d and %(last)d.", first=EARLIEST_YEAR, last=LATEST_YEAR
        ),
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace(" ", "T", 1))
        except ValueError as error:
            raise self.make_error("invalid") from error
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise self.make_error("range")
        return moment if moment.tzinfo else moment.replace(tzinfo=MALAYSIA)


class AsOfQueryArgsSchema(ma.Schema):
    """A case's id and the moment to see it at."""

    class Meta:
        unknown = ma.EXCLUDE

    case = fields.UUID(
        load_default=None,
        error_messages={"invalid_uuid": _l("A case number looks like 3f2b1c9e-....")},
    )
    at = LocalMoment(load_default=None)

    @validates_schema
    def _both_or_neither(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("case") is not None and data.get("at") is None:
            raise ma.ValidationError(_l("Give the date and time to see the case at."), "at")
        if data.get("at") is not None and data.get("case") is None:
            raise ma.ValidationError(_l("Give the case number."), "case")
