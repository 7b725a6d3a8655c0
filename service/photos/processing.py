"""Photo uploads made safe to keep and show: decoded, checked, turned upright, re-encoded bare.

Whatever a phone put in the file (EXIF with the GPS position of the resident's home, the camera's
serial number, XMP edit history, thumbnails of the uncropped shot) stays behind: only the decoded
pixels are re-encoded, as a JPEG without any metadata. What an upload is comes from decoding its
content, never from its file name or the Content-Type the client sent. The stored hash is the
SHA-256 of the re-encoded bytes, so the same upload twice is stored once.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from typing import IO, TYPE_CHECKING, Any

from domain.case import PhotoRef

if TYPE_CHECKING:
    from PIL import Image

#: Pillow's names of the formats taken; a phone's MPO (a JPEG with extra frames) opens as JPEG.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
ACCEPTED_WORDS = "a JPEG, PNG or WebP image"
#: Every photo is stored as a JPEG: every browser, phone and Open311 client shows it.
STORED_CONTENT_TYPE = "image/jpeg"
THUMBNAIL_CONTENT_TYPE = "image/jpeg"
#: The long side of a stored photo: enough to read a meter or a crack, a tenth of a raw upload.
MAX_LONG_SIDE = 2048
#: The long side of a thumbnail, as lists and timelines show them on a phone.
THUMBNAIL_LONG_SIDE = 320
PHOTO_QUALITY = 85
THUMBNAIL_QUALITY = 80
#: Pixels a photo may have: 64 MP cameras pass; more is a decompression bomb or a 108/200 MP mode
#: (whose files are over the byte limit anyway). Below Pillow's own limit, so this check speaks.
MAX_PIXELS = 64 * 1024 * 1024
#: ISO base media brands of HEIF (the iPhone's default "High Efficiency" photos), which Pillow
#: cannot decode without an extra plugin.
HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)


@cache
def _srgb() -> Any:
    # Pillow (and its colour engine) loads only in a process that handles a photo: every web
    # and worker process imports this module, few of them ever decode an image.
    from PIL import ImageCms

    return ImageCms.createProfile("sRGB")


class PhotoRefused(Exception):
    """An upload that is not a photo we take; ``status`` is the HTTP status it means, and
    ``most`` the number of photos allowed when there were more."""

    def __init__(
        self, status: int, message: str, field: str = "photo", *, most: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.most = most


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo ready to store: its reference, its bare bytes and its thumbnail's."""

    ref: PhotoRef
    data: bytes
    thumbnail: bytes


def read_upload(stream: IO[bytes], max_bytes: int) -> bytes:
    """The upload's bytes, refused (413) past ``max_bytes`` without reading much further."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PhotoRefused(413, f"the photo is larger than {_size_words(max_bytes)}")
    if not data:
        raise PhotoRefused(422, "the photo is empty")
    return data


def _size_words(byte_count: int) -> str:
    mib = byte_count / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{byte_count} bytes"


def _is_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS


def process_photo(data: bytes, *, max_pixels: int = MAX_PIXELS) -> ProcessedPhoto:
    """Decode ``data``, refuse what is not a whole JPEG, PNG or WebP photo, and re-encode it bare.

    Refusals: 415 for anything that is not one of the three formats (HEIC included, with how to
    send a JPEG instead), 422 for a damaged or truncated file or one with more than
    ``max_pixels`` pixels. The EXIF orientation is applied before the metadata is dropped, and
    colours are converted to sRGB from an embedded ICC profile before the profile is dropped.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if _is_heif(data):
        raise PhotoRefused(
            415,
            "HEIC/HEIF photos cannot be read here: send it as JPEG (on an iPhone: Settings > "
            "Camera > Formats > Most Compatible, or share the photo as JPEG)",
        )
    try:
        image = Image.open(BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise PhotoRefused(422, _too_many_pixels(max_pixels)) from error
    except UnidentifiedImageError as error:
        raise PhotoRefused(415, f"the file is not {ACCEPTED_WORDS}") from error
    except (OSError, SyntaxError, ValueError, struct.error) as error:
        raise PhotoRefused(422, "the photo is damaged and cannot be read") from error
    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise PhotoRefused(422, _too_many_pixels(max_pixels))
        try:
            # A JPEG can be decoded at 1/2, 1/4 or 1/8 scale: a 50 MP photo is read at the size
            # it is stored at, in a quarter of the memory and time.
            image.draft("RGB", (MAX_LONG_SIDE, MAX_LONG_SIDE))
            image.load()
            upright = ImageOps.exif_transpose(image)
            pixels = _bare_srgb(upright, MAX_LONG_SIDE)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise PhotoRefused(422, _too_many_pixels(max_pixels)) from error
        except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
            raise PhotoRefused(
                422, "the photo is damaged or incomplete and cannot be read"
            ) from error
    stored = _jpeg(pixels, PHOTO_QUALITY)
    small = pixels.copy()
    small.thumbnail((THUMBNAIL_LONG_SIDE, THUMBNAIL_LONG_SIDE), Image.Resampling.LANCZOS)
    ref = PhotoRef(
        sha256=hashlib.sha256(stored).hexdigest(),
        content_type=STORED_CONTENT_TYPE,
        byte_size=len(stored),
        width=pixels.width,
        height=pixels.height,
    )
    return ProcessedPhoto(ref=ref, data=stored, thumbnail=_jpeg(small, THUMBNAIL_QUALITY))


def _too_many_pixels(max_pixels: int) -> str:
    return f"the photo has more than {max_pixels / 1_000_000:.3g} megapixels; send a smaller one"


def _bare_srgb(image: Image.Image, long_side: int) -> Image.Image:
    """The image's pixels alone, as sRGB on white, at most ``long_side`` wide and high: a new
    image that carries no metadata at all."""
    from PIL import Image, ImageCms

    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    profile = image.info.get("icc_profile")
    converted: Image.Image | None = None
    if profile and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(BytesIO(profile))
            mode = "RGBA" if image.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(image, source, _srgb(), outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None  # a broken profile: the pixels are taken as sRGB already
    source_image = converted if converted is not None else image
    if has_alpha:
        # Transparency means nothing in a photo of a problem: flatten onto white, as it is shown.
        rgba = source_image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        canvas.alpha_composite(rgba)
        rgb = canvas.convert("RGB")
    else:
        rgb = source_image.convert("RGB")
    rgb.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    # Built from the raw pixels, so nothing of ``info`` (EXIF, XMP, ICC, comments) comes along.
    return Image.frombytes("RGB", rgb.size, rgb.tobytes())


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()
