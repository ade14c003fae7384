"""The version check of the compatibility modules."""

from __future__ import annotations

import pytest

from api.compat.versions import check_version, release


def test_a_release_is_its_numbers() -> None:
    assert release("2.1.9") == (2, 1, 9)
    assert release("0.22.1rc1") == (0, 22, 1)
    with pytest.raises(ValueError, match="not a version"):
        release("dev")


@pytest.mark.parametrize("found", ["0.20", "0.20.0", "0.22.9"])
def test_a_version_in_range_passes(found: str) -> None:
    assert check_version("aiosqlite", (0, 20), (0, 23), found) == found


@pytest.mark.parametrize("found", ["0.19.9", "0.23", "1.0.0"])
def test_a_version_out_of_range_is_refused_with_the_range(found: str) -> None:
    with pytest.raises(ImportError, match=rf"aiosqlite {found} is not supported .*>=0.20,<0.23"):
        check_version("aiosqlite", (0, 20), (0, 23), found)
