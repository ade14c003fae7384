"""Money strings: one scale rule for everything the service writes."""

from __future__ import annotations

import pytest

from ratelang.money import format_money, parse_amount


@pytest.mark.parametrize(
    ("micros", "text"),
    [
        (10_500_000, "10.50"),
        (9_500, "0.0095"),
        (6_000, "0.006"),
        (0, "0.00"),
        (-1, "-0.000001"),
        (-50_000, "-0.05"),
        (1_234_567_891, "1234.567891"),
    ],
)
def test_money_is_written_with_two_to_six_places(micros: int, text: str) -> None:
    assert format_money(micros) == text
    assert parse_amount(text) == micros
