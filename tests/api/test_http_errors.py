"""The error boundary: a database that is down gives 503 with ``Retry-After`` on every
route (not a 500 from ``get_context``), and what escapes is logged without its message."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.app import create_app
from api.http_errors import RETRY_AFTER_SECONDS, ErrorBoundary
from api.settings import Settings
from tests.conftest import require_postgres

LOGIN = 'mutation { login(username: "alice", password: "secret words") { __typename } }'


def _down_url(backend: str, tmp_path: Path) -> str:
    if backend == "postgresql":
        require_postgres()  # the same machine, another port: nothing listens on port 1
        return "postgresql+asyncpg://postgres@127.0.0.1:1/test"
    return f"sqlite+aiosqlite:///{tmp_path / 'missing-directory' / 'pulsebill.db'}"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_every_request_while_the_database_is_down_is_a_503(
    backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(database_url=_down_url(backend, tmp_path), secret_key="k", dev=False)
    app = create_app(settings)
    token = {"Authorization": "Bearer pbt_not-checked-yet"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            responses = [
                await http.post("/graphql", json={"query": "{ me { __typename } }"}, headers=token),
                await http.post("/graphql", json={"query": LOGIN}),  # no token: the resolver
                await http.get("/reports/cdrs.csv?from=2026-01-01&to=2026-01-02", headers=token),
            ]
    assert [r.status_code for r in responses] == [503, 503, 503]
    assert {r.headers["Retry-After"] for r in responses} == {str(RETRY_AFTER_SECONDS)}
    logged = caplog.text
    assert "127.0.0.1', 1" not in logged
    assert "unable to open" not in logged
    assert "secret words" not in logged


async def test_an_unexpected_error_is_a_bare_500_logged_by_type_and_frames(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def crash(request: Request) -> Response:
        raise ValueError(f"card {request.query_params['card']}")

    app = Starlette(routes=[Route("/", crash)], middleware=[Middleware(ErrorBoundary)])
    transport = httpx.ASGITransport(app=app)
    with caplog.at_level(logging.ERROR, logger="pulsebill.http"):
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.get("/", params={"card": "4111 1111 1111 1111"})
    assert response.status_code == 500
    assert response.text == "Internal server error"
    assert "ValueError" in caplog.text
    assert "crash" in caplog.text
    assert "4111" not in caplog.text
