"""Committee governance through the HTTP API: committees, meetings, the decision register, metrics.

The whole flow runs in a PPR of its own, from establishing the committee to the committee
verifying management's work, with every step checked in the linked case's history, the register
and the governance figures. The other tests share one SRP world per backend (``srp``): a committee
of five (quorum three), a quorate meeting with a carried and a lost motion, a decision about a
case, and a meeting without quorum. Tests that record something make their own meetings and
decisions; refusals must record nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.actors import Role
from tests.e2e.conftest import (
    REPORT,
    SLA,
    Caller,
    Cast,
    establish_committee,
    held_meeting_with_motion,
    make_decision,
    malaysian_date,
    schedule_meeting,
    succeed,
)

PROBLEM_JSON = "application/problem+json"

#: SRP's committee: five seats, so a quorum is three (more than half).
MEMBERS = [
    {
        "member_id": "AJK-CHAIR",
        "name": "Puan Zaleha",
        "role": "chair",
        "selection": "elected",
        "block": "A",
        "gender": "female",
        "age_band": "45-54",
    },
    {
        "member_id": "AJK-SEC",
        "name": "Cik Meena",
        "role": "secretary",
        "selection": "elected",
        "block": "B",
        "gender": "female",
        "age_band": "35-44",
    },
    {
        "member_id": "AJK-TRE",
        "name": "Encik Rahman",
        "role": "treasurer",
        "selection": "appointed",
        "block": "A",
        "gender": "male",
        "age_band": "55-64",
    },
    {
        "member_id": "AJK-REP-B",
        "name": "Encik Wong",
        "role": "block_representative",
        "selection": "elected",
        "block": "B",
        "gender": "male",
        "age_band": "25-34",
    },
    {"member_id": "AJK-MEM", "name": "Puan Salmah", "role": "member", "selection": "appointed"},
]
QUORATE = ["AJK-CHAIR", "AJK-SEC", "AJK-TRE", "AJK-REP-B"]
ATTENDANCE = {"female/35-44": 3, "male/65+": 1}


def assert_refused(response: Any, status: int) -> dict[str, Any]:
    """A refusal with the given status, as problem+json; returns the problem."""
    assert response.status_code == status, response.get_json()
    assert response.headers["Content-Type"] == PROBLEM_JSON
    body = dict(response.get_json())
    assert body["status"] == status
    return body


def get_json(caller: Caller, path: str, **query: Any) -> Any:
    """GET that must succeed; returns the body."""
    response = caller.get(path, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def history(cast: Cast, caller: Caller, case_id: str) -> list[dict[str, Any]]:
    """The case's history as ``caller`` sees it, once the read models have caught up."""
    cast.project()
    return list(get_json(caller, f"/api/v1/cases/{case_id}/history")["items"])


# -- the SRP world --------------------------------------------------------------------------------


@dataclass
class World:
    """SRP's committee and what it did (see the module docstring)."""

    case_id: str
    meeting: dict[str, Any]  # held with four of five, motion 1 carried 3-1, motion 2 lost 1-2-1
    decision: dict[str, Any]  # on motion 1, about ``case_id``
    inquorate: dict[str, Any]  # held with two of five, motion 1 by consensus
    scheduled: dict[str, Any]  # not held yet
    built: str  # a moment after all that, as a query value: figures up to it are the world's

    def period(self, **query: str) -> dict[str, str]:
        """Query values for the world's figures (later tests hold meetings of their own)."""
        return {"to": self.built, **query}


@pytest.fixture(scope="module")
def srp(shared_cast: Cast) -> World:
    """Build the SRP world once per backend."""
    cast = shared_cast
    keeper = cast.committee
    establish_committee(keeper, "SRP", MEMBERS)
    case_id = cast.report()["id"]
    meeting = schedule_meeting(keeper, "SRP", [case_id])
    path = f"/api/v1/meetings/{meeting['id']}"
    attendance = {
        "members_present": QUORATE,
        "residents_attending": ATTENDANCE,
        "resident_ids": [cast.resident.principal_id, cast.neighbour.principal_id],
        "management_present": 1,
    }
    succeed(keeper, f"{path}/hold", attendance)
    vote = {"item_number": 1, "text": "Desak pengurusan membaiki lif.", "method": "vote"}
    succeed(keeper, f"{path}/motions", {**vote, "votes_for": 3, "votes_against": 1})
    lost = {"text": "Tukar kontraktor lif.", "votes_for": 1, "votes_against": 2, "abstentions": 1}
    succeed(keeper, f"{path}/motions", {**vote, **lost})
    meeting = succeed(keeper, f"{path}/minutes", {"text": "Minit mesyuarat AJK."})
    decision = make_decision(keeper, meeting["id"], [case_id])
    inquorate = held_meeting_with_motion(keeper, "SRP", ["AJK-CHAIR", "AJK-SEC"])
    scheduled = schedule_meeting(keeper, "SRP", title="Kebersihan")
    cast.project()
    built = datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return World(case_id, meeting, decision, inquorate, scheduled, built)


def fresh_ppr(cast: Cast) -> tuple[str, Caller, Caller, Caller]:
    """A PPR of the test's own (blocks A and B, LIFT) with its committee, management, resident."""
    code = f"G{uuid.uuid4().hex[:8].upper()}"
    succeed(cast.admin, "/api/v1/pprs", {"code": code, "name": "PPR Tadbir"})
    for block in ("A", "B"):
        body = {"code": block, "name": f"Blok {block}", "floors": 17}
        succeed(cast.admin, f"/api/v1/pprs/{code}/blocks", body)
    lift = {"code": "LIFT", "name_ms": "Lif", "name_en": "Lift", "sla": SLA}
    succeed(cast.admin, f"/api/v1/pprs/{code}/categories", lift)
    return (
        code,
        cast.caller(Role.COMMITTEE, [code], "Setiausaha"),
        cast.caller(Role.MANAGEMENT, [code], "Pegawai"),
        cast.caller(Role.RESIDENT, [code], "Puan Noor"),
    )


# -- the whole flow -------------------------------------------------------------------------------


def test_a_case_goes_from_the_agenda_to_a_verified_decision_and_every_step_is_on_record(
    shared_cast: Cast,
) -> None:
    cast = shared_cast
    code, keeper, management, resident = fresh_ppr(cast)

    # The committee is established and three members take their seats.
    response = keeper.post(
        "/api/v1/committees",
        json={"ppr": code, "term_start": malaysian_date(), "term_end": malaysian_date(730)},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["members"] == []
    for member in (MEMBERS[0], MEMBERS[1], MEMBERS[4]):
        committee = succeed(keeper, f"/api/v1/committees/{code}/members", member)
    assert [seat["member_id"] for seat in committee["members"]] == [
        "AJK-CHAIR",
        "AJK-SEC",
        "AJK-MEM",
    ]
    assert committee["quorum"] == 2

    # A resident's case goes on the agenda of a meeting, and its history says it was tabled.
    case_id = str(resident.post("/api/v1/cases", json={**REPORT, "ppr": code}).get_json()["id"])
    response = keeper.post(
        "/api/v1/meetings",
        json={
            "ppr": code,
            "scheduled_for": "2030-01-15T20:30:00+08:00",
            "place": "Dewan serbaguna",
            "agenda": [{"title": "Lif Blok A", "case_ids": [case_id]}, {"title": "Hal lain"}],
        },
    )
    assert response.status_code == 201, response.get_json()
    meeting = response.get_json()
    assert response.headers["Location"] == f"/api/v1/meetings/{meeting['id']}"
    assert meeting["status"] == "scheduled"
    assert [item["case_ids"] for item in meeting["agenda"]] == [[case_id], []]
    (tabled,) = [item for item in history(cast, resident, case_id) if item["type"] == "tabled"]
    assert tabled["details"]["meeting_id"] == meeting["id"]
    assert tabled["details"]["item_number"] == 1

    # The meeting is held with two of three members (a quorum), residents and management.
    path = f"/api/v1/meetings/{meeting['id']}"
    meeting = succeed(
        keeper,
        f"{path}/hold",
        {
            "members_present": ["AJK-CHAIR", "AJK-SEC"],
            "residents_attending": ATTENDANCE,
            "resident_ids": [resident.principal_id],
            "management_present": 2,
        },
    )
    assert meeting["status"] == "held"
    assert (meeting["quorum_required"], meeting["quorum_met"]) == (2, True)
    assert meeting["members_present"] == ["AJK-CHAIR", "AJK-SEC"]
    assert meeting["residents_attending"] == ATTENDANCE
    assert meeting["resident_ids"] == [resident.principal_id]
    assert meeting["management_present"] == 2

    # A motion is carried by vote, and the minutes are published.
    motion = {"item_number": 1, "text": "Desak pengurusan membaiki lif.", "method": "vote"}
    meeting = succeed(keeper, f"{path}/motions", {**motion, "votes_for": 2})
    assert meeting["motions"][0]["carried"] is True
    meeting = succeed(keeper, f"{path}/minutes", {"text": "Minit mesyuarat pertama."})
    assert meeting["minutes"] == "Minit mesyuarat pertama."
    assert meeting["minutes_published_at"] is not None

    # The decision about the case is made; management must answer it.
    response = keeper.post(
        "/api/v1/decisions",
        json={
            "meeting_id": meeting["id"],
            "motion_number": 1,
            "text": "Pengurusan membaiki lif Blok A.",
            "case_ids": [case_id],
            "action_by": "management",
            "due_date": malaysian_date(30),
        },
    )
    assert response.status_code == 201, response.get_json()
    decision = response.get_json()
    decision_path = f"/api/v1/decisions/{decision['id']}"
    assert response.headers["Location"] == decision_path
    assert decision["status"] == "made"
    assert decision["case_ids"] == [case_id]
    assert decision["motion"]["votes_for"] == 2

    # Accepting in part needs a reason; with one, the answer stands.
    partly = {"answer": "accept_in_part", "commitment_date": malaysian_date(14)}
    before = cast.log_head()
    problem = assert_refused(management.post(f"{decision_path}/respond", json=partly), 422)
    assert "reason" in problem["errors"]
    assert cast.log_head() == before
    reason = "Motor baharu sahaja; kabin kekal."
    decision = succeed(management, f"{decision_path}/respond", {**partly, "reason": reason})
    assert (decision["status"], decision["answer"]) == ("partly_accepted", "accept_in_part")
    assert decision["answer_reason"] == reason
    assert decision["commitment_date"] == malaysian_date(14)

    # Management reports progress and marks it done; the committee verifies.
    decision = succeed(
        management, f"{decision_path}/progress", {"percent": 40, "note": "Motor dipesan."}
    )
    assert (decision["status"], decision["progress_percent"]) == ("in_progress", 40)
    decision = succeed(management, f"{decision_path}/done", {"note": "Motor dipasang."})
    assert (decision["status"], decision["progress_percent"]) == ("done", 100)
    decision = succeed(keeper, f"{decision_path}/verify", {"note": "Lif berfungsi."})
    assert decision["status"] == "verified"
    assert decision["verified_at"] is not None

    # Each step appears in the case's history.
    steps = [
        item["details"]
        for item in history(cast, resident, case_id)
        if item["type"] == "decision_step_recorded"
    ]
    assert [step["step"] for step in steps] == [
        "made",
        "management_answered",
        "progress_reported",
        "marked_done",
        "completion_verified",
    ]
    assert {step["decision_id"] for step in steps} == {decision["id"]}

    # The register shows it to the PPR's residents, with the motion's votes.
    (listed,) = get_json(resident, "/api/v1/decisions", ppr=code)
    assert listed["id"] == decision["id"]
    assert listed["meeting_id"] == meeting["id"]
    assert listed["status"] == "verified"
    assert listed["case_ids"] == [case_id]
    assert listed["answer_reason"] == reason
    assert listed["motion"]["votes_for"] == 2
    assert listed["motion"]["votes_against"] == 0
    assert listed["motion"]["carried"] is True

    # And the governance figures count it.
    figures = get_json(keeper, "/api/v1/metrics/governance", ppr=code)
    meetings = figures["meetings"]
    assert (meetings["held"], meetings["quorum_met"], meetings["quorum_met_pct"]) == (1, 1, 100.0)
    assert figures["attendance"]["n"] == 1
    assert figures["attendance"]["residents_by_group"] == ATTENDANCE
    assert figures["attendance"]["distinct_residents_signed"] == 1
    assert figures["attendance"]["management_present_total"] == 2
    assert figures["seats"]["by_gender"]["n"] == 3
    assert figures["seats"]["by_gender"]["groups"]["female"] == {"seats": 2, "share_pct": 66.67}
    assert figures["blocks"]["seats_by_block"] == {"A": 1, "B": 1}
    assert figures["decisions"]["made"] == figures["decisions"]["answered"] == 1
    assert figures["decisions"]["response_rate_pct"] == 100.0
    assert figures["decisions"]["time_to_respond"]["n"] == 1
    assert figures["decisions"]["implemented_pct"] == 100.0
    assert figures["decisions"]["overdue"] == 0
    assert figures["minutes"]["lag"]["n"] == 1
    assert figures["minutes"]["unpublished"] == 0


def test_a_decision_carries_its_version_as_an_etag_and_a_stale_if_match_gets_412(
    shared_cast: Cast, srp: World
) -> None:
    cast = shared_cast
    meeting = held_meeting_with_motion(cast.committee, "SRP", QUORATE)
    path = f"/api/v1/decisions/{make_decision(cast.committee, meeting['id'])['id']}"
    read = cast.management.get(path)
    answer = {"answer": "accept", "commitment_date": malaysian_date(20)}
    answered = cast.management.post(f"{path}/respond", json=answer)
    progress = {"percent": 10, "note": "Sebut harga diminta."}
    before = cast.log_head()

    stale = cast.management.post(
        f"{path}/progress", json=progress, headers={"If-Match": read.headers["ETag"]}
    )

    assert read.headers["ETag"] == f'"{read.get_json()["version"]}"'
    assert answered.headers["ETag"] == f'"{read.get_json()["version"] + 1}"'
    assert_refused(stale, 412)
    assert cast.log_head() == before
    current = cast.management.post(
        f"{path}/progress", json=progress, headers={"If-Match": answered.headers["ETag"]}
    )
    assert current.status_code == 200, current.get_json()
    assert current.get_json()["progress_percent"] == 10


def test_an_idempotency_key_replays_the_scheduling_of_a_meeting(
    shared_cast: Cast, srp: World
) -> None:
    cast = shared_cast
    body = {
        "ppr": "SRP",
        "scheduled_for": "2030-02-01T20:30:00+08:00",
        "place": "Surau",
        "agenda": [{"title": "Lif", "case_ids": [srp.case_id]}],
    }
    headers = {"Idempotency-Key": f"mesyuarat-{uuid.uuid4()}"}
    first = cast.committee.post("/api/v1/meetings", json=body, headers=headers)
    after_first = cast.log_head()

    again = cast.committee.post("/api/v1/meetings", json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert cast.log_head() == after_first
    tabled = [
        item
        for item in history(cast, cast.committee, srp.case_id)
        if item["type"] == "tabled" and item["details"]["meeting_id"] == first.get_json()["id"]
    ]
    assert len(tabled) == 1


# -- refusals -------------------------------------------------------------------------------------


def refused_without_trace(
    cast: Cast, caller: Caller, path: str, body: Any, status: int, method: str = "POST"
) -> Any:
    """Send ``body`` as ``caller``: refused with ``status`` as problem+json, nothing recorded."""
    before = cast.log_head()
    problem = assert_refused(caller.call(method, path, json=body), status)
    assert cast.log_head() == before, "a refused request recorded an event"
    return problem


def decision_on(meeting: dict[str, Any], motion_number: int = 1) -> dict[str, Any]:
    """The body of a decision on a motion of ``meeting``."""
    return {
        "meeting_id": meeting["id"],
        "motion_number": motion_number,
        "text": "Pengurusan membaiki lif.",
        "action_by": "management",
        "due_date": malaysian_date(30),
    }


def test_a_meeting_without_quorum_cannot_decide(shared_cast: Cast, srp: World) -> None:
    assert srp.inquorate["quorum_met"] is False
    assert srp.inquorate["motions"][0]["carried"] is True

    problem = refused_without_trace(
        shared_cast, shared_cast.committee, "/api/v1/decisions", decision_on(srp.inquorate), 409
    )

    assert "quorum" in problem["detail"]


def test_a_motion_that_was_not_carried_cannot_become_a_decision(
    shared_cast: Cast, srp: World
) -> None:
    assert srp.meeting["motions"][1]["carried"] is False

    problem = refused_without_trace(
        shared_cast,
        shared_cast.committee,
        "/api/v1/decisions",
        decision_on(srp.meeting, motion_number=2),
        409,
    )

    assert "not carried" in problem["detail"]


def test_a_meeting_not_yet_held_cannot_decide(shared_cast: Cast, srp: World) -> None:
    refused_without_trace(
        shared_cast, shared_cast.committee, "/api/v1/decisions", decision_on(srp.scheduled), 409
    )


def writes(world: World) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every kind of governance write on the SRP world, as an allowed caller would send it.

    Each is a path (a POST, unless it starts with another method) and a body.
    """
    meeting, scheduled = world.meeting["id"], world.scheduled["id"]
    decision = f"/api/v1/decisions/{world.decision['id']}"
    term = {"ppr": "SRP", "term_start": malaysian_date(), "term_end": malaysian_date(730)}
    return {
        "establish": ("/api/v1/committees", term),
        "seat": ("/api/v1/committees/SRP/members", {**MEMBERS[4], "member_id": "AJK-NEW"}),
        "step-down": ("/api/v1/committees/SRP/members/AJK-MEM/step-down", {}),
        "quorum-rule": ("PUT /api/v1/committees/SRP/quorum-rule", {"quorum_minimum": 2}),
        "schedule": (
            "/api/v1/meetings",
            {"ppr": "SRP", "scheduled_for": "2030-03-01T20:00:00Z", "place": "Surau"},
        ),
        "agenda-item": (f"/api/v1/meetings/{scheduled}/agenda-items", {"title": "Parkir"}),
        "hold": (f"/api/v1/meetings/{scheduled}/hold", {"members_present": QUORATE}),
        "motion": (
            f"/api/v1/meetings/{meeting}/motions",
            {"item_number": 1, "text": "Usul tambahan.", "method": "consensus"},
        ),
        "minutes": (f"/api/v1/meetings/{world.inquorate['id']}/minutes", {"text": "Minit."}),
        "cancel": (f"/api/v1/meetings/{scheduled}/cancel", {"reason": "Hujan lebat."}),
        "decide": ("/api/v1/decisions", decision_on(world.meeting)),
        "respond": (f"{decision}/respond", {"answer": "reject", "reason": "Tiada bajet."}),
        "progress": (f"{decision}/progress", {"percent": 10, "note": "Bermula."}),
        "done": (f"{decision}/done", {"note": "Siap."}),
        "verify": (f"{decision}/verify", {}),
        "dispute": (f"{decision}/dispute", {"reason": "Belum siap."}),
    }


def request(target: str) -> tuple[str, str]:
    """The method and path of a write's target."""
    method, _, path = target.rpartition(" ")
    return method or "POST", path


def refuse(cast: Cast, caller: Caller, write: tuple[str, dict[str, Any]], status: int) -> Any:
    """Send one of the ``writes`` as ``caller``: refused with ``status``, nothing recorded."""
    method, path = request(write[0])
    return refused_without_trace(cast, caller, path, write[1], status, method)


COMMITTEE_WRITES = [
    "seat",
    "step-down",
    "quorum-rule",
    "schedule",
    "agenda-item",
    "hold",
    "motion",
    "minutes",
    "cancel",
    "decide",
    "verify",
    "dispute",
]


@pytest.mark.parametrize("what", COMMITTEE_WRITES)
def test_management_cannot_record_meetings_decisions_or_the_committees_own_steps(
    shared_cast: Cast, srp: World, what: str
) -> None:
    problem = refuse(shared_cast, shared_cast.management, writes(srp)[what], 403)

    assert "committee" in problem["detail"]


@pytest.mark.parametrize("what", ["respond", "progress", "done"])
def test_the_committee_cannot_answer_for_management(
    shared_cast: Cast, srp: World, what: str
) -> None:
    problem = refuse(shared_cast, shared_cast.committee, writes(srp)[what], 403)

    assert "management" in problem["detail"]


@pytest.mark.parametrize("who", ["resident", "auditor", "integration"])
@pytest.mark.parametrize("what", ["establish", *COMMITTEE_WRITES, "respond", "progress", "done"])
def test_residents_auditors_and_integrations_read_governance_but_never_write_it(
    shared_cast: Cast, srp: World, who: str, what: str
) -> None:
    problem = refuse(shared_cast, getattr(shared_cast, who), writes(srp)[what], 403)

    assert f"a {who} reads governance records" in problem["detail"]


def reads(world: World) -> list[str]:
    """A committee, a meeting and a decision of SRP."""
    return [
        "/api/v1/committees/SRP",
        f"/api/v1/meetings/{world.meeting['id']}",
        f"/api/v1/decisions/{world.decision['id']}",
    ]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["committee", "meeting", "decision"])
def test_another_pprs_people_find_no_committee_meeting_or_decision_of_srp(
    shared_cast: Cast, srp: World, index: int
) -> None:
    path = reads(srp)[index]

    for caller in (shared_cast.other_ppr_resident, shared_cast.other_ppr_management):
        assert_refused(caller.get(path), 404)


@pytest.mark.parametrize("what", ["seat", "hold", "decide", "respond", "verify"])
def test_another_pprs_management_cannot_touch_srps_governance(
    shared_cast: Cast, srp: World, what: str
) -> None:
    refuse(shared_cast, shared_cast.other_ppr_management, writes(srp)[what], 404)


def test_another_pprs_lists_hold_nothing_of_srp(shared_cast: Cast, srp: World) -> None:
    outsider = shared_cast.other_ppr_resident

    assert get_json(outsider, "/api/v1/meetings") == []
    assert get_json(outsider, "/api/v1/decisions") == []
    assert get_json(outsider, "/api/v1/meetings", ppr="SRP") == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_without_a_token_governance_is_closed(shared_cast: Cast, srp: World, method: str) -> None:
    nobody = shared_cast.without_token()
    paths = [*reads(srp), "/api/v1/meetings", "/api/v1/decisions", "/api/v1/metrics/governance"]
    requests = [("GET", path) for path in paths]
    if method == "POST":
        requests = [request(target) for target, _ in writes(srp).values()]
    before = shared_cast.log_head()

    for verb, path in requests:
        response = nobody.call(verb, path, json={})
        assert_refused(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert shared_cast.log_head() == before


def test_a_case_of_another_ppr_cannot_go_on_the_agenda(shared_cast: Cast, srp: World) -> None:
    lsb_case = shared_cast.report(shared_cast.other_ppr_resident, ppr="LSB")["id"]
    body = {
        "ppr": "SRP",
        "scheduled_for": "2030-03-01T20:00:00Z",
        "place": "Surau",
        "agenda": [{"title": "Lif", "case_ids": [srp.case_id, lsb_case]}],
    }

    problem = refused_without_trace(
        shared_cast, shared_cast.committee, "/api/v1/meetings", body, 422
    )
    later = refused_without_trace(
        shared_cast,
        shared_cast.committee,
        f"/api/v1/meetings/{srp.scheduled['id']}/agenda-items",
        {"title": "Lif LSB", "case_ids": [lsb_case]},
        422,
    )

    assert problem["errors"] == {"agenda": [f"case {lsb_case} belongs to another PPR"]}
    assert "agenda" in later["errors"]
    assert not [
        item
        for item in history(shared_cast, shared_cast.other_ppr_resident, lsb_case)
        if item["type"] == "tabled"
    ]


def test_a_decision_cannot_concern_a_case_of_another_ppr(shared_cast: Cast, srp: World) -> None:
    lsb_case = shared_cast.report(shared_cast.other_ppr_resident, ppr="LSB")["id"]
    body = {**decision_on(srp.meeting), "case_ids": [lsb_case]}

    problem = refused_without_trace(
        shared_cast, shared_cast.committee, "/api/v1/decisions", body, 422
    )

    assert "case_ids" in problem["errors"]


def test_a_member_not_on_the_committee_cannot_be_present(shared_cast: Cast, srp: World) -> None:
    meeting = schedule_meeting(shared_cast.committee, "SRP")
    body = {"members_present": ["AJK-CHAIR", "AJK-SEC", "ORANG-LUAR"]}

    problem = refused_without_trace(
        shared_cast, shared_cast.committee, f"/api/v1/meetings/{meeting['id']}/hold", body, 422
    )

    assert problem["errors"] == {"members_present": ["not on the committee then: ORANG-LUAR"]}
    assert get_json(shared_cast.committee, f"/api/v1/meetings/{meeting['id']}")["status"] == (
        "scheduled"
    )


def test_a_committee_has_one_chair_at_a_time(shared_cast: Cast, srp: World) -> None:
    second = {**MEMBERS[0], "member_id": "AJK-CHAIR-2", "name": "Encik Kamal"}

    problem = refused_without_trace(
        shared_cast, shared_cast.committee, "/api/v1/committees/SRP/members", second, 409
    )

    assert "chair" in problem["detail"]


def test_a_ppr_has_one_committee(shared_cast: Cast, srp: World) -> None:
    refuse(shared_cast, shared_cast.committee, writes(srp)["establish"], 409)


@pytest.mark.parametrize("answer", ["accept_in_part", "reject"])
def test_management_must_give_a_reason_to_accept_in_part_or_reject(
    shared_cast: Cast, srp: World, answer: str
) -> None:
    path = f"/api/v1/decisions/{srp.decision['id']}/respond"
    body = {"answer": answer, "commitment_date": malaysian_date(10), "reason": "  "}

    problem = refused_without_trace(shared_cast, shared_cast.management, path, body, 422)

    assert list(problem["errors"]) == ["reason"]


# -- visibility -----------------------------------------------------------------------------------

STAFF = ["committee", "management", "auditor", "admin"]
OTHERS = ["resident", "neighbour", "integration"]


@pytest.mark.parametrize("viewer", STAFF + OTHERS)
def test_only_staff_and_auditors_see_who_signed_in_and_what_members_declared(
    shared_cast: Cast, srp: World, viewer: str
) -> None:
    caller: Caller = getattr(shared_cast, viewer)
    staff = viewer in STAFF

    meeting = get_json(caller, f"/api/v1/meetings/{srp.meeting['id']}")
    (listed,) = [
        item
        for item in get_json(caller, "/api/v1/meetings", ppr="SRP")
        if item["id"] == srp.meeting["id"]
    ]
    committee = get_json(caller, "/api/v1/committees/SRP")

    signed = [shared_cast.resident.principal_id, shared_cast.neighbour.principal_id]
    for seen in (meeting, listed):
        if viewer == "auditor":
            assert len(seen["resident_ids"]) == 2
            assert all(person.startswith("p-") for person in seen["resident_ids"])
        else:
            assert seen["resident_ids"] == (signed if staff else None)
        # Everyone sees the counts, the members present, the motions and the minutes.
        assert seen["residents_attending"] == ATTENDANCE
        assert seen["members_present"] == QUORATE
        assert seen["management_present"] == 1
        assert [motion["carried"] for motion in seen["motions"]] == [True, False]
        assert seen["minutes"] == "Minit mesyuarat AJK."
    seats = {seat["member_id"]: seat for seat in committee["members"]}
    assert set(seats) == {member["member_id"] for member in MEMBERS}
    assert seats["AJK-CHAIR"]["name"] == "Puan Zaleha"
    assert seats["AJK-CHAIR"]["block"] == "A"
    if staff:
        assert (seats["AJK-CHAIR"]["gender"], seats["AJK-CHAIR"]["age_band"]) == (
            "female",
            "45-54",
        )
    else:
        assert all(seat["gender"] is None and seat["age_band"] is None for seat in seats.values())


def test_auditors_see_who_signed_in_as_the_pseudonyms_of_the_case_histories(
    shared_cast: Cast, srp: World
) -> None:
    auditor = shared_cast.auditor

    meeting = get_json(auditor, f"/api/v1/meetings/{srp.meeting['id']}")
    case = get_json(auditor, f"/api/v1/cases/{srp.case_id}")

    # The resident who reported the case signed in first.
    assert meeting["resident_ids"][0] == case["reporter"]["id"]
    assert meeting["resident_ids"][1] != case["reporter"]["id"]
    assert shared_cast.resident.principal_id not in str(meeting)


@pytest.mark.parametrize("viewer", ["resident", "neighbour", "management", "auditor"])
def test_the_decision_register_is_open_to_everyone_of_the_ppr(
    shared_cast: Cast, srp: World, viewer: str
) -> None:
    caller: Caller = getattr(shared_cast, viewer)

    register = get_json(caller, "/api/v1/decisions", ppr="SRP")
    one = get_json(caller, f"/api/v1/decisions/{srp.decision['id']}")

    (listed,) = [item for item in register if item["id"] == srp.decision["id"]]
    for seen in (listed, one):
        assert seen["meeting_id"] == srp.meeting["id"]
        assert seen["case_ids"] == [srp.case_id]
        assert seen["action_by"] == "management"
        assert {key: seen["motion"][key] for key in ("votes_for", "votes_against", "carried")} == {
            "votes_for": 3,
            "votes_against": 1,
            "carried": True,
        }
    assert all(item["ppr"] == "SRP" for item in register)


def test_the_register_and_the_meetings_can_be_narrowed_by_status(
    shared_cast: Cast, srp: World
) -> None:
    resident = shared_cast.resident

    made = {item["id"] for item in get_json(resident, "/api/v1/decisions", status="made")}
    verified = {item["id"] for item in get_json(resident, "/api/v1/decisions", status="verified")}
    held = get_json(resident, "/api/v1/meetings", ppr="SRP", status="held")
    scheduled = get_json(resident, "/api/v1/meetings", ppr="SRP", status="scheduled")

    assert srp.decision["id"] in made - verified
    assert {srp.meeting["id"], srp.inquorate["id"]} <= {item["id"] for item in held}
    assert {item["status"] for item in held} == {"held"}
    assert srp.scheduled["id"] in {item["id"] for item in scheduled}
    for path in ("/api/v1/decisions", "/api/v1/meetings"):
        problem = assert_refused(resident.get(path, query_string={"status": "lost"}), 422)
        assert list(problem["errors"]) == ["status"]


def test_a_committee_as_it_stood_at_a_past_moment_is_recoverable(
    shared_cast: Cast, srp: World
) -> None:
    before = get_json(shared_cast.resident, "/api/v1/committees/SRP", as_of="2000-01-01T00:00:00Z")

    assert before["members"] == []
    assert before["quorum"] == 1


# -- governance metrics ---------------------------------------------------------------------------


def test_the_governance_figures_come_with_their_n(shared_cast: Cast, srp: World) -> None:
    figures = get_json(shared_cast.committee, "/api/v1/metrics/governance", **srp.period(ppr="SRP"))

    assert figures["meetings"]["held"] == 2
    assert figures["meetings"]["quorum_met_pct"] == 50.0
    assert figures["attendance"]["n"] == 2
    assert figures["attendance"]["distinct_residents_signed"] == 2
    for group in ("seats", "leadership"):
        for split in ("by_gender", "by_age_band"):
            assert "n" in figures[group][split]
    assert figures["seats"]["by_gender"]["n"] == 5
    assert figures["leadership"]["by_gender"]["n"] == 3
    assert figures["blocks"]["n"] == 2
    assert figures["blocks"]["seats_by_block"] == {"A": 2, "B": 2}
    assert figures["blocks"]["unrepresented"] == []
    assert figures["decisions"]["made"] == 1
    assert figures["decisions"]["answered"] == 0
    assert figures["decisions"]["response_rate_pct"] == 0.0
    assert figures["decisions"]["time_to_respond"] == {
        "n": 0,
        "median_days": None,
        "p90_days": None,
    }
    assert figures["minutes"]["lag"]["n"] == 1
    assert figures["minutes"]["unpublished"] == 1


@pytest.mark.parametrize("query", [{}, {"ppr": "SRP"}])
def test_residents_of_the_ppr_get_the_ppr_level_governance_figures(
    shared_cast: Cast, srp: World, query: dict[str, str]
) -> None:
    figures = get_json(shared_cast.resident, "/api/v1/metrics/governance", **srp.period(**query))

    assert figures["meetings"]["held"] == 2
    # Residents get the seat counts but never a breakdown of named members' gender or age band.
    assert figures["seats"]["by_gender"] == {"n": 5, "suppressed": True}
    assert figures["leadership"]["by_age_band"]["suppressed"] is True


@pytest.mark.parametrize("viewer", ["resident", "committee", "management", "auditor"])
@pytest.mark.parametrize("query", [{"category": "LIFT"}, {"block": "A"}])
def test_governance_figures_cannot_be_filtered_by_category_or_block(
    shared_cast: Cast, viewer: str, query: dict[str, str]
) -> None:
    response = getattr(shared_cast, viewer).get("/api/v1/metrics/governance", query_string=query)

    assert_refused(response, 403)


def test_integrations_get_no_governance_figures(shared_cast: Cast) -> None:
    response = shared_cast.integration.get("/api/v1/metrics/governance")

    assert_refused(response, 403)


def test_a_resident_of_another_ppr_gets_no_governance_figures_of_srp(
    shared_cast: Cast, srp: World
) -> None:
    response = shared_cast.other_ppr_resident.get(
        "/api/v1/metrics/governance", query_string={"ppr": "SRP"}
    )
    own = get_json(shared_cast.other_ppr_resident, "/api/v1/metrics/governance")

    assert_refused(response, 403)
    assert own["meetings"]["held"] == 0
    assert own["seats"]["by_gender"]["n"] == 0


def test_the_committee_starts_a_new_term_and_keeps_its_members(shared_cast: Cast) -> None:
    ppr = shared_cast.admin.post(
        "/api/v1/pprs", json={"code": "TRM", "name": "PPR Penggal Baru"}
    ).get_json()["code"]
    keeper = shared_cast.caller(Role.COMMITTEE, [ppr], "Setiausaha TRM")
    established = keeper.post(
        "/api/v1/committees",
        json={"ppr": ppr, "term_start": "2025-01-01", "term_end": "2026-12-31"},
    )
    keeper.post(
        f"/api/v1/committees/{ppr}/members",
        json={"member_id": "t1", "name": "Ahli Satu", "role": "chair", "selection": "elected"},
    )

    renewed = keeper.post(
        f"/api/v1/committees/{ppr}/terms",
        json={"term_start": "2027-01-01", "term_end": "2028-12-31"},
    )
    backwards = keeper.post(
        f"/api/v1/committees/{ppr}/terms",
        json={"term_start": "2024-01-01", "term_end": "2024-12-31"},
    )

    assert established.status_code == 201
    assert renewed.status_code == 200
    assert (renewed.get_json()["term_start"], renewed.get_json()["term_end"]) == (
        "2027-01-01",
        "2028-12-31",
    )
    assert [member["member_id"] for member in renewed.get_json()["members"]] == ["t1"]
    assert backwards.status_code == 422
    assert "term_start" in backwards.get_json()["errors"]
