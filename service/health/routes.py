"""``/healthz`` (the process answers) and ``/readyz`` (storage reachable, projection lag)."""

from __future__ import annotations

import logging
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint
from sqlalchemy import text

from service.extensions import runtime

log = logging.getLogger(__name__)

blp = Blueprint("health", __name__, description="Probes for load balancers and orchestrators.")

#: Above this many unprojected events the service reports itself not ready: lists would be stale.
MAX_READY_LAG = 10_000


@blp.route("/healthz", methods=["GET"])
@blp.response(200)
@blp.doc(security=[])
def healthz() -> ResponseReturnValue:
    """The process is up."""
    return jsonify(status="ok")


@blp.route("/readyz", methods=["GET"])
@blp.response(200)
@blp.doc(security=[])
@blp.alt_response(503, description="Storage unreachable or read models far behind")
def readyz() -> ResponseReturnValue:
    """Storage answers and the read models are not far behind the log."""
    checks: dict[str, Any] = {}
    ready = True
    try:
        with runtime().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["read_models"] = "ok"
        statuses = runtime().runner.status()
        checks["projections"] = {
            status.name: {"position": status.position, "lag": status.lag} for status in statuses
        }
        ready = all(status.lag <= MAX_READY_LAG for status in statuses)
        # Reported, not judged: a relay that is behind delays notifications, not answers.
        checks["relay"] = runtime().relay.status()
        # Reported, not judged: a signer that refuses to sign a rewritten log must be seen.
        checkpointer = runtime().checkpointer
        if checkpointer is not None:
            checks["audit"] = checkpointer.status()
        checks["event_store"] = "ok"
    except Exception:  # any storage failure means "not ready"; details go to the log only
        log.exception("readiness check failed")
        checks["error"] = "storage unreachable (see the service log)"
        ready = False
    response = jsonify(status="ready" if ready else "not ready", checks=checks)
    response.status_code = 200 if ready else 503
    return response
