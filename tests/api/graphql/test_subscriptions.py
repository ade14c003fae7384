"""Subscriptions re-check the credential before every event (in process, both backends)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import HTTPConnection

from api.domain.actor import Actor
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.services import resellers
from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import PAY, world

BALANCE = "subscription($c: Int) { balanceChanged(clientId: $c) { clientId balance { amount } } }"
SCHEMA = build_schema()


async def _subscribe(api: Api, token: str, client_id: int | None = None) -> AsyncIterator[Any]:
    state = api.state
    actor = await state.authenticator.actor_for_token(token)
    assert actor is not None
    context = Context(
        state.sessionmaker, state.bus, state.services, state.authenticator,
        HTTPConnection({"type": "websocket", "headers": []}), actor, token, websocket=True,
    )  # fmt: skip
    stream = await SCHEMA.subscribe(
        BALANCE, variable_values={"c": client_id}, context_value=context
    )
    assert not hasattr(stream, "errors"), stream
    return stream  # type: ignore[return-value]


async def _next(stream: AsyncIterator[Any]) -> Any:
    return await asyncio.wait_for(anext(stream), timeout=5)


async def test_a_revoked_api_token_stops_receiving(api: Api) -> None:
    w = await world(api)
    services = api.state.services
    issued = await resellers.create_token(services, Actor.reseller(w.a.reseller_id))
    stream = await _subscribe(api, issued.token, w.a_client)
    first = asyncio.ensure_future(_next(stream))
    await asyncio.sleep(0.05)
    await api.data(PAY, w.a.reseller, c=w.a_client, a="1")
    got = await first
    assert got.data == {"balanceChanged": {"clientId": w.a_client, "balance": {"amount": "50.00"}}}
    await resellers.revoke_token(services, Actor.operator(), issued.id)
    second = asyncio.ensure_future(_next(stream))
    await api.data(PAY, w.a.reseller, c=w.a_client, a="1")
    refused = await second
    assert refused.data is None
    assert refused.errors[0].message == "Not authenticated"
    ended = asyncio.ensure_future(_next(stream))
    await api.data(PAY, w.a.reseller, c=w.a_client, a="1")
    try:
        extra = await ended
    except StopAsyncIteration:
        extra = None
    assert extra is None  # the stream is over: no more events


async def test_an_ended_portal_session_stops_receiving(api: Api) -> None:
    w = await world(api)
    stream = await _subscribe(api, w.portal)
    first = asyncio.ensure_future(_next(stream))
    await asyncio.sleep(0.05)
    await api.data(PAY, w.a.reseller, c=w.a_other, a="3")  # another client: not delivered
    await api.data(PAY, w.a.reseller, c=w.a_client, a="1")
    assert (await first).data["balanceChanged"]["clientId"] == w.a_client
    await api.data("mutation { logout { ok } }", w.portal)
    second = asyncio.ensure_future(_next(stream))
    await api.data(PAY, w.a.reseller, c=w.a_client, a="1")
    assert (await second).errors[0].message == "Not authenticated"


async def test_a_foreign_client_cannot_be_watched(api: Api) -> None:
    w = await world(api)
    for token, client_id in ((w.b.reseller, w.a_client), (w.portal, w.a_other)):
        stream = await _subscribe(api, token, client_id)
        refused = await _next(stream)
        assert refused.errors[0].message == "client not found"
