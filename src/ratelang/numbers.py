"""Telephone numbers to E.164 digits (without ``+``).

Accepted forms, after removing spaces, tabs, dashes, dots, slashes and parentheses:

- ``+CC…``: international, e.g. ``+44 20 7946 0958``;
- ``011 CC…`` (NANP exit code) or ``00 CC…`` (ITU exit code);
- ``NXX NXX XXXX`` written with separators, e.g. ``(514) 555-0100``: a NANP national
  number, which gets its leading ``1``;
- ``1 NXX NXX XXXX``, e.g. ``1 (514) 555-0100``, and any other digits: already E.164.

Strictness: a number must be one that ``phonenumbers`` deems *possible* (a known country
calling code and a plausible length for it); letters (vanity numbers, extensions), an
empty string and national numbers with a trunk ``0`` are rejected.

Fast path: 8 to 15 plain ASCII digits not starting with ``0``, optionally after one
``+``, are taken as E.164 as they are, without calling ``phonenumbers`` -- this is what
switches send in CDRs. The one exception: exactly ten plain digits (no ``+``) that form a
*valid* NANP number (``phonenumbers.is_valid_number`` for ``+1`` and those digits) are a
NANP national number and get their ``1`` (``5145550100`` → ``15145550100``); ten digits
that are no valid NANP number stay E.164 as written, and ``+5145550100`` is always the
E.164 number ``+51 45550100``. A fast-path number with an unknown country code is then
simply unroutable in the deck.
"""

from __future__ import annotations

import functools
import re

import phonenumbers

from ratelang.types import Digits

_SEPARATORS = re.compile(r"[\s\-./()]+")
_NANP_NATIONAL = re.compile(r"[2-9]\d\d[2-9]\d{6}")
_MAX_TEXT = 64


class NumberError(ValueError):
    """Text that is not a telephone number."""


def normalize(text: str) -> Digits:
    """E.164 digits without ``+`` for ``text``; raises :class:`NumberError` if invalid."""
    # Fast path: E.164 digits as switches send them.
    plain = text[1:] if text[:1] == "+" else text
    if 8 <= len(plain) <= 15 and plain.isascii() and plain.isdigit() and plain[0] != "0":
        if len(plain) == 10 and plain is text and _is_valid_nanp(plain):
            return "1" + plain
        return plain
    return _normalize_slow(text)


@functools.lru_cache(maxsize=65_536)
def _is_valid_nanp(national: str) -> bool:
    """True when ``national`` (10 digits) is a valid North American number."""
    if not _NANP_NATIONAL.fullmatch(national):
        return False
    return bool(phonenumbers.is_valid_number(phonenumbers.parse("+1" + national, None)))


def _normalize_slow(text: str) -> Digits:
    stripped = text.strip()
    if not stripped:
        raise NumberError("not a telephone number: empty")
    if len(stripped) > _MAX_TEXT:
        raise NumberError(f"not a telephone number: {stripped[:20]!r}… is too long")
    international = stripped.startswith("+")
    body = _SEPARATORS.sub("", stripped[1:] if international else stripped)
    if not (body.isascii() and body.isdigit()):
        raise NumberError(f"not a telephone number: {text!r} (only digits, '+' and separators)")
    if international:
        candidate = body
    elif body.startswith("011"):
        candidate = body[3:]
    elif body.startswith("00"):
        candidate = body[2:]
    elif body.startswith("0"):
        raise NumberError(
            f"not a telephone number: {text!r} (a national number; write +CC or 00 CC)"
        )
    elif len(body) == 10 and _is_valid_nanp(body):
        candidate = "1" + body
    else:
        candidate = body
    return _validated(candidate, text)


def _validated(candidate: str, text: str) -> Digits:
    if not 2 <= len(candidate) <= 15:
        raise NumberError(f"not a telephone number: {text!r} (E.164 has at most 15 digits)")
    try:
        parsed = phonenumbers.parse("+" + candidate, None)
    except phonenumbers.NumberParseException as exc:
        raise NumberError(f"not a telephone number: {text!r} ({_reason(exc)})") from None
    if not phonenumbers.is_possible_number(parsed):
        raise NumberError(
            f"not a telephone number: {text!r} (impossible length for +{parsed.country_code})"
        )
    e164: str = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164[1:]


def _reason(exc: phonenumbers.NumberParseException) -> str:
    reasons = {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country calling code",
        phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
        phonenumbers.NumberParseException.TOO_LONG: "too long",
    }
    return reasons.get(exc.error_type, "not a number")


def country_of(digits: Digits) -> str:
    """The ISO 3166 alpha-2 country of E.164 ``digits`` (``"12025550123"`` → ``"US"``), or
    ``""`` when the number names none (unknown, or non-geographic such as ``+800``)."""
    try:
        parsed = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return ""
    region = phonenumbers.region_code_for_number(parsed)
    return region if region and len(region) == 2 and region.isalpha() else ""
