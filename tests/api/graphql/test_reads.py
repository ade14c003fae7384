"""What each caller reads: package versions, the client's own money and calls, passwords,
statements, deck versions, DIDs, and the reports (GraphQL and CSV)."""

from __future__ import annotations

from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import PACKAGE, PUBLISH, SUB_ACCOUNT, SUBMIT_CDR, cdr, world

MY_CLIENT = """
{ myClient {
    id balance { amount }
    transactions(first: 10) { edges { node { kind change { amount } balance { amount } } } }
    cdrs(first: 2) { edges { node { callId sell { amount } } }
                     pageInfo { hasNextPage } }
    dids { edges { node { number } } }
    statements { edges { node { id } } }
} }"""


async def test_package_versions_with_their_source(api: Api) -> None:
    w = await world(api)
    await api.data(PUBLISH, w.a.reseller, source=PACKAGE.replace("20%", "25%"))
    got = await api.data(
        "query($p: Int!) { package(id: $p) { ... on Package { latestVersion"
        " versions { edges { node { version source } } } } } }",
        w.a.reseller,
        p=w.a_package,
    )
    versions = [e["node"] for e in got["package"]["versions"]["edges"]]
    assert [v["version"] for v in versions] == [2, 1]
    assert "25%" in versions[0]["source"]
    assert "20%" in versions[1]["source"]


async def test_a_client_reads_its_own_money_and_calls_newest_first(api: Api) -> None:
    w = await world(api)
    for n in range(3):
        await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr(f"k{n}", w.a_line, duration=60 + n))
    me = (await api.data(MY_CLIENT, w.portal))["myClient"]
    assert me["id"] == w.a_client
    lines = [e["node"] for e in me["transactions"]["edges"]]
    assert [line["kind"] for line in lines] == ["call", "call", "call", "payment", "setup_fee"]
    assert lines[3]["change"] == {"amount": "50.00"}
    assert lines[4]["change"] == {"amount": "-1.00"}
    assert lines[0]["balance"] == me["balance"]
    calls = [e["node"] for e in me["cdrs"]["edges"]]
    assert [c["callId"] for c in calls] == ["k2", "k1"]
    assert me["cdrs"]["pageInfo"]["hasNextPage"] is True
    assert calls[0]["sell"] == {"amount": "0.012"}  # 62 s, 2 pulses; no cost field exists


async def test_sip_password_is_for_the_reseller_unless_the_portal_shows_it(api: Api) -> None:
    w = await world(api)
    query = "query($s: Int!) { sipPassword(subAccountId: $s) { __typename"
    query += " ... on SipPassword { password } } }"
    reseller = (await api.data(query, w.a.reseller, s=w.a_sub))["sipPassword"]
    assert reseller["__typename"] == "SipPassword"
    assert len(reseller["password"]) >= 16
    client = await api.post(query, w.portal, s=w.a_sub)  # "show SIP passwords" is off
    assert client == {"data": {"sipPassword": {"__typename": "NotFound"}}}


async def test_run_billing_then_statements(api: Api) -> None:
    w = await world(api)
    run = await api.data(
        'mutation { runBilling(on: "2099-01-01") { __typename ... on BillingRun'
        " { clients statements feesPosted } } }",
        w.a.operator,
    )
    assert run["runBilling"]["__typename"] == "BillingRun"
    assert run["runBilling"]["clients"] >= 2
    again = await api.data(
        'mutation { runBilling(on: "2099-01-01") { ... on BillingRun { feesPosted } } }',
        w.a.operator,
    )
    assert again["runBilling"]["feesPosted"] == 0
    got = await api.data(
        "query($c: Int!) { client(id: $c) { ... on Client { statements"
        " { edges { node { periodStart periodEnd closing { amount } } } } } } }",
        w.a.reseller,
        c=w.a_client,
    )
    statements = got["client"]["statements"]["edges"]
    assert statements[0]["node"]["periodEnd"] == "2098-12-31"


async def test_deck_versions_for_the_operator(api: Api) -> None:
    w = await world(api)
    got = await api.data(
        "{ deckVersions { edges { node { version active rowCount } } } }", w.a.operator
    )
    nodes = [e["node"] for e in got["deckVersions"]["edges"]]
    assert any(n["active"] and n["rowCount"] == 2 for n in nodes)
    body = await api.post("{ deckVersions { edges { node { version } } } }", w.a.reseller)
    assert body["errors"][0]["message"] == "Forbidden"


async def test_reports_over_graphql(api: Api) -> None:
    w = await world(api)
    await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr("r1", w.a_line, duration=60))
    flt = {"from": "2026-03-01", "to": "2026-03-01"}
    query = """query($f: ReportFilter!) {
      cdrReport(filter: $f) { __typename ... on CdrReport { rows { number sell { amount } }
        totals { calls sell { amount } profit { amount } } } }
      profitReport(groupBy: COUNTRY, filter: $f) { ... on ProfitReport
        { groups { key figures { calls profit { amount } } } } }
      financialReport(from: "2026-01-01", to: "2099-12-31") { __typename }
    }"""
    got = await api.data(query, w.a.reseller, f=flt)
    assert got["cdrReport"]["totals"]["calls"] == 1
    assert got["cdrReport"]["totals"]["sell"] == {"amount": "0.006"}
    assert got["profitReport"]["groups"][0]["key"] == "US"
    assert got["financialReport"]["__typename"] == "InvalidInput"  # longer than 366 days
    client_query = "query($f: ReportFilter!) { myCdrReport(filter: $f) { ... on MyCdrReport"
    client_query += " { totals { calls sell { amount } } } } }"
    mine = await api.data(client_query, w.portal, f=flt)
    assert mine["myCdrReport"]["totals"] == {"calls": 1, "sell": {"amount": "0.006"}}


async def test_csv_reports_need_a_bearer_token(api: Api) -> None:
    w = await world(api)
    await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr("r1", w.a_line, duration=60))
    url = "/reports/cdrs.csv?from=2026-03-01&to=2026-03-01"
    assert (await api.http.get(url)).status_code == 401
    bad = await api.http.get(url, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    ok = await api.http.get(url, headers={"Authorization": f"Bearer {w.a.reseller}"})
    assert ok.status_code == 200
    assert ok.headers["content-type"] == "text/csv; charset=utf-8"
    assert len(ok.text.strip().splitlines()) == 2  # header + the one call
    other = await api.http.get(url, headers={"Authorization": f"Bearer {w.b.reseller}"})
    assert len(other.text.strip().splitlines()) == 1  # tenant B sees none of A's calls
    profit = "/reports/profit.csv?group_by=country&from=2026-03-01&to=2026-03-01"
    assert (
        await api.http.get(profit, headers={"Authorization": f"Bearer {w.portal}"})
    ).status_code == 403


async def test_a_clients_lines_and_dids_page_with_cursors(api: Api) -> None:
    w = await world(api)
    for n in range(4):
        await api.data(SUB_ACCOUNT, w.a.reseller, c=w.a_client, u=f"extra-{n}")
    query = """query($c: Int!, $after: String) { client(id: $c) { ... on Client {
      subAccounts(first: 2, after: $after) { edges { node { id username } }
                                             pageInfo { hasNextPage endCursor } }
      packages(first: 1) { edges { cursor node { name } } pageInfo { hasNextPage } }
      dids(first: 1) { edges { node { number } } pageInfo { hasNextPage endCursor } }
    } } }"""
    names: list[str] = []
    ids: list[int] = []
    after = None
    for _ in range(5):
        got = (await api.data(query, w.a.reseller, c=w.a_client, after=after))["client"]
        lines = got["subAccounts"]
        names += [e["node"]["username"] for e in lines["edges"]]
        ids += [e["node"]["id"] for e in lines["edges"]]
        after = lines["pageInfo"]["endCursor"]
        if not lines["pageInfo"]["hasNextPage"]:
            break
    code = 100_000 + w.a.reseller_id  # SIP usernames in the reseller's namespace
    assert names == [
        f"{code}_{n}" for n in ("alice-line", "extra-0", "extra-1", "extra-2", "extra-3")
    ]
    assert ids == sorted(ids)
    assert [e["node"]["name"] for e in got["packages"]["edges"]] == ["Basic"]
    assert got["packages"]["pageInfo"]["hasNextPage"] is False
    assert got["dids"] == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}
    bad_cursor = 'query($c: Int!) { client(id: $c) { ... on Client { dids(after: "nope")'
    bad = await api.post(bad_cursor + " { edges { cursor } } } } }", w.a.reseller, c=w.a_client)
    assert bad["errors"][0]["message"] == "invalid cursor"
