"""The switch endpoints' request bodies: JSON objects or form-encoded, the same keys.

Bad input raises :class:`BadRequest` naming the key and what is wrong with it (the
endpoint answers 400); values are never echoed beyond a short excerpt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request

from api.services.records import CdrInput

Fields = dict[str, object]
MAX_BODY = 16_000
"""A switch request is a few hundred bytes; anything larger is refused."""
EXPECTED_MOMENT = "expected ISO 8601 with a UTC offset or Unix epoch seconds"


class BadRequest(Exception):
    """``key: message`` — the request cannot be read."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = f"{key}: {message}"


@dataclass(frozen=True, slots=True)
class AuthorizeRequest:
    sub_account: str
    number: str
    call_id: str


@dataclass(frozen=True, slots=True)
class HangupRequest:
    call_id: str
    sub_account: str = ""


async def read_fields(request: Request) -> Fields:
    """The body's keys: a JSON object, or form fields (also without a content type)."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BadRequest("body", f"larger than {MAX_BODY} bytes")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or (kind in {"", "text/plain"} and body.lstrip()[:1] == b"{"):
        try:
            fields = orjson.loads(body) if body.strip() else {}
        except orjson.JSONDecodeError as exc:
            raise BadRequest("body", f"not JSON ({exc.msg} at byte {exc.pos})") from None
        if not isinstance(fields, dict):
            raise BadRequest("body", "expected a JSON object")
        return fields
    if kind not in {"application/x-www-form-urlencoded", "", "text/plain"}:
        raise BadRequest("body", "expected application/json or application/x-www-form-urlencoded")
    try:
        text = body.decode()
        return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=False))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("body", "not UTF-8 form data") from None


def text_field(fields: Fields, key: str, *, longest: int, required: bool = True) -> str:
    """A text value (a JSON number is taken as its digits), stripped, 1..``longest``
    characters when required, else empty allowed."""
    value = fields.get(key)
    if value is None or value == "":
        if required:
            raise BadRequest(key, "required")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadRequest(key, "must be a string")
    text = str(value).strip()
    if required and not text:
        raise BadRequest(key, "required")
    if len(text) > longest:
        raise BadRequest(key, f"at most {longest} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise BadRequest(key, "must not contain control characters")
    return text


def whole_seconds(fields: Fields, key: str) -> int:
    """A whole number of seconds ≥ 0 (a JSON integer or decimal digits)."""
    value = fields.get(key)
    if value is None or value == "":
        raise BadRequest(key, "required")
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRequest(key, f"must be a whole number of seconds ≥ 0, got {_excerpt(value)}")
    return value


def moment(fields: Fields, key: str) -> datetime:
    """ISO 8601 with a UTC offset (``2026-12-07T15:04:05+00:00``, ``...Z``) or Unix epoch
    seconds (an integer or a decimal)."""
    value = fields.get(key)
    if value is None or value == "":
        raise BadRequest(key, "required")
    epoch: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        epoch = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            epoch = float(text) if text.replace(".", "", 1).isdigit() else None
        except ValueError:
            epoch = None
        if epoch is None:
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                raise BadRequest(key, f"{EXPECTED_MOMENT}, got {_excerpt(value)}") from None
            if parsed.tzinfo is None:
                raise BadRequest(key, "an ISO 8601 time needs its UTC offset (e.g. +00:00 or Z)")
            return parsed.astimezone(UTC)
    if epoch is None or not math.isfinite(epoch):
        raise BadRequest(key, f"{EXPECTED_MOMENT}, got {_excerpt(value)}")
    try:
        return datetime.fromtimestamp(epoch, UTC)
    except (OverflowError, OSError, ValueError):
        raise BadRequest(key, "epoch seconds out of range") from None


def authorize_request(fields: Fields) -> AuthorizeRequest:
    return AuthorizeRequest(
        text_field(fields, "sub_account", longest=100),
        text_field(fields, "number", longest=64),
        text_field(fields, "call_id", longest=200),
    )


def hangup_request(fields: Fields) -> HangupRequest:
    return HangupRequest(
        text_field(fields, "call_id", longest=200),
        text_field(fields, "sub_account", longest=100, required=False),
    )


def cdr_request(fields: Fields, default_source: str) -> CdrInput:
    """A CDR: ``sub_account`` or ``did`` (an inbound call naming only the DID, which is
    then its ``number``), ``direction`` outbound by default."""
    source = text_field(fields, "source", longest=100, required=False) or default_source
    call_id = text_field(fields, "call_id", longest=200)
    sub_account = text_field(fields, "sub_account", longest=100, required=False)
    did = text_field(fields, "did", longest=64, required=False)
    direction = text_field(fields, "direction", longest=16, required=False) or "outbound"
    if direction not in {"outbound", "inbound"}:
        raise BadRequest("direction", "must be outbound or inbound")
    if not sub_account and not did:
        raise BadRequest("sub_account", "required (or did, for an inbound call to a DID)")
    if not sub_account and direction != "inbound":
        raise BadRequest("did", "only an inbound call may name the DID without a sub account")
    number = text_field(fields, "number", longest=64, required=not did)
    if not sub_account:
        number = did
    started = moment(fields, "start")
    seconds = whole_seconds(fields, "answered_seconds")
    text_field(fields, "hangup_cause", longest=200, required=False)  # checked, not stored
    return CdrInput(source, call_id, sub_account, direction, number, started, seconds)


def _excerpt(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
