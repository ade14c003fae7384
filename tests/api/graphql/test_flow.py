"""The reseller's main path over HTTP, on both backends, with a query count."""

from __future__ import annotations

from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import (
    CREATE_CLIENT,
    PACKAGE,
    PAY,
    PUBLISH,
    SUB_ACCOUNT,
    client_with_package,
    seed,
)

CLIENTS_WITH_BALANCES = """
{ clients(first: 100) {
    edges { node { id name balance { amount currency } suspended
                   packages(first: 100) { edges { node { name } } }
                   subAccounts(first: 100) { edges { node { username } } }
                   dids(first: 100) { edges { node { number } } } } }
    pageInfo { hasNextPage endCursor }
} }"""


async def test_publish_create_pay_and_list(api: Api) -> None:
    tenant = await seed(api)
    client_id, package_id = await client_with_package(api, tenant)
    assert package_id is not None
    paid = (await api.data(PAY, tenant.reseller, c=client_id, a="10.50"))["addPayment"]
    assert paid["__typename"] == "MoneyMovement"
    assert paid["amount"] == {"amount": "10.50", "currency": "USD"}
    data = await api.data(CLIENTS_WITH_BALANCES, tenant.reseller)
    node = data["clients"]["edges"][0]["node"]
    assert node["packages"] == {"edges": [{"node": {"name": "Basic"}}]}
    assert node["subAccounts"] == {"edges": []}
    assert node["dids"] == {"edges": []}
    assert node["balance"]["amount"] == "9.50"  # 10.50 paid, 1.00 setup fee


async def test_rule_errors_come_back_typed_with_positions(api: Api) -> None:
    tenant = await seed(api)
    broken = PACKAGE.replace("pulse 60", "pulse sixty")
    result = (await api.data(PUBLISH, tenant.reseller, source=broken))["publishPackage"]
    assert result["__typename"] == "RuleErrors"
    assert result["errors"][0]["line"] == 4


async def test_clients_with_balances_and_packages_is_not_n_plus_one(api: Api) -> None:
    tenant = await seed(api)
    await client_with_package(api, tenant)
    for n in range(2, 8):
        await api.data(CREATE_CLIENT, tenant.reseller, input={"name": f"c{n}"})
    api.statements.clear()
    few = await api.data(CLIENTS_WITH_BALANCES, tenant.reseller)
    counted = len([s for s in api.statements if s.lstrip().upper().startswith("SELECT")])
    for n in range(8, 30):
        made = await api.data(CREATE_CLIENT, tenant.reseller, input={"name": f"c{n}"})
        if n % 4 == 0:  # some clients with lines: still one batch for all of them
            made_id = made["createClient"]["id"]
            await api.data(SUB_ACCOUNT, tenant.reseller, c=made_id, u=f"line-{n}")
    api.statements.clear()
    many = await api.data(CLIENTS_WITH_BALANCES, tenant.reseller)
    assert len(many["clients"]["edges"]) == 29 > len(few["clients"]["edges"])
    lines = [e for c in many["clients"]["edges"] for e in c["node"]["subAccounts"]["edges"]]
    assert len(lines) == 6
    selects = [s for s in api.statements if s.lstrip().upper().startswith("SELECT")]
    # clients, then one batch each for packages, sub accounts and DIDs
    assert len(selects) == counted <= 4, selects


async def test_create_client_rejects_bad_input_and_writes_nothing(api: Api) -> None:
    tenant = await seed(api)
    bad = [
        {"name": "x" * 501},
        {"name": "ok", "lowBalanceThreshold": "-1"},
        {"name": "ok", "billingDay": 40},
    ]
    for value in bad:
        result = (await api.data(CREATE_CLIENT, tenant.reseller, input=value))["createClient"]
        assert result["__typename"] == "InvalidInput", result
    for value in ({"name": "ok", "lowBalanceThreshold": 1.5}, {"name": 7}):
        body = await api.post(CREATE_CLIENT, tenant.reseller, input=value)
        assert body["errors"]
        assert "Unexpected" not in body["errors"][0]["message"]
    listed = await api.data("{ clients { edges { node { id } } } }", tenant.reseller)
    assert listed["clients"]["edges"] == []


async def test_payments_refuse_bad_amounts(api: Api) -> None:
    tenant = await seed(api)
    client_id, _ = await client_with_package(api, tenant)
    for amount in ("0", "-5", "1.1234567", "1e3", "abc"):
        body = await api.post(PAY, tenant.reseller, c=client_id, a=amount)
        if "errors" in body:
            assert "Unexpected" not in body["errors"][0]["message"]
        else:
            assert body["data"]["addPayment"]["__typename"] == "InvalidInput"
    got = await api.data(
        "query($c: Int!) { client(id: $c) { ... on Client { balance { amount } } } }",
        tenant.reseller,
        c=client_id,
    )
    assert got["client"]["balance"]["amount"] == "-1.00"
