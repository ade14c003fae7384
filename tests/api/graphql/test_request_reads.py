"""The benchmark query ("a client with balance, package and its last 20 CDRs") runs in one
reader transaction of exactly three SELECTs, gives its connection back, and answers the
same as the services; the inline SQLite reader cannot write."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from api.domain.actor import Actor
from api.graphql.request_reads import RequestReads, sync_reader
from api.services import clients
from api.store.read_models import CLIENT_VIEW, client_view_params
from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import PAY, SUBMIT_CDR, cdr, world
from tests.conftest import Database

BENCH_QUERY = """query($id: Int!) { client(id: $id) { ... on Client {
  id name balance { amount currency } suspended
  packages { edges { node { name latestVersion } } }
  cdrs(first: 20) { edges { node { id number startedAt duration sell { amount } } } }
} } }"""


def _kinds(statements: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for statement in statements:
        word = statement.lstrip().split(None, 1)[0].upper()
        counts[word] = counts.get(word, 0) + 1
    return counts


def _checked_out(database: Database) -> int:
    inline = sync_reader(database.engine)
    pooled = database.engine.sync_engine.pool.checkedout()  # type: ignore[attr-defined]
    return pooled + (inline.in_use if inline is not None else 0)


async def test_the_benchmark_query_is_three_selects_in_one_reader(
    api: Api, database: Database
) -> None:
    w = await world(api)
    for n in range(25):
        rated = await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr(f"c-{n}", w.a_line))
        assert rated["submitCdr"]["__typename"] == "CdrRating"
    await api.data(BENCH_QUERY, w.a.reseller, id=w.a_client)  # warm: token cached
    api.statements.clear()
    data = await api.data(BENCH_QUERY, w.a.reseller, id=w.a_client)
    client = data["client"]
    packages = [e["node"] for e in client["packages"]["edges"]]
    assert packages == [{"name": "Basic", "latestVersion": 1}]
    assert len(client["cdrs"]["edges"]) == 20
    assert client["cdrs"]["edges"][0]["node"]["id"] > client["cdrs"]["edges"][-1]["node"]["id"]
    kinds = _kinds(api.statements)
    assert kinds.get("SELECT") == 3, api.statements  # client, packages, CDR page
    # nothing else, nothing written (the reader's transaction ends in a rollback)
    assert set(kinds) <= {"SELECT", "BEGIN", "ROLLBACK"}, api.statements
    assert kinds.get("BEGIN", 0) <= 1, api.statements  # one reader transaction (SQLite)
    assert _checked_out(database) == 0  # the connection went back at the request's end


async def test_a_page_after_a_cursor_and_a_client_reading_itself(api: Api) -> None:
    w = await world(api)
    for n in range(5):
        await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr(f"c-{n}", w.a_line))
    query = """query($id: Int!, $after: String) { client(id: $id) { __typename
      ... on Client { cdrs(first: 2, after: $after) {
        edges { node { id } } pageInfo { hasNextPage endCursor } } } } }"""
    ids: list[int] = []
    after = None
    for _ in range(4):
        page = (await api.data(query, w.a.reseller, id=w.a_client, after=after))["client"]
        ids += [e["node"]["id"] for e in page["cdrs"]["edges"]]
        after = page["cdrs"]["pageInfo"]["endCursor"]
        if not page["cdrs"]["pageInfo"]["hasNextPage"]:
            break
    assert len(ids) == 5
    assert ids == sorted(ids, reverse=True)
    own = await api.data("{ myClient { cdrs(first: 2) { edges { node { id } } } } }", w.portal)
    assert [e["node"]["id"] for e in own["myClient"]["cdrs"]["edges"]] == ids[:2]
    for client_id in (w.a_client, w.a_other):  # a client session reads itself as myClient
        other = await api.post(query, w.portal, id=client_id)
        assert other["errors"] == [{"message": "Forbidden", "path": ["client"]}]
    foreign = await api.data(query, w.a.reseller, id=w.b_client)
    assert foreign["client"]["__typename"] == "NotFound"


async def test_the_client_read_model_equals_the_service(api: Api) -> None:
    w = await world(api)
    await api.data(PAY, w.a.reseller, c=w.a_client, a="2.5")
    actor = Actor.reseller(w.a.reseller_id)
    for client_id in (w.a_client, w.a_other):
        view = await clients.get_client(api.state.services, actor, client_id)
        reads = RequestReads(api.state.engine)
        try:
            (row,) = await reads.rows(CLIENT_VIEW, client_view_params(w.a.reseller_id, client_id))
        finally:
            await reads.close()
        assert (row.id, row.name, row.status) == (view.id, view.name, view.status)
        assert (int(row.balance), row.currency) == (view.balance, view.currency)
        threshold = row.default_threshold
        if row.low_balance_threshold is not None:
            threshold = row.low_balance_threshold
        assert threshold == view.low_balance_threshold
        assert (row.balance_type, row.billing_day, row.suspended) == (
            view.balance_type,
            view.billing_day,
            view.suspended,
        )


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # PostgreSQL reads are async
async def test_the_inline_sqlite_reader_cannot_write(api: Api, database: Database) -> None:
    assert database.backend == "sqlite"
    reads = RequestReads(api.state.engine)
    try:
        with pytest.raises(Exception, match="readonly"):
            await reads.rows(text("CREATE TABLE nope (x INTEGER)"))
    finally:
        await reads.close()


CDR_FIELDS = """id source callId status failureReason clientId subAccountId direction number
  startedAt duration billedSeconds chargedSeconds sellRate { amount } sell { amount currency }
  rule { kind text line } deckPrefix country route freeMinutesUsed onNet cost { amount }
  costRate { amount } profit { amount }"""


async def test_a_cdr_page_reads_only_the_columns_asked_for(api: Api) -> None:
    w = await world(api)
    for n in range(3):
        await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr(f"c-{n}", w.a_line, duration=40 + n))
    full = f"""query($id: Int!) {{ client(id: $id) {{ ... on Client {{
      cdrs(first: 5) {{ edges {{ node {{ {CDR_FIELDS} }} }} }} }} }} }}"""
    answer = await api.data(full, w.a.reseller, id=w.a_client)
    every = [e["node"] for e in answer["client"]["cdrs"]["edges"]]
    assert len(every) == 3
    assert every[0]["sell"]["amount"] != "0"  # rated: the values below are not defaults
    narrow = """query($id: Int!) { client(id: $id) { ... on Client {
      a: cdrs(first: 5) { edges { node { ...Money number } } }
      b: cdrs(first: 5) { edges { node { __typename ... on Cdr { startedAt rule { kind } } } } }
    } } } fragment Money on Cdr { sell { amount } profit { amount } }"""
    api.statements.clear()
    data = (await api.data(narrow, w.a.reseller, id=w.a_client))["client"]
    a = [e["node"] for e in data["a"]["edges"]]
    b = [e["node"] for e in data["b"]["edges"]]
    assert a == [
        {"sell": {"amount": e["sell"]["amount"]}, "profit": e["profit"], "number": e["number"]}
        for e in every
    ]
    assert b == [
        {"__typename": "Cdr", "startedAt": e["startedAt"], "rule": {"kind": e["rule"]["kind"]}}
        for e in every
    ]
    pages = [s for s in api.statements if "FROM cdrs" in s]
    assert len(pages) == 2  # one per column set
    assert all("NULL AS call_id" in s for s in pages)  # columns nobody asked for
    assert any("cdrs.profit" in s and "NULL AS started_at" in s for s in pages)
    assert any("cdrs.started_at" in s and "NULL AS profit" in s for s in pages)


async def test_submit_cdr_reads_the_currency_with_the_call(api: Api) -> None:
    w = await world(api)
    await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr("warm", w.a_line))  # caches warm
    api.statements.clear()
    rated = (await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr("next", w.a_line)))["submitCdr"]
    assert rated["sell"]["currency"] == "USD"
    # before: a second read transaction (the reseller, its accounts, its balance)
    # (asyncpg's logger shows no SQLAlchemy SELECT, but the reader's BEGIN)
    second_read = [
        s
        for s in api.statements
        if "resellers.currency" in s or "accounts." in s or s.strip().rstrip(";") == "BEGIN"
    ]
    assert second_read == [], api.statements
