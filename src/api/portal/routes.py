"""The portal's URLs, relative to its base (``/p/<code>`` or a reseller's host)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route, Router

from api.portal import pages

GET = ["GET", "HEAD"]
FORM = ["GET", "HEAD", "POST"]


def portal_routes() -> list[BaseRoute]:
    return [
        Route("/", pages.home, methods=GET),
        Route("/login", pages.login, methods=FORM),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/connect", pages.connect, methods=["POST"]),
        Route("/link", pages.login_link, methods=GET),
        Route("/forgot", pages.forgot, methods=FORM),
        Route("/reset", pages.reset, methods=FORM),
        Route("/signup", pages.signup, methods=FORM),
        Route("/dashboard", pages.dashboard, methods=GET),
        Route("/calls", pages.calls, methods=GET),
        Route("/calls.csv", pages.calls_csv, methods=GET),
        Route("/payments", pages.payments, methods=GET),
        Route("/lines", pages.lines, methods=GET),
        Route("/dids", pages.dids, methods=FORM),
        Route("/topup", pages.topup, methods=GET),
        Route("/style.css", pages.stylesheet, methods=GET),
        Route("/logo", pages.logo, methods=GET),
        Route("/login-background", pages.login_background, methods=GET),
    ]


def portal_mount() -> Mount:
    """The portals on the platform's host: ``/p/<reseller code>/…``."""
    return Mount("/p/{code}", routes=portal_routes())


def portal_router() -> Router:
    """The portal at the root of a reseller's own hostname."""
    return Router(routes=portal_routes())
