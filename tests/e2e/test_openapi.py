"""The OpenAPI document describes every endpoint the way an integrator needs it."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

ERROR_TYPE = "application/problem+json"


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    """The served OpenAPI document."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return dict(response.json)


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method in {"get", "post", "put", "delete"}
    ]


def test_every_operation_has_a_summary_and_a_success_response(document: dict[str, Any]) -> None:
    for path, method, operation in _operations(document):
        assert operation.get("summary"), (method, path)
        assert any(code.startswith("2") for code in operation["responses"]), (method, path)


def test_every_case_command_documents_its_errors_as_problems(document: dict[str, Any]) -> None:
    commands = [
        (path, operation)
        for path, method, operation in _operations(document)
        if method == "post" and path.startswith("/api/v1/cases/{case_id}/")
    ]

    assert len(commands) == 15  # the lifecycle commands and attaching a photo
    for path, operation in commands:
        for code in ("401", "403", "404", "409", "412"):
            content = operation["responses"][code]["content"]
            assert ERROR_TYPE in content, (path, code)
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        assert {"If-Match", "Idempotency-Key"} <= names, path


def test_every_post_accepts_an_idempotency_key(document: dict[str, Any]) -> None:
    for path, method, operation in _operations(document):
        if method == "post":
            names = {parameter["name"] for parameter in operation.get("parameters", [])}
            assert "Idempotency-Key" in names, path


def test_the_document_declares_bearer_authentication(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert {"/healthz", "/readyz", "/api/v1/cases", "/api/v1/pprs"} <= set(document["paths"])
