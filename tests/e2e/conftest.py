"""Fixtures for tests through the Flask client: an app on the test's own storage, and a cast."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from domain.actors import Role
from domain.clock import MALAYSIA
from projections.signed_note import NoteSigner
from service import create_app
from service.runtime import Runtime
from service.settings import Settings
from service.tokens.store import issue_token
from tests.conftest import POSTGRES_ADMIN_URL, require_postgres

#: A typical report: a resident's broken lift in SRP.
REPORT = {
    "ppr": "SRP",
    "category": "LIFT",
    "block": "A",
    "floor": "7",
    "unit": "A-07-12",
    "title": "Lif Blok A rosak",
    "description": "The lift stops between floors since this morning.",
}

SLA = {"acknowledge_hours": 24, "first_response_hours": 48, "resolve_hours": 168}


def _create_app(settings: Settings) -> Flask:
    return create_app(
        {"K2K_DATABASE_URL": settings.database_url, "K2K_BACKGROUND": "0", "TESTING": True}
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    """The service on this test's storage, without background threads."""
    flask_app = _create_app(settings)
    yield flask_app
    flask_app.extensions["k2k"].close()


#: The audit signing key of ``audited_app``.
AUDIT_SIGNER = NoteSigner.generate("api.test/k2k")


@pytest.fixture
def audited_app(settings: Settings, tmp_path: Path) -> Iterator[Flask]:
    """The service with an audit signing key (``AUDIT_SIGNER``)."""
    flask_app = create_app(
        {
            "K2K_DATABASE_URL": settings.database_url,
            "K2K_DATA_DIR": str(tmp_path),
            "K2K_BACKGROUND": "0",
            "K2K_AUDIT_KEY": AUDIT_SIGNER.private_key,
            "TESTING": True,
        }
    )
    yield flask_app
    flask_app.extensions["k2k"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@dataclass
class Caller:
    """A token holder who calls the API."""

    client: FlaskClient
    token: str | None
    principal_id: str
    role: Role | None
    token_id: str = ""

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Authorization (unless this caller has no token) plus ``extra``."""
        auth = {} if self.token is None else {"Authorization": f"Bearer {self.token}"}
        return {**auth, **(extra or {})}

    def call(self, method: str, path: str, json: Any = None, **kwargs: Any) -> Any:
        """Any method as this caller; ``json`` is sent as the body unless it is None."""
        headers = self.headers(kwargs.pop("headers", None))
        if json is not None:
            kwargs["json"] = json
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET as this caller."""
        return self.client.get(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        """POST JSON as this caller."""
        headers = self.headers(kwargs.pop("headers", None))
        return self.client.post(
            path, json=json if json is not None else {}, headers=headers, **kwargs
        )


@dataclass
class Cast:
    """Everyone who takes part in the tests, with a PPR (SRP) and a second PPR (LSB)."""

    runtime: Runtime
    admin: Caller
    auditor: Caller
    integration: Caller
    committee: Caller
    management: Caller
    resident: Caller
    neighbour: Caller
    other_ppr_management: Caller
    other_ppr_resident: Caller

    def project(self) -> None:
        """Bring the read models up to date (the background thread does this when serving)."""
        self.runtime.runner.catch_up()

    def log_head(self) -> int:
        """The id of the newest event in the global log: unchanged means nothing was recorded."""
        return self.runtime.runner.head()

    def caller(self, role: Role, pprs: list[str], name: str) -> Caller:
        """One more token holder (for example a third resident)."""
        return _caller(self.admin.client, self.runtime, role, pprs, name)

    def without_token(self) -> Caller:
        """Someone calling without an Authorization header."""
        return Caller(self.admin.client, None, "", None)

    def with_bad_token(self) -> Caller:
        """Someone calling with a token this service never issued."""
        return Caller(self.admin.client, "k2k_this-token-was-never-issued", "", None)

    def report(self, caller: Caller | None = None, **overrides: Any) -> dict[str, Any]:
        """Report a case in SRP and return its JSON."""
        body = {**REPORT, **overrides}
        response = (caller or self.resident).post("/api/v1/cases", json=body)
        assert response.status_code == 201, response.json
        return dict(response.json)


def _caller(
    client: FlaskClient, runtime: Runtime, role: Role, pprs: list[str], name: str
) -> Caller:
    token, principal = issue_token(
        runtime.engine, runtime.app, role=role, name=name, ppr_codes=pprs
    )
    return Caller(client, token, principal.principal_id, role, principal.token_id)


@pytest.fixture
def cast(app: Flask, client: FlaskClient) -> Cast:
    """Two PPRs (SRP with blocks A and B and categories LIFT and WATER; LSB) and one caller per role."""
    return build_cast(app, client)


def build_cast(app: Flask, client: FlaskClient) -> Cast:
    """The PPRs and callers of ``cast`` on ``app``."""
    runtime: Runtime = app.extensions["k2k"]
    admin = _caller(client, runtime, Role.ADMIN, ["*"], "Admin")
    for code, name in (("SRP", "PPR Seri Pantai"), ("LSB", "PPR Lembah Subang")):
        assert admin.post("/api/v1/pprs", json={"code": code, "name": name}).status_code == 201
        for block in ("A", "B"):
            response = admin.post(
                f"/api/v1/pprs/{code}/blocks",
                json={"code": block, "name": f"Blok {block}", "floors": 17},
            )
            assert response.status_code == 201
        for category, ms, en in (("LIFT", "Lif", "Lift"), ("WATER", "Bekalan air", "Water supply")):
            response = admin.post(
                f"/api/v1/pprs/{code}/categories",
                json={"code": category, "name_ms": ms, "name_en": en, "sla": SLA},
            )
            assert response.status_code == 201
    return Cast(
        runtime=runtime,
        admin=admin,
        auditor=_caller(client, runtime, Role.AUDITOR, ["*"], "Auditor"),
        integration=_caller(client, runtime, Role.INTEGRATION, ["SRP"], "City 311"),
        committee=_caller(client, runtime, Role.COMMITTEE, ["SRP"], "Setiausaha"),
        management=_caller(client, runtime, Role.MANAGEMENT, ["SRP"], "Pegawai DBKL"),
        resident=_caller(client, runtime, Role.RESIDENT, ["SRP"], "Puan Aminah"),
        neighbour=_caller(client, runtime, Role.RESIDENT, ["SRP"], "Encik Lim"),
        other_ppr_management=_caller(client, runtime, Role.MANAGEMENT, ["LSB"], "Pegawai LSB"),
        other_ppr_resident=_caller(client, runtime, Role.RESIDENT, ["LSB"], "Cik Devi"),
    )


# -- one world per test module and backend, for tests that only add fresh cases ---------------


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """Storage shared by the tests of one module on one backend (each module gets its own)."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("k2k") / "k2k.sqlite"
        yield Settings(database_url=f"sqlite:///{path}", background=False)
        return
    require_postgres()
    import psycopg

    name = f"k2k_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
        yield Settings(database_url=f"{base}/{name}", background=False)
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def shared_app(shared_settings: Settings) -> Iterator[Flask]:
    """The service on the module's shared storage."""
    flask_app = _create_app(shared_settings)
    yield flask_app
    flask_app.extensions["k2k"].close()


@pytest.fixture(scope="module")
def shared_cast(shared_app: Flask) -> Cast:
    """Like ``cast``, but set up once per module and backend: tests must not rely on an empty
    world (report fresh cases, and compare before and after rather than absolute counts)."""
    return build_cast(shared_app, shared_app.test_client())


# -- governance: small steps shared by the governance and authorisation tests -----------------


def malaysian_date(days_from_today: int = 0) -> str:
    """A Malaysian calendar day (ISO), counted from today (decisions' due dates are such days)."""
    return (datetime.now(tz=MALAYSIA).date() + timedelta(days=days_from_today)).isoformat()


def succeed(caller: Caller, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """A POST that must succeed (200 or 201); returns the body."""
    response = caller.post(path, json=body or {})
    assert response.status_code in (200, 201), (path, response.get_json())
    return dict(response.get_json())


def establish_committee(
    keeper: Caller,
    ppr: str,
    members: list[dict[str, Any]],
    quorum_minimum: int | None = None,
) -> dict[str, Any]:
    """Establish ``ppr``'s committee for a two-year term and seat ``members``; returns it."""
    today = datetime.now(tz=MALAYSIA).date()
    body = {
        "ppr": ppr,
        "term_start": today.isoformat(),
        "term_end": (today + timedelta(days=730)).isoformat(),
        "quorum_minimum": quorum_minimum,
    }
    committee = succeed(keeper, "/api/v1/committees", body)
    for member in members:
        committee = succeed(keeper, f"/api/v1/committees/{ppr}/members", member)
    return committee


def schedule_meeting(
    keeper: Caller, ppr: str, case_ids: list[str] | None = None, title: str = "Lif Blok A"
) -> dict[str, Any]:
    """Schedule a meeting next week with one agenda item (about ``case_ids``); returns it."""
    body = {
        "ppr": ppr,
        "scheduled_for": (datetime.now(tz=UTC) + timedelta(days=7)).isoformat(),
        "place": "Dewan serbaguna",
        "agenda": [{"title": title, "case_ids": case_ids or []}],
    }
    return succeed(keeper, "/api/v1/meetings", body)


def held_meeting_with_motion(
    keeper: Caller,
    ppr: str,
    members_present: list[str],
    case_ids: list[str] | None = None,
    votes: tuple[int, int, int] | None = None,
) -> dict[str, Any]:
    """A meeting scheduled, held with ``members_present`` and with one motion on item 1.

    The motion is by consensus, or a vote of ``votes`` (for, against, abstentions).
    """
    meeting = schedule_meeting(keeper, ppr, case_ids)
    path = f"/api/v1/meetings/{meeting['id']}"
    succeed(keeper, f"{path}/hold", {"members_present": members_present})
    motion: dict[str, Any] = {"item_number": 1, "text": "Desak pengurusan membaiki lif."}
    if votes is None:
        motion["method"] = "consensus"
    else:
        motion.update(
            method="vote", votes_for=votes[0], votes_against=votes[1], abstentions=votes[2]
        )
    return succeed(keeper, f"{path}/motions", motion)


def make_decision(
    keeper: Caller, meeting_id: str, case_ids: list[str] | None = None
) -> dict[str, Any]:
    """A decision on motion 1 of a held, quorate meeting: management to act within 30 days."""
    body = {
        "meeting_id": meeting_id,
        "motion_number": 1,
        "text": "Pengurusan membaiki lif Blok A dalam 30 hari.",
        "case_ids": case_ids or [],
        "action_by": "management",
        "due_date": malaysian_date(30),
    }
    return succeed(keeper, "/api/v1/decisions", body)


# -- surveys: a survey to answer, shared by the survey and authorisation tests ----------------


def survey_body(pprs: list[str], **overrides: Any) -> dict[str, Any]:
    """A survey of ``pprs`` for residents and management, copying the residents' starter."""
    body: dict[str, Any] = {
        "title": "Tinjauan persepsi",
        "pprs": pprs,
        "audiences": ["residents", "management"],
        "wave": "2026-H1",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "starter": "residents",
    }
    return {**body, **overrides}


def draft_survey(admin: Caller, pprs: list[str], **overrides: Any) -> dict[str, Any]:
    """A drafted survey (see ``survey_body``); returns it."""
    return succeed(admin, "/api/v1/surveys", survey_body(pprs, **overrides))


def open_survey(admin: Caller, pprs: list[str], **overrides: Any) -> dict[str, Any]:
    """A drafted and opened survey (see ``survey_body``); returns it."""
    survey = draft_survey(admin, pprs, **overrides)
    return succeed(admin, f"/api/v1/surveys/{survey['id']}/open")
