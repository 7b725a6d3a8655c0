"""Every projection the service runs, by name."""

from __future__ import annotations

from projections.audit import AuditLogProjection
from projections.case_list import CaseListProjection
from projections.case_metrics import CaseMetricsProjection
from projections.case_timeline import CaseTimelineProjection
from projections.engine import Projection
from projections.governance import GovernanceProjection
from projections.perception import PerceptionProjection
from projections.ppr_directory import PprDirectoryProjection
from projections.webhook_subscriptions import WebhookSubscriptionsProjection


def all_projections() -> list[Projection]:
    """Fresh instances of every projection, in the order they are reported."""
    return [
        PprDirectoryProjection(),
        CaseListProjection(),
        CaseTimelineProjection(),
        CaseMetricsProjection(),
        GovernanceProjection(),
        PerceptionProjection(),
        WebhookSubscriptionsProjection(),
        AuditLogProjection(),
    ]
