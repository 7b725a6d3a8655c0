"""Perception read models: surveys, and every answer keyed by its anonymous response.

- ``surveys``: one row per survey: PPRs, audiences, wave, period, items, known audience sizes,
  status and how many responses arrived.
- ``survey_answers``: one row per answered item of a response: the response's id (the keyed hash,
  which names no one), survey, PPR, audience, the item's construct and scale, the value, and the
  respondent's optional self-declared gender, age band and block. Skipped items have no row.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import DomainEventProtocol
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
)

from domain.survey import Survey, SurveyResponse
from projections.buffer import RowBuffer
from projections.database import UtcDateTime, metadata
from projections.engine import Projection

surveys = Table(
    "surveys",
    metadata,
    Column("survey_id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("ppr_codes", JSON, nullable=False),
    Column("audiences", JSON, nullable=False),
    Column("wave", String(40), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("items", JSON, nullable=False),
    Column("audience_sizes", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("response_count", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

survey_answers = Table(
    "survey_answers",
    metadata,
    Column("response_id", String(36), nullable=False),
    Column("item_code", String(40), nullable=False),
    Column("survey_id", String(36), nullable=False),
    Column("wave", String(40), nullable=False),
    Column("ppr_code", String(32), nullable=False),
    Column("audience", String(16), nullable=False),
    Column("construct", String(40), nullable=False),
    Column("scale", String(16), nullable=False),
    Column("value", Integer, nullable=False),
    Column("gender", String(16)),
    Column("age_band", String(8)),
    Column("block", String(32)),
    PrimaryKeyConstraint("response_id", "item_code"),
    Index("ix_survey_answers_ppr_wave", "ppr_code", "wave", "construct"),
)


class PerceptionProjection(Projection):
    """Maintains ``surveys`` and ``survey_answers`` (see the module docstring)."""

    name = "perception"
    tables = (surveys, survey_answers)

    def __init__(self) -> None:
        self._surveys = RowBuffer(surveys)
        self._answers: list[dict[str, Any]] = []

    def start_batch(self) -> None:
        """Forget the previous batch's rows (it may have rolled back)."""
        self._surveys.clear()
        self._answers = []

    def end_batch(self, conn: Connection) -> None:
        """Write the batch's surveys and answers."""
        self._surveys.flush(conn)
        if self._answers:
            conn.execute(survey_answers.insert(), self._answers)
        self._answers = []

    def _survey(self, conn: Connection, survey_id: str) -> dict[str, Any]:
        survey = self._surveys.get(conn, survey_id)
        if survey is None:
            raise LookupError(f"perception: no survey {survey_id}")
        return survey

    def apply(self, conn: Connection, event: DomainEventProtocol[Any], position: int) -> None:
        """Copy surveys and explode each response into one row per answered item."""
        fields = vars(event)
        kind = type(event).__name__
        if isinstance(event, SurveyResponse.Event):
            survey = self._survey(conn, fields["survey_id"])
            items = {item["code"]: item for item in survey["items"]}
            for code, value in fields["answers"].items():
                self._answers.append(
                    {
                        "response_id": str(event.originator_id),
                        "item_code": code,
                        "survey_id": fields["survey_id"],
                        "wave": survey["wave"],
                        "ppr_code": fields["ppr_code"],
                        "audience": fields["audience"],
                        "construct": items[code]["construct"],
                        "scale": items[code]["scale"],
                        "value": value,
                        "gender": fields["gender"],
                        "age_band": fields["age_band"],
                        "block": fields["block"],
                    }
                )
            return
        if not isinstance(event, Survey.Event):
            return
        survey_id = str(event.originator_id)
        if kind == "Created":
            self._surveys.insert(
                {
                    "survey_id": survey_id,
                    "title": fields["title"],
                    "ppr_codes": fields["ppr_codes"],
                    "audiences": fields["audiences"],
                    "wave": fields["wave"],
                    "period_start": fields["period_start"],
                    "period_end": fields["period_end"],
                    "items": fields["items"],
                    "audience_sizes": fields["audience_sizes"],
                    "status": "draft",
                    "response_count": 0,
                    "created_at": fields["occurred_at"],
                }
            )
            return
        if kind not in ("ItemsRevised", "Opened", "Closed", "ResponseCounted"):
            return
        survey = self._survey(conn, survey_id)
        if kind == "ItemsRevised":
            survey["items"] = list(fields["items"])
        elif kind == "Opened":
            survey["status"] = "open"
        elif kind == "Closed":
            survey["status"] = "closed"
        else:
            survey["response_count"] += 1
        self._surveys.changed(survey)
