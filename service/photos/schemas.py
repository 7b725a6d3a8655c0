"""Request and response shapes of the photos resource."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload

from service.cases.schemas import CasePhotoSchema


class PhotoUploadSchema(ma.Schema):
    """One photo, as a multipart/form-data part."""

    photo = Upload(
        required=True,
        metadata={
            "description": "A JPEG, PNG or WebP photo (HEIC is refused): at most "
            "K2K_PHOTO_MAX_BYTES (10 MiB by default). It is stored re-encoded as JPEG, upright, "
            "at most 2048 px, without EXIF, GPS or any other metadata."
        },
    )


class PhotoListSchema(ma.Schema):
    """A case's photos."""

    case_id = ma.fields.String()
    items = ma.fields.List(
        ma.fields.Nested(CasePhotoSchema), metadata={"description": "Oldest first"}
    )
