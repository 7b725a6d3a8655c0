"""Photo bytes as HTTP responses: the stored metadata's type, the hash as ETag, never sniffed.

Callers decide who may see the case first (the API by token, Open311 for non-private cases, the
web pages by their session); this module only answers for a photo the case holds.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, request

from domain.errors import NotFound
from service.photos.processing import THUMBNAIL_CONTENT_TYPE
from service.photos.store import PhotoStore, thumbnail_key

log = logging.getLogger(__name__)

#: Stored bytes never change (the URL names their hash), so a browser may keep them a day; only
#: who may see them could change, which is why the API's answers are ``private``.
PRIVATE_CACHE = "private, max-age=86400"
#: Photos of non-private cases, as Open311 publishes them: shared caches may keep them too.
PUBLIC_CACHE = "public, max-age=86400"
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def send_photo(
    store: PhotoStore, photo: dict[str, Any], *, thumbnail: bool, cache: str = PRIVATE_CACHE
) -> Response:
    """The photo (or its thumbnail) of ``case.photo(sha256)``; 304 for a matching If-None-Match."""
    sha256: str = photo["sha256"]
    etag = f"{sha256}-thumbnail" if thumbnail else sha256
    content_type = THUMBNAIL_CONTENT_TYPE if thumbnail else photo["content_type"]
    headers = {
        "Cache-Control": cache,
        "X-Content-Type-Options": "nosniff",
        "ETag": f'"{etag}"',
    }
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    data = store.get(thumbnail_key(sha256) if thumbnail else sha256)
    if data is None:
        # The event is recorded only after the bytes were stored: they were lost since.
        log.error("photo %s (thumbnail: %s) is missing from the photo store", sha256, thumbnail)
        raise NotFound("the photo's file is missing from the store")
    name = (
        f"{sha256[:16]}{'-thumbnail' if thumbnail else ''}.{_EXTENSIONS.get(content_type, 'bin')}"
    )
    response = Response(data, mimetype=content_type, headers=headers)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response
