"""``authorizeCall`` reserves a hard client's money (the issue's probe), with ``callId``."""

from __future__ import annotations

import asyncio

from api.services import resellers
from tests.api.conftest import World
from tests.api.graphql.conftest import Api
from tests.api.services.test_reservations import MEXICO, dear_client

AUTHORIZE = """
query($s: String!, $n: String!, $c: String) {
  authorizeCall(subAccount: $s, number: $n, callId: $c) {
    __typename
    ... on CallAuthorization { allowed reason maxSeconds callId }
    ... on InvalidInput { errors { field message } }
  }
}"""


async def test_fifty_concurrent_authorize_calls_share_the_balance(api: Api, world: World) -> None:
    line = await dear_client(world)  # hard, 10.00, 1.00 a minute to Mexico
    token = (await resellers.create_token(world.ctx, world.reseller)).token
    answers = await asyncio.gather(
        *(api.data(AUTHORIZE, token, s=line, n=MEXICO, c=None) for _ in range(50))
    )
    results = [a["authorizeCall"] for a in answers]
    granted = sorted((r["maxSeconds"] for r in results), reverse=True)
    assert granted[0] == 600
    assert sum(granted) <= 600  # 1.00 a minute: at most 10.00 authorized in all
    assert len({r["callId"] for r in results}) == 50  # a generated call id each
    assert all(len(r["callId"]) == 32 for r in results)
    refused = {r["reason"] for r in results if not r["allowed"]}
    assert refused == {"INSUFFICIENT_BALANCE"}


async def test_the_same_call_id_is_not_counted_twice(api: Api, world: World) -> None:
    line = await dear_client(world)
    token = (await resellers.create_token(world.ctx, world.reseller)).token
    for _ in range(2):
        result = (await api.data(AUTHORIZE, token, s=line, n=MEXICO, c="sip-1"))["authorizeCall"]
        assert (result["maxSeconds"], result["callId"]) == (600, "sip-1")
    other = (await api.data(AUTHORIZE, token, s=line, n=MEXICO, c="sip-2"))["authorizeCall"]
    assert (other["allowed"], other["maxSeconds"]) == (False, 0)
    bad = (await api.data(AUTHORIZE, token, s=line, n=MEXICO, c=""))["authorizeCall"]
    assert bad["__typename"] == "InvalidInput"
    assert bad["errors"][0]["field"] == "callId"
