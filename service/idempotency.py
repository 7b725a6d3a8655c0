"""``Idempotency-Key`` on POST: a repeated request gets the first answer and records nothing new.

The first request with a key reserves it (a row keyed by caller and key) before running; a
success stores its response; a failure releases the key so the client may correct and retry. A
repeat with the same key and the same request replays the stored answer; with a different request
it is refused (422), and while the first is still running it gets 409. Case creation also derives
the new case's id from the key, so even a crash between recording the event and storing the
answer cannot create a second case on retry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from apispec import BasePlugin
from flask import Flask, Response, g, request
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError

from service.errors import problem
from service.extensions import runtime
from service.tables import MAX_KEY_LENGTH, idempotency_keys

HEADER = "Idempotency-Key"
#: A reservation this old belongs to a request that died; a retry may take it over.
STALE_AFTER = timedelta(minutes=5)
REPLAYED_HEADERS = ("ETag", "Location", "Content-Type")


def _caller() -> str:
    principal = g.get("principal")
    return principal.principal_id if principal else "anonymous"


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    if request.mimetype == "multipart/form-data":
        # A client resending an upload picks a new boundary: compare what the parts hold.
        for name, values in sorted(request.form.lists()):
            digest.update(json.dumps([name, values]).encode())
        for name, files in sorted(request.files.lists()):
            for file in files:
                content = file.stream.read()
                file.stream.seek(0)
                digest.update(f"{name}:{hashlib.sha256(content).hexdigest()}\n".encode())
        return digest.hexdigest()
    body = request.get_data(cache=True)
    # The same JSON with its keys in another order or other spacing is the same request; a body
    # that is not JSON is compared as bytes.
    with contextlib.suppress(ValueError):
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    digest.update(body)
    return digest.hexdigest()


def derived_id(purpose: str) -> UUID | None:
    """A stable id for what this keyed request creates (None without a key)."""
    key = g.get("idempotency_key")
    if key is None:
        return None
    return uuid5(NAMESPACE_URL, f"k2k:{purpose}:{_caller()}:{key}")


#: Endpoints whose requests must leave no trace tied to the caller (an anonymous survey answer):
#: a key's stored fingerprint would hash the answers together with who gave them.
UNRECORDED_ENDPOINTS = frozenset({"surveys.respond_to_survey"})


def _before() -> Response | None:
    g.idempotency_key = None
    if request.method != "POST" or HEADER not in request.headers:
        return None
    if request.endpoint in UNRECORDED_ENDPOINTS:
        return None  # answering twice is refused by the survey itself
    key = request.headers[HEADER].strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        return problem(
            400,
            f"{HEADER} must be 1-{MAX_KEY_LENGTH} characters",
            errors={HEADER: ["must be 1-255 characters"]},
        )
    caller, fingerprint = _caller(), _fingerprint()
    now = datetime.now(tz=UTC)
    engine = runtime().engine
    with engine.begin() as conn:
        try:
            with conn.begin_nested():
                conn.execute(
                    idempotency_keys.insert().values(
                        principal_id=caller,
                        key=key,
                        fingerprint=fingerprint,
                        completed=False,
                        created_at=now,
                    )
                )
        except IntegrityError:
            row = (
                conn.execute(
                    select(idempotency_keys).where(
                        idempotency_keys.c.principal_id == caller, idempotency_keys.c.key == key
                    )
                )
                .mappings()
                .one()
            )
            if row["fingerprint"] != fingerprint:
                return problem(
                    422,
                    f"this {HEADER} was used for a different request",
                    errors={HEADER: ["already used with another method, path or body"]},
                )
            if row["completed"] and row["body"] is None:
                return problem(
                    409,
                    f"this {HEADER} was used already; its answer held a secret that is shown "
                    "only once and is not kept",
                )
            if row["completed"]:
                replay = Response(row["body"], status=row["status"])
                for name, value in (row["headers"] or {}).items():
                    replay.headers[name] = value
                replay.headers["Idempotent-Replayed"] = "true"
                return replay
            if row["created_at"] > now - STALE_AFTER:
                return problem(409, f"a request with this {HEADER} is still being processed")
            conn.execute(
                idempotency_keys.update()
                .where(idempotency_keys.c.principal_id == caller, idempotency_keys.c.key == key)
                .values(created_at=now)
            )
    g.idempotency_key = key
    return None


def _after(response: Response) -> Response:
    key = g.get("idempotency_key")
    if key is None:
        return response
    where = (idempotency_keys.c.principal_id == _caller()) & (idempotency_keys.c.key == key)
    with runtime().engine.begin() as conn:
        if 200 <= response.status_code < 300:
            # An answer marked no-store carries a secret (a new token): remember that the
            # request was done, never what it said.
            secret = "no-store" in response.headers.get("Cache-Control", "")
            conn.execute(
                idempotency_keys.update()
                .where(where)
                .values(
                    completed=True,
                    status=response.status_code,
                    body=None if secret else response.get_data(),
                    headers={
                        name: response.headers[name]
                        for name in REPLAYED_HEADERS
                        if name in response.headers
                    },
                )
            )
        else:
            conn.execute(delete(idempotency_keys).where(where))
    g.idempotency_key = None
    return response


#: OpenAPI description of the header, attached to every POST operation by ``create_app``.
HEADER_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": "Any unique string; a repeat of the request with the same key returns the "
    "first answer (with 'Idempotent-Replayed: true') and records nothing new.",
}


class IdempotencyKeyPlugin(BasePlugin):
    """Documents the ``Idempotency-Key`` header on every POST operation."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """Add the header parameter to the path's POST operation."""
        post = (operations or {}).get("post")
        if post is not None:
            post.setdefault("parameters", []).append(dict(HEADER_PARAMETER))


#: Completed keys are kept this long; a client retrying later than that is making a new request.
KEEP_FOR = timedelta(hours=24)


def prune(engine: Engine, now: datetime | None = None) -> int:
    """Forget keys older than ``KEEP_FOR``; returns how many were removed."""
    cutoff = (now or datetime.now(tz=UTC)) - KEEP_FOR
    with engine.begin() as conn:
        result = conn.execute(
            delete(idempotency_keys).where(idempotency_keys.c.created_at < cutoff)
        )
    return int(result.rowcount)


def init_app(app: Flask) -> None:
    """Install the hooks (after authentication, which they rely on)."""
    app.before_request(_before)
    app.after_request(_after)
