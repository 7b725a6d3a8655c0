"""Who hears about what: each event's notices, and the timed checks it schedules.

The rules (issue 6):

- the reporter and supporters of a case on every change of its status, on management's public
  response and on a public comment by the committee or management (never on internal notes);
- the committee members of the PPR on a new case, a disputed fix and a case tabled for a meeting;
- the management of the PPR on a new case, an assignment or reassignment, a disputed fix, a
  committee decision, and an SLA target 80 % used (``sla.warning``) and missed (``sla.breached``);
- management and the committee on the morning a decision is due, unless it is done, verified or
  rejected (``decision.due``);
- the owner of a webhook subscription that the service switched off (``webhook.disabled``).

A breach recorded more than two days after its due time (a backfilled record) is not announced.
Nobody is told about their own action, and each person gets one message per event: where two rules
name the same person, the first in the list above wins. A reporter that is an integration (an
external system) hears through webhooks, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from sqlalchemy import Engine, select

from domain.application import K2K
from domain.case import Case
from domain.clock import MALAYSIA
from domain.decision import Decision
from domain.ppr import Ppr
from domain.sla import WARNING_SHARE, SlaClock, SlaTarget
from domain.webhook import WebhookSubscription
from projections.events import jsonable
from service.tables import api_tokens
from workers.kinds import Kind
from workers.people import people_in
from workers.queue import JobSpec

#: Roles whose people are told about their PPR's cases.
COMMITTEE = ("committee",)
MANAGEMENT = ("management",)
#: A breach recorded this long after it fell due (a backfilled paper record, say) goes into the
#: history but is no alert: management is told of breaches as they happen.
STALE_BREACH = timedelta(days=2)
#: Reporter roles that are not people (they hear through webhooks or not at all).
NOT_PEOPLE = frozenset({"integration", "system"})


@dataclass(frozen=True)
class Notice:
    """One kind of message for some people about one thing that happened."""

    kind: Kind
    source_key: str
    recipient_ids: tuple[str, ...]
    context: dict[str, Any]
    ppr_code: str | None = None
    case_id: str | None = None
    link: str | None = None


@dataclass
class Plan:
    """What one event calls for: notices to send and checks to schedule."""

    notices: list[Notice] = field(default_factory=list)
    jobs: list[JobSpec] = field(default_factory=list)


class Facts:
    """What the rules look up: cases and PPRs from the event store, people from their table."""

    def __init__(self, app: K2K, engine: Engine, public_url: str) -> None:
        self.app = app
        self.engine = engine
        self.public_url = public_url
        self._pprs: dict[str, Ppr] = {}
        self._aggregates: dict[UUID, tuple[Any, str | None]] = {}
        self._staff: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        self._scopes: dict[str, tuple[str, ...]] = {}
        self._private: dict[str, bool] = {}

    def ppr(self, code: str) -> Ppr:
        """The PPR (cached for the life of these facts: one relay batch)."""
        if code not in self._pprs:
            self._pprs[code] = self.app.get_ppr(code)
        return self._pprs[code]

    def case_after(self, event: DomainEventProtocol[Any]) -> tuple[Case, str | None]:
        """The case right after ``event``, and its status before it."""
        case, previous = self.aggregate_after(event)
        assert isinstance(case, Case)
        return case, previous

    def aggregate_after(self, event: DomainEventProtocol[Any]) -> tuple[Any, str | None]:
        """The aggregate right after ``event``, and its status before it (None if it has none).

        A batch meets an aggregate's events in order, so the aggregate is evolved event by event
        from the last one seen (or built from its first event); only one whose earlier events
        lie before this batch is read from the store. Asking twice about one event (the
        notifications and the webhooks both do) evolves it once.
        """
        aggregate_id, version = event.originator_id, event.originator_version
        known = self._aggregates.get(aggregate_id)
        if known is not None and known[0].version == version:
            return known
        if version == 1:
            base = None
        elif known is not None and known[0].version == version - 1:
            base = known[0]
        else:
            base = self.app.repository.get(aggregate_id, version=version - 1)
        previous = getattr(base, "status", None)
        aggregate = event.mutate(base)  # type: ignore[attr-defined]
        self._aggregates[aggregate_id] = (aggregate, previous)
        return aggregate, previous

    def staff(self, ppr_code: str, roles: tuple[str, ...]) -> list[str]:
        """Principal ids of the people in these roles who act in the PPR (cached per batch)."""
        key = (ppr_code, roles)
        if key not in self._staff:
            self._staff[key] = self._current_staff(ppr_code, roles)
        return list(self._staff[key])

    def _current_staff(self, ppr_code: str, roles: tuple[str, ...]) -> list[str]:
        """Principal ids of the people in these roles who act in the PPR now.

        Someone whose tokens were all revoked, or whose tokens no longer cover this PPR, has
        left that post and hears nothing more of its cases. A person an admin registered without
        any token (a committee member on SMS only) is judged by their registration alone.
        """
        candidates = [person.principal_id for person in people_in(self.engine, ppr_code, roles)]
        if not candidates:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    api_tokens.c.principal_id, api_tokens.c.ppr_codes, api_tokens.c.revoked_at
                ).where(api_tokens.c.principal_id.in_(candidates))
            ).all()
        tokens: dict[str, list[Any]] = {}
        for row in rows:
            tokens.setdefault(row.principal_id, []).append(row)
        return [
            principal_id
            for principal_id in candidates
            if principal_id not in tokens
            or any(
                row.revoked_at is None and ppr_code in (row.ppr_codes or [])
                for row in tokens[principal_id]
            )
        ]

    def is_private_case(self, case_id: str) -> bool:
        """Whether the case is private (a missing case counts as private: say nothing of it)."""
        from domain.errors import NotFound

        if case_id not in self._private:
            known = self._aggregates.get(UUID(case_id))
            if known is not None and isinstance(known[0], Case):
                self._private[case_id] = bool(known[0].private)
            else:
                try:
                    self._private[case_id] = bool(self.app.get_case(UUID(case_id)).private)
                except NotFound:
                    self._private[case_id] = True
        return self._private[case_id]

    def token_scope(self, principal_id: str) -> tuple[str, ...]:
        """The PPRs (or ``*``) a principal's live tokens cover now; empty when all are revoked."""
        if principal_id not in self._scopes:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(api_tokens.c.ppr_codes).where(
                        api_tokens.c.principal_id == principal_id,
                        api_tokens.c.revoked_at.is_(None),
                    )
                ).scalars()
                codes = [code for row in rows for code in (row or [])]
            self._scopes[principal_id] = tuple(dict.fromkeys(codes))
        return self._scopes[principal_id]

    def decision_context(
        self, decision_id: object, ppr_code: str, text: str, due_date: date, meeting_id: object
    ) -> dict[str, Any]:
        """What every decision message may say, with the link to the decision."""
        return {
            "decision_text": text[:500],
            "due_date": due_date.isoformat(),
            "meeting_ref": str(meeting_id)[:8],
            "ppr_code": ppr_code,
            "ppr_name": self.ppr(ppr_code).name,
            "link": f"{self.public_url}/api/v1/decisions/{decision_id}",
        }

    def case_link(self, case_id: object) -> str:
        """Where a recipient reads the case."""
        return f"{self.public_url}/api/v1/cases/{case_id}"

    def case_context(self, case: Case, status: str, previous_status: str | None) -> dict[str, Any]:
        """What every case message may say: never who reported it or where they live."""
        category = self.ppr(case.ppr_code).categories.get(case.category_code, {})
        return {
            "case_ref": str(case.id)[:8],
            "title": case.title,
            "ppr_code": case.ppr_code,
            "ppr_name": self.ppr(case.ppr_code).name,
            "category_name_ms": category.get("name_ms", case.category_code),
            "category_name_en": category.get("name_en", case.category_code),
            "block": case.block,
            "status": status,
            "previous_status": previous_status or "",
            "link": self.case_link(case.id),
        }


def event_source_key(event: DomainEventProtocol[Any]) -> str:
    """The stable identity of an event: its aggregate and version."""
    return f"event:{event.originator_id}:{event.originator_version}"


def plan_event(facts: Facts, event: DomainEventProtocol[Any], notification_id: int) -> Plan:
    """The notices and scheduled checks one event calls for."""
    if isinstance(event, Case.Event):
        return _plan_case_event(facts, event)
    if isinstance(event, Decision.Made):  # type: ignore[attr-defined]
        return _plan_decision(facts, event)
    if isinstance(event, WebhookSubscription.Disabled):  # type: ignore[attr-defined]
        return _plan_webhook_disabled(facts, event)
    if isinstance(event, Ppr.SlaTargetsChanged):  # type: ignore[attr-defined]
        fields = vars(event)
        code: str = facts.app.repository.get(event.originator_id).code
        category = fields["category_code"]
        return Plan(
            jobs=[
                JobSpec(
                    job_id=f"sla-rescan-{notification_id}",
                    queue="sla",
                    function="workers.jobs.rescan_sla",
                    args=(code, category, str(notification_id)),
                )
            ]
        )
    return Plan()


def _plan_webhook_disabled(facts: Facts, event: DomainEventProtocol[Any]) -> Plan:
    """The owner of a subscription the service switched off hears why (a person's own
    switching off needs no message)."""
    fields = vars(event)
    if fields["actor_role"] != "system":
        return Plan()
    subscription, _ = facts.aggregate_after(event)
    context = {
        "url": subscription.url,
        "description": subscription.description,
        "disabled_reason": fields["reason"],
        "detail": fields["detail"],
        "link": f"{facts.public_url}/api/v1/webhooks/subscriptions/{event.originator_id}",
    }
    notice = Notice(
        Kind.WEBHOOK_DISABLED,
        event_source_key(event),
        (subscription.owner_id,),
        context,
        link=context["link"],
    )
    return Plan(notices=[notice])


def _residents(case: Case) -> list[str]:
    reporter = [] if case.reporter_role in NOT_PEOPLE else [case.reporter_id]
    return [*reporter, *case.supporter_ids]


def _plan_case_event(facts: Facts, event: DomainEventProtocol[Any]) -> Plan:
    fields = vars(event)
    kind = type(event).__name__
    case_id = event.originator_id
    case, previous = facts.case_after(event)
    status = fields["status"]
    context = facts.case_context(case, status, previous)
    wanted: list[tuple[Kind, list[str], dict[str, Any]]] = []
    residents = _residents(case)

    if kind == "Reported":
        staff = facts.staff(case.ppr_code, COMMITTEE) + facts.staff(case.ppr_code, MANAGEMENT)
        wanted.append((Kind.CASE_REPORTED, staff, {}))
    elif kind == "ManagementResponded":
        extra = {
            "message": fields["message"],
            "commitment_date": jsonable(fields["commitment_date"]),
        }
        wanted.append((Kind.CASE_RESPONDED, residents, extra))
    elif kind == "CommentAdded":
        if not fields["internal"] and fields["actor_role"] in ("committee", "management"):
            wanted.append((Kind.CASE_COMMENTED, residents, {"text": fields["text"][:300]}))
    elif previous is not None and status != previous:
        wanted.append((Kind.CASE_STATUS_CHANGED, residents, {}))

    if kind == "ResolutionDisputed":
        staff = facts.staff(case.ppr_code, COMMITTEE) + facts.staff(case.ppr_code, MANAGEMENT)
        wanted.append((Kind.CASE_DISPUTED, staff, {"reason": fields["reason"][:300]}))
    elif kind == "Assigned":
        staff = facts.staff(case.ppr_code, MANAGEMENT)
        if fields["to"] == "committee":
            staff += facts.staff(case.ppr_code, COMMITTEE)
        extra = {"to": fields["to"], "assignee": fields["assignee"] or ""}
        wanted.append((Kind.CASE_ASSIGNED, staff, extra))
    elif kind == "Tabled":
        extra = {"scheduled_for": jsonable(fields["scheduled_for"])}
        wanted.append((Kind.CASE_TABLED, facts.staff(case.ppr_code, COMMITTEE), extra))
    elif kind == "SlaBreached" and fields["timestamp"] - fields["due_at"] <= STALE_BREACH:
        extra = {"target": fields["target"], "due_at": jsonable(fields["due_at"])}
        wanted.append((Kind.SLA_BREACHED, facts.staff(case.ppr_code, MANAGEMENT), extra))

    plan = Plan(
        notices=_notices(
            wanted,
            event_source_key(event),
            actor_id=fields["actor_id"],
            context=context,
            ppr_code=case.ppr_code,
            case_id=str(case_id),
            link=context["link"],
        )
    )
    if kind in ("Reported", "Recategorised"):
        plan.jobs.extend(sla_checks(facts, case))
    return plan


#: Decision reminders go out at this hour (Malaysia time) of the day a decision is due.
DECISION_REMINDER_HOUR = 9


def decision_reminder_time(due_date: date) -> datetime:
    """When the reminder of a decision due on ``due_date`` goes out."""
    return datetime.combine(due_date, time(DECISION_REMINDER_HOUR), MALAYSIA).astimezone(UTC)


def decision_reminder_job(decision_id: str, due_date: date, again: str = "") -> JobSpec:
    """The job that reminds management and the committee of a decision on its due day."""
    suffix = f"-{again}" if again else ""
    return JobSpec(
        job_id=f"decision-due-{decision_id}-{due_date:%Y%m%d}{suffix}",
        queue="sla",
        function="workers.jobs.remind_decision",
        args=(decision_id,),
        run_at=decision_reminder_time(due_date),
    )


def _plan_decision(facts: Facts, event: DomainEventProtocol[Any]) -> Plan:
    fields = vars(event)
    context = facts.decision_context(
        event.originator_id,
        fields["ppr_code"],
        fields["text"],
        fields["due_date"],
        fields["meeting_id"],
    )
    link = context["link"]
    wanted: list[tuple[Kind, list[str], dict[str, Any]]] = [
        (Kind.DECISION_MADE, facts.staff(fields["ppr_code"], MANAGEMENT), {})
    ]
    return Plan(
        notices=_notices(
            wanted,
            event_source_key(event),
            actor_id=fields["actor_id"],
            context=context,
            ppr_code=fields["ppr_code"],
            case_id=None,
            link=link,
        ),
        jobs=[decision_reminder_job(str(event.originator_id), fields["due_date"])],
    )


def _notices(
    wanted: list[tuple[Kind, list[str], dict[str, Any]]],
    source_key: str,
    *,
    actor_id: str,
    context: dict[str, Any],
    ppr_code: str | None,
    case_id: str | None,
    link: str | None,
) -> list[Notice]:
    told = {actor_id}
    notices = []
    for kind, recipients, extra in wanted:
        fresh = tuple(dict.fromkeys(r for r in recipients if r not in told))
        told.update(fresh)
        if fresh:
            notices.append(
                Notice(kind, source_key, fresh, {**context, **extra}, ppr_code, case_id, link)
            )
    return notices


def sla_check_job(
    case_id: str, target: SlaTarget, stage: str, clock: SlaClock, again: str = ""
) -> JobSpec:
    """The timed check of one target: the warning at 80 % of the time, the breach at the due time.

    The id carries the due time, so a changed target or category schedules a new check while the
    old one, finding the target not due, does nothing. ``again`` marks a check queued once more
    (by the check itself or a sweep) so that it never collides with the one already queued.
    """
    run_at = clock.warn_at if stage == "warning" else clock.due_at
    suffix = f"-{again}" if again else ""
    return JobSpec(
        job_id=f"sla-{case_id}-{target.value}-{stage}-{int(clock.due_at.timestamp())}{suffix}",
        queue="sla",
        function="workers.jobs.check_sla",
        args=(case_id, target.value, stage),
        run_at=run_at,
    )


def sla_checks(facts: Facts, case: Case) -> list[JobSpec]:
    """Checks for every target of the case's current category (targets read now)."""
    category = facts.ppr(case.ppr_code).categories.get(case.category_code)
    if not category:
        return []
    jobs = []
    for target in SlaTarget:
        hours = category["sla"][f"{target.value}_hours"]
        due = case.reported_at + timedelta(hours=hours)
        clock = SlaClock(target, case.reported_at, due, None, None)
        for stage in ("warning", "breach"):
            jobs.append(sla_check_job(str(case.id), target, stage, clock))
    return jobs


__all__ = ["WARNING_SHARE", "Facts", "Notice", "Plan", "plan_event", "sla_check_job", "sla_checks"]
