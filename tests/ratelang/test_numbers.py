"""Telephone number normalisation to E.164 digits."""

from __future__ import annotations

import pytest

from ratelang import numbers
from ratelang.numbers import NumberError, country_of, normalize


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("+44 20 7946 0958", "442079460958"),
        ("+44 (0)20 7946 0958", "442079460958"),  # the national 0 in parentheses is dropped
        ("011 44 20 7946 0958", "442079460958"),
        ("00 44 20 7946 0958", "442079460958"),
        ("0044-20-7946-0958", "442079460958"),
        ("+44.20.7946.0958", "442079460958"),
        ("1 (514) 555-0100", "15145550100"),
        ("(514) 555-0100", "15145550100"),  # NANP national: gets its 1
        ("514-555-0100", "15145550100"),
        ("514.555.0100", "15145550100"),
        ("+1 876 555 1234", "18765551234"),
        ("+39 06 1234 5678", "390612345678"),  # Italian leading zero kept
        ("  +33 1 23 45 67 89\t", "33123456789"),
        ("+52 55 1234 5678", "525512345678"),
    ],
)
def test_accepted_forms(text: str, digits: str) -> None:
    assert normalize(text) == digits


@pytest.mark.parametrize(
    "text", ["442079460958", "+442079460958", "12125550100", "99912345678", "123456789012345"]
)
def test_fast_path_takes_e164_digits_as_they_are(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("phonenumbers called on the fast path")

    monkeypatch.setattr(numbers.phonenumbers, "parse", refuse)
    assert normalize(text) == text.removeprefix("+")


def test_plain_ten_digits_of_a_valid_nanp_number_get_their_1() -> None:
    assert normalize("5145550100") == "15145550100"
    assert normalize("8762345678") == "18762345678"  # Jamaica


def test_ten_digits_that_are_no_nanp_number_stay_e164() -> None:
    assert normalize("4989123456") == "4989123456"  # Munich, not an NANP area code
    assert normalize("+5145550100") == "5145550100"  # '+': always E.164


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "only digits"),
        ("+44 20 7946 0958 ext 12", "only digits"),
        ("1-800-FLOWERS", "only digits"),
        ("+44 20 7946 0958#", "only digits"),
        ("++44 20 7946 0958", "only digits"),
        ("020 7946 0958", "national number"),
        ("+44 1", "too short"),
        ("+999 1234 5678", "unknown country calling code"),
        ("+44 20 7946 0958 1234 5678", "at most 15 digits"),
        ("1234567890123456", "at most 15 digits"),
        ("+33 1234567890123", "impossible length"),
        ("١٢٣٤٥٦٧٨٩٠", "only digits"),  # Arabic-Indic digits
        ("9" * 100, "too long"),
    ],
)
def test_rejections(text: str, reason: str) -> None:
    with pytest.raises(NumberError, match="not a telephone number") as caught:
        normalize(text)
    assert reason in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_message_quotes_the_input() -> None:
    with pytest.raises(NumberError, match=r"^not a telephone number: 'abc'"):
        normalize("abc")


@pytest.mark.parametrize(
    ("digits", "country"),
    [
        ("12025550123", "US"),
        ("15145550100", "CA"),
        ("442079460958", "GB"),
        ("80012345678", ""),  # international freephone: no country
        ("999", ""),
    ],
)
def test_the_country_of_a_number(digits: str, country: str) -> None:
    assert country_of(digits) == country
