"""A live uvicorn on 127.0.0.1 (SQLite), driven by gql over HTTP and graphql-transport-ws."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from gql import Client, gql
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from sqlmodel import SQLModel
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

import api.store.tables  # noqa: F401
from api.app import create_app
from api.services import resellers
from api.services.context import build_context
from api.settings import Settings
from api.store.engine import create_engine, make_sessionmaker
from tests.api.graphql.conftest import FAST_PASSWORDS
from tests.api.graphql.helpers import (
    ATTACH,
    CREATE_CLIENT,
    DECK,
    PACKAGE,
    PAY,
    PUBLISH,
    SUB_ACCOUNT,
    SUBMIT_CDR,
    SUBMIT_CDRS,
    cdr,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(base URL, operator token) of a uvicorn serving a fresh SQLite database."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    settings = Settings(database_url=url, secret_key="live-secret")

    async def prepare() -> str:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
        ctx = build_context(settings, make_sessionmaker(engine))
        token = (await resellers.create_operator_token(ctx)).token
        await engine.dispose()
        return token

    operator = asyncio.run(prepare())
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, passwords=FAST_PASSWORDS), host="127.0.0.1", port=port,
        log_level="warning", ws="websockets-sansio", lifespan="on",
    )  # fmt: skip
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}", operator
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


async def _http(base: str, token: str, query: str, **variables: Any) -> dict[str, Any]:
    transport = HTTPXAsyncTransport(
        url=f"http://{base}/graphql", headers={"Authorization": f"Bearer {token}"}
    )
    async with Client(transport=transport) as session:
        result: dict[str, Any] = await session.execute(gql(query), variable_values=variables)
        return result


@pytest.fixture
def events() -> list[dict[str, Any]]:
    return []


async def test_live_balance_low_balance_and_suspension(
    server: tuple[str, str], events: list[dict[str, Any]]
) -> None:
    base, operator = server
    created = await _http(
        base, operator,
        'mutation { createReseller(name: "live", currency: "USD", lowBalanceThreshold: "5") {'
        " ... on ResellerCreated { token { token } } } }",
    )  # fmt: skip
    reseller = created["createReseller"]["token"]["token"]
    await _http(base, operator, "mutation($csv: String!) { importDeck(csv: $csv, activate: true)"
                " { __typename } }", csv=DECK)  # fmt: skip
    published = await _http(base, reseller, PUBLISH, source=PACKAGE)
    package_id = published["publishPackage"]["versions"][0]["packageId"]
    client = await _http(base, reseller, CREATE_CLIENT, input={"name": "h", "balanceType": "HARD"})
    client_id = client["createClient"]["id"]

    ws = WebsocketsTransport(
        url=f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"],
        init_payload={"authorization": f"Bearer {reseller}"},
    )  # fmt: skip
    subscription = gql(
        "subscription($c: Int) { balanceChanged(clientId: $c) { clientId balance { amount } } }"
    )
    low = gql("subscription { lowBalance { clientId balance { amount } threshold { amount } } }")
    suspended = gql("subscription { suspensionChanged { clientId suspended } }")
    async with Client(transport=ws) as session:
        got: dict[str, list[dict[str, Any]]] = {"balance": [], "low": [], "susp": []}

        async def watch(doc: Any, key: str, count: int, **variables: Any) -> None:
            async for item in session.subscribe(doc, variable_values=variables):
                got[key].append(item)
                if len(got[key]) >= count:
                    return

        tasks = [
            asyncio.create_task(watch(subscription, "balance", 3, c=client_id)),
            asyncio.create_task(watch(low, "low", 1)),
            asyncio.create_task(watch(suspended, "susp", 2)),
        ]
        await asyncio.sleep(0.3)
        await _http(base, reseller, "mutation($c: Int!) { addPayment(clientId: $c, amount: \"20\")"
                    " { __typename } }", c=client_id)  # fmt: skip
        await _http(base, reseller, ATTACH, c=client_id, p=package_id)  # setup fee 1.00
        await _http(base, reseller, "mutation($c: Int!) { addCharge(clientId: $c, amount: \"25\")"
                    " { __typename } }", c=client_id)  # fmt: skip
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
    amounts = [e["balanceChanged"]["balance"]["amount"] for e in got["balance"]]
    assert amounts == ["20.00", "19.00", "-6.00"]
    assert len(got["low"]) == 1
    assert [e["suspensionChanged"]["suspended"] for e in got["susp"]] == [False, True]
    events.extend(got["balance"])


async def test_bad_token_is_refused_with_4403(server: tuple[str, str]) -> None:
    base, _ = server
    async with ws_connect(
        f"ws://{base}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as ws:
        init = {"type": "connection_init", "payload": {"authorization": "Bearer nope"}}
        await ws.send(json.dumps(init))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


DOLLAR_A_MINUTE = """package "Metered" {
    currency USD
    markup 0% + 0.0000
    pulse 60
    route canada value
    route international value
    rate usa_canada 1.0000
}
"""


async def test_live_calls_drive_balance_one_low_balance_and_suspension(
    server: tuple[str, str],
) -> None:
    """CDRs through the API (single and batch): each balance change arrives, one lowBalance
    for the whole descent, and the hard client is suspended when a call brings it to 0."""
    base, operator = server
    created = await _http(
        base, operator,
        'mutation { createReseller(name: "calls", currency: "USD", lowBalanceThreshold: "4.5")'
        " { ... on ResellerCreated { token { token } } } }",
    )  # fmt: skip
    reseller = created["createReseller"]["token"]["token"]
    await _http(base, operator, "mutation($csv: String!) { importDeck(csv: $csv, activate: true)"
                " { __typename } }", csv=DECK)  # fmt: skip
    published = await _http(base, reseller, PUBLISH, source=DOLLAR_A_MINUTE)
    package_id = published["publishPackage"]["versions"][0]["packageId"]
    client = await _http(base, reseller, CREATE_CLIENT, input={"name": "m", "balanceType": "HARD"})
    client_id = client["createClient"]["id"]
    await _http(base, reseller, ATTACH, c=client_id, p=package_id)
    await _http(base, reseller, SUB_ACCOUNT, c=client_id, u="m-line")
    ws = WebsocketsTransport(
        url=f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"],
        init_payload={"authorization": f"Bearer {reseller}"},
    )  # fmt: skip
    balance = gql("subscription { balanceChanged { clientId balance { amount } } }")
    low = gql("subscription { lowBalance { clientId balance { amount } } }")
    suspended = gql("subscription { suspensionChanged { clientId suspended } }")
    got: dict[str, list[dict[str, Any]]] = {"balance": [], "low": [], "susp": []}
    async with Client(transport=ws) as session:

        async def watch(doc: Any, key: str, count: int) -> None:
            async for item in session.subscribe(doc):
                got[key].append(item)
                if len(got[key]) >= count:
                    return

        tasks = [
            asyncio.create_task(watch(balance, "balance", 5)),
            asyncio.create_task(watch(low, "low", 2)),
            asyncio.create_task(watch(suspended, "susp", 2)),
        ]
        await asyncio.sleep(0.3)
        await _http(base, reseller, PAY, c=client_id, a="6")
        for n in range(3):  # 6.00 → 5.00 → 4.00 (crosses 4.50) → 3.00
            rated = await _http(base, reseller, SUBMIT_CDR, cdr=cdr(f"s{n}", "m-line"))
            assert rated["submitCdr"]["sell"]["amount"] == "1.00"
        batch = [cdr(f"b{n}", "m-line") for n in range(3)]  # 3.00 → 0.00: suspended
        summary = await _http(base, reseller, SUBMIT_CDRS, cdrs=batch)
        assert summary["submitCdrs"]["rated"] == 3
        await asyncio.wait_for(asyncio.gather(*tasks[::2]), timeout=10)
        await asyncio.sleep(0.3)  # give a second (wrong) lowBalance the time to show up
        tasks[1].cancel()
    amounts = [e["balanceChanged"]["balance"]["amount"] for e in got["balance"]]
    assert amounts == ["6.00", "5.00", "4.00", "3.00", "0.00"]
    assert [e["lowBalance"]["balance"]["amount"] for e in got["low"]] == ["4.00"]
    assert [e["suspensionChanged"]["suspended"] for e in got["susp"]] == [False, True]
    refused = await _http(
        base, reseller,
        'query { authorizeCall(subAccount: "m-line", number: "+15145550100")'
        " { ... on CallAuthorization { allowed reason } } }",
    )  # fmt: skip
    assert refused["authorizeCall"] == {"allowed": False, "reason": "SUSPENDED"}
