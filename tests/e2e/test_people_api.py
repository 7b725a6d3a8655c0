"""People over the API: one's own contact points and preferences, and everyone's for admins."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete

from domain.actors import Role
from tests.e2e.conftest import Caller, Cast
from workers.people import get_person
from workers.tables import people

ME = "/api/v1/people/me"


def _patch(caller: Caller, path: str, body: dict[str, Any]) -> Any:
    return caller.call("PATCH", path, json=body)


def _put(caller: Caller, principal_id: str, **body: Any) -> Any:
    registration = {"name": "Encik Rahman", "role": "committee", "pprs": ["SRP"], **body}
    return caller.call("PUT", f"/api/v1/people/{principal_id}", json=registration)


def test_a_resident_sets_their_phone_and_language_and_reads_them_back(cast: Cast) -> None:
    changed = _patch(cast.resident, ME, {"phone": "012-345 6789", "language": "en"})
    again = cast.resident.get(ME)

    assert changed.status_code == 200
    assert changed.json["phone"] == "+60123456789"
    assert again.json["principal_id"] == cast.resident.principal_id
    assert again.json["name"] == "Puan Aminah"
    assert again.json["pprs"] == ["SRP"]
    assert again.json["phone"] == "+60123456789"
    assert again.json["language"] == "en"
    assert again.json["email"] is None


def test_a_new_entry_has_the_default_preferences(cast: Cast) -> None:
    me = cast.committee.get(ME).json

    assert me["role"] == "committee"
    assert me["language"] == "ms"
    assert me["digest"] is False
    assert me["channels"] == ["email", "sms"]
    assert me["muted_kinds"] == []


def test_a_person_chooses_their_channels_digest_and_muted_kinds(cast: Cast) -> None:
    body = {
        "email": "Aminah@Example.MY",
        "digest": True,
        "channels": ["sms", "email", "sms"],
        "muted_kinds": ["case.commented", "case.reported"],
    }

    response = _patch(cast.management, ME, body)

    assert response.status_code == 200
    assert response.json["email"] == "Aminah@example.my"
    assert response.json["digest"] is True
    assert response.json["channels"] == ["email", "sms"]
    assert response.json["muted_kinds"] == ["case.reported", "case.commented"]
    assert _patch(cast.management, ME, {"channels": []}).json["channels"] == []


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("+60 12-345 6789", "+60123456789"),
        ("03-2345 6789", "+60323456789"),
        ("60123456789", "+60123456789"),
        ("0065 6123 4567", "+6561234567"),
    ],
)
def test_a_phone_number_is_stored_in_international_form(
    cast: Cast, phone: str, stored: str
) -> None:
    assert _patch(cast.resident, ME, {"phone": phone}).json["phone"] == stored


def test_null_erases_an_email_or_a_phone_and_leaves_the_rest(cast: Cast) -> None:
    _patch(cast.resident, ME, {"email": "aminah@example.my", "phone": "0123456789"})

    response = _patch(cast.resident, ME, {"phone": None})

    assert response.json["phone"] is None
    assert response.json["email"] == "aminah@example.my"
    assert _patch(cast.resident, ME, {"email": None}).json["email"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "aminah@example"}, "email"),
        ({"email": "ami nah@example.my"}, "email"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "+60 12 345 6789 0123 45"}, "phone"),
        ({"phone": "012-ABC-6789"}, "phone"),
        ({"language": "zh"}, "language"),
        ({"channels": ["outbox"]}, "channels"),
        ({"channels": "email"}, "channels"),
        ({"muted_kinds": ["case.nope"]}, "muted_kinds"),
        ({"digest": "perhaps"}, "digest"),
        ({"role": "committee"}, "role"),
    ],
)
def test_an_invalid_value_is_refused_naming_the_field(
    cast: Cast, body: dict[str, Any], field: str
) -> None:
    before = cast.resident.get(ME).json

    response = _patch(cast.resident, ME, body)

    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in response.json["errors"]
    assert cast.resident.get(ME).json == before


def test_an_integration_reads_its_entry_but_has_no_contact_points_to_set(cast: Cast) -> None:
    entry = cast.integration.get(ME)
    refused = _patch(cast.integration, ME, {"email": "ops@city.example.my"})
    by_admin = _patch(
        cast.admin, f"/api/v1/people/{cast.integration.principal_id}", {"phone": "0123456789"}
    )

    assert entry.status_code == 200
    assert entry.json["role"] == "integration"
    assert refused.status_code == 403
    assert by_admin.status_code == 422
    assert "phone" in by_admin.json["errors"]


def test_a_token_issue_creates_a_person_with_its_pprs(cast: Cast) -> None:
    issued = cast.admin.post(
        "/api/v1/tokens",
        json={"role": "management", "name": "Pegawai MBPJ", "pprs": ["srp", "LSB"]},
    )
    auditor = get_person(cast.runtime.engine, cast.auditor.principal_id)

    person = cast.admin.get(f"/api/v1/people/{issued.json['principal_id']}")

    assert person.status_code == 200
    assert person.json["name"] == "Pegawai MBPJ"
    assert person.json["role"] == "management"
    assert person.json["pprs"] == ["SRP", "LSB"]
    assert auditor is not None
    assert auditor.ppr_codes == ()  # "*" is a scope, not a PPR to be notified about


def test_a_second_token_adds_its_pprs_and_keeps_the_preferences(cast: Cast) -> None:
    _patch(cast.committee, ME, {"language": "en"})

    second = cast.admin.post(
        "/api/v1/tokens",
        json={
            "role": "committee",
            "name": "Another name",
            "pprs": ["LSB"],
            "principal_id": cast.committee.principal_id,
        },
    )
    me = cast.committee.get(ME).json

    assert second.status_code == 201
    assert me["pprs"] == ["SRP", "LSB"]
    assert me["name"] == "Setiausaha"
    assert me["language"] == "en"


def test_an_entry_missing_for_an_old_token_is_made_from_the_token(cast: Cast) -> None:
    with cast.runtime.engine.begin() as conn:
        conn.execute(delete(people).where(people.c.principal_id == cast.neighbour.principal_id))

    me = cast.neighbour.get(ME)

    assert me.status_code == 200
    assert me.json["name"] == "Encik Lim"
    assert me.json["pprs"] == ["SRP"]
    assert get_person(cast.runtime.engine, cast.neighbour.principal_id) is not None


def test_an_admin_lists_people_by_ppr_and_role_a_page_at_a_time(cast: Cast) -> None:
    for name in ("Penduduk 1", "Penduduk 2", "Penduduk 3"):
        cast.caller(Role.RESIDENT, ["LSB"], name)
    wanted = {
        person["principal_id"]
        for person in cast.admin.get("/api/v1/people?ppr=lsb&role=resident&limit=100").json["items"]
    }

    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        page = cast.admin.get(f"/api/v1/people?ppr=LSB&role=resident&limit=2{cursor}").json
        seen.extend(person["principal_id"] for person in page["items"])
        if page["next_cursor"] is None:
            break
        assert len(page["items"]) == 2
        cursor = f"&cursor={page['next_cursor']}"

    assert len(wanted) == 4  # Cik Devi and the three new residents
    assert seen == sorted(wanted)
    everyone = cast.admin.get("/api/v1/people?limit=100").json["items"]
    assert {person["role"] for person in everyone} >= {"admin", "auditor", "integration"}
    management = cast.admin.get("/api/v1/people?role=management&ppr=SRP").json["items"]
    assert [person["name"] for person in management] == ["Pegawai DBKL"]


def test_a_tampered_cursor_is_a_bad_request(cast: Cast) -> None:
    response = cast.admin.get("/api/v1/people?cursor=not-a-cursor")

    assert response.status_code == 400
    assert "cursor" in response.json["errors"]


def test_an_admin_registers_someone_who_has_no_token(cast: Cast) -> None:
    created = _put(cast.admin, "ajk-rahman", phone="019-876 5432", language="ms")
    replaced = _put(cast.admin, "ajk-rahman", name="Encik Rahman bin Ali", pprs=["SRP", "LSB"])
    listed = cast.admin.get("/api/v1/people?ppr=LSB&role=committee").json["items"]

    assert created.status_code == 201
    assert created.headers["Location"] == "/api/v1/people/ajk-rahman"
    assert created.json["phone"] == "+60198765432"
    assert replaced.status_code == 200
    assert replaced.json["name"] == "Encik Rahman bin Ali"
    assert replaced.json["pprs"] == ["SRP", "LSB"]
    assert replaced.json["phone"] == "+60198765432"
    assert [person["principal_id"] for person in listed] == ["ajk-rahman"]


def test_a_registration_names_existing_pprs_and_keeps_a_persons_role(cast: Cast) -> None:
    unknown_ppr = _put(cast.admin, "ajk-rahman", pprs=["SRP", "NOPE"])
    every_ppr = _put(cast.admin, "ajk-rahman", pprs=["*"])
    other_role = _put(cast.admin, cast.resident.principal_id, role="committee")
    reserved = _put(cast.admin, "system")
    admin_role = _put(cast.admin, "ajk-rahman", role="admin")

    assert unknown_ppr.status_code == 422
    assert "no PPR with code 'NOPE'" in unknown_ppr.json["errors"]["pprs"][0]
    assert every_ppr.status_code == 422
    assert other_role.status_code == 422
    assert "role" in other_role.json["errors"]
    assert reserved.status_code == 422
    assert admin_role.status_code == 422
    assert get_person(cast.runtime.engine, "ajk-rahman") is None


def test_a_token_for_a_registered_person_must_keep_their_role(cast: Cast) -> None:
    _put(cast.admin, "ajk-rahman", email="rahman@example.my")
    body = {"name": "Encik Rahman", "pprs": ["SRP"], "principal_id": "ajk-rahman"}

    impostor = cast.admin.post("/api/v1/tokens", json={**body, "role": "resident"})
    issued = cast.admin.post("/api/v1/tokens", json={**body, "role": "committee"})
    me = cast.admin.client.get(ME, headers={"Authorization": f"Bearer {issued.json['token']}"})

    assert impostor.status_code == 422
    assert "acts as committee" in impostor.json["errors"]["principal_id"][0]
    assert issued.status_code == 201
    assert me.json["email"] == "rahman@example.my"


def test_an_admin_corrects_someones_contact_points(cast: Cast) -> None:
    path = f"/api/v1/people/{cast.resident.principal_id}"

    response = _patch(cast.admin, path, {"email": "aminah@example.my", "digest": True})

    assert response.status_code == 200
    assert cast.resident.get(ME).json["email"] == "aminah@example.my"
    assert cast.admin.get(path).json["digest"] is True


def test_an_unknown_person_is_not_found(cast: Cast) -> None:
    assert cast.admin.get("/api/v1/people/nobody").status_code == 404
    assert _patch(cast.admin, "/api/v1/people/nobody", {"language": "en"}).status_code == 404


@pytest.mark.parametrize("role", ["neighbour", "committee", "management", "auditor", "integration"])
def test_nobody_but_the_person_and_admins_reads_their_contact_points(cast: Cast, role: str) -> None:
    _patch(cast.resident, ME, {"phone": "0123456789"})
    caller: Caller = getattr(cast, role)
    path = f"/api/v1/people/{cast.resident.principal_id}"

    assert caller.get(path).status_code == 403
    assert caller.get("/api/v1/people").status_code == 403
    assert _patch(caller, path, {"phone": None}).status_code == 403
    assert _put(caller, "ajk-rahman").status_code == 403
    assert cast.resident.get(ME).json["phone"] == "+60123456789"


def test_people_endpoints_need_a_token(cast: Cast) -> None:
    nobody = cast.without_token()

    assert nobody.get(ME).status_code == 401
    assert nobody.get("/api/v1/people").status_code == 401
