"""The public audit API: anyone can fetch checkpoints, proofs and entries; nobody learns who did
what from them; bad queries get a 422 naming the field."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete

from projections.audit import audit_nodes
from projections.audit_leaf import Entry
from projections.merkle import MerkleTree, verify_consistency, verify_inclusion
from projections.signed_note import parse_checkpoint
from service import create_app
from service.audit import schemas
from service.settings import Settings
from tests.e2e.conftest import AUDIT_SIGNER, REPORT, Cast, build_cast


@pytest.fixture
def world(audited_app: Flask) -> Cast:
    cast = build_cast(audited_app, audited_app.test_client())
    case = cast.report()
    cast.management.post(f"/api/v1/cases/{case['id']}/acknowledge")
    cast.report(anonymous=True, description="Paip bocor di tingkat 3, rumah Encik Lim.")
    cast.project()
    return cast


@pytest.fixture
def public(audited_app: Flask) -> FlaskClient:
    """A client without any token."""
    return audited_app.test_client()


def sign_now(world: Cast) -> dict[str, Any]:
    checkpointer = world.runtime.checkpointer
    assert checkpointer is not None
    checkpointer.sign_if_due(force=True)
    return dict(world.without_token().get("/api/v1/audit/checkpoint").json)


def all_entries(public: FlaskClient, end: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    url: str | None = f"/api/v1/audit/entries?start=0&end={end}"
    while url:
        page = public.get(url).json
        entries += page["entries"]
        url = page["next"]
    return entries


def test_without_a_token_anyone_reads_a_signed_checkpoint_and_the_key_that_signed_it(
    world: Cast, public: FlaskClient
) -> None:
    checkpoint = sign_now(world)
    key = public.get("/api/v1/audit/public-key")

    assert key.status_code == 200
    assert key.json["verifier_key"] == AUDIT_SIGNER.verifier.verifier_key
    origin, size, root = parse_checkpoint(AUDIT_SIGNER.verifier.open(checkpoint["note"]))
    assert (origin, size, base64.b64encode(root).decode()) == (
        checkpoint["origin"],
        checkpoint["size"],
        checkpoint["root_hash"],
    )
    assert public.get(f"/api/v1/audit/checkpoints?size={size}").json["items"] == [checkpoint]
    assert public.get("/api/v1/audit/checkpoints?size=1").json["items"] == []


def test_entries_recompute_the_signed_root_and_hold_no_personal_data(
    world: Cast, public: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoint = sign_now(world)
    monkeypatch.setattr(schemas, "ENTRIES_PAGE", 7)

    entries = all_entries(public, checkpoint["size"])

    assert [entry["index"] for entry in entries] == list(range(checkpoint["size"]))
    tree = MerkleTree(
        Entry(
            e["originator_id"], e["version"], e["topic"], bytes.fromhex(e["state_sha256"])
        ).leaf_hash
        for e in entries
    )
    assert base64.b64encode(tree.root()).decode() == checkpoint["root_hash"]
    assert {entry["seal"] for entry in entries} == {"valid"}
    text = str(entries)
    for personal in (REPORT["unit"], REPORT["description"], "Encik Lim", "Puan Aminah"):
        assert personal not in text
    assert world.resident.principal_id not in text


def test_proofs_verify_against_signed_roots(world: Cast, public: FlaskClient) -> None:
    first = sign_now(world)
    world.report()
    world.project()
    second = sign_now(world)
    old, new = first["size"], second["size"]
    old_root = base64.b64decode(first["root_hash"])
    new_root = base64.b64decode(second["root_hash"])

    consistency = public.get(f"/api/v1/audit/proof/consistency?from={old}&to={new}").json
    inclusion = public.get(f"/api/v1/audit/proof/inclusion?index={old - 1}&size={new}").json

    proof = [base64.b64decode(each) for each in consistency["proof"]]
    assert verify_consistency(old, new, old_root, new_root, proof)
    leaf = base64.b64decode(inclusion["leaf_hash"])
    path = [base64.b64decode(each) for each in inclusion["proof"]]
    assert verify_inclusion(leaf, old - 1, new, path, new_root)


def test_a_cases_entries_name_every_event_with_its_leaf(world: Cast, public: FlaskClient) -> None:
    case = world.report()
    world.management.post(f"/api/v1/cases/{case['id']}/acknowledge")
    world.project()

    entries = public.get(f"/api/v1/audit/entries?originator_id={case['id']}").json["entries"]

    assert [entry["version"] for entry in entries] == [1, 2]
    assert [entry["topic"].rsplit(".", 1)[-1] for entry in entries] == ["Reported", "Acknowledged"]
    assert all(isinstance(entry["index"], int) for entry in entries)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("proof/inclusion?index=5&size=5", "index"),
        ("proof/inclusion?index=0&size=100000", "size"),
        ("proof/inclusion?size=3", "index"),
        ("proof/inclusion?index=-1&size=3", "index"),
        ("proof/consistency?from=4&to=2", "from"),
        ("proof/consistency?from=1&to=100000", "to"),
        ("proof/consistency?from=x&to=2", "from"),
        ("entries?start=5&end=2", "end"),
        ("entries?start=100000", "start"),
        ("entries?originator_id=not-a-uuid", "originator_id"),
        ("checkpoints?size=-1", "size"),
    ],
)
def test_a_bad_query_gets_a_422_naming_the_field(
    world: Cast, public: FlaskClient, query: str, field: str
) -> None:
    response = public.get(f"/api/v1/audit/{query}")
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert field in response.json["errors"]


def test_before_any_checkpoint_and_without_a_key_the_answers_say_so(
    settings: Settings, tmp_path: Path, public: FlaskClient
) -> None:
    assert public.get("/api/v1/audit/checkpoint").status_code == 404, "nothing signed yet"
    keyless = create_app(
        {
            "K2K_DATABASE_URL": settings.database_url,
            "K2K_DATA_DIR": str(tmp_path),  # its default key file does not exist
            "K2K_BACKGROUND": "0",
        }
    )
    try:
        key = keyless.test_client().get("/api/v1/audit/public-key")
    finally:
        keyless.extensions["k2k"].close()
    assert key.status_code == 404
    assert "no audit signing key" in key.json["detail"]


def test_the_audit_endpoints_are_in_the_openapi_document(public: FlaskClient) -> None:
    paths = public.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/audit/public-key",
        "/api/v1/audit/checkpoint",
        "/api/v1/audit/checkpoints",
        "/api/v1/audit/proof/inclusion",
        "/api/v1/audit/proof/consistency",
        "/api/v1/audit/entries",
    ):
        assert "get" in paths[path]


def test_while_the_tree_is_rebuilt_proofs_of_signed_sizes_answer_503_not_a_false_alarm(
    world: Cast, public: FlaskClient
) -> None:
    checkpoint = sign_now(world)
    size = checkpoint["size"]
    with world.runtime.engine.begin() as conn:
        # What a rebuild looks like half way: the tree emptied, the signed checkpoints kept.
        conn.execute(delete(audit_nodes).where(audit_nodes.c.position >= 3))

    consistency = public.get(f"/api/v1/audit/proof/consistency?from=1&to={size}")
    inclusion = public.get(f"/api/v1/audit/proof/inclusion?index=0&size={size}")

    for response in (consistency, inclusion):
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert "rebuilt" in response.json["detail"]
    assert public.get("/api/v1/audit/checkpoint").json == checkpoint


def test_each_entry_names_the_leaf_the_tree_made_of_it(world: Cast, public: FlaskClient) -> None:
    sign_now(world)
    entries = public.get("/api/v1/audit/entries?start=2&end=6").json["entries"]
    assert [entry["index"] for entry in entries] == [2, 3, 4, 5]
    assert [entry["leaf_index"] for entry in entries] == [2, 3, 4, 5]
    case_id = entries[0]["originator_id"]
    response = public.get(f"/api/v1/audit/entries?originator_id={case_id}&end=3")
    assert response.status_code == 422
    assert "end" in response.json["errors"]


def test_a_web_process_with_only_the_public_key_serves_only_checkpoints_it_signed(
    world: Cast, settings: Settings, tmp_path: Path
) -> None:
    genuine = sign_now(world)
    world.runtime.app.record_checkpoint("api.test/k2k", 10**6, "AAAA", "forged\n", "00000000")
    world.project()
    web = create_app(
        {
            "K2K_DATABASE_URL": settings.database_url,
            "K2K_DATA_DIR": str(tmp_path / "web"),
            "K2K_AUDIT_PUBLIC_KEY": AUDIT_SIGNER.verifier.verifier_key,
            "K2K_BACKGROUND": "0",
        }
    )
    try:
        client = web.test_client()
        assert client.get("/api/v1/audit/public-key").json["origin"] == "api.test/k2k"
        assert client.get("/api/v1/audit/checkpoint").json == genuine
        assert web.extensions["k2k"].checkpointer is None, "no private key, no signing"
    finally:
        web.extensions["k2k"].close()
