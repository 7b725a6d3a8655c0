"""Photos on cases through HTTP: upload, list, fetch by whoever may see the case, and Open311."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from domain.actors import Actor, Role
from domain.case import Channel, Location
from service import create_app
from service.photos.store import process_and_store
from service.settings import Settings
from tests.e2e.conftest import Caller, Cast
from tests.unit.test_photos import phone_jpeg, two_colour_image

MAX_BYTES = 2 * 1024 * 1024
PUBLIC_URL = "https://k2k.example.my"


@pytest.fixture(scope="module")
def shared_app(
    shared_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The service with its photos in this module's own folder and a 2 MiB upload limit.

    One world per module and backend (each test reports its own cases), since making a fresh
    PostgreSQL database for each test costs more than the test.
    """
    flask_app = create_app(
        {
            "K2K_DATABASE_URL": shared_settings.database_url,
            "K2K_BACKGROUND": "0",
            "K2K_PHOTO_DIR": str(tmp_path_factory.mktemp("photos")),
            "K2K_PHOTO_MAX_BYTES": str(MAX_BYTES),
            "K2K_PUBLIC_URL": PUBLIC_URL,
            "TESTING": True,
        }
    )
    yield flask_app
    flask_app.extensions["k2k"].close()


@pytest.fixture
def cast(shared_cast: Cast) -> Cast:
    """The module's shared cast."""
    return shared_cast


def upload(
    caller: Caller,
    case_id: str,
    content: bytes | None,
    *,
    name: str = "IMG_0001.jpg",
    headers: dict[str, str] | None = None,
) -> Any:
    """POST one file as the multipart part ``photo`` (no part at all for None)."""
    parts = {} if content is None else {"photo": _file(content, name)}
    # Encoded here, in memory: the test client spools a large body to a file it never closes.
    boundary, body = encode_multipart(MultiDict(parts))
    return caller.client.post(
        f"/api/v1/cases/{case_id}/photos",
        data=body,
        headers=caller.headers(headers),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def attached(caller: Caller, case_id: str, content: bytes | None = None) -> dict[str, Any]:
    """Attach a photo (a phone's JPEG unless given) and return the new photo's JSON."""
    response = upload(caller, case_id, content or phone_jpeg())
    assert response.status_code == 201, response.json
    return dict(response.json["photos"][-1])


def image_of(response: Any) -> Image.Image:
    image = Image.open(BytesIO(response.data))
    image.load()
    return image


# -- uploading ----------------------------------------------------------------------------------


def test_a_resident_attaches_a_photo_and_the_case_lists_it_with_its_urls(cast: Cast) -> None:
    case_id = cast.report()["id"]

    response = upload(cast.resident, case_id, phone_jpeg(orientation=6))

    assert response.status_code == 201, response.json
    assert response.headers["ETag"] == '"2"'
    case = response.json
    (photo,) = case["photos"]
    assert photo["url"] == f"/api/v1/cases/{case_id}/photos/{photo['sha256']}"
    assert photo["thumbnail_url"] == photo["url"] + "/thumbnail"
    assert response.headers["Location"] == photo["url"]
    assert (photo["width"], photo["height"], photo["content_type"]) == (100, 300, "image/jpeg")
    assert photo["attached_by"] == {"id": cast.resident.principal_id, "role": "resident"}
    assert (case["photo_count"], case["thumbnail_url"]) == (1, photo["thumbnail_url"])
    listed = cast.resident.get(f"/api/v1/cases/{case_id}/photos").json
    assert listed == {"case_id": case_id, "items": [photo]}


def test_the_stored_photo_is_the_stripped_one_and_its_hash_is_its_etag(cast: Cast) -> None:
    case_id = cast.report()["id"]
    photo = attached(cast.resident, case_id)

    served = cast.neighbour.get(photo["url"])

    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["ETag"] == f'"{photo["sha256"]}"'
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"].startswith("private, max-age=")
    assert hashlib.sha256(served.data).hexdigest() == photo["sha256"]
    assert len(served.data) == photo["byte_size"]
    assert b"Exif" not in served.data
    assert dict(image_of(served).getexif()) == {}
    # A browser that has it asks again with its ETag and is told it is unchanged.
    again = cast.neighbour.get(photo["url"], headers={"If-None-Match": served.headers["ETag"]})
    assert (again.status_code, again.data) == (304, b"")


def test_the_thumbnail_is_a_smaller_jpeg(cast: Cast) -> None:
    case_id = cast.report()["id"]
    photo = attached(cast.resident, case_id, phone_jpeg(image=two_colour_image(1600, 1200)))

    original = cast.committee.get(photo["url"])
    thumbnail = cast.committee.get(photo["thumbnail_url"])

    assert thumbnail.status_code == 200
    assert thumbnail.headers["Content-Type"] == "image/jpeg"
    assert len(thumbnail.data) < len(original.data)
    assert image_of(thumbnail).size == (320, 240)
    assert image_of(original).size == (1600, 1200)


def test_management_attaches_an_after_photo_and_the_history_shows_both(cast: Cast) -> None:
    case_id = cast.report()["id"]
    before = attached(cast.resident, case_id)
    cast.management.post(f"/api/v1/cases/{case_id}/acknowledge")
    after = attached(cast.management, case_id, phone_jpeg(image=two_colour_image(200, 200)))
    cast.management.post(f"/api/v1/cases/{case_id}/resolve", json={"note": "Dibaiki."})
    cast.project()

    history = cast.resident.get(f"/api/v1/cases/{case_id}/history").json["items"]

    photos = [item for item in history if item["type"] == "photo_attached"]
    assert [item["details"]["sha256"] for item in photos] == [before["sha256"], after["sha256"]]
    assert photos[1]["actor"]["role"] == "management"
    assert photos[1]["details"]["thumbnail_url"] == after["thumbnail_url"]
    assert photos[1]["changes"] == {}
    listed = cast.committee.get("/api/v1/cases?limit=100").json["items"]
    row = next(item for item in listed if item["id"] == case_id)
    assert (row["photo_count"], row["thumbnail_url"]) == (2, before["thumbnail_url"])


def test_the_web_forms_path_stores_photos_then_reports_with_them_in_one_save(
    shared_app: Flask, cast: Cast
) -> None:
    runtime = cast.runtime
    files = [
        _file(phone_jpeg()),
        _file(phone_jpeg(image=two_colour_image(80, 80))),
        _file(b"", name=""),  # a file input left empty
    ]
    head = cast.log_head()

    refs = process_and_store(runtime, files)
    saved = runtime.app.report_case(
        Actor(cast.resident.principal_id, Role.RESIDENT),
        ppr_code="SRP",
        location=Location("A", floor="7", unit="A-07-12"),
        category_code="LIFT",
        title="Paip bocor",
        description="Paip bocor di dapur.",
        channel=Channel.WEB,
        photos=refs,
    )

    assert cast.log_head() == head + 3
    case = cast.resident.get(f"/api/v1/cases/{saved.id}").json
    assert [photo["sha256"] for photo in case["photos"]] == [ref.sha256 for ref in refs]
    assert cast.resident.get(case["photos"][1]["thumbnail_url"]).status_code == 200


def _file(content: bytes, name: str = "IMG.jpg") -> FileStorage:
    """A part of the web report form, as werkzeug hands it over."""
    return FileStorage(BytesIO(content), filename=name, content_type="image/jpeg")


# -- who may see -------------------------------------------------------------------------------


def test_a_resident_of_another_ppr_gets_404_for_the_photos(cast: Cast) -> None:
    case_id = cast.report()["id"]
    photo = attached(cast.resident, case_id)

    for path in (photo["url"], photo["thumbnail_url"], f"/api/v1/cases/{case_id}/photos"):
        assert cast.other_ppr_resident.get(path).status_code == 404, path
        assert cast.other_ppr_management.get(path).status_code == 404, path


def test_a_private_cases_photos_are_for_its_reporter_and_staff_only(cast: Cast) -> None:
    case_id = cast.report(private=True)["id"]
    photo = attached(cast.resident, case_id)

    for path in (photo["url"], photo["thumbnail_url"], f"/api/v1/cases/{case_id}/photos"):
        assert cast.neighbour.get(path).status_code == 404, path
        assert cast.integration.get(path).status_code == 404, path
        for allowed in (cast.resident, cast.committee, cast.management, cast.auditor):
            assert allowed.get(path).status_code == 200, (path, allowed.role)
    assert cast.without_token().get(photo["url"]).status_code == 401


def test_a_photo_the_case_does_not_hold_is_404_even_if_another_case_holds_it(cast: Cast) -> None:
    mine = cast.report()["id"]
    theirs = cast.report(cast.neighbour)["id"]
    photo = attached(cast.neighbour, theirs)

    response = cast.resident.get(f"/api/v1/cases/{mine}/photos/{photo['sha256']}")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert cast.resident.get(f"/api/v1/cases/{mine}/photos/{'0' * 64}").status_code == 404


# -- refusals ------------------------------------------------------------------------------------


def test_bad_uploads_get_a_problem_naming_the_field_and_record_nothing(cast: Cast) -> None:
    case_id = cast.report()["id"]
    head = cast.log_head()
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100
    whole = phone_jpeg(image=two_colour_image(600, 400))

    cases = [
        (upload(cast.resident, case_id, b"%PDF-1.7 not a photo", name="photo.jpg"), 415),
        (upload(cast.resident, case_id, heic, name="IMG_0001.HEIC"), 415),
        (upload(cast.resident, case_id, whole[: len(whole) // 2]), 422),
        (upload(cast.resident, case_id, b"\xff" * (MAX_BYTES + 1)), 413),
        (upload(cast.resident, case_id, None), 422),
    ]

    for response, status in cases:
        assert response.status_code == status, response.json
        assert response.headers["Content-Type"] == "application/problem+json"
        assert "photo" in response.json["errors"], response.json
    assert "HEIC" in cases[1][0].json["detail"]
    assert cast.log_head() == head


def test_a_nul_in_a_typed_field_is_refused_though_photos_are_binary(cast: Cast) -> None:
    case_id = cast.report()["id"]

    response = cast.resident.client.post(
        f"/api/v1/cases/{case_id}/photos",
        data={"photo": (BytesIO(phone_jpeg()), "IMG.jpg"), "caption": "Lif\x00rosak"},
        headers=cast.resident.headers(),
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert list(response.json["errors"]) == ["_request"]


def test_a_photo_sent_as_json_is_refused_with_415(cast: Cast) -> None:
    case_id = cast.report()["id"]

    response = cast.resident.post(f"/api/v1/cases/{case_id}/photos", json={"photo": "aGk="})

    assert response.status_code == 415
    assert "multipart/form-data" in response.json["detail"]


def test_a_body_larger_than_one_photo_is_refused_before_it_is_read(cast: Cast) -> None:
    case_id = cast.report()["id"]
    huge = b"\xff" * (MAX_BYTES + 512 * 1024)

    response = upload(cast.resident, case_id, huge)

    assert response.status_code == 413
    assert "photo" in response.json["errors"]


def test_who_may_attach_and_when(cast: Cast) -> None:
    case_id = cast.report()["id"]
    photo = phone_jpeg()

    assert upload(cast.neighbour, case_id, photo).status_code == 403
    assert upload(cast.auditor, case_id, photo).status_code == 403
    assert upload(cast.other_ppr_resident, case_id, photo).status_code == 404
    assert upload(cast.resident, case_id, photo).status_code == 201
    assert upload(cast.committee, case_id, photo).status_code == 409  # attached already
    cast.resident.post(f"/api/v1/cases/{case_id}/withdraw")
    finished = upload(cast.resident, case_id, phone_jpeg(image=two_colour_image(90, 90)))
    assert finished.status_code == 409
    assert "withdrawn" in finished.json["detail"]


def test_if_match_and_idempotency_key_work_as_on_every_case_command(cast: Cast) -> None:
    case_id = cast.report()["id"]

    stale = upload(cast.resident, case_id, phone_jpeg(), headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    current = upload(cast.resident, case_id, phone_jpeg(), headers={"If-Match": '"1"'})
    assert current.status_code == 201

    # The same upload resent with the same key (and a new multipart boundary) is replayed.
    key = {"Idempotency-Key": "upload-7"}
    other = phone_jpeg(image=two_colour_image(120, 90))
    first = upload(cast.resident, case_id, other, headers=key)
    head = cast.log_head()
    replayed = upload(cast.resident, case_id, other, headers=key)
    assert (first.status_code, replayed.status_code) == (201, 201)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json == first.json
    assert cast.log_head() == head
    # Another photo under the same key is another request.
    assert upload(cast.resident, case_id, phone_jpeg(), headers=key).status_code == 422


# -- Open311 -------------------------------------------------------------------------------------


def test_open311_gives_the_first_photo_as_media_url_that_anyone_may_fetch(
    shared_app: Flask, cast: Cast
) -> None:
    with_photo = cast.report()["id"]
    first = attached(cast.resident, with_photo)
    attached(cast.management, with_photo, phone_jpeg(image=two_colour_image(50, 50)))
    without = cast.report(title="Lampu koridor padam")["id"]
    cast.project()
    public = shared_app.test_client()

    requests = {
        item["service_request_id"]: item
        for item in public.get("/open311/v2/requests.json?extensions=true").json
    }

    media_url = requests[with_photo]["media_url"]
    assert media_url == f"{PUBLIC_URL}/open311/v2/media/{with_photo}/{first['sha256']}"
    assert requests[without]["media_url"] is None
    notes = requests[with_photo]["extended_attributes"]["notes"]
    assert [note["media_url"] is not None for note in notes] == [False, True, True]
    fetched = public.get(media_url.removeprefix(PUBLIC_URL))
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"] == "image/jpeg"
    assert hashlib.sha256(fetched.data).hexdigest() == first["sha256"]
    assert fetched.headers["X-Content-Type-Options"] == "nosniff"


def test_a_private_cases_photos_are_not_in_open311(shared_app: Flask, cast: Cast) -> None:
    case_id = cast.report(private=True)["id"]
    photo = attached(cast.resident, case_id)
    cast.project()
    public = shared_app.test_client()

    response = public.get(f"/open311/v2/media/{case_id}/{photo['sha256']}")

    assert response.status_code == 404
    assert response.json[0]["code"] == 404
    assert public.get(f"/open311/v2/media/{case_id}/{'a' * 64}").status_code == 404
