"""Requests on a reseller's own hostname go to its portal; unknown hosts get a plain 404.

The platform's own host, IP addresses and names without a dot are the platform (a
reseller's hostname is always fully qualified), and pass through untouched.
"""

from __future__ import annotations

from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.domain.hostnames import is_platform_host
from api.portal.context import TENANT_SCOPE_KEY
from api.portal.routes import portal_router
from api.services.portal_access import platform_host, tenant_for_host


class PortalHosts:
    """ASGI middleware: the ``Host`` header → the tenant whose portal answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.portal = ExceptionMiddleware(portal_router())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = _host(scope)
        state = scope["app"].state.pulsebill
        if host is None or is_platform_host(host, platform_host(state.services)):
            await self.app(scope, receive, send)
            return
        tenant = await tenant_for_host(state.services, host)
        if tenant is None:
            response = PlainTextResponse("Not Found", status_code=404)
            await response(scope, receive, send)
            return
        await self.portal({**scope, TENANT_SCOPE_KEY: tenant}, receive, send)


def _host(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"host":
            text: str = bytes(value).decode("latin-1").strip().lower()
            if text.startswith("["):  # an IPv6 literal
                return text.split("]")[0] + "]"
            return text.rsplit(":", 1)[0] if ":" in text else text
    return None
