"""Issuing tokens over the API: scopes that make sense, secrets that are never kept."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from service.tables import idempotency_keys
from tests.e2e.conftest import Cast


def _issue(cast: Cast, **body: Any) -> Any:
    return cast.admin.post("/api/v1/tokens", json={"name": "Someone", **body})


def test_an_admin_issues_a_token_that_works_at_once_and_is_not_cached(cast: Cast) -> None:
    response = _issue(cast, role="resident", pprs=["srp"])

    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json["pprs"] == ["SRP"]
    me = cast.admin.client.get(
        "/api/v1/tokens/me", headers={"Authorization": f"Bearer {response.json['token']}"}
    )
    assert me.json["role"] == "resident"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"role": "resident", "pprs": ["*"]}, "* is not allowed"),
        ({"role": "management", "pprs": ["NOPE"]}, "no PPR with code 'NOPE'"),
        ({"role": "auditor", "pprs": ["SRP"]}, "cover every PPR"),
        ({"role": "admin", "pprs": ["SRP", "*"]}, "cover every PPR"),
    ],
)
def test_a_scope_that_makes_no_sense_is_refused(
    cast: Cast, body: dict[str, Any], reason: str
) -> None:
    response = _issue(cast, **body)

    assert response.status_code == 422
    assert reason in response.json["errors"]["pprs"][0]


def test_a_person_keeps_one_role_across_tokens(cast: Cast) -> None:
    second_device = _issue(
        cast, role="resident", pprs=["SRP"], principal_id=cast.resident.principal_id
    )
    impostor = _issue(cast, role="committee", pprs=["SRP"], principal_id=cast.resident.principal_id)
    system = _issue(cast, role="resident", pprs=["SRP"], principal_id="system")

    assert second_device.status_code == 201
    assert impostor.status_code == 422
    assert "acts as resident" in impostor.json["errors"]["principal_id"][0]
    assert system.status_code == 422


def test_a_repeated_token_request_is_not_answered_twice_and_the_secret_is_not_kept(
    cast: Cast,
) -> None:
    headers = {"Idempotency-Key": "new-officer-1"}
    body = {"role": "management", "pprs": ["SRP"], "name": "Pegawai baru"}

    first = cast.admin.post("/api/v1/tokens", json=body, headers=headers)
    again = cast.admin.post("/api/v1/tokens", json=body, headers=headers)

    assert first.status_code == 201
    assert again.status_code == 409
    assert again.headers["Content-Type"] == "application/problem+json"
    with cast.runtime.engine.connect() as conn:
        stored = conn.execute(select(idempotency_keys.c.body)).scalars().all()
    assert all(first.json["token"].encode() not in (body or b"") for body in stored)
