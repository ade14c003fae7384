"""The outermost boundary of every HTTP and websocket request.

An exception that escapes the application never reaches the server's logger (which would
print its message, and messages may carry data): it is logged here with its type and
stack frames only. A database that cannot be reached answers **503** with ``Retry-After``;
anything else **500**. Both bodies are plain text without details.
"""

from __future__ import annotations

import logging
import traceback

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.store.db_errors import is_unavailable

RETRY_AFTER_SECONDS = 5
log = logging.getLogger("pulsebill.http")


def describe(exc: BaseException) -> str:
    """An exception as its type and frames, without its message (which may hold data)."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    return f"{type(exc).__module__}.{type(exc).__qualname__}\n{frames}"


def unavailable_response() -> PlainTextResponse:
    """What a request gets while the database is down."""
    return PlainTextResponse(
        "Service unavailable: the database cannot be reached; retry later",
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class ErrorBoundary:
    """Turn an escaped exception into a 503 (database down) or a bare 500, logged safely."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] in ("http.response.start", "websocket.accept")
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            down = is_unavailable(exc)
            if down:
                log.warning("Database unavailable at %s: %s", scope["path"], type(exc).__name__)
            else:
                log.error("Unhandled error at %s: %s", scope["path"], describe(exc))
            if started:
                return
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1011 if not down else 1013})
                return
            response = (
                unavailable_response()
                if down
                else PlainTextResponse("Internal server error", status_code=500)
            )
            await response(scope, receive, send)
