"""The version check of the compatibility modules."""

from __future__ import annotations

import re
from importlib.metadata import version


def release(text: str) -> tuple[int, ...]:
    """The numeric release of a version string (``"2.1.9"`` → ``(2, 1, 9)``; a suffix such
    as ``rc1`` or ``.post1`` is ignored)."""
    found = re.match(r"\d+(?:\.\d+)*", text)
    if found is None:
        raise ValueError(f"not a version: {text!r}")
    return tuple(int(part) for part in found.group().split("."))


def check_version(
    distribution: str, lowest: tuple[int, ...], below: tuple[int, ...], found: str | None = None
) -> str:
    """The installed version of ``distribution`` (or ``found``), if ``lowest`` ≤ it <
    ``below``; else :class:`ImportError` naming the supported range."""
    installed = version(distribution) if found is None else found
    if not lowest <= release(installed) < below:
        supported = f">={'.'.join(map(str, lowest))},<{'.'.join(map(str, below))}"
        raise ImportError(
            f"{distribution} {installed} is not supported (private API used; {supported})"
        )
    return installed
