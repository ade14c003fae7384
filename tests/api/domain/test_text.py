"""Text no store accepts: a NUL, a lone surrogate."""

from __future__ import annotations

import pytest

from api.domain.text import NUL_MESSAGE, SURROGATE_MESSAGE, text_problem


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("plain", None),
        ("Zoë 🎉 مرحبا", None),  # any real Unicode is fine
        ("", None),
        ("a\x00b", NUL_MESSAGE),
        ("\ud800", SURROGATE_MESSAGE),
        ("ok \udfff", SURROGATE_MESSAGE),
    ],
)
def test_text_problem(value: str, problem: str | None) -> None:
    assert text_problem(value) == problem
