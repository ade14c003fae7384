"""``create_app(settings)``: the Starlette app (GraphQL at ``/graphql``, CSV at ``/reports``).

Without settings it reads them from the environment, so that
``uvicorn --factory api.app:create_app`` serves the same app as ``pulsebill serve``.

Nothing is built at import time: the lifespan creates the engine, the sessionmaker, the
event bus, the services context and the authenticator, starts the daily billing when
``settings.daily_billing`` (see :mod:`api.billing_schedule`), and disposes the engine on exit.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from api.auth.api_tokens import verify_api_token
from api.auth.authenticate import Authenticator
from api.auth.passwords import Passwords
from api.auth.portal import PortalAuth
from api.billing_schedule import DailyBilling, running
from api.branding_routes import branding_routes
from api.events import EventBus
from api.graphql.request_reads import dispose_sync_reader
from api.graphql.schema import build_schema
from api.graphql.view import PulsebillGraphQL
from api.http_errors import ErrorBoundary
from api.http_limits import BodySizeLimit
from api.mail.service import start_mail_sender
from api.payments.ipn import ipn_route
from api.payments.worker import PaypalVerifier
from api.portal.hosts import PortalHosts
from api.portal.routes import portal_mount
from api.report_routes import report_mount
from api.services.context import Clock, build_context, utc_now
from api.settings import Settings
from api.state import AppState
from api.store.engine import create_engine, make_sessionmaker
from api.switch import switch_mount


def create_app(
    settings: Settings | None = None,
    *,
    engine: AsyncEngine | None = None,
    passwords: Passwords | None = None,
    clock: Clock = utc_now,
    on_ready: Callable[[AppState], None] | None = None,
) -> Starlette:
    """The application for ``settings`` (default: :meth:`Settings.from_env`).

    ``engine`` lets tests share an engine they own (it is then not disposed here);
    ``passwords`` lets them use cheap argon2 parameters; ``on_ready`` sees the state.
    """
    settings = Settings.from_env() if settings is None else settings
    view = PulsebillGraphQL(build_schema(dev=settings.dev), dev=settings.dev)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own_engine = engine is None
        db = create_engine(settings.database_url, hide_parameters=True) if own_engine else engine
        assert db is not None
        sessionmaker = make_sessionmaker(db)
        bus = EventBus()
        services = build_context(settings, sessionmaker, bus, clock)
        portal = PortalAuth(sessionmaker, passwords=passwords, clock=clock)
        authenticator = Authenticator(portal, partial(verify_api_token, services))
        bus.add_listener(authenticator.on_event)
        state = AppState(settings, db, sessionmaker, bus, services, authenticator)
        app.state.pulsebill = state
        app.state.sessionmaker = sessionmaker  # read by the CSV report endpoints
        app.state.paypal = paypal = PaypalVerifier.from_settings(services, settings)
        retries = paypal.start(settings.paypal_worker_seconds)
        if on_ready is not None:
            on_ready(state)
        mail = start_mail_sender(services, settings.smtp)
        try:
            async with AsyncExitStack() as stack:
                if settings.daily_billing:
                    await stack.enter_async_context(running(DailyBilling(services)))
                yield
        finally:
            await paypal.stop(retries)
            await mail.stop()
            dispose_sync_reader(db)  # the inline SQLite readers of request reads, if any
            if own_engine:
                await db.dispose()

    return Starlette(
        debug=False,
        routes=[
            Route("/health", _health, methods=["GET"]),
            Route("/graphql", view),
            WebSocketRoute("/graphql", view),
            report_mount("/reports"),
            ipn_route(),
            *branding_routes(),
            portal_mount(),
            switch_mount(),
        ],
        middleware=[
            Middleware(ErrorBoundary),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
            Middleware(PortalHosts),
        ],
        lifespan=lifespan,
    )


async def _health(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


GC_THRESHOLDS = (5_000, 10, 100)
"""The collector's thresholds in a server process (see :func:`tune_gc`)."""


def tune_gc() -> None:
    """For a long-running server process: move everything built so far (modules, schema)
    out of the collector's reach and collect the young generation less often. A GraphQL
    request allocates thousands of short-lived objects. Measured on the benchmark query
    (in process, 9,000 requests; ``gc.callbacks`` timing each collection): at the default
    thresholds (700, 10, 10) collections took 523 ms in all, pauses up to 5 ms; at
    (50,000, 50, 100) 959 ms, each young collection 40–53 ms (the young generation outgrows
    the caches and its survivors are traversed again), which was most of the p99; at
    (5,000, 10, 100) 424 ms, pauses up to 3.3 ms."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
