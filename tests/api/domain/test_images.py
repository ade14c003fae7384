"""Branding images: what a file is comes from decoding it, never from its name."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from api.domain.errors import InvalidInput
from api.domain.images import MAX_BYTES, check_image


def image_bytes(fmt: str, size: tuple[int, int] = (40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "name", "content_type"),
    [
        ("PNG", "logo.png", "image/png"),
        ("JPEG", "a.jpeg", "image/jpeg"),
        ("WEBP", "", "image/webp"),
    ],
)
def test_png_jpeg_and_webp_are_accepted_with_their_dimensions(
    fmt: str, name: str, content_type: str
) -> None:
    checked = check_image(image_bytes(fmt), file_name=name)
    assert (checked.content_type, checked.width, checked.height) == (content_type, 40, 20)
    assert len(checked.sha256) == 64


def test_a_png_named_jpg_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"a PNG image but is named \.jpg"):
        check_image(image_bytes("PNG"), file_name="logo.jpg")


def test_a_declared_type_that_lies_is_refused() -> None:
    with pytest.raises(InvalidInput, match="declared as image/jpeg"):
        check_image(image_bytes("PNG"), declared_type="image/jpeg")


def test_svg_is_refused() -> None:
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>'
    with pytest.raises(InvalidInput, match="SVG is not accepted"):
        check_image(svg, file_name="logo.svg")


def test_a_10_mb_file_is_refused_before_decoding() -> None:
    big = image_bytes("PNG") + b"\x00" * (10 * 1024 * 1024)
    with pytest.raises(InvalidInput, match=f"at most {MAX_BYTES}"):
        check_image(big)


def test_a_truncated_file_is_refused() -> None:
    data = image_bytes("PNG", (300, 300))
    with pytest.raises(InvalidInput, match="damaged or truncated"):
        check_image(data[: len(data) // 2])


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, format="PNG", optimize=True)  # 400 Mpixel
    assert len(bomb.getvalue()) < MAX_BYTES  # small on disk
    with pytest.raises(InvalidInput, match="too large once decoded"):
        check_image(bomb.getvalue())
    wide = io.BytesIO()
    Image.new("1", (5_000, 100)).save(wide, format="PNG")  # small, but wider than allowed
    with pytest.raises(InvalidInput, match="5000×100 pixels; at most 4096×4096"):
        check_image(wide.getvalue())


def test_random_bytes_and_an_empty_file_are_refused() -> None:
    with pytest.raises(InvalidInput, match="not a PNG, JPEG or WebP"):
        check_image(b"GIF89a" + b"\x00" * 50)
    with pytest.raises(InvalidInput, match="empty"):
        check_image(b"")
