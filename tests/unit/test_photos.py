"""Photo processing: only whole JPEG, PNG and WebP photos pass, upright and without any metadata."""

from __future__ import annotations

import hashlib
import struct
import zlib
from io import BytesIO

import pytest
from PIL import Image, ImageCms
from PIL.ExifTags import GPS, IFD, Base

from service.photos.processing import (
    MAX_LONG_SIDE,
    THUMBNAIL_LONG_SIDE,
    PhotoRefused,
    process_photo,
    read_upload,
)

RED = (220, 20, 20)
BLUE = (20, 20, 220)
#: Roughly the coordinates of a PPR in Kuala Lumpur: what a phone writes into a photo's EXIF.
LATITUDE = (3.0, 7.0, 12.5)
LONGITUDE = (101.0, 40.0, 30.25)


def two_colour_image(width: int = 300, height: int = 100) -> Image.Image:
    """Red on the left half, blue on the right half."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    return image


def phone_jpeg(orientation: int = 1, image: Image.Image | None = None) -> bytes:
    """A JPEG as a phone writes it: EXIF with the camera, an orientation and a GPS position, XMP,
    a comment and an ICC profile."""
    exif = Image.Exif()
    exif[Base.Make] = "PhoneMaker"
    exif[Base.Model] = "Model X"
    exif[Base.Orientation] = orientation
    exif[IFD.GPSInfo] = {
        GPS.GPSLatitudeRef: "N",
        GPS.GPSLatitude: LATITUDE,
        GPS.GPSLongitudeRef: "E",
        GPS.GPSLongitude: LONGITUDE,
    }
    buffer = BytesIO()
    (image or two_colour_image()).save(
        buffer,
        "JPEG",
        exif=exif,
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Unit A-07-12, Puan Aminah</x:xmpmeta>',
        comment=b"taken at home",
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
        quality=95,
    )
    return buffer.getvalue()


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


def refusal(data: bytes, **options: int) -> PhotoRefused:
    with pytest.raises(PhotoRefused) as caught:
        process_photo(data, **options)
    return caught.value


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels: a decompression bomb's shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


# -- what is kept and what is dropped -------------------------------------------------------------


def test_the_source_photo_really_carries_gps_exif_xmp_and_a_profile() -> None:
    # Guard: the stripping tests below would pass vacuously on a bare source.
    source = opened(phone_jpeg())
    assert source.getexif().get_ifd(IFD.GPSInfo)[GPS.GPSLatitude] == LATITUDE
    assert {"exif", "xmp", "comment", "icc_profile"} <= set(source.info)


def test_a_stored_photo_has_no_exif_no_gps_no_xmp_no_comment_and_no_profile() -> None:
    photo = process_photo(phone_jpeg())

    for data in (photo.data, photo.thumbnail):
        stored = opened(data)
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {}
        assert stored.getexif().get_ifd(IFD.GPSInfo) == {}
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(stored.info)
        for trace in (b"Exif", b"PhoneMaker", b"Puan Aminah", b"xmpmeta", b"taken at home"):
            assert trace not in data


def test_the_exif_orientation_is_applied_before_it_is_dropped() -> None:
    # Orientation 6: the camera was held upright, the sensor's pixels lie on their side.
    photo = process_photo(phone_jpeg(orientation=6))

    stored = opened(photo.data)
    assert (photo.ref.width, photo.ref.height) == stored.size == (100, 300)
    # Turned a quarter clockwise, the left (red) half is now on top.
    top, bottom = stored.getpixel((50, 20)), stored.getpixel((50, 280))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 150 > top[2]
    assert bottom[2] > 150 > bottom[0]


def test_the_reference_is_the_sha256_size_and_dimensions_of_the_stored_bytes() -> None:
    photo = process_photo(phone_jpeg())

    assert photo.ref.sha256 == hashlib.sha256(photo.data).hexdigest()
    assert photo.ref.byte_size == len(photo.data)
    assert photo.ref.content_type == "image/jpeg"
    assert (photo.ref.width, photo.ref.height) == (300, 100)


def test_the_same_upload_twice_gives_the_same_bytes_and_hash() -> None:
    upload = phone_jpeg()

    assert process_photo(upload) == process_photo(upload)


def test_a_big_photo_is_capped_at_2048_pixels_and_its_thumbnail_at_320() -> None:
    photo = process_photo(encoded(two_colour_image(4000, 1000), "PNG"))

    assert (photo.ref.width, photo.ref.height) == (MAX_LONG_SIDE, 512)
    assert max(opened(photo.thumbnail).size) == THUMBNAIL_LONG_SIDE
    assert len(photo.thumbnail) < len(photo.data)


def test_png_and_webp_are_taken_and_stored_as_jpeg_flattened_onto_white() -> None:
    transparent = Image.new("RGBA", (64, 48), (0, 0, 0, 0))
    for upload in (encoded(transparent, "PNG"), encoded(transparent, "WEBP", lossless=True)):
        stored = opened(process_photo(upload).data)
        assert stored.format == "JPEG"
        assert stored.size == (64, 48)
        assert stored.getpixel((10, 10)) == (255, 255, 255)


# -- what is refused -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "upload",
    [
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"just some text pretending to be photo.jpg",
    ],
    ids=["pdf", "svg", "gif", "text"],
)
def test_anything_but_jpeg_png_or_webp_is_refused_with_415_whatever_it_is_called(
    upload: bytes,
) -> None:
    refused = refusal(upload)

    assert refused.status == 415
    assert refused.field == "photo"
    assert "JPEG, PNG or WebP" in refused.message


def test_a_gif_really_decodable_is_still_refused() -> None:
    assert refusal(encoded(two_colour_image(), "GIF")).status == 415


def test_heic_is_refused_with_how_to_send_a_jpeg_instead() -> None:
    heic = struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 200

    refused = refusal(heic)

    assert refused.status == 415
    assert "HEIC" in refused.message
    assert "JPEG" in refused.message


def test_a_truncated_photo_is_refused_as_damaged() -> None:
    whole = phone_jpeg(image=two_colour_image(800, 600))

    refused = refusal(whole[: len(whole) // 2])

    assert refused.status == 422
    assert "damaged" in refused.message


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    # 100,000 x 100,000 pixels in a file of a few dozen bytes: Pillow's own bomb check.
    refused = refusal(png_header_claiming(100_000, 100_000))

    assert refused.status == 422
    assert "megapixels" in refused.message


def test_a_photo_over_the_pixel_limit_is_refused() -> None:
    refused = refusal(encoded(two_colour_image(200, 100), "PNG"), max_pixels=10_000)

    assert refused.status == 422
    assert "megapixels" in refused.message


def test_an_upload_over_the_byte_limit_is_refused_with_413_without_reading_it_all() -> None:
    stream = BytesIO(b"x" * 5000)

    with pytest.raises(PhotoRefused) as caught:
        read_upload(stream, 1000)

    assert caught.value.status == 413
    assert stream.tell() == 1001


def test_an_empty_upload_is_refused() -> None:
    with pytest.raises(PhotoRefused) as caught:
        read_upload(BytesIO(b""), 1000)

    assert caught.value.status == 422
