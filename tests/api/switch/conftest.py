"""A running app over the ``database`` fixture (the same clock as the services), a world
with a reseller, and a switch token; requests go through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.services import resellers
from api.settings import Settings
from api.state import AppState
from tests.api.conftest import Clock, World
from tests.api.graphql.conftest import serving
from tests.conftest import Database


@dataclass
class Switch:
    """The app, its HTTP client and a switch token."""

    state: AppState
    http: httpx.AsyncClient
    token: str
    token_id: int

    async def post(
        self, path: str, token: str | None = "", *, form: bool = False, **fields: Any
    ) -> httpx.Response:
        """POST ``fields`` as JSON (or a form) with the switch token (``token`` overrides it;
        ``None``: no credential)."""
        used = self.token if token == "" else token
        headers = {"Authorization": f"Bearer {used}"} if used else {}
        if form:
            return await self.http.post(f"/switch/{path}", data=fields, headers=headers)
        return await self.http.post(f"/switch/{path}", json=fields, headers=headers)

    async def ok(self, path: str, **fields: Any) -> dict[str, Any]:
        response = await self.post(path, **fields)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def switch(database: Database, clock: Clock, world: World) -> AsyncIterator[Switch]:
    settings = Settings(database_url=database.url, secret_key="test-secret", dev=False)
    issued = await resellers.create_switch_token(world.ctx, "kamailio-1")
    async with serving(settings, database, clock) as (_app, state, http):
        yield Switch(state, http, issued.token, issued.id)
