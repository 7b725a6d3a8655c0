"""Demo governance: each PPR's committee, a year of monthly meetings, decisions and answers.

Planned as timed steps and replayed together with the cases (``service.demo._replay``), so a
meeting tables cases that exist by then and every event happens at a believable moment.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from domain.actors import Actor
from domain.application import K2K
from domain.clock import MALAYSIA
from domain.committee import AgeBand, CommitteeRole, Gender, Selection
from domain.decision import ActionBy, Answer
from domain.meeting import VoteMethod

#: The committee is set up this long before ``now``; meetings follow monthly.
COMMITTEE_AGE = timedelta(days=350)
MEETING_EVERY = timedelta(days=30)
GENDERS: tuple[Gender | None, ...] = (Gender.FEMALE, Gender.MALE, Gender.FEMALE, Gender.MALE, None)
AGE_BANDS = tuple(AgeBand)
ROLES = (
    CommitteeRole.CHAIR,
    CommitteeRole.VICE_CHAIR,
    CommitteeRole.TREASURER,
    CommitteeRole.BLOCK_REPRESENTATIVE,
    CommitteeRole.BLOCK_REPRESENTATIVE,
    CommitteeRole.BLOCK_REPRESENTATIVE,
    CommitteeRole.MEMBER,
    CommitteeRole.MEMBER,
)
PARTIAL_REASONS = (
    "Peruntukan hanya cukup untuk satu blok tahun ini.",
    "Kontraktor lif hanya boleh datang selepas tender baru.",
)
REJECT_REASONS = (
    "Di bawah tanggungjawab agensi lain (Indah Water); surat rujukan dihantar.",
    "Tiada peruntukan tahun ini; akan dibawa ke bajet tahun depan.",
)


@dataclass
class GovernancePlan:
    """Timed governance steps, replayed alongside the cases' steps."""

    index: int
    steps: list[tuple[datetime, str, Callable[[], object]]] = field(default_factory=list)

    def add(self, at: datetime, label: str, run: Callable[[], object]) -> None:
        """Schedule a step."""
        self.steps.append((at, label, run))


@dataclass(frozen=True)
class CaseRef:
    """What the governance planner needs to know of a planned case."""

    id: UUID
    ppr: str
    reported_at: datetime
    priority_prone: bool


def _day(moment: datetime, days: int = 0) -> date:
    return (moment + timedelta(days=days)).astimezone(MALAYSIA).date()


def plan_governance(
    app: K2K,
    rng: random.Random,
    now: datetime,
    ppr: str,
    blocks: Sequence[str],
    secretary: Actor,
    management: Actor,
    residents: Sequence[Actor],
    cases: Sequence[CaseRef],
    index: int,
) -> GovernancePlan:
    """One PPR's committee and meetings over the past year."""
    plan = GovernancePlan(index=index)
    state: dict[str, Any] = {}
    start = now - COMMITTEE_AGE
    plan.add(
        start,
        "establish",
        lambda: app.establish_committee(
            secretary, ppr, term_start=_day(start), term_end=_day(start, 730)
        ),
    )
    members = [secretary.principal_id] + [resident.principal_id for resident in residents[1:9]]
    seats = [CommitteeRole.SECRETARY, *ROLES]
    for offset, (member, role) in enumerate(zip(members, seats, strict=True)):
        block = blocks[offset % len(blocks)] if role is CommitteeRole.BLOCK_REPRESENTATIVE else None
        gender, band = rng.choice(GENDERS), rng.choice(AGE_BANDS[1:])
        plan.add(
            start + timedelta(hours=1, minutes=offset),
            "appoint",
            partial(
                app.appoint_member,
                secretary,
                ppr,
                member_id=member,
                name=f"Ahli {member[-3:]}",
                role=role,
                selection=Selection.ELECTED,
                block=block,
                gender=gender,
                age_band=band,
            ),
        )
    # Half-way through the year the treasurer steps down; a youth member takes the seat.
    midyear = start + timedelta(days=170)
    treasurer, newcomer = members[3], residents[12].principal_id
    plan.add(
        midyear,
        "step down",
        lambda: app.step_down_member(
            secretary, ppr, member_id=treasurer, reason="Berpindah ke PPR lain."
        ),
    )
    plan.add(
        midyear + timedelta(days=1),
        "appoint",
        lambda: app.appoint_member(
            secretary,
            ppr,
            member_id=newcomer,
            name=f"Ahli {newcomer[-3:]}",
            role=CommitteeRole.TREASURER,
            selection=Selection.APPOINTED,
            gender=Gender.FEMALE,
            age_band=AgeBand.FROM_25,
        ),
    )
    seated_then = members[:3] + members[4:] + [newcomer]
    meeting_at = start + timedelta(days=20)
    number = 0
    while meeting_at < now - timedelta(days=3):
        number += 1
        _plan_meeting(
            plan,
            app,
            rng,
            state,
            number,
            meeting_at,
            ppr,
            secretary,
            management,
            members if meeting_at < midyear else seated_then,
            residents,
            cases,
        )
        meeting_at += MEETING_EVERY + timedelta(hours=rng.randint(-48, 48))
    return plan


def _plan_meeting(
    plan: GovernancePlan,
    app: K2K,
    rng: random.Random,
    state: dict[str, Any],
    number: int,
    held_at: datetime,
    ppr: str,
    secretary: Actor,
    management: Actor,
    seated: Sequence[str],
    residents: Sequence[Actor],
    cases: Sequence[CaseRef],
) -> None:
    key = f"meeting-{number}"
    scheduled = held_at - timedelta(days=10)
    recent = [
        case
        for case in cases
        if case.ppr == ppr
        and case.priority_prone
        and scheduled - timedelta(days=45) < case.reported_at < scheduled
    ]
    tabled = [str(case.id) for case in rng.sample(recent, min(2, len(recent)))]
    plan.add(
        scheduled,
        "schedule",
        lambda: state.__setitem__(
            key,
            app.schedule_meeting(
                secretary,
                ppr,
                scheduled_for=held_at,
                place="Dewan Serbaguna PPR",
                agenda=[("Kes tertunggak dan keutamaan penduduk", tabled), ("Hal-hal lain", [])],
            ).id,
        ),
    )
    quorate = rng.random() > 0.15  # now and then too few members come
    present = (
        list(seated[: len(seated) // 2 + 1 + rng.randint(0, 2)]) if quorate else list(seated[:2])
    )
    attending = {
        f"{gender}/{band}": rng.randint(0, 6)
        for gender in ("female", "male")
        for band in ("25-34", "35-44", "45-54", "65+")
    }
    signed = [resident.principal_id for resident in rng.sample(list(residents[10:]), 6)]
    plan.add(
        held_at,
        "hold",
        lambda: app.hold_meeting(
            secretary,
            state[key],
            members_present=present,
            residents_attending=attending,
            resident_ids=signed,
            management_present=rng.randint(0, 2),
        ),
    )
    if rng.random() > 0.1:
        plan.add(
            held_at + timedelta(days=rng.randint(2, 20)),
            "minutes",
            lambda: app.publish_minutes(
                secretary, state[key], text=f"Minit mesyuarat jawatankuasa bil. {number}."
            ),
        )
    if not (quorate and tabled):
        return
    votes_for = len(present) - 1
    plan.add(
        held_at + timedelta(hours=1),
        "motion",
        lambda: app.record_motion(
            secretary,
            state[key],
            item_number=1,
            text="Mendesak pihak pengurusan menyelesaikan kes yang dibentangkan dalam tempoh 3 minggu.",
            method=VoteMethod.VOTE,
            votes_for=votes_for,
            votes_against=1,
        ),
    )
    decision = f"decision-{number}"
    plan.add(
        held_at + timedelta(hours=2),
        "decide",
        lambda: state.__setitem__(
            decision,
            app.make_decision(
                secretary,
                state[key],
                motion_number=1,
                text="Pengurusan PPR membaiki masalah dalam kes yang dibentangkan.",
                case_ids=tabled,
                action_by=ActionBy.MANAGEMENT,
                due_date=_day(held_at, 21),
            ).id,
        ),
    )
    answered = held_at + timedelta(days=rng.randint(2, 12))
    roll = rng.random()
    if roll < 0.1:
        return  # some decisions are never answered
    answer = (
        Answer.ACCEPT if roll < 0.65 else Answer.ACCEPT_IN_PART if roll < 0.88 else Answer.REJECT
    )
    reason = {
        Answer.ACCEPT: None,
        Answer.ACCEPT_IN_PART: rng.choice(PARTIAL_REASONS),
        Answer.REJECT: rng.choice(REJECT_REASONS),
    }[answer]
    commitment = None if answer is Answer.REJECT else _day(answered, rng.randint(7, 30))
    plan.add(
        answered,
        "answer",
        lambda: app.respond_to_decision(
            management, state[decision], answer=answer, reason=reason, commitment_date=commitment
        ),
    )
    if answer is Answer.REJECT:
        return
    plan.add(
        answered + timedelta(days=5),
        "progress",
        lambda: app.report_decision_progress(
            management, state[decision], percent=50, note="Kontraktor telah memulakan kerja."
        ),
    )
    done = answered + timedelta(days=rng.randint(8, 30))
    plan.add(
        done,
        "done",
        lambda: app.mark_decision_done(management, state[decision], note="Kerja selesai."),
    )
    if rng.random() < 0.2:
        plan.add(
            done + timedelta(days=2),
            "dispute",
            lambda: app.dispute_decision_completion(
                secretary, state[decision], reason="Penduduk melaporkan masalah masih berlaku."
            ),
        )
        done += timedelta(days=9)
        plan.add(
            done,
            "done",
            lambda: app.mark_decision_done(management, state[decision], note="Dibaiki semula."),
        )
    plan.add(
        done + timedelta(days=3),
        "verify",
        lambda: app.verify_decision(secretary, state[decision], note="Disahkan oleh wakil blok."),
    )
