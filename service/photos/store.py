"""Where photo bytes live: content-addressed files in a local folder, or objects in S3.

A photo's key is the SHA-256 of its stored bytes (its thumbnail's key adds ``.thumbnail``), laid
out as ``ab/cd/<key>`` in both stores, so a folder can be copied into a bucket as it is. Keys are
checked against that shape before any path or object name is built from them. A put is whole or
nothing: a temporary file renamed into place, or one S3 PUT. Photos are stored *before* the case
event that names them is recorded, so every photo an event names is there to be read; a crash in
between leaves only an unreferenced file, never an event without its photo.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from werkzeug.datastructures import FileStorage

from domain.case import REPORT_PHOTOS_MAX, PhotoRef
from service.photos.processing import (
    THUMBNAIL_CONTENT_TYPE,
    PhotoRefused,
    ProcessedPhoto,
    process_photo,
    read_upload,
)
from service.settings import Settings

if TYPE_CHECKING:
    from service.runtime import Runtime

_KEY = re.compile(r"[0-9a-f]{64}(\.thumbnail)?")
THUMBNAIL_SUFFIX = ".thumbnail"


def thumbnail_key(sha256: str) -> str:
    """The key of a photo's thumbnail."""
    return sha256 + THUMBNAIL_SUFFIX


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a photo key: {key!r}")
    return key


def _relative(key: str) -> str:
    key = _checked(key)
    return f"{key[0:2]}/{key[2:4]}/{key}"


class PhotoStore(Protocol):
    """Content-addressed bytes by key: what both stores offer."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key``, whole or not at all (a key already stored is kept)."""

    def get(self, key: str) -> bytes | None:
        """The bytes stored under ``key``, or None."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` is stored."""


class LocalPhotoStore:
    """Files under one folder: ``<root>/ab/cd/<key>``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """Where ``key``'s file is (the key is checked first: nothing else names a path)."""
        return self.root / _relative(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write a temporary file beside the target, flush it to disk, rename it into place."""
        target = self.path(key)
        if target.is_file():
            return  # the same key is the same bytes
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _sync_folder(target.parent)

    def get(self, key: str) -> bytes | None:
        """The file's bytes, or None."""
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        """Whether the file is there."""
        return self.path(key).is_file()


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable before the event naming the photo is recorded."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class S3PhotoStore:
    """Objects in an S3-compatible bucket: ``<prefix>ab/cd/<key>``."""

    def __init__(self, client: Any, bucket: str, prefix: str = "photos/") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def from_settings(cls, settings: Settings) -> S3PhotoStore:
        """A client for the configured endpoint; credentials come from the standard AWS chain."""
        import boto3
        from botocore.config import Config

        assert settings.photo_s3_bucket is not None
        client = boto3.client(
            "s3",
            endpoint_url=settings.photo_s3_endpoint_url,
            region_name=settings.photo_s3_region,
            config=Config(
                connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}
            ),
        )
        return cls(client, settings.photo_s3_bucket, settings.photo_s3_prefix)

    def object_name(self, key: str) -> str:
        """The object's name in the bucket."""
        return self.prefix + _relative(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """One PUT: S3 shows an object whole or not at all."""
        if self.exists(key):
            return
        self.client.put_object(
            Bucket=self.bucket, Key=self.object_name(key), Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None."""
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.object_name(key))
        except ClientError as error:
            if _missing(error):
                return None
            raise
        body: bytes = answer["Body"].read()
        return body

    def exists(self, key: str) -> bool:
        """Whether the object is there."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_name(key))
        except ClientError as error:
            if _missing(error):
                return False
            raise
        return True


def _missing(error: Any) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


def photo_store_from(settings: Settings) -> PhotoStore:
    """S3 when ``K2K_PHOTO_S3_BUCKET`` is set, else the local folder."""
    if settings.photo_s3_bucket:
        return S3PhotoStore.from_settings(settings)
    return LocalPhotoStore(settings.photo_folder)


def store_processed(store: PhotoStore, photo: ProcessedPhoto) -> PhotoRef:
    """Store a processed photo and its thumbnail (the thumbnail first, so a stored photo has one)."""
    store.put(thumbnail_key(photo.ref.sha256), photo.thumbnail, THUMBNAIL_CONTENT_TYPE)
    store.put(photo.ref.sha256, photo.data, photo.ref.content_type)
    return photo.ref


def chosen_files(files: Iterable[FileStorage]) -> list[FileStorage]:
    """The parts that hold a file: a form's file input left empty still sends an empty part."""
    return [file for file in files if file.filename]


def process_and_store(
    runtime: Runtime,
    files: Iterable[FileStorage],
    *,
    most: int = REPORT_PHOTOS_MAX,
    field: str = "photo",
) -> list[PhotoRef]:
    """Check, strip and store uploaded photos; returns their references for the case command.

    ``files`` are werkzeug ``FileStorage`` parts (``request.files.getlist("photo")``); parts of a
    file input left empty are skipped. Every file is processed before any is stored, so one bad
    photo refuses the lot and stores nothing. The same photo twice gives one reference. Then
    record them, for example ``runtime.app.report_case(..., photos=refs)``, which attaches them
    in the same save as the report.

    Raises ``PhotoRefused`` (status 413, 415 or 422, naming ``field``) for more than ``most``
    files, a file over ``K2K_PHOTO_MAX_BYTES``, or one that is not a whole JPEG, PNG or WebP.
    """
    chosen = chosen_files(files)
    if len(chosen) > most:
        raise PhotoRefused(422, f"send at most {most} photos", field, most=most)
    max_bytes = runtime.settings.photo_max_bytes
    processed: dict[str, ProcessedPhoto] = {}
    for number, upload in enumerate(chosen, start=1):
        try:
            photo = process_photo(read_upload(upload.stream, max_bytes))
        except PhotoRefused as refusal:
            prefix = f"photo {number}: " if len(chosen) > 1 else ""
            raise PhotoRefused(refusal.status, prefix + refusal.message, field) from refusal
        processed.setdefault(photo.ref.sha256, photo)
    return [store_processed(runtime.photos, photo) for photo in processed.values()]
