"""Request and response shapes of the metrics resource."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from domain.clock import MALAYSIA
from projections.resolution_report import GROUPINGS
from service.fields import Moment


class MetricsQueryArgsSchema(ma.Schema):
    """Which cases the figures cover."""

    ppr = fields.String(metadata={"description": "PPR code (default: every PPR of the token)"})
    category = fields.String()
    block = fields.String()
    from_ = Moment(
        data_key="from",
        default_timezone=MALAYSIA,
        metadata={
            "description": "Start of the period (inclusive), ISO 8601; Malaysia time if no zone"
        },
    )
    to = Moment(
        default_timezone=MALAYSIA,
        metadata={
            "description": "End of the period (exclusive), ISO 8601; Malaysia time if no zone"
        },
    )

    @ma.validates_schema
    def period_runs_forward(self, data: dict[str, object], **_: object) -> None:
        """``from`` must come before ``to``."""
        start, end = data.get("from_"), data.get("to")
        if start is not None and end is not None and start >= end:  # type: ignore[operator]
            raise ma.ValidationError("must be after 'from'", field_name="to")


class ResolutionQueryArgsSchema(MetricsQueryArgsSchema):
    """Filters and grouping for resolution figures."""

    group_by = fields.String(
        validate=validate.OneOf(GROUPINGS), metadata={"description": "category, block or month"}
    )


class DistributionSchema(ma.Schema):
    """A duration's count, median and nearest-rank p90."""

    n = fields.Integer()
    median_hours = fields.Float(allow_none=True)
    p90_hours = fields.Float(allow_none=True)


class CloseDistributionSchema(DistributionSchema):
    """Time to close, overall and by how the case closed."""

    verified = fields.Nested(DistributionSchema)
    auto = fields.Nested(DistributionSchema)


class SlaFigureSchema(ma.Schema):
    """Breaches of one target."""

    n = fields.Integer(metadata={"description": "stopped + ongoing breached"})
    stopped = fields.Integer()
    breached = fields.Integer(metadata={"description": "stopped late + ongoing breached"})
    ongoing_breached = fields.Integer()
    breach_pct = fields.Float(allow_none=True)


class SlaFiguresSchema(ma.Schema):
    """Breaches per target."""

    acknowledge = fields.Nested(SlaFigureSchema)
    first_response = fields.Nested(SlaFigureSchema)
    resolve = fields.Nested(SlaFigureSchema)


class ReopenRateSchema(ma.Schema):
    """Claims of a fix disputed within 30 days."""

    n = fields.Integer()
    reopened = fields.Integer()
    rate_pct = fields.Float(allow_none=True)


class FixOutcomesSchema(ma.Schema):
    """What became of each claim of a fix."""

    n = fields.Integer()
    confirmed = fields.Integer()
    disputed = fields.Integer()
    auto_closed = fields.Integer()
    pending = fields.Integer()
    confirmed_pct = fields.Float(allow_none=True)
    disputed_pct = fields.Float(allow_none=True)
    auto_closed_pct = fields.Float(allow_none=True)
    pending_pct = fields.Float(allow_none=True)


class BacklogSchema(ma.Schema):
    """Open cases at a moment and how old they are."""

    at = fields.DateTime()
    n = fields.Integer()
    median_days = fields.Float(allow_none=True)
    p90_days = fields.Float(allow_none=True)
    older_than_7_days = fields.Integer()
    older_than_30_days = fields.Integer()
    older_than_90_days = fields.Integer()


class StageSchema(DistributionSchema):
    """Time with one party."""

    total_hours = fields.Float()


class StageTimeSchema(ma.Schema):
    """Time with each party."""

    management = fields.Nested(StageSchema)
    committee = fields.Nested(StageSchema)
    resident = fields.Nested(StageSchema)
    contractor = fields.Nested(StageSchema)


class CountSchema(ma.Schema):
    """A count."""

    n = fields.Integer()


class ResolutionFiguresSchema(ma.Schema):
    """Every resolution figure for one group of cases."""

    cases = fields.Nested(CountSchema)
    time_to_acknowledge = fields.Nested(DistributionSchema)
    time_to_first_response = fields.Nested(DistributionSchema)
    time_to_resolve = fields.Nested(DistributionSchema)
    time_to_close = fields.Nested(CloseDistributionSchema)
    sla = fields.Nested(SlaFiguresSchema)
    reopen_rate = fields.Nested(ReopenRateSchema)
    fix_outcomes = fields.Nested(FixOutcomesSchema)
    backlog = fields.Nested(BacklogSchema)
    stage_time = fields.Nested(StageTimeSchema)


class ResolutionGroupSchema(ResolutionFiguresSchema):
    """Figures for one category, block or month."""

    key = fields.String()


class ResolutionReportSchema(ma.Schema):
    """Resolution figures, overall and per group, with the targets they were judged against."""

    now = fields.DateTime(metadata={"description": "When the figures were computed"})
    targets = fields.Dict(
        metadata={"description": "SLA targets in force: PPR -> category -> hours per target"}
    )
    total = fields.Nested(ResolutionFiguresSchema)
    groups = fields.List(fields.Nested(ResolutionGroupSchema))


class PriorityCaseSchema(ma.Schema):
    """One community priority case."""

    id = fields.String()
    ppr = fields.String()
    category = fields.String()
    block = fields.String()
    title = fields.String()
    status = fields.String()
    support_count = fields.Integer()
    designated = fields.Boolean()
    solved = fields.Boolean(metadata={"description": "Closed after a resident confirmed the fix"})
    reported_at = fields.DateTime()


class PriorityMonthSchema(ma.Schema):
    """Priority problems of one month."""

    month = fields.String()
    n = fields.Integer()
    solved = fields.Integer()
    solved_pct = fields.Float(allow_none=True)


class PriorityReportSchema(ma.Schema):
    """Priority problems solved, with the list behind it."""

    thresholds = fields.Dict(metadata={"description": "PPR -> supports that make a priority"})
    n = fields.Integer()
    solved = fields.Integer()
    solved_pct = fields.Float(allow_none=True)
    by_month = fields.List(fields.Nested(PriorityMonthSchema))
    cases = fields.List(fields.Nested(PriorityCaseSchema))


class GovernanceReportSchema(ma.Schema):
    """Governance figures for the PPRs and period (definitions: projections/governance_report.py)."""

    now = fields.DateTime()
    at = fields.DateTime(metadata={"description": "The moment seats and overdue are judged at"})
    meetings = fields.Dict(metadata={"description": "held, quorum_met, quorum_met_pct"})
    attendance = fields.Dict(
        metadata={"description": "residents by gender/age band, distinct residents, management"}
    )
    seats = fields.Dict(metadata={"description": "seat share by gender and by age band"})
    leadership = fields.Dict(
        metadata={"description": "chair, secretary, treasurer share by gender and by age band"}
    )
    blocks = fields.Dict(metadata={"description": "seats per block and unrepresented blocks"})
    decisions = fields.Dict(
        metadata={
            "description": "made, answered, response rate, time to respond, implemented %, overdue"
        }
    )
    minutes = fields.Dict(metadata={"description": "publication lag and unpublished count"})
