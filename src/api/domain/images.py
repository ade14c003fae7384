"""Uploaded branding images: accepted only when they decode as PNG, JPEG or WebP.

What the file *is* comes from its bytes: the signature picks the format, Pillow (with
only that decoder allowed) reads the header, the dimensions are checked before any pixel
is decoded (so a decompression bomb is refused cheaply), then the whole image is decoded
(so a truncated file is refused). A file name or a declared type that names another
format is refused too, saying what the file really is. SVG is never accepted (it can
carry scripts).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image, UnidentifiedImageError

from api.domain.errors import InvalidInput

MAX_BYTES = 512 * 1024
MAX_SIDE = 4096
MAX_PIXELS = 16_000_000


class ImageKind(StrEnum):
    LOGO = "logo"
    LOGIN_BACKGROUND = "login_background"


@dataclass(frozen=True, slots=True)
class ImageFormat:
    name: str  # what Pillow calls it
    content_type: str
    extensions: tuple[str, ...]


PNG = ImageFormat("PNG", "image/png", (".png",))
JPEG = ImageFormat("JPEG", "image/jpeg", (".jpg", ".jpeg"))
WEBP = ImageFormat("WEBP", "image/webp", (".webp",))
FORMATS = (PNG, JPEG, WEBP)


@dataclass(frozen=True, slots=True)
class CheckedImage:
    content_type: str
    width: int
    height: int
    sha256: str
    data: bytes


def sniff(data: bytes) -> ImageFormat | None:
    """The format the signature at the start of ``data`` announces, if one we accept."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def check_image(
    data: bytes, *, file_name: str = "", declared_type: str = "", field: str = "image"
) -> CheckedImage:
    """``data`` as an accepted image, else :class:`InvalidInput` saying what is wrong."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(field, f"{len(data)} bytes; at most {MAX_BYTES} (512 KiB)")
    if not data:
        raise InvalidInput(field, "the file is empty")
    found = sniff(data)
    if found is None:
        head = data[:256].lstrip().lower()
        if head.startswith((b"<?xml", b"<svg")) or b"<svg" in head:
            raise InvalidInput(field, "SVG is not accepted (it can carry scripts); use PNG")
        raise InvalidInput(field, "not a PNG, JPEG or WebP image")
    _check_label(found, file_name, declared_type, field)
    width, height = _decode(data, found, field)
    return CheckedImage(
        found.content_type, width, height, hashlib.sha256(data).hexdigest(), bytes(data)
    )


def _check_label(found: ImageFormat, file_name: str, declared: str, field: str) -> None:
    name = file_name.strip().lower()
    if "." in name:
        extension = name[name.rfind(".") :]
        if extension not in found.extensions:
            raise InvalidInput(field, f"the file is a {found.name} image but is named {extension}")
    declared = declared.strip().lower()
    if declared and declared != found.content_type:
        raise InvalidInput(
            field, f"the file is a {found.name} image but was declared as {declared}"
        )


def _decode(data: bytes, found: ImageFormat, field: str) -> tuple[int, int]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[found.name]) as image:
                width, height = image.size
                if width < 1 or height < 1:
                    raise InvalidInput(field, "the image has no pixels")
                if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                    raise InvalidInput(
                        field,
                        f"{width}×{height} pixels; at most {MAX_SIDE}×{MAX_SIDE} "
                        f"and {MAX_PIXELS} pixels",
                    )
                image.load()  # decodes every pixel: a truncated file fails here
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(
            field, f"the image is too large once decoded (at most {MAX_PIXELS} pixels)"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput(
            field, f"not a valid {found.name} image (damaged or truncated)"
        ) from None
    return width, height
