"""An app per test over the ``database`` fixture, called through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import event

from api.app import create_app
from api.auth.passwords import Passwords
from api.graphql.reads import sync_reader
from api.settings import Settings
from api.state import AppState
from tests.conftest import Database

FAST_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


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

    # the application engine, and the inline SQLite reader of request reads (api.graphql.reads)
    engines = [database.engine.sync_engine]
    inline = sync_reader(database.engine)
    if inline is not None:
        engines.append(inline)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                yield Api(states[0], http, statements)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
