"""The rq jobs: ids in, one notifier call, done. Each is idempotent (rq runs jobs at least once)."""

from __future__ import annotations

from workers.context import current


def deliver(delivery_id: str) -> str:
    """Make one attempt at a delivery (a delivery sent already is left alone)."""
    return current().notifier.deliver(delivery_id)


def check_sla(case_id: str, target: str, stage: str) -> str:
    """Warn management at 80 % of a target's time, or record its breach at the due time."""
    return current().notifier.check_sla(case_id, target, stage)


def rescan_sla(ppr_code: str, category_code: str, position: str) -> str:
    """Schedule fresh SLA checks for a category's open cases after its targets changed."""
    return current().notifier.rescan_sla(ppr_code, category_code, position)


def send_digest(recipient_id: str, channel: str, day: str) -> str:
    """Send one person's daily digest for one channel."""
    return current().notifier.send_digest(recipient_id, channel, day)


def remind_decision(decision_id: str) -> str:
    """Remind management and the committee of a decision on the day it is due."""
    return current().notifier.remind_decision(decision_id)
