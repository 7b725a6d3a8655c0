"""The HTTP service: the Flask app factory."""

from __future__ import annotations

import atexit
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from service.settings import Settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` may carry ``K2K_*`` settings (overriding the environment)."""
    from service import auth, content, idempotency, web
    from service.audit.routes import blp as audit_blp
    from service.cases.routes import blp as cases_blp
    from service.committees.routes import blp as committees_blp
    from service.decisions.routes import blp as decisions_blp
    from service.errors import register_error_handlers
    from service.extensions import Api
    from service.health.routes import blp as health_blp
    from service.meetings.routes import blp as meetings_blp
    from service.metrics.routes import blp as metrics_blp
    from service.notifications.routes import blp as notifications_blp
    from service.open311.routes import blp as open311_blp
    from service.people.routes import blp as people_blp
    from service.photos.routes import blp as photos_blp
    from service.pprs.routes import blp as pprs_blp
    from service.runtime import Runtime
    from service.surveys.routes import blp as surveys_blp
    from service.tokens.routes import blp as tokens_blp
    from service.webhooks.routes import blp as webhooks_blp
    from service.webhooks.schemas import PAYLOADS

    config = dict(config or {})
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config.update(
        API_TITLE="K2K Co-Manage",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.17.14/",
        OPENAPI_REDOC_PATH="redoc",
        OPENAPI_REDOC_URL="https://cdn.jsdelivr.net/npm/redoc@2.1.5/bundles/redoc.standalone.js",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Event-sourced case tracking for the co-management of PPR public "
                "housing. Errors are application/problem+json (RFC 9457). Authenticate with "
                "'Authorization: Bearer <token>'.",
            },
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
    )
    app.config.update({key: value for key, value in config.items() if not key.startswith("K2K_")})

    settings = Settings.from_env(
        {**os.environ, **{k: str(v) for k, v in config.items() if k.startswith("K2K_")}}
    )
    runtime = Runtime.from_settings(settings)
    app.extensions["k2k"] = runtime

    api = Api(app, spec_kwargs={"extra_plugins": [idempotency.IdempotencyKeyPlugin()]})
    app.extensions["k2k-api"] = api
    register_error_handlers(app)
    auth.init_app(app)
    content.init_app(app)
    idempotency.init_app(app)
    for blueprint in (
        health_blp,
        pprs_blp,
        cases_blp,
        photos_blp,
        committees_blp,
        meetings_blp,
        decisions_blp,
        surveys_blp,
        metrics_blp,
        tokens_blp,
        people_blp,
        notifications_blp,
        webhooks_blp,
        audit_blp,
    ):
        api.register_blueprint(blueprint)
    # Open311 has its own formats and error lists, so it stays out of the OpenAPI document.
    app.register_blueprint(open311_blp)
    web.init_app(app)
    # The payloads we send are documented beside the API (OpenAPI 3.0 has no webhooks object).
    for name, envelope, _ in PAYLOADS.values():
        api.spec.components.schema(name, schema=envelope)

    if settings.trusted_proxies:
        # Behind nginx (or a load balancer) the client's address and scheme come from its
        # headers; believing them without a proxy would let anyone pick their own address.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.trusted_proxies,
            x_proto=settings.trusted_proxies,
            x_host=settings.trusted_proxies,
        )
    if settings.background:
        runtime.start_background()
        atexit.register(runtime.close)
    return app


def create_served_app() -> Flask:
    """The app as a server process runs it (``wsgi.py``, ``k2k serve``), tuned for serving."""
    import gc

    app = create_app()
    # What start-up made (the app, its schemas, SQLAlchemy's metadata, the OpenAPI spec) lives
    # as long as the process. Freezing it keeps the cyclic collector from walking those
    # hundreds of thousands of objects at each full collection, a pause of tens of
    # milliseconds in whichever request triggered it; they are still freed by reference counting.
    gc.collect()
    gc.freeze()
    return app


__all__ = ["create_app", "create_served_app"]
