"""``/switch/authorize`` when the database is a black hole or gone: refused as
``unavailable`` (SIP 503) within the switch timeout, never a hang or a 5xx."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from api.settings import Settings

TIMEOUT = 0.5
TOKEN = "pb_some-switch-token-that-cannot-be-checked"


@pytest.fixture
async def black_hole() -> AsyncIterator[int]:
    """A loopback TCP server that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def ask(port: int) -> tuple[httpx.Response, float]:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/test"
    settings = Settings(database_url=url, secret_key="s", switch_timeout_seconds=TIMEOUT)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            started = time.perf_counter()
            response = await http.post(
                "/switch/authorize?format=text",
                data={"sub_account": "100001_alice", "number": "+12025550100", "call_id": "u"},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            return response, time.perf_counter() - started


UNAVAILABLE = (
    "allowed=0\nmax_seconds=0\nreason=unavailable\nmessage=billing unavailable\nsip_code=503\n"
)


async def test_a_database_that_never_answers(
    black_hole: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "pulsebill.switch")
    response, elapsed = await ask(black_hole)
    assert (response.status_code, response.text) == (200, UNAVAILABLE)
    assert TIMEOUT <= elapsed < TIMEOUT + 0.5
    assert "TimeoutError" in caplog.text
    assert TOKEN not in caplog.text


async def test_a_closed_port(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "pulsebill.switch")
    response, elapsed = await ask(closed_port())
    assert (response.status_code, response.text) == (200, UNAVAILABLE)
    assert elapsed < TIMEOUT + 0.5
    assert "unavailable" in caplog.text
    assert TOKEN not in caplog.text
