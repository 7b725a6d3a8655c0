"""HTTP endpoints of the webhooks resource: subscriptions, their delivery logs, replays."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from domain.actors import Role
from domain.errors import IllegalTransition, InvalidValue, NotFound
from domain.webhook import DisabledReason, WebhookSubscription, validate_event_types
from service.auth import require_role
from service.concurrency import expected_version, with_etag
from service.errors import documents_errors
from service.extensions import runtime
from service.tokens.store import Principal
from service.webhooks import schemas
from service.webhooks.queries import (
    delivery_page,
    one_delivery,
    present_subscription,
    subscription_page,
)
from webhooks import ssrf
from webhooks.catalogue import EVENT_TYPES, unknown_patterns
from webhooks.deliveries import RETRY_SCHEDULE
from webhooks.keys import box_for
from webhooks.subscriptions import enable, rotate_secret, subscribe, unsubscribe

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1/webhooks",
    description="Standard Webhooks for external systems: subscriptions, deliveries, replays.",
)

MANAGERS = (Role.ADMIN, Role.INTEGRATION)
SUBSCRIPTION_SCHEMA = schemas.SubscriptionSchema()
CREATED_SCHEMA = schemas.CreatedSubscriptionSchema()


def _manager() -> Principal:
    return require_role(*MANAGERS)


def _subscription(viewer: Principal, subscription_id: UUID) -> WebhookSubscription:
    """A subscription the caller manages; another integration's is not theirs to see (404)."""
    subscription = runtime().app.get_webhook_subscription(subscription_id)
    if viewer.role is not Role.ADMIN and subscription.owner_id != viewer.principal_id:
        raise NotFound(f"no webhook subscription {subscription_id}")
    return subscription


def _checked_url(url: str) -> str:
    """Refuse a target the SSRF guard would refuse at delivery (checked again on each attempt)."""
    try:
        target = ssrf.parse_target(url.strip())
        ssrf.resolve(target, allow_loopback=runtime().settings.webhook_allow_loopback)
    except ssrf.UnsafeTarget as error:
        raise InvalidValue("url", error.reason) from error
    return url.strip()


def _checked_types(patterns: list[str]) -> list[str]:
    patterns = validate_event_types(patterns)
    unknown = unknown_patterns(patterns)
    if unknown:
        listed = ", ".join(repr(pattern) for pattern in unknown)
        raise InvalidValue(
            "event_types",
            f"{listed} names no published event type (see GET /api/v1/webhooks/event-types)",
        )
    return patterns


def _checked_pprs(viewer: Principal, codes: list[str]) -> list[str]:
    """PPR codes that exist and that the caller's token covers."""
    found = list(dict.fromkeys(code.strip().upper() for code in codes))
    for code in found:
        try:
            runtime().app.get_ppr(code)
        except NotFound as error:
            raise InvalidValue("pprs", f"no PPR with code {code!r}") from error
        if not viewer.in_scope(code):
            raise InvalidValue("pprs", f"your token does not cover PPR {code}")
    return found


def _require_owner_reach(subscription: WebhookSubscription) -> None:
    """An integration whose tokens are all revoked gets nothing more, even on an admin's word."""
    from workers.rules import Facts

    parts = runtime()
    facts = Facts(parts.app, parts.engine, parts.settings.public_url)
    if subscription.owner_role == Role.INTEGRATION.value and not facts.token_scope(
        subscription.owner_id
    ):
        raise IllegalTransition(
            "the integration that owns this subscription has no live token: nothing is sent to it"
        )


def _respond(subscription: WebhookSubscription, status: int = 200) -> Response:
    body = SUBSCRIPTION_SCHEMA.dump(present_subscription(subscription, runtime().engine))
    response = jsonify(body)
    response.status_code = status
    return with_etag(response, subscription.version)


def _payload_json_schema(type_name: str, data: type[Any]) -> dict[str, Any]:
    """The JSON Schema of one type's payload (``{"type", "timestamp", "data"}``)."""
    from service.extensions import api_of

    converter = api_of().ma_plugin.converter
    return {
        "type": "object",
        "required": ["type", "timestamp", "data"],
        "properties": {
            "type": {"type": "string", "enum": [type_name]},
            "timestamp": {"type": "string", "format": "date-time"},
            "data": converter.schema2jsonschema(data),
        },
    }


@blp.route("/event-types")
class EventTypes(MethodView):
    """What can be subscribed to."""

    @blp.response(200, schemas.WebhookEventTypesSchema)
    def get(self) -> dict[str, Any]:
        """Every published event type with its payload schema (public: no personal data)."""
        items = []
        for event_type in EVENT_TYPES:
            name, _, data = schemas.PAYLOADS[event_type.subject]
            items.append(
                {
                    "type": event_type.name,
                    "description": event_type.description,
                    "subject": event_type.subject,
                    "payload_schema": f"/api/v1/openapi.json#/components/schemas/{name}",
                    "schema": _payload_json_schema(event_type.name, data),
                }
            )
        return {
            "items": items,
            "signature": "Standard Webhooks v1: HMAC-SHA256 over "
            "'{webhook-id}.{webhook-timestamp}.{body}' with the subscription's whsec_ secret",
            "retry_schedule_seconds": list(RETRY_SCHEDULE),
        }


@blp.route("/subscriptions")
class Subscriptions(MethodView):
    """Webhook subscriptions."""

    @blp.arguments(schemas.SubscriptionQueryArgsSchema, location="query")
    @blp.response(200, schemas.SubscriptionPageSchema)
    @documents_errors(blp, 400, 401, 403, 422)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Subscriptions, newest first: all of them for admins, an integration's own for it."""
        viewer = _manager()
        owner = None if viewer.role is Role.ADMIN else viewer.principal_id
        items, next_cursor = subscription_page(runtime().engine, owner, args)
        return {"items": items, "next_cursor": next_cursor}

    @blp.arguments(schemas.SubscriptionCreateSchema)
    @blp.response(201, schemas.CreatedSubscriptionSchema)
    @documents_errors(blp, 400, 401, 403, 422)
    def post(self, args: dict[str, Any]) -> Response:
        """Subscribe a URL to events; the answer holds its signing secret, shown this once."""
        viewer = _manager()
        parts = runtime()
        url = _checked_url(args["url"])
        event_types = _checked_types(args["event_types"])
        pprs = _checked_pprs(viewer, args["pprs"])
        made = subscribe(
            parts.app,
            parts.engine,
            viewer.actor,
            url=url,
            event_types=event_types,
            ppr_codes=pprs,
            description=args["description"],
            box=box_for(parts.settings.secrets_key),
            enabled=args["enabled"],
        )
        subscription_id = made.saved.id
        secret = made.secret
        parts.changed()
        subscription = parts.app.get_webhook_subscription(subscription_id)
        body = CREATED_SCHEMA.dump(
            {**present_subscription(subscription, parts.engine), "secret": secret}
        )
        response = jsonify(body)
        response.status_code = 201
        response.headers["Location"] = f"/api/v1/webhooks/subscriptions/{subscription_id}"
        # The secret must not be cached anywhere, nor kept for Idempotency-Key replays.
        response.headers["Cache-Control"] = "no-store"
        return with_etag(response, subscription.version)


@blp.route("/subscriptions/<uuid:subscription_id>")
class SubscriptionById(MethodView):
    """One subscription."""

    @blp.response(200, schemas.SubscriptionSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, subscription_id: UUID) -> Response:
        """A subscription, with its live secrets' fingerprints and its receiver's health."""
        return _respond(_subscription(_manager(), subscription_id))

    @blp.arguments(schemas.SubscriptionPatchSchema)
    @blp.response(200, schemas.SubscriptionSchema)
    @documents_errors(blp, 400, 401, 403, 404, 409, 412, 422)
    def patch(self, args: dict[str, Any], subscription_id: UUID) -> Response:
        """Change the target, the types or PPRs, the description, or switch it off or on."""
        viewer = _manager()
        _subscription(viewer, subscription_id)
        parts = runtime()
        version = expected_version()
        changes: dict[str, Any] = {}
        if "url" in args:
            changes["url"] = _checked_url(args["url"])
        if "event_types" in args:
            changes["event_types"] = _checked_types(args["event_types"])
        if "pprs" in args:
            changes["ppr_codes"] = _checked_pprs(viewer, args["pprs"])
        if "description" in args:
            changes["description"] = args["description"]
        if changes:
            saved = parts.app.change_webhook_subscription(
                viewer.actor, subscription_id, expected_version=version, **changes
            )
            version = saved.version if version is not None else None
        if args.get("enabled") is True:
            enable(parts.app, parts.engine, viewer.actor, subscription_id, expected_version=version)
        elif args.get("enabled") is False:
            parts.app.disable_webhook_subscription(
                viewer.actor,
                subscription_id,
                reason=DisabledReason.MANUAL,
                expected_version=version,
            )
        parts.changed()
        return _respond(parts.app.get_webhook_subscription(subscription_id))

    @blp.response(204)
    @documents_errors(blp, 401, 403, 404, 409, 412)
    def delete(self, subscription_id: UUID) -> Response:
        """End a subscription: nothing more is sent; its delivery log stays readable."""
        viewer = _manager()
        _subscription(viewer, subscription_id)
        parts = runtime()
        unsubscribe(
            parts.app,
            parts.engine,
            viewer.actor,
            subscription_id,
            expected_version=expected_version(),
        )
        parts.changed()
        return Response(status=204)


@blp.route("/subscriptions/<uuid:subscription_id>/rotate-secret")
class RotateSecret(MethodView):
    """A subscription's signing secret."""

    @blp.response(200, schemas.RotatedSecretSchema)
    @documents_errors(blp, 401, 403, 404, 409, 412)
    def post(self, subscription_id: UUID) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Make a new secret (shown once); the previous one keeps signing for 24 hours."""
        viewer = _manager()
        _subscription(viewer, subscription_id)
        parts = runtime()
        made = rotate_secret(
            parts.app,
            parts.engine,
            viewer.actor,
            subscription_id,
            box=box_for(parts.settings.secrets_key),
            expected_version=expected_version(),
        )
        parts.changed()
        subscription = parts.app.get_webhook_subscription(subscription_id)
        answer = {
            "secret": made.secret,
            "fingerprint": made.fingerprint,
            "previous_valid_until": made.previous_valid_until,
            "subscription": present_subscription(subscription, parts.engine),
        }
        return answer, 200, {"Cache-Control": "no-store"}


@blp.route("/subscriptions/<uuid:subscription_id>/test")
class SendTest(MethodView):
    """A test delivery."""

    @blp.response(202, schemas.WebhookDeliverySchema)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, subscription_id: UUID) -> dict[str, Any]:
        """Send a webhook.test event now, to check the receiver and its signature checks."""
        subscription = _subscription(_manager(), subscription_id)
        if not subscription.receives:
            raise IllegalTransition("the subscription is disabled: enable it first")
        parts = runtime()
        delivery_id = parts.webhooks.send_test(subscription, wait=False)
        return one_delivery(parts.engine, str(subscription_id), delivery_id)


@blp.route("/subscriptions/<uuid:subscription_id>/deliveries")
class Deliveries(MethodView):
    """A subscription's delivery log."""

    @blp.arguments(schemas.WebhookDeliveryQueryArgsSchema, location="query")
    @blp.response(200, schemas.WebhookDeliveryPageSchema)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def get(self, args: dict[str, Any], subscription_id: UUID) -> dict[str, Any]:
        """Every delivery, newest first, with each attempt's time, status code, latency, error."""
        viewer = _manager()
        runtime().app.get_webhook_subscription(subscription_id, include_deleted=True)
        _owned_or_admin(viewer, subscription_id)
        items, next_cursor = delivery_page(runtime().engine, str(subscription_id), args)
        return {"items": items, "next_cursor": next_cursor}


def _owned_or_admin(viewer: Principal, subscription_id: UUID) -> None:
    """The delivery log of a deleted subscription stays readable to whoever managed it."""
    subscription = runtime().app.get_webhook_subscription(subscription_id, include_deleted=True)
    if viewer.role is not Role.ADMIN and subscription.owner_id != viewer.principal_id:
        raise NotFound(f"no webhook subscription {subscription_id}")


@blp.route("/subscriptions/<uuid:subscription_id>/deliveries/<string:delivery_id>")
class DeliveryById(MethodView):
    """One delivery."""

    @blp.response(200, schemas.WebhookDeliverySchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, subscription_id: UUID, delivery_id: str) -> dict[str, Any]:
        """One delivery with its attempts and the payload sent."""
        _owned_or_admin(_manager(), subscription_id)
        return one_delivery(runtime().engine, str(subscription_id), delivery_id)


@blp.route("/subscriptions/<uuid:subscription_id>/deliveries/<string:delivery_id>/redeliver")
class Redeliver(MethodView):
    """Delivering one message again."""

    @blp.response(202, schemas.WebhookDeliverySchema)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, subscription_id: UUID, delivery_id: str) -> dict[str, Any]:
        """Send a delivery's message again now, as a new delivery with the same webhook-id."""
        subscription = _subscription(_manager(), subscription_id)
        if not subscription.receives:
            raise IllegalTransition("the subscription is disabled: enable it first")
        parts = runtime()
        one_delivery(parts.engine, str(subscription_id), delivery_id)
        _require_owner_reach(subscription)
        again = parts.webhooks.redeliver(delivery_id)
        return one_delivery(parts.engine, str(subscription_id), again)


@blp.route("/subscriptions/<uuid:subscription_id>/replays")
class Replays(MethodView):
    """Replaying the log to a subscription."""

    @blp.arguments(schemas.WebhookReplayRequestSchema)
    @blp.response(202, schemas.WebhookReplaySchema)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, args: dict[str, Any], subscription_id: UUID) -> dict[str, Any]:
        """Deliver again every event it wants after a position (or from a time), as new
        deliveries with each event's own webhook-id; runs in the background."""
        viewer = _manager()
        subscription = _subscription(viewer, subscription_id)
        if not subscription.receives:
            raise IllegalTransition("the subscription is disabled: enable it first")
        _require_owner_reach(subscription)
        return runtime().replays.request(
            subscription,
            viewer.principal_id,
            since_position=args.get("since_position"),
            since=args.get("since"),
        )


@blp.route("/subscriptions/<uuid:subscription_id>/replays/<uuid:replay_id>")
class ReplayById(MethodView):
    """One replay."""

    @blp.response(200, schemas.WebhookReplaySchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, subscription_id: UUID, replay_id: UUID) -> dict[str, Any]:
        """How far a replay got, and how many deliveries it made."""
        _owned_or_admin(_manager(), subscription_id)
        replay = runtime().replays.get(str(replay_id))
        if replay["subscription_id"] != str(subscription_id):
            raise NotFound(f"no replay {replay_id} for this subscription")
        return replay
