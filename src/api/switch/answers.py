"""The switch endpoints' answers: JSON by default, ``key=value`` lines when the request
sends ``Accept: text/plain`` or ``?format=text`` (booleans as 1/0, empty for none)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from api.domain.authorization import Authorization, RefusalReason

Value = str | int | bool | None
UNAVAILABLE = "unavailable"

SIP_CODES = {
    None: 200,
    RefusalReason.INSUFFICIENT_BALANCE: 402,
}
"""The SIP answer a switch should give for a decision; 403 for every other refusal,
503 for ``unavailable``."""


def wants_text(request: Request) -> bool:
    """``?format=text`` or ``Accept: text/plain`` (and not JSON first)."""
    if request.query_params.get("format") == "text":
        return True
    accept = request.headers.get("accept", "")
    return "text/plain" in accept and "application/json" not in accept


def answer(request: Request, body: Mapping[str, Value], status: int = 200) -> Response:
    """``body`` as JSON, or as ``key=value`` lines for a text request."""
    if wants_text(request):
        return PlainTextResponse(as_text(body), status_code=status)
    return JSONResponse(dict(body), status_code=status)


def error(request: Request, message: str, status: int = 400) -> Response:
    """``{"error": message}`` (``error=message`` as text)."""
    return answer(request, {"error": message}, status)


def as_text(body: Mapping[str, Value]) -> str:
    """One ``key=value`` line per key; a value never spans lines."""
    lines = []
    for key, value in body.items():
        if value is None:
            shown = ""
        elif isinstance(value, bool):
            shown = "1" if value else "0"
        else:
            shown = " ".join(str(value).splitlines())
        lines.append(f"{key}={shown}\n")
    return "".join(lines)


def decision_body(decision: Authorization) -> dict[str, Value]:
    """An authorization as the switch reads it, with its SIP code."""
    reason = "" if decision.reason is None else decision.reason.value
    return {
        "allowed": decision.allowed,
        "max_seconds": decision.max_seconds if decision.allowed else 0,
        "reason": reason,
        "message": decision.message if not decision.allowed else "",
        "sip_code": SIP_CODES.get(decision.reason, 403),
    }


def unavailable_body() -> dict[str, Value]:
    """Refused because the database did not answer in time (SIP 503)."""
    return {
        "allowed": False,
        "max_seconds": 0,
        "reason": UNAVAILABLE,
        "message": "billing unavailable",
        "sip_code": 503,
    }
