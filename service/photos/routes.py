"""HTTP endpoints of case photos: attach one, list them, fetch a photo or its thumbnail."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, jsonify, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from domain.actors import Role
from domain.base import Saved
from domain.case import Case
from domain.errors import NotFound, NotPermitted, VersionMismatch
from service.auth import current_principal
from service.cases.presenters import present_case, present_photos
from service.cases.routes import visible_case
from service.cases.schemas import CaseSchema
from service.concurrency import expected_version, with_etag
from service.errors import documents_errors
from service.extensions import runtime
from service.photos import schemas
from service.photos.processing import PhotoRefused
from service.photos.serving import send_photo
from service.photos.store import process_and_store

blp = Blueprint(
    "photos",
    __name__,
    url_prefix="/api/v1/cases",
    description="Photos of cases: stored without their metadata, served to who may see the case.",
)

CASE_SCHEMA = CaseSchema()
SHA256 = "<string(length=64):sha256>"
#: OpenAPI description of a photo's bytes.
IMAGE_RESPONSE = {
    "description": "The image's bytes; the ETag is its SHA-256, so If-None-Match gives 304",
    "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The case's ETag; a stale one is refused with 412",
}


def held_photo(viewer: Any, case_id: UUID, sha256: str) -> dict[str, Any]:
    """The photo, if the case is visible to ``viewer`` and holds it; 404 otherwise."""
    photo = visible_case(viewer, case_id).photo(sha256)
    if photo is None:
        raise NotFound("case {case} has no photo {photo}", case=case_id, photo=sha256)
    return photo


@blp.route("/<uuid:case_id>/photos")
class CasePhotos(MethodView):
    """A case's photos."""

    @blp.response(200, schemas.PhotoListSchema)
    @documents_errors(blp, 401, 404)
    def get(self, case_id: UUID) -> dict[str, Any]:
        """List a case's photos, oldest first, with where to fetch each and its thumbnail."""
        viewer = current_principal()
        case = visible_case(viewer, case_id)
        key = runtime().settings.pseudonym_key
        return {"case_id": str(case_id), "items": present_photos(case, viewer, key)}

    @blp.arguments(schemas.PhotoUploadSchema, location="files")
    @blp.response(201, CaseSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @documents_errors(blp, 400, 401, 403, 404, 409, 412, 413, 415, 422)
    @blp.doc(parameters=[IF_MATCH])
    def post(self, files: dict[str, Any], case_id: UUID) -> Response:
        """Attach a photo to a case (multipart/form-data, part ``photo``).

        The reporter (at most 3 photos of their own), committee and management (an "after"
        photo, say), while the case is not finished; a case holds at most 10, each once. The
        photo is checked by its content, turned upright, stripped of EXIF/GPS and every other
        metadata, re-encoded as JPEG and stored under its SHA-256 before the event is recorded.
        """
        viewer = current_principal()
        if viewer.role is Role.AUDITOR:
            raise NotPermitted("auditors read; they do not change cases")
        case = visible_case(viewer, case_id)
        version = expected_version()
        # Refuse what the command would refuse before any bytes are processed or stored.
        if version is not None and case.version != version:
            raise VersionMismatch(version, case.version)
        case.check_may_attach_photo(viewer.actor)
        refs = process_and_store(runtime(), [files["photo"]], most=1)
        if not refs:
            raise PhotoRefused(422, "choose a photo file to upload")
        app = runtime().app
        saved: Saved = app.attach_photo(
            viewer.actor, case_id, photo=refs[0], expected_version=version
        )
        runtime().changed()
        after = saved.aggregate if isinstance(saved.aggregate, Case) else app.get_case(case_id)
        body = CASE_SCHEMA.dump(present_case(after, viewer, runtime().settings.pseudonym_key))
        response = jsonify(body)
        response.status_code = 201
        response.headers["Location"] = url_for(
            "photos.CasePhoto", case_id=str(case_id), sha256=refs[0].sha256
        )
        return with_etag(response, after.version)


@blp.route(f"/<uuid:case_id>/photos/{SHA256}")
class CasePhoto(MethodView):
    """One photo of a case."""

    @blp.doc(responses={"200": IMAGE_RESPONSE})
    @documents_errors(blp, 401, 404)
    def get(self, case_id: UUID, sha256: str) -> Response:
        """Fetch a photo (JPEG, at most 2048 px, no metadata) of a case the caller may see."""
        photo = held_photo(current_principal(), case_id, sha256)
        return send_photo(runtime().photos, photo, thumbnail=False)


@blp.route(f"/<uuid:case_id>/photos/{SHA256}/thumbnail")
class CasePhotoThumbnail(MethodView):
    """The thumbnail of one photo of a case."""

    @blp.doc(responses={"200": IMAGE_RESPONSE})
    @documents_errors(blp, 401, 404)
    def get(self, case_id: UUID, sha256: str) -> Response:
        """Fetch a photo's thumbnail (JPEG, at most 320 px) of a case the caller may see."""
        photo = held_photo(current_principal(), case_id, sha256)
        return send_photo(runtime().photos, photo, thumbnail=True)
