"""Photo storage on a local folder and on S3 (a real HTTP endpoint: moto's server), and what the
read models and notifications make of photos."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from domain.case import PhotoRef
from projections.case_list import case_list
from projections.case_timeline import case_timeline
from service.photos.processing import PhotoRefused, process_photo
from service.photos.store import (
    LocalPhotoStore,
    PhotoStore,
    S3PhotoStore,
    photo_store_from,
    process_and_store,
    thumbnail_key,
)
from service.runtime import Runtime
from service.settings import Settings
from tests.integration.notification_world import notified
from tests.unit.test_photos import phone_jpeg, two_colour_image
from tests.unit.world import MANAGER, REPORTER

BUCKET = "k2k-photos"
DATA = b"\xff\xd8 not really a jpeg, but stores do not look \x00\xff\xd9"
KEY = hashlib.sha256(DATA).hexdigest()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free local port, for the tests of this module."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard AWS variables, as a deployment sets them (never K2K settings)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def s3_settings(s3_endpoint: str, aws_credentials: None, tmp_path: Path) -> Settings:
    """Settings naming a fresh bucket on the moto server."""
    bucket = f"{BUCKET}-{os.urandom(4).hex()}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'k2k.sqlite'}",
        photo_s3_bucket=bucket,
        photo_s3_endpoint_url=s3_endpoint,
        photo_s3_region="us-east-1",
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> PhotoStore:
    """Each photo store."""
    if request.param == "local":
        return LocalPhotoStore(tmp_path / "photos")
    return photo_store_from(request.getfixturevalue("s3_settings"))


# -- the store contract, on both --------------------------------------------------------------


def test_a_stored_photo_reads_back_byte_for_byte(store: PhotoStore) -> None:
    assert not store.exists(KEY)
    assert store.get(KEY) is None

    store.put(KEY, DATA, "image/jpeg")

    assert store.exists(KEY)
    assert store.get(KEY) == DATA


def test_a_photo_and_its_thumbnail_are_two_keys(store: PhotoStore) -> None:
    store.put(thumbnail_key(KEY), b"small", "image/jpeg")

    assert store.get(thumbnail_key(KEY)) == b"small"
    assert not store.exists(KEY)


@pytest.mark.parametrize(
    "key",
    ["../../etc/passwd", KEY.upper(), KEY[:-1], KEY + "/..", KEY + ".thumbnail.jpg", ""],
    ids=["traversal", "upper-case", "short", "slash", "suffix", "empty"],
)
def test_a_key_that_is_not_a_hash_names_nothing(store: PhotoStore, key: str) -> None:
    for use in (lambda: store.put(key, DATA, "image/jpeg"), lambda: store.get(key)):
        with pytest.raises(ValueError, match="not a photo key"):
            use()


# -- the local folder -------------------------------------------------------------------------


def test_the_local_store_lays_files_out_by_the_hashs_first_digits(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)

    store.put(KEY, DATA, "image/jpeg")

    assert (tmp_path / KEY[:2] / KEY[2:4] / KEY).read_bytes() == DATA
    assert [path.name for path in (tmp_path / KEY[:2] / KEY[2:4]).iterdir()] == [KEY]


def test_a_write_that_dies_before_its_rename_leaves_no_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalPhotoStore(tmp_path)

    def crash(*args: Any) -> None:
        raise OSError("disk went away")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk went away"):
        store.put(KEY, DATA, "image/jpeg")

    assert not store.exists(KEY)
    assert list((tmp_path / KEY[:2] / KEY[2:4]).iterdir()) == []


def test_a_key_already_stored_is_kept_as_it_is(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)
    store.put(KEY, DATA, "image/jpeg")

    store.put(KEY, b"something else", "image/jpeg")

    assert store.get(KEY) == DATA


def test_the_local_folder_is_under_the_data_dir_unless_given(tmp_path: Path) -> None:
    default = Settings.from_env({"K2K_DATA_DIR": str(tmp_path)})
    chosen = Settings.from_env({"K2K_DATA_DIR": str(tmp_path), "K2K_PHOTO_DIR": "/srv/photos"})

    store = photo_store_from(default)
    assert isinstance(store, LocalPhotoStore)
    assert store.root == tmp_path / "photos"
    assert chosen.photo_folder == Path("/srv/photos")
    assert default.photo_max_bytes == 10 * 1024 * 1024


# -- S3 -----------------------------------------------------------------------------------------


def test_s3_is_used_when_a_bucket_is_configured_and_objects_carry_their_type(
    s3_settings: Settings,
) -> None:
    store = photo_store_from(s3_settings)
    assert isinstance(store, S3PhotoStore)

    store.put(KEY, DATA, "image/jpeg")

    head = store.client.head_object(Bucket=s3_settings.photo_s3_bucket, Key=store.object_name(KEY))
    assert store.object_name(KEY) == f"photos/{KEY[:2]}/{KEY[2:4]}/{KEY}"
    assert head["ContentType"] == "image/jpeg"
    assert head["ContentLength"] == len(DATA)


def test_s3_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "K2K_PHOTO_S3_BUCKET": "k2k",
            "K2K_PHOTO_S3_ENDPOINT_URL": "https://s3.example",
            "K2K_PHOTO_S3_REGION": "ap-southeast-5",
            "K2K_PHOTO_MAX_BYTES": "2000000",
        }
    )

    assert (
        settings.photo_s3_bucket,
        settings.photo_s3_endpoint_url,
        settings.photo_s3_region,
        settings.photo_s3_prefix,
        settings.photo_max_bytes,
    ) == ("k2k", "https://s3.example", "ap-southeast-5", "photos/", 2_000_000)


# -- processing and storing uploads ------------------------------------------------------------


def uploads(*contents: bytes, empty_part: bool = False) -> list[FileStorage]:
    parts = [
        FileStorage(BytesIO(content), filename=f"IMG_{n}.jpg", content_type="image/jpeg")
        for n, content in enumerate(contents)
    ]
    if empty_part:
        parts.append(
            FileStorage(BytesIO(b""), filename="", content_type="application/octet-stream")
        )
    return parts


def fake_runtime(store: PhotoStore, max_bytes: int = 10 * 1024 * 1024) -> Any:
    """What ``process_and_store`` uses of a runtime: the byte limit and the store."""
    return SimpleNamespace(settings=SimpleNamespace(photo_max_bytes=max_bytes), photos=store)


def test_uploads_are_stripped_and_stored_with_their_thumbnails(store: PhotoStore) -> None:
    upright, other = phone_jpeg(orientation=6), phone_jpeg(image=two_colour_image(64, 64))

    refs = process_and_store(fake_runtime(store), uploads(upright, other, empty_part=True))

    assert [ref.sha256 for ref in refs] == [
        process_photo(upright).ref.sha256,
        process_photo(other).ref.sha256,
    ]
    for ref in refs:
        stored = store.get(ref.sha256)
        assert stored is not None and hashlib.sha256(stored).hexdigest() == ref.sha256
        assert b"Exif" not in stored
        assert store.exists(thumbnail_key(ref.sha256))


def test_one_bad_upload_refuses_them_all_and_stores_nothing(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)

    with pytest.raises(PhotoRefused) as refused:
        process_and_store(fake_runtime(store), uploads(phone_jpeg(), b"not a photo"))

    assert refused.value.status == 415
    assert refused.value.message.startswith("photo 2: ")
    assert not tmp_path.exists() or list(tmp_path.rglob("*")) == []


def test_more_uploads_than_allowed_or_a_file_too_large_are_refused(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)
    photo = phone_jpeg()

    with pytest.raises(PhotoRefused) as too_many:
        process_and_store(fake_runtime(store), uploads(photo, photo, photo, photo))
    with pytest.raises(PhotoRefused) as too_large:
        process_and_store(fake_runtime(store, max_bytes=len(photo) - 1), uploads(photo))

    assert (too_many.value.status, too_large.value.status) == (422, 413)


def test_the_same_upload_twice_is_one_reference(tmp_path: Path) -> None:
    refs = process_and_store(fake_runtime(LocalPhotoStore(tmp_path)), uploads(*[phone_jpeg()] * 2))

    assert len(refs) == 1


# -- read models and notifications --------------------------------------------------------------


def stored_ref(name: str) -> PhotoRef:
    return PhotoRef(hashlib.sha256(name.encode()).hexdigest(), "image/jpeg", 1000, 640, 480)


def test_the_case_list_counts_photos_and_keeps_the_first_and_the_timeline_shows_hashes(
    runtime: Runtime,
) -> None:
    with notified(runtime) as scenario:
        case_id = scenario.world.report(REPORTER, photos=[stored_ref("a"), stored_ref("b")])
        runtime.app.attach_photo(MANAGER, case_id, photo=stored_ref("after"))
        runtime.runner.catch_up()

        with runtime.engine.connect() as conn:
            row = conn.execute(select(case_list).where(case_list.c.case_id == str(case_id))).one()
            timeline = conn.execute(
                select(case_timeline)
                .where(case_timeline.c.case_id == str(case_id))
                .order_by(case_timeline.c.version)
            ).all()

        assert (row.photo_count, row.first_photo, row.version) == (3, stored_ref("a").sha256, 4)
        assert [entry.event_type for entry in timeline] == [
            "reported",
            "photo_attached",
            "photo_attached",
            "photo_attached",
        ]
        assert timeline[1].details == {
            "sha256": stored_ref("a").sha256,
            "content_type": "image/jpeg",
            "byte_size": 1000,
            "width": 640,
            "height": 480,
        }
        assert timeline[3].changes == {}

        # A rebuild from the log gives the same rows.
        runtime.runner.rebuild("case_list")
        with runtime.engine.connect() as conn:
            again = conn.execute(select(case_list).where(case_list.c.case_id == str(case_id))).one()
        assert again == row


def test_photos_tell_no_one_anything_a_report_does_not(runtime: Runtime) -> None:
    with notified(runtime) as scenario:
        plain = scenario.world.report(REPORTER)
        plain_news = scenario.news()
        with_photos = scenario.world.report(REPORTER, photos=[stored_ref("a")])
        assert scenario.news() == plain_news

        scenario.world.app.attach_photo(MANAGER, with_photos, photo=stored_ref("after"))
        scenario.world.app.attach_photo(REPORTER, plain, photo=stored_ref("b"))
        assert scenario.news() == {}
