"""PayPal over GraphQL: settings with validation and the IPN URL, the list of IPN messages
(tenant-isolated, with refusal reasons), and the financial report's PayPal figures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import pytest

from api.domain.actor import Actor
from api.domain.tenants import reseller_code
from api.services import resellers
from tests.api.graphql.helpers import LOGIN, PASSWORD, SET_LOGIN
from tests.api.payments.conftest import Shop, open_shop
from tests.api.payments.fake_paypal import FakePaypal, web_accept
from tests.conftest import Database

SETTINGS = """
query { paypalSettings { enabled email amounts currency sandbox ipnUrl } }"""

SET = """
mutation($input: PaypalSettingsInput!) {
  setPaypalSettings(input: $input) {
    __typename
    ... on PaypalSettings { enabled email amounts sandbox ipnUrl }
    ... on InvalidInput { errors { field message } }
  }
}"""


@pytest.fixture
def fake() -> Iterator[FakePaypal]:
    server = FakePaypal()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def shop(database: Database, fake: FakePaypal) -> AsyncIterator[Shop]:
    async for opened in open_shop(database, fake.url):
        yield opened


MESSAGES = """
query($status: IpnStatus, $first: Int!, $after: String) {
  paypalIpnMessages(status: $status, first: $first, after: $after) {
    edges { node { id status reason txnId paymentStatus clientId attempts body } }
    pageInfo { hasNextPage endCursor }
  }
}"""

FINANCIAL = """
query {
  financialReport(from: "2026-11-01", to: "2026-11-30") {
    ... on FinancialReportResult {
      resellers {
        paypalFees { amount }
        clientsTotal { paymentsManual { amount } paymentsPaypal { amount } closing { amount } }
      }
    }
  }
}"""


async def test_settings_round_trip_with_the_ipn_url(shop: Shop) -> None:
    data = await shop.graphql(
        SET,
        input={"enabled": True, "email": " shop@acme.example ", "amounts": [50, 5, 20]},
    )
    expected = {
        "__typename": "PaypalSettings",
        "enabled": True,
        "email": "shop@acme.example",
        "amounts": [5, 20, 50],
        "sandbox": False,
        "ipnUrl": f"http://test/paypal/ipn/{reseller_code(shop.reseller_id)}",
    }
    assert data["setPaypalSettings"] == expected
    read = (await shop.graphql(SETTINGS))["paypalSettings"]
    assert read == {k: v for k, v in expected.items() if k != "__typename"} | {"currency": "USD"}


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"enabled": True, "amounts": list(range(1, 12))}, "amounts", "at most 10"),
        ({"enabled": True, "email": "a@b.example", "amounts": [0]}, "amounts", "between 1"),
        ({"enabled": True, "email": "a@b.example", "amounts": [-5]}, "amounts", "between 1"),
        ({"enabled": True, "email": "a@b.example", "amounts": []}, "amounts", "at least one"),
        ({"enabled": True, "amounts": [10]}, "email", "required"),
        ({"enabled": False, "email": "not-an-address"}, "email", "e-mail"),
    ],
)
async def test_bad_settings_are_refused_and_nothing_changes(
    shop: Shop, given: dict[str, object], field: str, message: str
) -> None:
    before = (await shop.graphql(SETTINGS))["paypalSettings"]
    data = (await shop.graphql(SET, input=given))["setPaypalSettings"]
    assert data["__typename"] == "InvalidInput"
    (error,) = data["errors"]
    assert error["field"] == field
    assert message in error["message"]
    assert (await shop.graphql(SETTINGS))["paypalSettings"] == before


async def test_an_amount_that_is_not_a_whole_number_is_refused_by_the_schema(shop: Shop) -> None:
    response = await shop.http.post(
        "/graphql",
        json={"query": SET, "variables": {"input": {"enabled": True, "amounts": [10.5]}}},
        headers={"Authorization": f"Bearer {shop.token}"},
    )
    assert "errors" in response.json()


async def test_ipn_messages_with_their_reasons_newest_first(shop: Shop, fake: FakePaypal) -> None:
    client = await shop.client("Alice")
    custom = shop.signer.sign(shop.reseller_id, client)
    await shop.deliver(fake.issue(web_accept("GOOD0000000000001", custom)))
    await shop.deliver(fake.issue(web_accept("BAD00000000000002", custom, gross="11.00")))
    await shop.deliver(fake.issue(web_accept("BAD00000000000003", custom, currency="EUR")))

    page = (await shop.graphql(MESSAGES, first=2))["paypalIpnMessages"]
    nodes = [edge["node"] for edge in page["edges"]]
    assert [(n["txnId"], n["status"], n["reason"]) for n in nodes] == [
        ("BAD00000000000003", "REFUSED", "wrong currency"),
        ("BAD00000000000002", "REFUSED", "amount not offered"),
    ]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await shop.graphql(MESSAGES, first=2, after=page["pageInfo"]["endCursor"])
    (last,) = [edge["node"] for edge in rest["paypalIpnMessages"]["edges"]]
    assert (last["status"], last["clientId"], last["attempts"]) == ("CREDITED", client, 1)
    assert "first_name=Jos%E9" in last["body"]
    refused = await shop.graphql(MESSAGES, first=10, status="REFUSED")
    assert len(refused["paypalIpnMessages"]["edges"]) == 2


async def test_another_reseller_and_clients_see_none_of_it(shop: Shop, fake: FakePaypal) -> None:
    client = await shop.client("Alice")
    await shop.deliver(
        fake.issue(web_accept("MINE0000000000001", shop.signer.sign(shop.reseller_id, client)))
    )
    services = shop.state.services
    other = await resellers.create_reseller(services, Actor.operator(), "Other", "USD")
    theirs = await shop.graphql(MESSAGES, other.token.token, first=10)
    assert theirs["paypalIpnMessages"]["edges"] == []
    settings = (await shop.graphql(SETTINGS, other.token.token))["paypalSettings"]
    assert (settings["enabled"], settings["email"]) == (False, "")

    await shop.graphql(SET_LOGIN, c=client, u="alice", p=PASSWORD)
    login = (await shop.graphql(LOGIN, u="alice", p=PASSWORD))["login"]
    for query in (SETTINGS, MESSAGES):
        response = await shop.http.post(
            "/graphql",
            json={"query": query, "variables": {"first": 5}},
            headers={"Authorization": f"Bearer {login['token']}"},
        )
        assert response.json()["errors"][0]["message"] == "Forbidden"


async def test_the_financial_report_shows_paypal_payments_and_fees(
    shop: Shop, fake: FakePaypal
) -> None:
    from api.services import payments

    client = await shop.client("Alice")
    custom = shop.signer.sign(shop.reseller_id, client)
    await payments.add_payment(shop.state.services, shop.reseller, client, 5_000_000)
    await shop.deliver(
        fake.issue(web_accept("FEE00000000000001", custom, gross="50.00", fee="1.75"))
    )
    await shop.deliver(
        fake.issue(web_accept("FEE00000000000002", custom, gross="20.00", fee="0.88"))
    )

    data = await shop.graphql(FINANCIAL)
    (acme,) = data["financialReport"]["resellers"]
    assert Decimal(acme["paypalFees"]["amount"]) == Decimal("2.63")
    totals = acme["clientsTotal"]
    assert Decimal(totals["paymentsPaypal"]["amount"]) == Decimal("70")
    assert Decimal(totals["paymentsManual"]["amount"]) == Decimal("5")
    assert Decimal(totals["closing"]["amount"]) == Decimal("75")
