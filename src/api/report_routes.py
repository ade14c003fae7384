"""The CSV report downloads (``/reports/*.csv``) behind the API's bearer authentication.

:class:`RequireActor` turns ``Authorization: Bearer <token>`` (an API token or a portal
session) into ``request.state.actor`` — what :mod:`api.reports.http` reads — and answers
401 without a valid credential. What each actor may read is the reports' own rule.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from api.reports.http import cdr_csv, financial_csv, profit_csv


class RequireActor:
    """Authenticate every HTTP request of the mounted routes; 401 when it cannot."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        actor = await request.app.state.pulsebill.authenticator.authenticate(request)
        if actor is None:
            response = JSONResponse(
                {"error": "unauthenticated", "message": "Not authenticated"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["actor"] = actor
        await self.app(scope, receive, send)


def report_mount(path: str = "/reports") -> Mount:
    """``GET {path}/cdrs.csv``, ``{path}/profit.csv``, ``{path}/financial.csv``."""
    return Mount(
        path,
        routes=[
            Route("/cdrs.csv", cdr_csv, methods=["GET"]),
            Route("/profit.csv", profit_csv, methods=["GET"]),
            Route("/financial.csv", financial_csv, methods=["GET"]),
        ],
        middleware=[Middleware(RequireActor)],
    )
