"""An app per test over the ``database`` fixture, called through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import event

from api.app import create_app
from api.auth.passwords import Passwords
from api.graphql.request_reads import sync_reader
from api.services.context import Clock, utc_now
from api.settings import Settings
from api.state import AppState
from tests.conftest import Database

FAST_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@asynccontextmanager
async def serving(
    settings: Settings, database: Database, clock: Clock = utc_now
) -> AsyncIterator[tuple[Any, AppState, httpx.AsyncClient]]:
    """The app over the test database (cheap argon2, ``clock``) with its lifespan running,
    its state, and an httpx client that calls it in process."""
    states: list[AppState] = []
    app = create_app(
        settings, engine=database.engine, passwords=FAST_PASSWORDS, clock=clock,
        on_ready=states.append,
    )  # fmt: skip
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield app, states[0], http


@dataclass
class Api:
    """A running app: its state, an HTTP client, and a query counter."""

    state: AppState
    http: httpx.AsyncClient
    statements: list[str]

    async def post(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        """POST one operation; returns the whole JSON response (``data`` and ``errors``)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        """POST and insist on no errors; returns ``data``."""
        body = await self.post(query, token, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
async def api(database: Database) -> AsyncIterator[Api]:
    settings = Settings(database_url=database.url, secret_key="test-secret", dev=False)
    states: list[AppState] = []
    app = create_app(
        settings, engine=database.engine, passwords=FAST_PASSWORDS, on_ready=states.append
    )
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    def trace(dbapi_connection: Any) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    def log_queries(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if "traced" not in record.info:  # once per pooled connection
            record.info["traced"] = True
            dbapi_connection.driver_connection.add_query_logger(
                lambda query: statements.append(query.query)
            )

    # Every statement, wherever it is sent from: hot reads go straight to the driver
    # (api.store.compiled_select), so asyncpg's query logger and sqlite3's trace callback
    # see them; SQLAlchemy's event sees the application engine's SQLite statements.
    postgres = database.backend == "postgresql"
    app_engine = database.engine.sync_engine
    if postgres:
        event.listen(app_engine, "checkout", log_queries)
    else:
        event.listen(app_engine, "before_cursor_execute", count)
    inline = sync_reader(database.engine)
    if inline is not None:
        inline.on_connect.append(trace)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                yield Api(states[0], http, statements)
    finally:
        if postgres:
            event.remove(app_engine, "checkout", log_queries)
        else:
            event.remove(app_engine, "before_cursor_execute", count)
        if inline is not None:
            inline.on_connect.remove(trace)
