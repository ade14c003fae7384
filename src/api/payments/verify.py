"""The postback: ``cmd=_notify-validate&`` followed by the message's body, byte for byte."""

from __future__ import annotations

import re

import httpx

from api.domain.paypal import MalformedIpn, parse_ipn

POSTBACK_PREFIX = b"cmd=_notify-validate&"
TIMEOUT_SECONDS = 30.0
USER_AGENT = "Pulsebill-IPN-Verifier/1"
_TOKEN = re.compile(r"[A-Za-z0-9._-]{1,40}")


class VerificationUnavailable(Exception):
    """PayPal could not be asked or gave no verdict: the message stays pending."""


def postback_body(body: bytes) -> bytes:
    """What PayPal must receive back: the validate command, then the body verbatim."""
    return POSTBACK_PREFIX + body


async def verify(http: httpx.AsyncClient, url: str, body: bytes) -> bool:
    """``True`` when PayPal answers exactly ``VERIFIED``, ``False`` for exactly
    ``INVALID``; anything else (network failure, another status or text) raises
    :class:`VerificationUnavailable`. The content type names the body's own charset."""
    content_type = "application/x-www-form-urlencoded"
    charset = _charset(body)
    if charset is not None:
        content_type += f"; charset={charset}"
    try:
        response = await http.post(
            url,
            content=postback_body(body),
            headers={"Content-Type": content_type, "User-Agent": USER_AGENT},
            timeout=TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        raise VerificationUnavailable(type(exc).__name__) from None
    if response.status_code != 200:
        raise VerificationUnavailable(f"HTTP {response.status_code}")
    if response.content == b"VERIFIED":
        return True
    if response.content == b"INVALID":
        return False
    raise VerificationUnavailable("an answer that is neither VERIFIED nor INVALID")


def _charset(body: bytes) -> str | None:
    try:
        charset = parse_ipn(body).charset
    except MalformedIpn:
        return None
    return charset if _TOKEN.fullmatch(charset) else None
