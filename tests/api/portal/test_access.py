"""Reaching the portal: custom hostnames, auto-connect (origins, single-use links), DID
orders, the CSV of calls, and the GraphQL side of it."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import func, select

from api.services import clients, dids, login_links, portal_access, resellers
from api.services.records import NewDid
from api.store.tables import Did, PortalSession
from tests.api.portal.conftest import PASSWORD, Portals, call, configure, make_tenant

FORM = re.compile(r'<form class="paypal" method="post" action="([^"]+)">(.*?)</form>', re.S)
FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


async def _sessions(portals: Portals) -> int:
    async with portals.ctx.read() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(PortalSession)) or 0)


async def test_portal_answers_on_the_resellers_hostname(portals: Portals) -> None:
    acme = portals.acme
    await configure(portals.ctx, acme.world.reseller, title="Acme Phone")
    await portal_access.set_hostname(portals.ctx, acme.world.reseller, "portal.acme.test")
    host = {"Host": "portal.acme.test"}
    page = await portals.http.get("/login", headers=host)
    assert page.status_code == 200
    assert "Acme Phone" in page.text
    assert 'href="/style.css"' in page.text
    unknown = await portals.http.get("/login", headers={"Host": "nobody.example.org"})
    assert unknown.status_code == 404
    assert unknown.text == "Not Found"
    assert (await portals.http.get("/graphql", headers=host)).status_code == 404
    platform = await portals.http.get("/health", headers={"Host": "platform.test"})
    assert platform.status_code == 200
    css = await portals.http.get("/style.css", headers=host)
    assert "--button: #1f6feb;" in css.text


async def test_auto_connect_only_from_listed_origins(portals: Portals) -> None:
    acme = portals.acme
    await portal_access.set_auto_connect_origins(
        portals.ctx, acme.world.reseller, ["https://www.acme.example"]
    )
    form = {"username": acme.username, "password": PASSWORD}
    foreign = await portals.http.post(
        f"{acme.base}/connect", data=form, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 200
    assert 'action="/p/' in foreign.text
    assert "Sign in" in foreign.text
    missing = await portals.http.post(f"{acme.base}/connect", data=form)
    assert missing.status_code == 200
    assert await _sessions(portals) == 0
    listed = await portals.http.post(
        f"{acme.base}/connect", data=form, headers={"Origin": "https://www.acme.example"}
    )
    assert listed.status_code == 303
    assert listed.headers["location"] == f"{acme.base}/dashboard"
    assert await _sessions(portals) == 1


async def test_single_use_login_link(portals: Portals) -> None:
    acme = portals.acme
    link = await login_links.create_login_link(portals.ctx, acme.world.reseller, acme.client_id)
    path = link.url.removeprefix("http://platform.test")
    first = await portals.http.get(path)
    assert first.status_code == 303
    dashboard = await portals.http.get(f"{acme.base}/dashboard")
    assert dashboard.status_code == 200
    portals.http.cookies.clear()
    second = await portals.http.get(path)
    assert second.status_code == 400
    assert "invalid or expired" in second.text


async def test_calls_page_and_csv_are_sell_side_only(portals: Portals) -> None:
    acme = portals.acme
    await call(portals.ctx, acme, "c1")
    await call(portals.ctx, acme, "c2", seconds=30)
    await portals.login(acme)
    page = await portals.http.get(f"{acme.base}/calls")
    assert page.text.count("+525512345678") + page.text.count("525512345678") >= 2
    answer = await portals.http.get(f"{acme.base}/calls.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 2
    assert rows[0]["duration"] == "30"  # newest first
    header = set(rows[0])
    assert not header & {"cost", "cost_rate", "profit", "rule_text", "deck_prefix", "route"}
    assert all(float(r["sell"]) > 0 for r in rows)
    for text in (page.text, answer.text):
        assert "profit" not in text.lower()
        assert "cost" not in text.lower()


async def test_order_a_did_at_the_portal_prices(portals: Portals) -> None:
    acme, ctx = portals.acme, portals.ctx
    await dids.add_dids(ctx, acme.world.operator, [NewDid("+15145550001", 1_000_000, 500_000)])
    await dids.take_did(ctx, acme.world.reseller, "+15145550001")
    await portals.login(acme)
    assert (await portals.http.get(f"{acme.base}/dids")).status_code == 200
    refused = await portals.post(f"{acme.base}/dids", {"number": "15145550001"})
    assert refused.status_code == 404  # the service is off
    await configure(
        ctx,
        acme.world.reseller,
        services=["order_dids", "view_cdrs"],
        did_setup_price=2_000_000,
        did_monthly_price=3_000_000,
    )
    page = await portals.http.get(f"{acme.base}/dids")
    assert "+15145550001" in page.text
    done = await portals.post(f"{acme.base}/dids", {"number": "15145550001"})
    assert done.status_code == 200, done.text
    assert "is yours" in done.text
    async with ctx.read() as uow:
        did = (await uow.session.scalars(select(Did))).one()
        assert did.client_id == acme.client_id
        assert did.setup_price == 2_000_000


async def test_hard_client_that_cannot_pay_gets_no_did(portals: Portals) -> None:
    ctx = portals.ctx
    hard = await make_tenant(ctx, "Hardline", "harry")
    await clients.update_client(ctx, hard.world.reseller, hard.client_id, balance_type="hard")
    await dids.add_dids(ctx, hard.world.operator, [NewDid("+15145550002")])
    await dids.take_did(ctx, hard.world.reseller, "+15145550002")
    await configure(ctx, hard.world.reseller, services=["order_dids"], did_setup_price=900_000_000)
    await portals.login(hard)
    refused = await portals.post(f"{hard.base}/dids", {"number": "15145550002"})
    assert refused.status_code == 402
    async with ctx.read() as uow:
        assert (await uow.session.scalars(select(Did.client_id))).one() is None


async def test_graphql_access_link_and_order(portals: Portals) -> None:
    acme = portals.acme
    token = (await resellers.create_token(portals.ctx, acme.world.reseller)).token
    query = """mutation($c: Int!) { createPortalLoginLink(clientId: $c) {
        __typename ... on PortalLoginLink { url expiresAt } } }"""
    answer = await portals.http.post(
        "/graphql",
        json={"query": query, "variables": {"c": acme.client_id}},
        headers={"Authorization": f"Bearer {token}"},
    )
    link = answer.json()["data"]["createPortalLoginLink"]
    assert link["__typename"] == "PortalLoginLink"
    assert link["url"].startswith(f"http://platform.test{acme.base}/link?token=")
    foreign = await portals.http.post(
        "/graphql",
        json={"query": query, "variables": {"c": portals.bolt.client_id}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert foreign.json()["data"]["createPortalLoginLink"]["__typename"] == "NotFound"
    access = await portals.http.post(
        "/graphql",
        json={"query": "{ portalAccess { ... on PortalAccess { portalUrl autoConnectSnippet } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = access.json()["data"]["portalAccess"]
    assert body["portalUrl"] == f"http://platform.test{acme.base}/"
    assert "/connect" in body["autoConnectSnippet"]


async def test_topup_form_carries_what_paypal_expects(portals: Portals) -> None:
    from api.domain.paypal import CustomSigner
    from api.services.paypal_settings import set_paypal_settings

    acme, ctx = portals.acme, portals.ctx
    await portals.login(acme)
    await configure(ctx, acme.world.reseller, services=["view_cdrs", "paypal_topup"])
    assert (await portals.http.get(f"{acme.base}/topup")).status_code == 404  # no PayPal yet
    await set_paypal_settings(
        ctx, acme.world.reseller, enabled=True, email="pay@acme.example", amounts=[10, 25],
        sandbox=False,
    )  # fmt: skip
    page = await portals.http.get(f"{acme.base}/topup")
    assert page.status_code == 200
    forms = FORM.findall(page.text)
    assert len(forms) == 2
    action, body = forms[0]
    assert action == "https://www.paypal.com/cgi-bin/webscr"
    fields = dict(FIELD.findall(body))
    assert fields["cmd"] == "_xclick"
    assert fields["business"] == "pay@acme.example"
    assert fields["amount"] == "10.00"
    assert fields["currency_code"] == "USD"
    assert fields["notify_url"] == f"http://platform.test/paypal/ipn/{acme.code}"
    signer = CustomSigner("test-secret")
    assert signer.client_id(acme.world.reseller_id, fields["custom"]) == acme.client_id
    assert dict(FIELD.findall(forms[1][1]))["amount"] == "25.00"
    await configure(ctx, acme.world.reseller, services=["view_cdrs"])
    assert (await portals.http.get(f"{acme.base}/topup")).status_code == 404


async def test_graphql_order_did_as_a_client(portals: Portals) -> None:
    acme, ctx = portals.acme, portals.ctx
    await dids.add_dids(ctx, acme.world.operator, [NewDid("+15145550003", 1_000_000)])
    await dids.take_did(ctx, acme.world.reseller, "+15145550003")
    login = await portals.http.post(
        "/graphql",
        json={
            "query": """mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
                ... on PortalSession { token } } }""",
            "variables": {"u": acme.login, "p": PASSWORD},
        },
    )
    token = login.json()["data"]["login"]["token"]
    order = """mutation($n: String!) { orderDid(number: $n) { __typename
        ... on DidOrdered { number setupPrice { amount } monthlyPrice { amount } }
        ... on NotFound { what } } }"""

    async def ask(number: str) -> dict[str, object]:
        answer = await portals.http.post(
            "/graphql",
            json={"query": order, "variables": {"n": number}},
            headers={"Authorization": f"Bearer {token}"},
        )
        body: dict[str, object] = answer.json()
        return body

    off = await ask("+15145550003")
    assert off["data"] is None  # the service is off: Forbidden
    await configure(ctx, acme.world.reseller, services=["order_dids"], did_monthly_price=4_000_000)
    done = await ask("+15145550003")
    assert done["data"] == {
        "orderDid": {
            "__typename": "DidOrdered",
            "number": "15145550003",
            "setupPrice": {"amount": "0.00"},
            "monthlyPrice": {"amount": "4.00"},
        }
    }
    again = await ask("+15145550003")
    assert again["data"] == {"orderDid": {"__typename": "NotFound", "what": "DID"}}
