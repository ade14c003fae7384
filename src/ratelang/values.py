"""Validation and conversion of the values written in a rule file.

Each function takes the text as written and returns the exact value, or raises
:class:`ValueProblem` whose message (and hint) the checker shows at that word.
"""

from __future__ import annotations

import re

from ratelang import ast
from ratelang.countries import is_country
from ratelang.model import Markup, Pulse
from ratelang.money import MICRO, SCALE_DIGITS
from ratelang.types import CountryCode, Digits, Micros

MAX_PERCENT = 1000
MAX_PREFIX_DIGITS = 15
MAX_ROUND_DIGITS = SCALE_DIGITS
_NUMBER = re.compile(r"^-?\d+(?:\.(\d+))?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
COMMON_COUNTRY_MISTAKES = {"UK": "GB", "EL": "GR", "EN": "GB"}


class ValueProblem(ValueError):
    """A value that is not valid where it is written."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def amount(text: str, what: str = "amount") -> Micros:
    """A non-negative amount with at most 6 decimal places, in micro-units."""
    match = _NUMBER.match(text)
    if match is None:
        raise ValueProblem(f"malformed {what} {text!r}")
    if text.startswith("-"):
        raise ValueProblem(f"negative {what} {text}", f"a {what} must be 0 or more")
    fraction = match.group(1)
    if fraction is None:
        return int(text) * MICRO
    if len(fraction) > SCALE_DIGITS:
        raise ValueProblem(
            f"{what} {text} has more than {SCALE_DIGITS} decimal places",
            f"write at most {SCALE_DIGITS} digits after the point",
        )
    # What money.parse_amount gives, without matching the text a second time.
    whole_part = text[: match.start(1) - 1]
    return int(whole_part) * MICRO + int(fraction.ljust(SCALE_DIGITS, "0"))


def percent(text: str) -> int:
    """A percentage 0..1000 with at most 6 decimals, in millionths of a percent."""
    value = amount(text, "percentage")
    if value > MAX_PERCENT * 1_000_000:
        raise ValueProblem(f"percentage {text}% is out of range", f"use 0% to {MAX_PERCENT}%")
    return value


def whole(text: str, what: str, low: int, high: int | None = None) -> int:
    """A whole number in ``low..high``."""
    if not text.lstrip("-").isdigit():
        raise ValueProblem(f"{what} must be a whole number, not {text}")
    value = int(text)
    if value < low or (high is not None and value > high):
        bounds = f"{low} to {high}" if high is not None else f"at least {low}"
        raise ValueProblem(f"{what} {text} is out of range", f"use {bounds}")
    return value


def pulse(spec: ast.PulseSpec) -> Pulse:
    """``60`` → 60/60, ``30/6`` → first 30 s then steps of 6 s."""
    first = whole(spec.first.text, "pulse", 1)
    step = whole(spec.step.text, "pulse step", 1) if spec.step is not None else first
    return Pulse(first, step)


def markup(spec: ast.MarkupSpec) -> Markup:
    """``P% [+ F]`` as a :class:`Markup`."""
    fixed = amount(spec.fixed.text, "markup amount") if spec.fixed is not None else 0
    return Markup(percent(spec.percent.text), fixed)


def prefix(text: str) -> Digits:
    """E.164 prefix digits: 1 to 15 digits, not starting with 0."""
    if not text.isdigit() or not text.isascii():
        digits = "".join(c for c in text if c.isdigit()).lstrip("0")
        separators = all(c.isdigit() or c in "+-.()" for c in text)
        hint = f"write it as {digits}" if digits and separators else ""
        raise ValueProblem(f"malformed prefix {text!r}: digits only", hint)
    if len(text) > MAX_PREFIX_DIGITS:
        raise ValueProblem(f"prefix {text} is longer than {MAX_PREFIX_DIGITS} digits")
    if text.startswith("0"):
        raise ValueProblem(
            f"prefix {text} starts with 0",
            "prefixes are E.164 digits: country code first, no 00 or 011",
        )
    return text


def country(text: str) -> CountryCode:
    """An ISO 3166-1 alpha-2 code, upper case."""
    if is_country(text):
        return text
    if is_country(text.upper()):
        raise ValueProblem(f"unknown country {text!r}", f"did you mean {text.upper()!r}?")
    if text.upper() in COMMON_COUNTRY_MISTAKES:
        suggestion = COMMON_COUNTRY_MISTAKES[text.upper()]
        raise ValueProblem(f"unknown country {text!r}", f"did you mean {suggestion!r}?")
    raise ValueProblem(
        f"unknown country {text!r}", "countries are ISO 3166-1 alpha-2 codes, e.g. GB, MX"
    )


def currency(text: str) -> str:
    """An ISO 4217 code: three upper-case letters."""
    if _CURRENCY.match(text):
        return text
    hint = f"did you mean {text.upper()!r}?" if _CURRENCY.match(text.upper()) else ""
    raise ValueProblem(f"malformed currency {text!r}: ISO 4217 is three upper-case letters", hint)
