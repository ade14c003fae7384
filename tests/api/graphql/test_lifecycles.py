"""Lifecycles over GraphQL: sub accounts, DIDs, reseller settings, charges without
overdraft, attachments' version, payments to a closed client in debt."""

from __future__ import annotations

from typing import Any

from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import (
    ATTACH,
    CREATE_CLIENT,
    PACKAGE,
    PAY,
    PUBLISH,
    SUB_ACCOUNT,
    Tenant,
    client_with_package,
    row_counts,
    seed,
)

RESULT = """
    __typename
    ... on Problem { message }
    ... on InvalidInput { errors { field message } }
"""
SET_PACKAGE = f"""
mutation($id: Int!, $p: Int) {{
  setSubAccountPackage(id: $id, packageId: $p) {{
    ... on SubAccount {{ id packageId }} {RESULT}
  }}
}}"""
SET_PASSWORD = f"""
mutation($id: Int!, $pw: String) {{
  setSubAccountPassword(id: $id, password: $pw) {{
    ... on NewSipPassword {{ subAccount {{ id username }} password }} {RESULT}
  }}
}}"""
DELETE_LINE = f"""
mutation($id: Int!) {{ deleteSubAccount(id: $id) {{ ... on SubAccount {{ id }} {RESULT} }} }}"""
REVEAL = """
query($id: Int!) { sipPassword(subAccountId: $id) {
  __typename ... on SipPassword { password } } }"""
DID_FIELDS = (
    "... on Did { number country clientId monthlyPrice { amount } perMinutePrice { amount } }"
)
ADD_DIDS = f"""
mutation($dids: [DidInput!]!) {{
  addDids(dids: $dids) {{ ... on AddedDids {{ dids {{ number country }} }} {RESULT} }}
}}"""
TAKE = f"""mutation($n: String!) {{ takeDid(number: $n) {{ {DID_FIELDS} {RESULT} }} }}"""
ASSIGN = f"""
mutation($n: String!, $c: Int!) {{
  assignDid(number: $n, clientId: $c, monthlyPrice: "2", perMinutePrice: "0.05") {{
    {DID_FIELDS} {RESULT}
  }}
}}"""
UNASSIGN = f"""mutation($n: String!) {{ unassignDid(number: $n) {{ {DID_FIELDS} {RESULT} }} }}"""
RELEASE = f"""mutation($n: String!) {{ releaseDid(number: $n) {{ {DID_FIELDS} {RESULT} }} }}"""
REPRICE = f"""
mutation($n: String!, $m: Decimal, $p: Decimal) {{
  repriceDid(number: $n, monthlyPrice: $m, perMinutePrice: $p) {{ {DID_FIELDS} {RESULT} }}
}}"""
DELETE_CLIENT = f"""
mutation($id: Int!) {{
  deleteClient(id: $id) {{ ... on Client {{ status }} ... on StillAttached {{ dids }} {RESULT} }}
}}"""
SETTINGS = f"""
mutation($input: ResellerSettingsInput!, $r: Int) {{
  updateResellerSettings(input: $input, resellerId: $r) {{
    ... on Reseller {{ name email phone address lowBalanceThreshold {{ amount }} maxCallSeconds }}
    {RESULT}
  }}
}}"""
CHARGE = f"""
mutation($c: Int!, $a: Decimal!, $o: Boolean!) {{
  addCharge(clientId: $c, amount: $a, allowOverdraft: $o) {{
    ... on MoneyMovement {{ balance {{ amount }} }}
    ... on InsufficientBalance {{ have: balance amount }}
    {RESULT}
  }}
}}"""
NUMBER = "+1 202 555 0123"


async def line(api: Api, tenant: Tenant, client_id: int, username: str) -> int:
    made = await api.data(SUB_ACCOUNT, tenant.reseller, c=client_id, u=username)
    sub_id: int = made["createSubAccount"]["subAccount"]["id"]
    return sub_id


async def test_a_line_changes_package_and_password_then_is_deleted(api: Api) -> None:
    tenant = await seed(api)
    client_id, package_id = await client_with_package(api, tenant)
    other = (
        await api.data(PUBLISH, tenant.reseller, source=PACKAGE.replace('"Basic"', '"Other"'))
    )["publishPackage"]["versions"][0]["packageId"]
    sub_id = await line(api, tenant, client_id, "alice-line")

    refused = await api.data(SET_PACKAGE, tenant.reseller, id=sub_id, p=other)
    assert refused["setSubAccountPackage"]["__typename"] == "InvalidInput"
    assert refused["setSubAccountPackage"]["errors"][0]["field"] == "packageId"
    linked = await api.data(SET_PACKAGE, tenant.reseller, id=sub_id, p=package_id)
    assert linked["setSubAccountPackage"] == {
        "__typename": "SubAccount", "id": sub_id, "packageId": package_id,
    }  # fmt: skip

    given = await api.data(SET_PASSWORD, tenant.reseller, id=sub_id, pw="a-new-secret-1")
    assert given["setSubAccountPassword"]["password"] == "a-new-secret-1"
    fresh = (await api.data(SET_PASSWORD, tenant.reseller, id=sub_id))["setSubAccountPassword"]
    assert fresh["__typename"] == "NewSipPassword"
    assert len(fresh["password"]) >= 16
    revealed = await api.data(REVEAL, tenant.reseller, id=sub_id)
    assert revealed["sipPassword"]["password"] == fresh["password"]
    short = await api.data(SET_PASSWORD, tenant.reseller, id=sub_id, pw="short")
    assert short["setSubAccountPassword"]["__typename"] == "InvalidInput"

    intruder = await seed(api, "bravo")
    foreign = await api.data(DELETE_LINE, intruder.reseller, id=sub_id)
    assert foreign["deleteSubAccount"]["__typename"] == "NotFound"
    deleted = await api.data(DELETE_LINE, tenant.reseller, id=sub_id)
    assert deleted["deleteSubAccount"] == {"__typename": "SubAccount", "id": sub_id}
    again = await api.data(DELETE_LINE, tenant.reseller, id=sub_id)
    assert again["deleteSubAccount"]["__typename"] == "NotFound"


async def test_a_did_from_inventory_to_release(api: Api) -> None:
    tenant = await seed(api)
    client_id, _ = await client_with_package(api, tenant)
    added = await api.data(ADD_DIDS, tenant.operator, dids=[{"number": NUMBER, "monthlyCost": "1"}])
    assert added["addDids"]["dids"] == [{"number": "12025550123", "country": "US"}]

    first = (await api.data(ASSIGN, tenant.reseller, n=NUMBER, c=client_id))["assignDid"]
    assert first["__typename"] == "Conflict"
    assert "take it first" in first["message"]
    await api.data(TAKE, tenant.reseller, n=NUMBER)
    assigned = (await api.data(ASSIGN, tenant.reseller, n=NUMBER, c=client_id))["assignDid"]
    assert assigned["clientId"] == client_id

    repriced = await api.data(REPRICE, tenant.reseller, n=NUMBER, p="0.08")
    assert repriced["repriceDid"]["monthlyPrice"] == {"amount": "2.00"}
    assert repriced["repriceDid"]["perMinutePrice"] == {"amount": "0.08"}
    negative = await api.data(REPRICE, tenant.reseller, n=NUMBER, m="-1")
    assert negative["repriceDid"]["errors"][0]["field"] == "monthlyPrice"

    held = (await api.data(RELEASE, tenant.reseller, n=NUMBER))["releaseDid"]
    assert held["__typename"] == "Conflict"
    assert "unassign it first" in held["message"]
    still = (await api.data(DELETE_CLIENT, tenant.reseller, id=client_id))["deleteClient"]
    assert still["dids"] == ["+12025550123"]

    unassigned = (await api.data(UNASSIGN, tenant.reseller, n=NUMBER))["unassignDid"]
    assert unassigned["clientId"] is None
    released = (await api.data(RELEASE, tenant.reseller, n=NUMBER))["releaseDid"]
    assert released["__typename"] == "Did"
    detach = (
        "mutation($c: Int!, $p: Int!) { detachPackage(clientId: $c, packageId: $p) { __typename } }"
    )
    packages = await api.data("{ packages(first: 10) { edges { node { id } } } }", tenant.reseller)
    for edge in packages["packages"]["edges"]:
        await api.data(detach, tenant.reseller, c=client_id, p=edge["node"]["id"])
    closed = (await api.data(DELETE_CLIENT, tenant.reseller, id=client_id))["deleteClient"]
    assert closed == {"__typename": "Client", "status": "closed"}


async def test_reseller_settings(api: Api) -> None:
    tenant = await seed(api)
    await seed(api, "taken")
    changed = await api.data(
        SETTINGS, tenant.reseller,
        input={"name": "Acme Telecom", "email": "billing@acme.example", "phone": "+1 514 555",
               "address": "1 Main St", "lowBalanceThreshold": "2.5", "maxCallSeconds": 3600},
    )  # fmt: skip
    assert changed["updateResellerSettings"] == {
        "__typename": "Reseller", "name": "Acme Telecom", "email": "billing@acme.example",
        "phone": "+1 514 555", "address": "1 Main St", "lowBalanceThreshold": {"amount": "2.50"},
        "maxCallSeconds": 3600,
    }  # fmt: skip
    before = await row_counts(api)
    for bad, field in (
        ({"maxCallSeconds": 0}, "maxCallSeconds"),
        ({"lowBalanceThreshold": "-1"}, "lowBalanceThreshold"),
        ({"name": ""}, "name"),
    ):
        result = (await api.data(SETTINGS, tenant.reseller, input=bad))["updateResellerSettings"]
        assert result["errors"][0]["field"] == field
    clash = await api.data(SETTINGS, tenant.reseller, input={"name": "taken"})
    assert clash["updateResellerSettings"]["__typename"] == "Conflict"
    assert await row_counts(api) == before
    by_operator = await api.data(
        SETTINGS, tenant.operator, input={"phone": "+1 800"}, r=tenant.reseller_id
    )
    assert by_operator["updateResellerSettings"]["phone"] == "+1 800"
    me = await api.data("{ reseller { name phone } }", tenant.reseller)
    assert me["reseller"] == {"name": "Acme Telecom", "phone": "+1 800"}


async def test_a_charge_without_overdraft_is_refused_for_a_hard_client(api: Api) -> None:
    tenant = await seed(api)
    made = await api.data(
        CREATE_CLIENT, tenant.reseller, input={"name": "hard", "balanceType": "HARD"}
    )
    client_id = made["createClient"]["id"]
    await api.data(PAY, tenant.reseller, c=client_id, a="5")
    refused = (await api.data(CHARGE, tenant.reseller, c=client_id, a="6", o=False))["addCharge"]
    assert refused == {
        "__typename": "InsufficientBalance", "message": "the balance does not cover this debit",
        "have": "5.00", "amount": "6.00",
    }  # fmt: skip
    fits = (await api.data(CHARGE, tenant.reseller, c=client_id, a="5", o=False))["addCharge"]
    assert fits["balance"] == {"amount": "0.00"}
    over = (await api.data(CHARGE, tenant.reseller, c=client_id, a="1", o=True))["addCharge"]
    assert over["balance"] == {"amount": "-1.00"}


async def test_attach_and_detach_answer_the_latest_version(api: Api) -> None:
    tenant = await seed(api)
    client_id, package_id = await client_with_package(api, tenant, "first")
    await api.data(PUBLISH, tenant.reseller, source=PACKAGE.replace("pulse 60", "pulse 30"))
    other = (await api.data(CREATE_CLIENT, tenant.reseller, input={"name": "b"}))["createClient"]
    query = """mutation($c: Int!, $p: Int!) {
      %s(clientId: $c, packageId: $p) { ... on ClientPackage { latestVersion } } }"""
    attached = await api.data(query % "attachPackage", tenant.reseller, c=other["id"], p=package_id)
    assert attached == {"attachPackage": {"latestVersion": 2}}
    detached = await api.data(query % "detachPackage", tenant.reseller, c=client_id, p=package_id)
    assert detached == {"detachPackage": {"latestVersion": 2}}
    assert ATTACH  # the helper's operation answers the same type


async def test_a_closed_client_in_debt_takes_a_settling_payment(api: Api) -> None:
    tenant = await seed(api)
    client_id, package_id = await client_with_package(api, tenant)  # setup fee 1.00: -1.00
    detach = (
        "mutation($c: Int!, $p: Int!) { detachPackage(clientId: $c, packageId: $p) { __typename } }"
    )
    await api.data(detach, tenant.reseller, c=client_id, p=package_id)
    await api.data(DELETE_CLIENT, tenant.reseller, id=client_id)
    too_much: dict[str, Any] = await api.data(PAY, tenant.reseller, c=client_id, a="2")
    assert too_much["addPayment"]["__typename"] == "Conflict"
    settled = (await api.data(PAY, tenant.reseller, c=client_id, a="1"))["addPayment"]
    assert settled["balance"] == {"amount": "0.00"}


async def test_an_inbound_cdr_may_name_only_the_did(api: Api) -> None:
    tenant = await seed(api)
    client_id, _ = await client_with_package(api, tenant)  # Basic: pulse 60
    await api.data(ADD_DIDS, tenant.operator, dids=[{"number": NUMBER}])
    await api.data(TAKE, tenant.reseller, n=NUMBER)
    await api.data(ASSIGN, tenant.reseller, n=NUMBER, c=client_id)
    call = {
        "source": "sw1", "callId": "in-1", "direction": "INBOUND", "number": NUMBER,
        "startedAt": "2026-03-01T10:00:00+00:00", "duration": 61,
    }  # fmt: skip
    query = """mutation($cdr: CdrInput!) { submitCdr(cdr: $cdr) {
      __typename ... on CdrRating { status clientId subAccountId direction billedSeconds
                                    sell { amount currency } } } }"""
    rated = (await api.data(query, tenant.reseller, cdr=call))["submitCdr"]
    assert rated == {
        "__typename": "CdrRating", "status": "rated", "clientId": client_id,
        "subAccountId": None, "direction": "INBOUND", "billedSeconds": 120,
        "sell": {"amount": "0.10", "currency": "USD"},
    }  # fmt: skip
