"""HTTP endpoints of the notifications resource."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from domain.actors import Role
from domain.errors import NotFound
from service.auth import current_principal, require_role
from service.errors import documents_errors
from service.extensions import runtime
from service.notifications import schemas
from service.notifications.queries import delivery_page, mark_read, outbox_page
from workers.kinds import DESCRIPTIONS
from workers.tables import relay_skipped

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1/notifications",
    description="Each person's outbox of notifications, and the delivery log for admins.",
)


@blp.route("")
class Notifications(MethodView):
    """The caller's outbox."""

    @blp.arguments(schemas.NotificationQueryArgsSchema, location="query")
    @blp.response(200, schemas.NotificationPageSchema)
    @documents_errors(blp, 400, 401, 422)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every message sent to the caller, newest first, in the language they chose."""
        viewer = current_principal()
        items, unread, next_cursor = outbox_page(runtime().engine, viewer.principal_id, args)
        return {"items": items, "unread": unread, "next_cursor": next_cursor}


@blp.route("/<string:message_id>/read")
class NotificationRead(MethodView):
    """Reading a message."""

    @blp.response(200, schemas.NotificationSchema)
    @documents_errors(blp, 401, 404)
    def post(self, message_id: str) -> Any:
        """Mark one of the caller's messages read."""
        return mark_read(runtime().engine, current_principal().principal_id, message_id)


@blp.route("/kinds")
class Kinds(MethodView):
    """What people can be notified about."""

    @blp.response(200, schemas.KindSchema(many=True))
    @documents_errors(blp, 401)
    def get(self) -> list[dict[str, str]]:
        """The kinds of notification (mute any of them with PATCH /api/v1/people/me)."""
        current_principal()
        return [{"kind": kind.value, "description": text} for kind, text in DESCRIPTIONS.items()]


@blp.route("/deliveries")
class Deliveries(MethodView):
    """The delivery log."""

    @blp.arguments(schemas.DeliveryQueryArgsSchema, location="query")
    @blp.response(200, schemas.DeliveryPageSchema)
    @documents_errors(blp, 400, 401, 403, 422)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every delivery (admin): status, attempts and the last error; failed ones stay here."""
        require_role(Role.ADMIN)
        items, counts, next_cursor = delivery_page(runtime().engine, args)
        return {"items": items, "counts": counts, "next_cursor": next_cursor}


@blp.route("/relay")
class RelayStatus(MethodView):
    """The relay."""

    @blp.response(200, schemas.RelayStatusSchema)
    @documents_errors(blp, 401, 403)
    def get(self) -> dict[str, Any]:
        """The relay's position and lag, and any event it had to set aside (admin)."""
        require_role(Role.ADMIN)
        return _relay_status()


def _relay_status() -> dict[str, Any]:
    parts = runtime()
    with parts.engine.connect() as conn:
        skipped = conn.execute(
            select(relay_skipped).order_by(relay_skipped.c.notification_id.desc()).limit(100)
        ).all()
    return {
        **parts.relay.status(),
        "queue": "embedded" if parts.settings.embedded else "rq",
        "skipped": skipped,
    }


@blp.route("/relay/skipped/<int:notification_id>/replay")
class ReplaySkipped(MethodView):
    """A set-aside event."""

    @blp.response(200, schemas.RelayStatusSchema)
    @documents_errors(blp, 401, 403, 404)
    def post(self, notification_id: int) -> dict[str, Any]:
        """Relay an event the relay had set aside, once its cause is fixed (admin)."""
        require_role(Role.ADMIN)
        if not runtime().relay.replay_skipped(notification_id):
            raise NotFound(f"no set-aside event {notification_id}")
        return _relay_status()
