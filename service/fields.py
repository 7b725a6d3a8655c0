"""Marshmallow fields shared by the resources."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import ValidationError, fields

EARLIEST_YEAR = 1970
LATEST_YEAR = 2100


class Moment(fields.AwareDateTime):
    """A timezone-aware moment between 1970 and 2100: anything else is a typing error (and the
    years 1 and 9999 overflow as soon as they are moved to UTC)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise ValidationError(f"must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
        return moment
