"""Calls through the API: CDRs (one, a batch, twice), authorization, price previews."""

from __future__ import annotations

from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import SUBMIT_CDR, SUBMIT_CDRS, cdr, world

AUTHORIZE = """
query($s: String!, $n: String!) {
  authorizeCall(subAccount: $s, number: $n) {
    __typename ... on CallAuthorization { allowed reason maxSeconds message }
  }
}"""

PREVIEW = """
query($p: Int!, $n: String!, $d: Int!, $f: Int! = 0) {
  pricePreview(packageId: $p, number: $n, duration: $d, freeMinutesLeft: $f) {
    __typename
    ... on PriceExplanation {
      number billedSeconds chargedSeconds pulse sellRate { amount } sell { amount }
      costRate { amount } cost { amount } profit { amount } rule { kind text line }
      deckPrefix country route packageVersion deckVersion
    }
    ... on Unpriceable { reason message }
    ... on Problem { message }
    ... on InvalidInput { errors { field } }
  }
}"""


async def test_submit_one_cdr_explains_its_price_and_is_idempotent(api: Api) -> None:
    w = await world(api)
    first = await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr("c1", w.a_line, duration=61))
    rated = first["submitCdr"]
    assert rated["__typename"] == "CdrRating"
    assert rated["status"] == "rated"
    assert rated["duplicate"] is False
    assert rated["billedSeconds"] == 120
    assert rated["sellRate"] == {"amount": "0.006"}  # 0.0050 value × 1.20
    assert rated["sell"] == {"amount": "0.012", "currency": "USD"}
    assert rated["cost"] == {"amount": "0.01"}
    assert rated["rule"]["kind"] == "markup"
    assert (rated["deckPrefix"], rated["country"], rated["route"]) == ("1", "US", "value")
    again = (await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr("c1", w.a_line)))["submitCdr"]
    assert again["duplicate"] is True
    assert again["id"] == rated["id"]
    unknown = await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr("c2", "nobody"))
    assert unknown["submitCdr"]["status"] == "unrated"
    assert unknown["submitCdr"]["failureReason"] == "unknown_sub_account"


async def test_submit_a_batch_returns_each_rating_in_order(api: Api) -> None:
    w = await world(api)
    await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr("b0", w.a_line))
    batch = [cdr("b0", w.a_line), cdr("b1", w.a_line), cdr("b2", w.a_line, number="999")]
    result = (await api.data(SUBMIT_CDRS, w.a.reseller, cdrs=batch))["submitCdrs"]
    assert result["__typename"] == "CdrBatch"
    assert (result["received"], result["rated"], result["unrated"], result["duplicates"]) == (
        3, 1, 1, 1,
    )  # fmt: skip
    assert [r["callId"] for r in result["results"]] == ["b0", "b1", "b2"]
    assert result["results"][2]["status"] == "unrated"
    assert result["results"][2]["failureReason"].startswith(("unroutable", "invalid_number")), (
        result
    )


async def test_authorize_call(api: Api) -> None:
    w = await world(api)
    allowed = await api.data(AUTHORIZE, w.a.reseller, s=w.a_line, n="+15145550100")
    assert allowed["authorizeCall"]["allowed"] is True
    assert allowed["authorizeCall"]["maxSeconds"] == 4 * 3600
    refused = await api.data(AUTHORIZE, w.a.reseller, s="ghost", n="+15145550100")
    assert refused["authorizeCall"] == {
        "__typename": "CallAuthorization", "allowed": False, "reason": "UNKNOWN_SUB_ACCOUNT",
        "maxSeconds": 0, "message": "unknown sub account",
    }  # fmt: skip


async def test_price_preview_gives_the_full_rating_and_writes_nothing(api: Api) -> None:
    w = await world(api)
    api.statements.clear()
    got = await api.data(PREVIEW, w.a.reseller, p=w.a_package, n="011 44 20 7946 0000", d=90)
    preview = got["pricePreview"]
    assert preview["__typename"] == "PriceExplanation"
    assert preview["number"] == "442079460000"
    assert preview["billedSeconds"] == 120
    assert preview["sellRate"] == {"amount": "0.0144"}  # premium 0.0120 × 1.20
    assert preview["sell"] == {"amount": "0.0288"}
    assert preview["profit"] == {"amount": "0.0048"}
    assert preview["packageVersion"] == 1
    writes = [s for s in api.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert writes == []
    unroutable = await api.data(PREVIEW, w.a.reseller, p=w.a_package, n="+99912345", d=60)
    assert unroutable["pricePreview"]["__typename"] == "Unpriceable"
    bad = await api.data(PREVIEW, w.a.reseller, p=w.a_package, n="not a number", d=60)
    assert bad["pricePreview"]["__typename"] == "InvalidInput"


CLIENT_CDRS = """query($id: Int!) { client(id: $id) { ... on Client {
  cdrs(first: 10) { edges { node { number startedAt } } }
} } }"""


async def test_start_times_with_an_offset_come_back_in_utc(api: Api) -> None:
    w = await world(api)
    late = {**cdr("tz1", w.a_line), "startedAt": "2026-03-01T23:30:00-05:00"}
    rated = await api.data(SUBMIT_CDR, w.a.reseller, cdr=late)
    assert rated["submitCdr"]["__typename"] == "CdrRating"
    batch = [
        {**cdr("tz2", w.a_line), "startedAt": "2026-03-02T10:15:00+05:45"},
        {**cdr("tz3", w.a_line), "startedAt": "2026-03-01T20:00:00-09:30"},
    ]
    await api.data(SUBMIT_CDRS, w.a.reseller, cdrs=batch)
    data = await api.data(CLIENT_CDRS, w.a.reseller, id=w.a_client)
    started = sorted(e["node"]["startedAt"] for e in data["client"]["cdrs"]["edges"])
    assert started == [
        "2026-03-02T04:30:00+00:00", "2026-03-02T04:30:00+00:00", "2026-03-02T05:30:00+00:00",
    ]  # fmt: skip


async def test_direction_is_an_enum_and_version_ids_mean_one_thing(api: Api) -> None:
    w = await world(api)
    rated = (await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr("d1", w.a_line)))["submitCdr"]
    query = """query($p: Int!, $id: Int!) {
      pricePreview(packageId: $p, number: "+15145550100", duration: 60, direction: OUTBOUND) {
        __typename
        ... on PriceExplanation { direction packageVersion packageVersionId }
      }
      package(id: $p) { ... on Package { versions(first: 1) { edges { node { id version } } } } }
      client(id: $id) { ... on Client { cdrs(first: 1) { edges { node { direction } } } } }
    }"""
    got = await api.data(query, w.a.reseller, p=w.a_package, id=w.a_client)
    version = got["package"]["versions"]["edges"][0]["node"]
    assert rated["packageVersionId"] == version["id"]
    preview = got["pricePreview"]
    assert preview["__typename"] == "PriceExplanation", preview
    assert preview["direction"] == "OUTBOUND"
    assert (preview["packageVersion"], preview["packageVersionId"]) == (
        version["version"], version["id"],
    )  # fmt: skip
    assert got["client"]["cdrs"]["edges"][0]["node"]["direction"] == "OUTBOUND"
    direction = """mutation($cdr: CdrInput!) { submitCdr(cdr: $cdr) {
      ... on CdrRating { direction } } }"""
    again = await api.data(direction, w.a.reseller, cdr=cdr("d2", w.a_line))
    assert again["submitCdr"]["direction"] == "OUTBOUND"
