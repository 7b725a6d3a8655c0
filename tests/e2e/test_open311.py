"""Open311 GeoReport v2: every endpoint in both formats with the spec's fields, its error lists,
filters and limits, requests filed as ordinary cases, and a published client used unchanged."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from flask import Flask
from flask.testing import FlaskClient
from georeport import GeoReport
from werkzeug.serving import make_server

from domain import clock
from tests.e2e.conftest import REPORT, SLA, Cast

BASE = "/open311/v2"
#: The spec's fields of a service request, in its order.
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]


def xml(response: Any) -> ElementTree.Element:
    text = response.get_data(as_text=True)
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    assert response.content_type.startswith("text/xml")
    return ElementTree.fromstring(text.split("\n", 1)[1])


def file_request(client: FlaskClient, key: str | None, fmt: str = "json", **fields: str) -> Any:
    form = {
        "service_code": "SRP.WATER",
        "address_id": "B",
        "attribute[common_area]": "Tangga utama",
        "description": "Paip bocor di tangga utama blok B sejak semalam.",
        **fields,
    }
    if key is not None:
        form["api_key"] = key
    return client.post(f"{BASE}/requests.{fmt}", data=form)


@pytest.fixture
def public(app: Flask, cast: Cast) -> FlaskClient:
    """A client without a token, on the cast's PPRs (the directory projected)."""
    cast.project()
    return app.test_client()


def test_discovery_names_this_endpoint_and_both_formats(cast: Cast, public: FlaskClient) -> None:
    body = public.get(f"{BASE}/discovery.json").json
    [endpoint] = body["endpoints"]
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["formats"] == ["application/json", "text/xml"]
    root = xml(public.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.iter("format")] == ["application/json", "text/xml"]


def test_services_are_one_per_ppr_category_with_the_specs_fields(
    cast: Cast, public: FlaskClient
) -> None:
    services = public.get(f"{BASE}/services.json").json
    assert isinstance(services, list)
    assert [s["service_code"] for s in services] == [
        "LSB.LIFT",
        "LSB.WATER",
        "SRP.LIFT",
        "SRP.WATER",
    ]
    assert all(list(s) == SERVICE_FIELDS for s in services)
    assert services[2]["group"] == "PPR Seri Pantai" and services[2]["metadata"] is True
    only = public.get(f"{BASE}/services.json?jurisdiction_id=srp").json
    assert [s["service_code"] for s in only] == ["SRP.LIFT", "SRP.WATER"]

    root = xml(public.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")][2] == "SRP.LIFT"
    assert root.find("service/metadata").text == "true"  # type: ignore[union-attr]


def test_a_service_definition_asks_for_block_floor_and_unit_or_common_area(
    cast: Cast, public: FlaskClient
) -> None:
    definition = public.get(f"{BASE}/services/SRP.LIFT.json").json
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert list(attributes) == ["block", "floor", "unit", "common_area"]
    assert attributes["block"]["datatype"] == "singlevaluelist"
    assert attributes["block"]["required"] is True
    assert [v["key"] for v in attributes["block"]["values"]] == ["A", "B"]
    assert [a["order"] for a in attributes.values()] == [1, 2, 3, 4]
    assert {a["datatype"] for a in list(attributes.values())[1:]} == {"string"}

    root = xml(public.get(f"{BASE}/services/SRP.LIFT.xml"))
    assert root.tag == "service_definition"
    assert [k.text for k in root.iter("key")] == ["A", "B"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_things_get_the_specs_404_error_list(
    cast: Cast, public: FlaskClient, fmt: str
) -> None:
    for path in ("services/SRP.NOPE", "requests/00000000-0000-0000-0000-000000000000", "tokens/x"):
        response = public.get(f"{BASE}/{path}.{fmt}")
        assert response.status_code == 404
        if fmt == "json":
            [error] = response.json
            assert error["code"] == 404 and error["description"]
        else:
            root = xml(response)
            assert root.tag == "errors"
            assert root.findtext("error/code") == "404"


def test_requests_are_a_bare_array_of_the_specs_fields_without_personal_data(
    cast: Cast, public: FlaskClient
) -> None:
    case = cast.report()
    cast.report(private=True, title="Masalah peribadi")
    cast.project()

    requests = public.get(f"{BASE}/requests.json").json

    assert [r["service_request_id"] for r in requests] == [case["id"]]
    [request] = requests
    assert list(request) == REQUEST_FIELDS
    assert request["status"] == "open" and request["service_code"] == "SRP.LIFT"
    assert request["description"] == REPORT["title"]
    assert request["address"] == "Block A, floor 7, a unit"
    assert request["agency_responsible"] == "PPR management"
    assert request["requested_datetime"].endswith("+00:00")
    assert request["expected_datetime"] is not None, "the resolve target's due time"
    text = str(requests)
    for personal in (REPORT["unit"], REPORT["description"], cast.resident.principal_id):
        assert personal not in text

    root = xml(public.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests"
    assert [child.tag for child in root.find("request")] == REQUEST_FIELDS  # type: ignore[union-attr]


def test_every_ending_is_closed_with_notes_saying_which(cast: Cast, public: FlaskClient) -> None:
    withdrawn = cast.report()
    cast.resident.post(f"/api/v1/cases/{withdrawn['id']}/withdraw", json={"reason": "Sudah ok"})
    working = cast.report()
    cast.management.post(f"/api/v1/cases/{working['id']}/acknowledge")
    cast.project()

    by_id = {r["service_request_id"]: r for r in public.get(f"{BASE}/requests.json").json}

    assert by_id[withdrawn["id"]]["status"] == "closed"
    assert "withdrawn" in by_id[withdrawn["id"]]["status_notes"]
    assert by_id[withdrawn["id"]]["expected_datetime"] is None
    assert by_id[working["id"]]["status"] == "open"
    assert "acknowledged" in by_id[working["id"]]["status_notes"]
    closed = public.get(f"{BASE}/requests.json?status=closed").json
    assert [r["service_request_id"] for r in closed] == [withdrawn["id"]]
    both = public.get(f"{BASE}/requests.json?status=open,closed").json
    assert len(both) == 2


def test_filters_ids_override_the_rest_and_dates_default_to_90_days(
    cast: Cast, public: FlaskClient
) -> None:
    lift = cast.report()
    water = cast.report(category="WATER")
    old = cast.report(
        caller=cast.committee,
        occurred_at=(clock.now() - timedelta(days=120)).isoformat(),
    )
    cast.project()

    def ids(query: str) -> list[str]:
        return [r["service_request_id"] for r in public.get(f"{BASE}/requests.json?{query}").json]

    assert set(ids("")) == {lift["id"], water["id"]}, "older than 90 days: not by default"
    assert ids("service_code=SRP.WATER") == [water["id"]]
    assert set(ids("service_code=SRP.WATER,SRP.LIFT")) == {lift["id"], water["id"]}
    assert ids(f"service_request_id={old['id']}&service_code=SRP.WATER") == [old["id"]]
    since = (clock.now() - timedelta(days=130)).isoformat().replace("+00:00", "Z")
    until = quote((clock.now() - timedelta(days=100)).isoformat())  # "+08:00": + must be %2B
    assert ids(f"start_date={since}&end_date={until}") == [old["id"]]
    assert ids("jurisdiction_id=LSB") == []
    assert set(ids("jurisdiction_id=srp")) == {lift["id"], water["id"]}
    assert len(ids("page_size=1")) == 1
    assert ids("page_size=1&page=2") != ids("page_size=1&page=1")


@pytest.mark.parametrize(
    "query",
    [
        "status=pending",
        "start_date=yesterday",
        "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
        "start_date=2026-06-01T00:00:00Z&end_date=2026-05-01T00:00:00Z",
        "page_size=1001",
        "page=0",
    ],
)
def test_bad_filters_get_a_400_error_list(cast: Cast, public: FlaskClient, query: str) -> None:
    response = public.get(f"{BASE}/requests.json?{query}")
    assert response.status_code == 400
    [error] = response.json
    assert error["code"] == 400 and error["description"]


def test_one_request_is_a_one_element_array_and_extensions_add_its_history(
    cast: Cast, public: FlaskClient
) -> None:
    case = cast.report()
    cast.management.post(f"/api/v1/cases/{case['id']}/acknowledge")
    cast.management.post(
        f"/api/v1/cases/{case['id']}/comment", json={"text": "Nota dalaman", "internal": True}
    )
    cast.project()

    plain = public.get(f"{BASE}/requests/{case['id']}.json").json
    extended = public.get(f"{BASE}/requests/{case['id']}.json?extensions=true").json

    assert len(plain) == 1 and "extended_attributes" not in plain[0]
    attributes = extended[0]["extended_attributes"]
    assert attributes["detailed_status"] == "acknowledged"
    assert [note["description"] for note in attributes["notes"]] == [
        "Reported.",
        "Acknowledged by management.",
    ], "internal notes are not public updates"
    root = xml(public.get(f"{BASE}/requests/{case['id']}.xml?extensions=true"))
    assert len(root.findall("request/extended_attributes/notes/note")) == 2


def test_service_request_updates_list_public_updates_newest_first(
    cast: Cast, public: FlaskClient
) -> None:
    case = cast.report()
    cast.management.post(f"/api/v1/cases/{case['id']}/acknowledge")
    cast.project()

    updates = public.get(f"{BASE}/servicerequestupdates.json").json

    # The report itself is not an update: a client that filed it would post it back as one.
    assert [u["description"] for u in updates] == ["Acknowledged by management."]
    assert list(updates[0]) == [
        "update_id",
        "service_request_id",
        "status",
        "updated_datetime",
        "description",
        "media_url",
    ]
    root = xml(public.get(f"{BASE}/servicerequestupdates.xml"))
    assert root.tag == "service_request_updates"
    assert len(root.findall("request_update")) == 1
    assert public.get(f"{BASE}/servicerequestupdates.json?jurisdiction_id=LSB").json == []


def test_a_request_filed_with_an_integration_key_is_an_ordinary_case(
    cast: Cast, public: FlaskClient
) -> None:
    response = file_request(public, cast.integration.token)

    assert response.status_code == 201
    [created] = response.json
    case_id = created["service_request_id"]
    assert created["token"] == case_id
    case = cast.admin.get(f"/api/v1/cases/{case_id}").json
    assert case["channel"] == "open311"
    assert case["location"]["block"] == "B" and case["location"]["common_area"] == "Tangga utama"
    assert case["title"] == "Paip bocor di tangga utama blok B sejak semalam."
    cast.project()
    history = cast.admin.get(f"/api/v1/cases/{case_id}/history").json
    assert [event["type"] for event in history["items"]] == ["reported"]
    assert public.get(f"{BASE}/tokens/{case_id}.json").json == [
        {"service_request_id": case_id, "token": case_id}
    ]
    token = xml(public.get(f"{BASE}/tokens/{case_id}.xml"))
    assert token.findtext("request/token") == case_id
    root = xml(file_request(public, cast.integration.token, fmt="xml"))
    assert root.findtext("request/service_request_id")


def test_the_same_idempotency_key_files_one_case(cast: Cast, public: FlaskClient) -> None:
    head = cast.log_head()
    form = {
        "api_key": cast.integration.token,
        "service_code": "SRP.LIFT",
        "attribute[block]": "A",
        "attribute[unit]": "A-03-02",
        "address_string": "Blok A",
        "description": "Lif berbunyi kuat.",
    }
    first = public.post(f"{BASE}/requests.json", data=form, headers={"Idempotency-Key": "k-1"})
    again = public.post(f"{BASE}/requests.json", data=form, headers={"Idempotency-Key": "k-1"})

    assert first.status_code == again.status_code == 201
    assert first.json == again.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert cast.log_head() == head + 1


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"service_code": ""}, "service_code"),
        ({"service_code": "SRP.NOPE"}, "service_code"),
        ({"address_id": "", "attribute[block]": "A"}, "location"),
        ({"address_id": "Z"}, "block"),
        ({"description": ""}, "description"),
        ({"description": "x" * 4001}, "description"),
        ({"address_id": "", "attribute[block]": "A", "lat": "3.1", "long": "400"}, "lat"),
        ({"attribute[unit]": "A-01-01"}, "unit"),
    ],
)
def test_a_bad_request_gets_a_400_naming_what_and_records_nothing(
    cast: Cast, public: FlaskClient, fields: dict[str, str], words: str
) -> None:
    head = cast.log_head()
    response = file_request(public, cast.integration.token, **fields)
    assert response.status_code == 400, response.json
    [error] = response.json
    assert words in error["description"]
    assert cast.log_head() == head


def test_only_a_valid_integration_key_for_the_ppr_may_file(cast: Cast, public: FlaskClient) -> None:
    head = cast.log_head()
    lsb = cast.caller(cast.integration.role, ["LSB"], "LSB 311")  # type: ignore[arg-type]
    for key in (None, "k2k_never-issued", cast.resident.token, lsb.token):
        response = file_request(public, key)
        assert response.status_code == 403
        assert response.json[0]["code"] == 403
    assert cast.log_head() == head


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    """The app on a real socket, for a client that speaks HTTP."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/open311/v2"
    finally:
        server.shutdown()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_published_georeport_client_works_unchanged(cast: Cast, served: str, fmt: str) -> None:
    case = cast.report()
    cast.project()
    client = GeoReport(served, output_format=fmt)

    services = client.get_service_list()
    definition = client.get_service_definition("SRP.LIFT")
    requests = client.get_service_requests(service_code="SRP.LIFT", status="open")
    one = client.get_service_request(case["id"])

    assert [service["service_code"] for service in services][2] == "SRP.LIFT"
    assert definition["service_code"] == "SRP.LIFT"
    listed = requests if isinstance(requests, list) else [requests]  # xmltodict: one is a dict
    assert [request["service_request_id"] for request in listed] == [case["id"]]
    assert one["service_request_id"] == case["id"]
    assert one["status"] == "open"


def test_a_ppr_code_with_a_hyphen_makes_a_service_code_that_resolves(
    cast: Cast, public: FlaskClient
) -> None:
    admin = cast.admin
    assert (
        admin.post("/api/v1/pprs", json={"code": "PPR-KL", "name": "PPR Kerinchi"}).status_code
        == 201
    )
    admin.post("/api/v1/pprs/PPR-KL/blocks", json={"code": "A", "name": "Blok A", "floors": 5})
    admin.post(
        "/api/v1/pprs/PPR-KL/categories",
        json={"code": "LIFT", "name_ms": "Lif", "name_en": "Lift", "sla": SLA},
    )
    cast.project()
    codes = [s["service_code"] for s in public.get(f"{BASE}/services.json").json]
    assert "PPR-KL.LIFT" in codes
    assert public.get(f"{BASE}/services/PPR-KL.LIFT.json").status_code == 200
    assert public.get(f"{BASE}/requests.json?service_code=NOPE").json == []


def test_an_address_string_is_never_published_and_a_block_alone_is_enough(
    cast: Cast, public: FlaskClient
) -> None:
    # As FixMyStreet sends it: coordinates, an address in the client's words, the block.
    response = public.post(
        f"{BASE}/requests.json",
        data={
            "api_key": cast.integration.token,
            "service_code": "SRP.LIFT",
            "lat": "3.1109",
            "long": "101.6662",
            "address_string": "Unit A-07-12, Jalan Pantai",
            "attribute[block]": "A",
            "description": "Lif rosak",
        },
    )
    assert response.status_code == 201, response.json
    case_id = response.json[0]["service_request_id"]
    cast.project()
    [listed] = public.get(f"{BASE}/requests/{case_id}.json").json
    assert "A-07-12" not in str(listed)
    assert listed["address"] == "Block A, not given (Open311)"
    case = cast.admin.get(f"/api/v1/cases/{case_id}").json
    assert "Unit A-07-12, Jalan Pantai" in case["description"], "staff still see it"


def test_the_same_idempotency_key_with_another_request_is_refused(
    cast: Cast, public: FlaskClient
) -> None:
    headers = {"Idempotency-Key": "k-2"}
    first = file_request(public, cast.integration.token)
    assert first.status_code == 201
    form = {
        "api_key": cast.integration.token,
        "service_code": "SRP.WATER",
        "address_id": "B",
        "attribute[common_area]": "Tangga",
        "description": "Satu",
    }
    assert public.post(f"{BASE}/requests.json", data=form, headers=headers).status_code == 201
    form["description"] = "Dua"
    again = public.post(f"{BASE}/requests.json", data=form, headers=headers)
    assert again.status_code == 422


def test_characters_xml_cannot_carry_do_not_break_the_document(
    cast: Cast, public: FlaskClient
) -> None:
    cast.report(title="Lif rosak \ufffe lagi")
    cast.project()
    root = xml(public.get(f"{BASE}/requests.xml"))
    assert root.findtext("request/description") == "Lif rosak \ufffd lagi"


def test_private_cases_are_in_no_open311_answer(cast: Cast, public: FlaskClient) -> None:
    private = cast.report(private=True)
    cast.management.post(f"/api/v1/cases/{private['id']}/acknowledge")
    cast.project()
    assert public.get(f"{BASE}/tokens/{private['id']}.json").status_code == 404
    assert public.get(f"{BASE}/requests/{private['id']}.json").status_code == 404
    assert private["id"] not in str(public.get(f"{BASE}/servicerequestupdates.json").json)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "services.csv", 404),
        ("POST", "services.json", 405),
        ("GET", "requests.json?page=%C2%B2", 400),
        ("GET", "requests.json?start_date=0001-01-01T00:00:00%2B14:00", 400),
    ],
)
def test_every_error_under_open311_is_the_specs_error_list(
    cast: Cast, public: FlaskClient, method: str, path: str, status: int
) -> None:
    response = public.open(f"{BASE}/{path}", method=method)
    assert response.status_code == status
    [error] = response.json
    assert error["code"] == status
