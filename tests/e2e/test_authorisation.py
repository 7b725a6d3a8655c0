"""Who may do what, and who sees what (DESIGN §2), through the HTTP API.

The matrix: every kind of caller against every endpoint, each expecting one status. A refusal is
always problem+json and records nothing. Then visibility and redaction: private cases, anonymous
reporters, households' unit numbers, other residents' ids, internal notes and auditors' pseudonyms.
Governance (committees, meetings, decisions and their figures) is in the matrix too; what each
caller sees of it is in test_governance_api.py. So are surveys and the perception figures (each
caller answers a fresh survey, since a second answer is refused); see test_surveys_api.py.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain import clock
from domain.actors import Role
from tests.e2e.conftest import (
    REPORT,
    SLA,
    Caller,
    Cast,
    draft_survey,
    establish_committee,
    held_meeting_with_motion,
    make_decision,
    malaysian_date,
    open_survey,
    schedule_meeting,
    survey_body,
)

PROBLEM_JSON = "application/problem+json"

#: The callers of the matrix, in the order of each row's statuses.
CALLERS = (
    "reporter",  # the resident who reported the case
    "neighbour",  # another resident of the same PPR
    "other_ppr_resident",
    "committee",
    "management",
    "other_ppr_management",
    "auditor",
    "admin",
    "integration",
    "no_token",
    "bad_token",
)


def as_caller(cast: Cast, name: str) -> Caller:
    """The caller of the matrix called ``name``."""
    if name == "reporter":
        return cast.resident
    if name == "no_token":
        return cast.without_token()
    if name == "bad_token":
        return cast.with_bad_token()
    caller: Caller = getattr(cast, name)
    return caller


@dataclass(frozen=True)
class Endpoint:
    """One endpoint, the state it needs, and the body an allowed caller would send."""

    name: str
    method: str
    path: str
    needs: str = "nothing"
    body: dict[str, Any] | None = field(default=None)


def command(path: str, needs: str, body: dict[str, Any] | None = None) -> Endpoint:
    """``POST /cases/{id}/<path>`` on a fresh case in the state ``needs``."""
    return Endpoint(path, "POST", f"/api/v1/cases/{{case}}/{path}", needs, body or {})


#: A survey item, for revising a survey's items.
SURVEY_ITEM = {
    "code": "trust_committee",
    "text_ms": "Saya percaya jawatankuasa penduduk.",
    "text_en": "I trust the residents' committee.",
    "scale": "likert_5",
    "construct": "trust_in_committee",
}

#: reporter, neighbour, other-PPR resident, committee, management, other-PPR management,
#: auditor, admin, integration, no token, bad token.
MATRIX: list[tuple[Endpoint, tuple[int, ...]]] = [
    # -- cases: reads -------------------------------------------------------------------------
    (
        Endpoint("report", "POST", "/api/v1/cases", body=REPORT),
        (201, 201, 403, 201, 201, 403, 403, 201, 201, 401, 401),
    ),
    (
        Endpoint("list", "GET", "/api/v1/cases"),
        (200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401),
    ),
    (
        Endpoint("list-one-ppr", "GET", "/api/v1/cases?ppr=SRP"),
        (200, 200, 403, 200, 200, 403, 200, 200, 200, 401, 401),
    ),
    (
        Endpoint("read", "GET", "/api/v1/cases/{case}", "public case"),
        (200, 200, 404, 200, 200, 404, 200, 200, 200, 401, 401),
    ),
    (
        Endpoint("history", "GET", "/api/v1/cases/{case}/history", "public case"),
        (200, 200, 404, 200, 200, 404, 200, 200, 200, 401, 401),
    ),
    (
        Endpoint("read-as-of", "GET", "/api/v1/cases/{case}?as_of={now}", "public case"),
        (200, 200, 404, 200, 200, 404, 200, 200, 200, 401, 401),
    ),
    (
        Endpoint("history-as-of", "GET", "/api/v1/cases/{case}/history?as_of={now}", "public case"),
        (200, 200, 404, 200, 200, 404, 200, 200, 200, 401, 401),
    ),
    (
        Endpoint("sla", "GET", "/api/v1/cases/{case}/sla", "public case, projected"),
        (200, 200, 404, 200, 200, 404, 200, 200, 200, 401, 401),
    ),
    # -- cases: commands ----------------------------------------------------------------------
    (
        command("acknowledge", "reported"),
        (403, 403, 404, 403, 200, 404, 403, 200, 403, 401, 401),
    ),
    (
        command("recategorise", "reported", {"category": "WATER"}),
        (403, 403, 404, 200, 200, 404, 403, 200, 403, 401, 401),
    ),
    (
        command("assign", "acknowledged", {"to": "contractor", "assignee": "Syarikat Lif"}),
        (403, 403, 404, 200, 200, 404, 403, 200, 403, 401, 401),
    ),
    (
        command("respond", "acknowledged", {"message": "Kontraktor datang Isnin."}),
        (403, 403, 404, 403, 200, 404, 403, 200, 403, 401, 401),
    ),
    (
        command("resolve", "acknowledged", {"note": "Motor diganti."}),
        (403, 403, 404, 200, 200, 404, 403, 200, 403, 401, 401),
    ),
    (
        command("confirm", "resolved", {"rating": 4}),
        (200, 403, 404, 200, 403, 404, 403, 200, 403, 401, 401),
    ),
    (
        command("dispute", "resolved", {"reason": "Masih rosak."}),
        (200, 403, 404, 200, 403, 404, 403, 200, 403, 401, 401),
    ),
    (
        command("close", "resolved before the dispute window"),
        (403, 403, 404, 200, 200, 404, 403, 200, 403, 401, 401),
    ),
    (
        command("no-further-action", "reported", {"reason": "Di bawah JKR."}),
        (403, 403, 404, 200, 200, 404, 403, 200, 403, 401, 401),
    ),
    (
        command("mark-duplicate", "reported with an original", {"duplicate_of": "{original}"}),
        (403, 403, 404, 200, 200, 404, 403, 200, 403, 401, 401),
    ),
    (
        command("withdraw", "reported", {"reason": "Salah lapor."}),
        (200, 403, 404, 403, 403, 404, 403, 200, 403, 401, 401),
    ),
    (
        command("comment", "reported", {"text": "Saya pun nampak."}),
        (200, 200, 404, 200, 200, 404, 403, 200, 200, 401, 401),
    ),
    (
        Endpoint(
            "internal-note",
            "POST",
            "/api/v1/cases/{case}/comment",
            "reported",
            {"text": "Kontraktor lama tidak boleh dipercayai.", "internal": True},
        ),
        (403, 403, 404, 200, 200, 404, 403, 200, 403, 401, 401),
    ),
    (
        command("designate-priority", "reported", {"reason": "Keputusan mesyuarat AJK."}),
        (403, 403, 404, 200, 403, 404, 403, 200, 403, 401, 401),
    ),
    (
        command("support", "reported"),
        (409, 200, 404, 403, 403, 404, 403, 403, 403, 401, 401),
    ),
    # -- metrics: every figure for staff, auditors and admin; PPR-level only for residents -------
    (
        Endpoint("resolution-metrics", "GET", "/api/v1/metrics/resolution"),
        (200, 200, 200, 200, 200, 200, 200, 200, 403, 401, 401),
    ),
    (
        Endpoint("resolution-metrics-one-ppr", "GET", "/api/v1/metrics/resolution?ppr=SRP"),
        (200, 200, 403, 200, 200, 403, 200, 200, 403, 401, 401),
    ),
    (
        Endpoint(
            "resolution-metrics-by-category",
            "GET",
            "/api/v1/metrics/resolution?group_by=category",
        ),
        (403, 403, 403, 200, 200, 200, 200, 200, 403, 401, 401),
    ),
    (
        Endpoint("resolution-metrics-one-block", "GET", "/api/v1/metrics/resolution?block=A"),
        (403, 403, 403, 200, 200, 200, 200, 200, 403, 401, 401),
    ),
    (
        Endpoint("priority-metrics", "GET", "/api/v1/metrics/priorities"),
        (200, 200, 200, 200, 200, 200, 200, 200, 403, 401, 401),
    ),
    (
        Endpoint("priority-metrics-one-ppr", "GET", "/api/v1/metrics/priorities?ppr=SRP"),
        (200, 200, 403, 200, 200, 403, 200, 200, 403, 401, 401),
    ),
    (
        Endpoint(
            "priority-metrics-one-category", "GET", "/api/v1/metrics/priorities?category=LIFT"
        ),
        (403, 403, 403, 200, 200, 200, 200, 200, 403, 401, 401),
    ),
    # -- governance: the committee records, management answers, the PPR's people read ---------
    (
        Endpoint("read-committee", "GET", "/api/v1/committees/SRP", "the SRP committee"),
        (200, 200, 404, 200, 200, 404, 200, 200, 200, 401, 401),
    ),
    (
        Endpoint(
            "seat-member",
            "POST",
            "/api/v1/committees/SRP/members",
            "the SRP committee",
            {"member_id": "{fresh}", "name": "Ahli Baru", "role": "member", "selection": "elected"},
        ),
        (403, 403, 404, 201, 403, 404, 403, 201, 403, 401, 401),
    ),
    (
        Endpoint("list-meetings", "GET", "/api/v1/meetings"),
        (200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401),
    ),
    (
        Endpoint(
            "schedule-meeting",
            "POST",
            "/api/v1/meetings",
            "the SRP committee",
            {"ppr": "SRP", "scheduled_for": "2030-03-01T20:00:00Z", "place": "Surau"},
        ),
        (403, 403, 404, 201, 403, 404, 403, 201, 403, 401, 401),
    ),
    (
        Endpoint("read-meeting", "GET", "/api/v1/meetings/{meeting}", "a scheduled meeting"),
        (200, 200, 404, 200, 200, 404, 200, 200, 200, 401, 401),
    ),
    (
        Endpoint(
            "hold-meeting",
            "POST",
            "/api/v1/meetings/{meeting}/hold",
            "a scheduled meeting",
            {"members_present": ["AJK-1"]},
        ),
        (403, 403, 404, 200, 403, 404, 403, 200, 403, 401, 401),
    ),
    (
        Endpoint(
            "record-motion",
            "POST",
            "/api/v1/meetings/{meeting}/motions",
            "a held meeting",
            {"item_number": 1, "text": "Usul.", "method": "consensus"},
        ),
        (403, 403, 404, 200, 403, 404, 403, 200, 403, 401, 401),
    ),
    (
        Endpoint(
            "publish-minutes",
            "POST",
            "/api/v1/meetings/{meeting}/minutes",
            "a held meeting",
            {"text": "Minit mesyuarat."},
        ),
        (403, 403, 404, 200, 403, 404, 403, 200, 403, 401, 401),
    ),
    (
        Endpoint("decision-register", "GET", "/api/v1/decisions"),
        (200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401),
    ),
    (
        Endpoint(
            "make-decision",
            "POST",
            "/api/v1/decisions",
            "a carried motion",
            {
                "meeting_id": "{meeting}",
                "motion_number": 1,
                "text": "Baiki lif.",
                "action_by": "management",
                "due_date": "{due}",
            },
        ),
        (403, 403, 404, 201, 403, 404, 403, 201, 403, 401, 401),
    ),
    (
        Endpoint("read-decision", "GET", "/api/v1/decisions/{decision}", "a decision"),
        (200, 200, 404, 200, 200, 404, 200, 200, 200, 401, 401),
    ),
    (
        Endpoint(
            "answer-decision",
            "POST",
            "/api/v1/decisions/{decision}/respond",
            "a decision",
            {"answer": "accept", "commitment_date": "{due}"},
        ),
        (403, 403, 404, 403, 200, 404, 403, 200, 403, 401, 401),
    ),
    (
        Endpoint(
            "verify-decision", "POST", "/api/v1/decisions/{decision}/verify", "a done decision"
        ),
        (403, 403, 404, 200, 403, 404, 403, 200, 403, 401, 401),
    ),
    (
        Endpoint("governance-metrics", "GET", "/api/v1/metrics/governance"),
        (200, 200, 200, 200, 200, 200, 200, 200, 403, 401, 401),
    ),
    (
        Endpoint("governance-metrics-one-ppr", "GET", "/api/v1/metrics/governance?ppr=SRP"),
        (200, 200, 403, 200, 200, 403, 200, 200, 403, 401, 401),
    ),
    (
        Endpoint("governance-metrics-one-block", "GET", "/api/v1/metrics/governance?block=A"),
        (403, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401),
    ),
    # -- surveys: the admin drafts and runs them, residents and management answer --------------
    (
        Endpoint("list-surveys", "GET", "/api/v1/surveys"),
        (200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401),
    ),
    (
        Endpoint("starter-instruments", "GET", "/api/v1/surveys/starter-instruments"),
        (200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401),
    ),
    (
        Endpoint("draft-survey", "POST", "/api/v1/surveys", body=survey_body(["SRP"])),
        (403, 403, 403, 403, 403, 403, 403, 201, 403, 401, 401),
    ),
    (
        Endpoint("read-survey", "GET", "/api/v1/surveys/{survey}", "an open SRP survey"),
        (200, 200, 404, 200, 200, 404, 200, 200, 200, 401, 401),
    ),
    (
        Endpoint("open-survey", "POST", "/api/v1/surveys/{survey}/open", "a draft SRP survey"),
        (403, 403, 403, 403, 403, 403, 403, 200, 403, 401, 401),
    ),
    (
        Endpoint("close-survey", "POST", "/api/v1/surveys/{survey}/close", "an open SRP survey"),
        (403, 403, 403, 403, 403, 403, 403, 200, 403, 401, 401),
    ),
    (
        Endpoint(
            "revise-survey-items",
            "PUT",
            "/api/v1/surveys/{survey}/items",
            "a draft SRP survey",
            {"items": [SURVEY_ITEM]},
        ),
        (403, 403, 403, 403, 403, 403, 403, 200, 403, 401, 401),
    ),
    (
        Endpoint(
            "answer-survey",
            "POST",
            "/api/v1/surveys/{survey}/responses",
            "an open SRP survey",
            {"answers": {"trust_committee": 4}},
        ),
        # The committee is not asked by this survey (residents and management are).
        (201, 201, 404, 403, 201, 404, 403, 403, 403, 401, 401),
    ),
    (
        Endpoint("survey-results", "GET", "/api/v1/surveys/{survey}/results", "an open SRP survey"),
        (200, 200, 404, 200, 200, 404, 200, 200, 403, 401, 401),
    ),
    (
        Endpoint("perception-metrics", "GET", "/api/v1/metrics/perception"),
        (200, 200, 200, 200, 200, 200, 200, 200, 403, 401, 401),
    ),
    (
        Endpoint("perception-metrics-one-ppr", "GET", "/api/v1/metrics/perception?ppr=SRP"),
        (200, 200, 403, 200, 200, 403, 200, 200, 403, 401, 401),
    ),
    # -- PPRs: reads are public, writes are the admin's ----------------------------------------
    (
        Endpoint("list-pprs", "GET", "/api/v1/pprs"),
        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ),
    (
        Endpoint("read-ppr", "GET", "/api/v1/pprs/SRP"),
        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ),
    (
        Endpoint("register-ppr", "POST", "/api/v1/pprs", body={"code": "{fresh}", "name": "PPR"}),
        (403, 403, 403, 403, 403, 403, 403, 201, 403, 401, 401),
    ),
    (
        Endpoint(
            "add-block",
            "POST",
            "/api/v1/pprs/{ppr}/blocks",
            "a fresh PPR",
            {"code": "C", "name": "Blok C", "floors": 17},
        ),
        (403, 403, 403, 403, 403, 403, 403, 201, 403, 401, 401),
    ),
    (
        Endpoint(
            "add-category",
            "POST",
            "/api/v1/pprs/{ppr}/categories",
            "a fresh PPR",
            {"code": "PEST", "name_ms": "Serangga", "name_en": "Pests", "sla": SLA},
        ),
        (403, 403, 403, 403, 403, 403, 403, 201, 403, 401, 401),
    ),
    (
        Endpoint(
            "change-sla",
            "PUT",
            "/api/v1/pprs/{ppr}/categories/LIFT/sla",
            "a fresh PPR",
            {**SLA, "resolve_hours": 72},
        ),
        (403, 403, 403, 403, 403, 403, 403, 200, 403, 401, 401),
    ),
    (
        Endpoint(
            "change-dispute-window",
            "PUT",
            "/api/v1/pprs/{ppr}/dispute-window",
            "a fresh PPR",
            {"dispute_window_days": 7},
        ),
        (403, 403, 403, 403, 403, 403, 403, 200, 403, 401, 401),
    ),
    (
        Endpoint(
            "change-priority-threshold",
            "PUT",
            "/api/v1/pprs/{ppr}/priority-threshold",
            "a fresh PPR",
            {"priority_support_threshold": 5},
        ),
        (403, 403, 403, 403, 403, 403, 403, 200, 403, 401, 401),
    ),
    # -- tokens ----------------------------------------------------------------------------------
    (
        Endpoint(
            "issue-token",
            "POST",
            "/api/v1/tokens",
            body={"role": "resident", "name": "Puan Siti", "pprs": ["SRP"]},
        ),
        (403, 403, 403, 403, 403, 403, 403, 201, 403, 401, 401),
    ),
    (
        Endpoint("who-am-i", "GET", "/api/v1/tokens/me"),
        (200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401),
    ),
    (
        Endpoint("revoke-token", "DELETE", "/api/v1/tokens/{token_id}", "a spare token"),
        (403, 403, 403, 403, 403, 403, 403, 204, 403, 401, 401),
    ),
    # -- health ----------------------------------------------------------------------------------
    (
        Endpoint("health", "GET", "/healthz"),
        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ),
]

MATRIX_CASES = [
    pytest.param(caller, endpoint, status, id=f"{endpoint.name}-by-{caller}-{status}")
    for endpoint, statuses in MATRIX
    for caller, status in zip(CALLERS, statuses, strict=True)
]


@pytest.fixture(scope="module")
def public_case(shared_cast: Cast) -> str:
    """A public case in SRP reported by the resident, for the read-only endpoints."""
    return str(shared_cast.report()["id"])


def _post(caller: Caller, path: str, body: dict[str, Any] | None = None) -> Any:
    response = caller.post(path, json=body or {})
    assert response.status_code in (200, 201), (path, response.get_json())
    return response.get_json()


def _query_time() -> str:
    """Now, to the microsecond, as a query-string value (no "+" to be read as a space)."""
    return datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def arrange(cast: Cast, needs: str, public_case: str) -> dict[str, str]:
    """Bring about the state an endpoint needs; returns the values for its path and body."""
    values = {"fresh": f"T{uuid.uuid4().hex[:10].upper()}", "now": _query_time()}
    if needs == "public case":
        values["case"] = public_case
    elif needs == "public case, projected":
        values["case"] = public_case
        cast.project()  # its SLA clocks come from a read model
    elif needs == "resolved before the dispute window":
        # Resolved 20 days ago, so the 14-day dispute window has run out.
        past = datetime.now(tz=UTC) - timedelta(days=20)
        with clock.clock_set_to(lambda: past):
            values["case"] = cast.report()["id"]
            _post(cast.management, f"/api/v1/cases/{values['case']}/acknowledge")
            _post(cast.management, f"/api/v1/cases/{values['case']}/resolve", {"note": "Siap."})
    elif needs in ("reported", "acknowledged", "resolved", "reported with an original"):
        values["case"] = cast.report()["id"]
        if needs == "reported with an original":
            values["original"] = cast.report(cast.neighbour)["id"]
        if needs in ("acknowledged", "resolved"):
            _post(cast.management, f"/api/v1/cases/{values['case']}/acknowledge")
        if needs == "resolved":
            _post(cast.management, f"/api/v1/cases/{values['case']}/resolve", {"note": "Siap."})
    elif needs == "a fresh PPR":
        values["ppr"] = values["fresh"]
        _post(cast.admin, "/api/v1/pprs", {"code": values["ppr"], "name": "PPR Baru"})
        _post(
            cast.admin,
            f"/api/v1/pprs/{values['ppr']}/categories",
            {"code": "LIFT", "name_ms": "Lif", "name_en": "Lift", "sla": SLA},
        )
    elif needs in GOVERNANCE_NEEDS:
        values.update(arrange_governance(cast, needs))
    elif needs in ("a draft SRP survey", "an open SRP survey"):
        make = open_survey if needs == "an open SRP survey" else draft_survey
        values["survey"] = make(cast.admin, ["SRP"])["id"]
    elif needs == "a spare token":
        values["token_id"] = cast.caller(Role.RESIDENT, ["SRP"], "Spare").token_id
    else:
        assert needs == "nothing", needs
    return values


#: Governance states, each built on the one before.
GOVERNANCE_NEEDS = (
    "the SRP committee",
    "a scheduled meeting",
    "a held meeting",
    "a carried motion",
    "a decision",
    "a done decision",
)


def arrange_governance(cast: Cast, needs: str) -> dict[str, str]:
    """SRP's committee (one chair, a quorum of one) and, as ``needs`` says, a meeting or decision."""
    if cast.admin.get("/api/v1/committees/SRP").status_code == 404:
        chair = {
            "member_id": "AJK-1",
            "name": "Puan Zaleha",
            "role": "chair",
            "selection": "elected",
        }
        establish_committee(cast.admin, "SRP", [chair], quorum_minimum=1)
    depth = GOVERNANCE_NEEDS.index(needs)
    values = {"due": malaysian_date(30)}
    if depth in (1, 2):
        values["meeting"] = schedule_meeting(cast.committee, "SRP")["id"]
    if depth == 2:
        hold = {"members_present": ["AJK-1"]}
        _post(cast.committee, f"/api/v1/meetings/{values['meeting']}/hold", hold)
    if depth >= 3:
        values["meeting"] = held_meeting_with_motion(cast.committee, "SRP", ["AJK-1"])["id"]
    if depth >= 4:
        values["decision"] = make_decision(cast.committee, values["meeting"])["id"]
    if depth >= 5:
        path = f"/api/v1/decisions/{values['decision']}"
        answer = {"answer": "accept", "commitment_date": values["due"]}
        _post(cast.management, f"{path}/respond", answer)
        _post(cast.management, f"{path}/done", {"note": "Siap."})
    return values


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, dict):
        return {key: _fill(item, values) for key, item in value.items()}
    return value


@pytest.mark.parametrize(("caller", "endpoint", "expected"), MATRIX_CASES)
def test_each_caller_gets_exactly_what_its_role_and_scope_allow(
    shared_cast: Cast, public_case: str, caller: str, endpoint: Endpoint, expected: int
) -> None:
    values = arrange(shared_cast, endpoint.needs, public_case)
    before = shared_cast.log_head()

    response = as_caller(shared_cast, caller).call(
        endpoint.method, _fill(endpoint.path, values), json=_fill(endpoint.body, values)
    )

    assert response.status_code == expected, response.get_json()
    if expected >= 400:
        assert response.headers["Content-Type"] == PROBLEM_JSON
        assert response.get_json()["status"] == expected
        assert shared_cast.log_head() == before, "a refused request recorded an event"
    if expected == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working_at_once(shared_cast: Cast) -> None:
    spare = shared_cast.caller(Role.RESIDENT, ["SRP"], "Encik Revoked")
    assert spare.get("/api/v1/tokens/me").status_code == 200

    revoked = shared_cast.admin.call("DELETE", f"/api/v1/tokens/{spare.token_id}")
    response = spare.get("/api/v1/cases")

    assert revoked.status_code == 204
    assert response.status_code == 401
    assert response.headers["Content-Type"] == PROBLEM_JSON
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "k2k_abc"])
def test_an_authorization_header_that_is_not_a_bearer_token_is_refused(
    shared_cast: Cast, header: str
) -> None:
    response = shared_cast.admin.client.get("/api/v1/cases", headers={"Authorization": header})

    assert response.status_code == 401
    assert response.headers["Content-Type"] == PROBLEM_JSON
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# -- visibility and redaction ---------------------------------------------------------------------


def _unique_title(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:8]}"


def _listed(caller: Caller, title: str) -> list[dict[str, Any]]:
    """The caller's list entries for the case(s) with this (unique) title."""
    response = caller.get("/api/v1/cases", query_string={"q": title, "limit": 100})
    assert response.status_code == 200, response.get_json()
    return list(response.get_json()["items"])


@dataclass
class Views:
    """Everything one caller can read about one case: the case, its list entry, its history."""

    case: dict[str, Any]
    listed: dict[str, Any]
    history: list[dict[str, Any]]

    def text(self) -> str:
        """All three as one JSON text, to check that something appears nowhere."""
        return json.dumps([self.case, self.listed, self.history])


def views(cast: Cast, caller: Caller, case_id: str, title: str) -> Views:
    """What ``caller`` reads about the case (after bringing the read models up to date)."""
    cast.project()
    case = caller.get(f"/api/v1/cases/{case_id}")
    history = caller.get(f"/api/v1/cases/{case_id}/history")
    assert case.status_code == history.status_code == 200
    (listed,) = _listed(caller, title)
    assert history.get_json()["complete"] is True
    return Views(case.get_json(), listed, history.get_json()["items"])


PRIVATE_VIEWERS = [
    ("reporter", True),
    ("committee", True),
    ("management", True),
    ("admin", True),
    ("auditor", True),
    ("neighbour", False),
    ("integration", False),
    ("other_ppr_resident", False),
    ("other_ppr_management", False),
]


@pytest.mark.parametrize(("viewer", "visible"), PRIVATE_VIEWERS)
def test_a_private_case_exists_only_for_its_reporter_staff_and_auditors(
    shared_cast: Cast, viewer: str, visible: bool
) -> None:
    title = _unique_title("Masalah peribadi")
    case_id = shared_cast.report(title=title, private=True)["id"]
    shared_cast.project()
    caller = as_caller(shared_cast, viewer)

    read = caller.get(f"/api/v1/cases/{case_id}")
    history = caller.get(f"/api/v1/cases/{case_id}/history")
    listed = [item["id"] for item in _listed(caller, title)]

    if visible:
        assert (read.status_code, history.status_code) == (200, 200)
        assert read.get_json()["private"] is True
        assert listed == [case_id]
    else:
        assert (read.status_code, history.status_code) == (404, 404)
        assert read.headers["Content-Type"] == PROBLEM_JSON
        assert listed == []
        # Nor can they act on it: the case does not exist for them.
        comment = caller.post(f"/api/v1/cases/{case_id}/comment", json={"text": "Hello?"})
        assert comment.status_code == 404


@pytest.mark.parametrize(
    ("viewer", "sees_reporter"),
    [
        ("reporter", True),
        ("admin", True),
        ("committee", False),
        ("management", False),
        ("neighbour", False),
        ("auditor", False),
        ("integration", False),
    ],
)
def test_an_anonymous_reporter_is_hidden_from_everyone_but_admin_and_themself(
    shared_cast: Cast, viewer: str, sees_reporter: bool
) -> None:
    title = _unique_title("Dadah di tangga")
    case_id = shared_cast.report(title=title, anonymous=True, unit=None, common_area="tangga")["id"]
    shared_cast.resident.post(f"/api/v1/cases/{case_id}/comment", json={"text": "Malam tadi lagi."})
    reporter_id = shared_cast.resident.principal_id

    seen = views(shared_cast, as_caller(shared_cast, viewer), case_id, title)

    reporter_entries = [item for item in seen.history if item["actor"]["role"] == "resident"]
    assert len(reporter_entries) == 2
    if sees_reporter:
        assert seen.case["reporter"] == {"id": reporter_id, "role": "resident"}
        assert seen.listed["reporter"] == {"id": reporter_id, "role": "resident"}
        assert {item["actor"]["id"] for item in reporter_entries} == {reporter_id}
    else:
        assert seen.case["reporter"] is None
        assert seen.listed["reporter"] is None
        assert {item["actor"]["id"] for item in reporter_entries} == {None}
        assert reporter_id not in seen.text()
    assert seen.case["anonymous"] is True
    assert seen.case["is_mine"] is (viewer == "reporter")


@pytest.fixture
def busy_case(shared_cast: Cast) -> tuple[str, str, Caller]:
    """A public case with a unit, supported and commented on by a third resident and by staff."""
    title = _unique_title("Paip bocor")
    case_id = shared_cast.report(title=title, unit="A-07-12")["id"]
    third = shared_cast.caller(Role.RESIDENT, ["SRP"], "Puan Siti")
    steps = [
        (third, "support", {}),
        (third, "comment", {"text": "Rumah saya pun bocor."}),
        (shared_cast.neighbour, "comment", {"text": "Sama di tingkat 8."}),
        (shared_cast.committee, "comment", {"text": "Kami bawa ke mesyuarat."}),
        (shared_cast.committee, "comment", {"text": "Nota dalaman.", "internal": True}),
        (shared_cast.management, "acknowledge", {}),
    ]
    for caller, name, body in steps:
        response = caller.post(f"/api/v1/cases/{case_id}/{name}", json=body)
        assert response.status_code == 200, response.get_json()
    return case_id, title, third


@pytest.mark.parametrize("viewer", ["neighbour", "integration"])
def test_other_residents_and_integrations_never_see_a_unit_or_another_residents_id(
    shared_cast: Cast, busy_case: tuple[str, str, Caller], viewer: str
) -> None:
    case_id, title, third = busy_case
    caller = as_caller(shared_cast, viewer)

    seen = views(shared_cast, caller, case_id, title)

    assert seen.case["location"]["unit"] is None
    assert seen.listed["location"]["unit"] is None
    assert seen.history[0]["details"]["unit"] is None
    assert seen.case["reporter"] is None
    assert seen.listed["reporter"] is None
    for item in seen.history:
        if item["actor"]["role"] == "resident":
            assert item["actor"]["id"] in (None, caller.principal_id), item
    supporter = next(item for item in seen.history if item["type"] == "supported")
    assert supporter["actor"] == {"id": None, "role": "resident"}
    text = seen.text()
    for hidden in ("A-07-12", shared_cast.resident.principal_id, third.principal_id):
        assert hidden not in text
    # Staff stay accountable by name.
    staff = {item["actor"]["id"] for item in seen.history if item["actor"]["role"] != "resident"}
    assert staff == {shared_cast.committee.principal_id, shared_cast.management.principal_id}


def test_a_resident_sees_themself_in_the_history_but_not_their_neighbours(
    shared_cast: Cast, busy_case: tuple[str, str, Caller]
) -> None:
    case_id, title, _ = busy_case

    seen = views(shared_cast, shared_cast.neighbour, case_id, title)

    by_text = {item["details"].get("text"): item["actor"]["id"] for item in seen.history}
    assert by_text["Sama di tingkat 8."] == shared_cast.neighbour.principal_id
    assert by_text["Rumah saya pun bocor."] is None


@pytest.mark.parametrize("viewer", ["reporter", "committee", "management", "admin"])
def test_the_reporter_and_staff_see_the_unit_and_who_reported(
    shared_cast: Cast, busy_case: tuple[str, str, Caller], viewer: str
) -> None:
    case_id, title, _ = busy_case

    seen = views(shared_cast, as_caller(shared_cast, viewer), case_id, title)

    assert seen.case["location"]["unit"] == "A-07-12"
    assert seen.listed["location"]["unit"] == "A-07-12"
    assert seen.history[0]["details"]["unit"] == "A-07-12"
    assert seen.case["reporter"] == {"id": shared_cast.resident.principal_id, "role": "resident"}


@pytest.mark.parametrize(
    ("viewer", "sees_internal"),
    [
        ("committee", True),
        ("management", True),
        ("admin", True),
        ("auditor", True),
        ("reporter", False),
        ("neighbour", False),
        ("integration", False),
    ],
)
def test_internal_notes_are_shown_to_staff_and_auditors_only(
    shared_cast: Cast, busy_case: tuple[str, str, Caller], viewer: str, sees_internal: bool
) -> None:
    case_id, title, _ = busy_case

    seen = views(shared_cast, as_caller(shared_cast, viewer), case_id, title)

    internal = [item for item in seen.history if item["internal"]]
    assert len(internal) == (1 if sees_internal else 0)
    assert ("Nota dalaman." in seen.text()) is sees_internal
    # Everyone counts the same public comments; the history skips only what they may not see.
    assert seen.listed["comment_count"] == 3
    assert [item["version"] for item in seen.history] == (
        list(range(1, 8)) if sees_internal else [1, 2, 3, 4, 5, 7]
    )


def test_auditors_see_every_person_as_a_stable_pseudonym(
    shared_cast: Cast, busy_case: tuple[str, str, Caller]
) -> None:
    case_id, title, third = busy_case
    other_title = _unique_title("Sampah dibuang dari atas")
    other_id = shared_cast.report(title=other_title, common_area="koridor", unit=None)["id"]
    shared_cast.committee.post(f"/api/v1/cases/{other_id}/comment", json={"text": "Dicatat."})

    first = views(shared_cast, shared_cast.auditor, case_id, title)
    second = views(shared_cast, shared_cast.auditor, other_id, other_title)

    reporter = first.case["reporter"]["id"]
    assert reporter.startswith("p-")
    assert second.case["reporter"]["id"] == reporter
    assert first.listed["reporter"]["id"] == reporter
    actors = {item["actor"]["role"]: set() for item in first.history + second.history}
    for item in first.history + second.history:
        actors[item["actor"]["role"]].add(item["actor"]["id"])
    assert all(actor.startswith("p-") for ids in actors.values() for actor in ids)
    # One pseudonym per person: the committee member is the same person on both cases, and
    # the three residents of the first case stay three different people.
    assert len(actors["committee"]) == 1
    residents = {
        item["actor"]["id"] for item in first.history if item["actor"]["role"] == "resident"
    }
    assert len(residents) == 3
    real_ids = [
        shared_cast.resident.principal_id,
        shared_cast.neighbour.principal_id,
        third.principal_id,
        shared_cast.committee.principal_id,
        shared_cast.management.principal_id,
    ]
    for text in (first.text(), second.text()):
        assert not any(real in text for real in real_ids)


@pytest.mark.parametrize(
    ("viewer", "sees_srp", "sees_lsb"),
    [
        ("reporter", True, False),
        ("committee", True, False),
        ("management", True, False),
        ("integration", True, False),
        ("other_ppr_resident", False, True),
        ("other_ppr_management", False, True),
        ("admin", True, True),
        ("auditor", True, True),
    ],
)
def test_the_case_list_holds_only_cases_of_the_callers_pprs(
    shared_cast: Cast, viewer: str, sees_srp: bool, sees_lsb: bool
) -> None:
    title = _unique_title("Lampu koridor padam")
    srp = shared_cast.report(title=title, unit=None, common_area="koridor")["id"]
    lsb = shared_cast.report(
        shared_cast.other_ppr_resident, ppr="LSB", title=title, unit=None, common_area="koridor"
    )["id"]
    shared_cast.project()

    listed = {item["id"] for item in _listed(as_caller(shared_cast, viewer), title)}

    assert listed == {case for case, seen in ((srp, sees_srp), (lsb, sees_lsb)) if seen}
