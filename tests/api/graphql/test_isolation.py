"""Tenant isolation: every operation that takes an id, tried with another reseller's ids,
answers NotFound and writes nothing; a client session is refused all of them (Forbidden,
whatever the id: only its own portal fields are open to it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import World, cdr, row_counts, world


@dataclass(frozen=True)
class Target:
    """The ids an intruder names: a client, a package, a sub account, a reseller."""

    client: int
    package: int
    sub: int
    reseller: int


Vars = Callable[[Target], dict[str, Any]]

OPERATIONS: list[tuple[str, str, Vars]] = [
    ("client", "query($c: Int!) { client(id: $c) { __typename } }", lambda t: {"c": t.client}),
    ("package", "query($p: Int!) { package(id: $p) { __typename } }", lambda t: {"p": t.package}),
    ("sipPassword", "query($s: Int!) { sipPassword(subAccountId: $s) { __typename } }",
     lambda t: {"s": t.sub}),
    ("pricePreview", 'query($p: Int!) { pricePreview(packageId: $p, number: "+15145550100",'
     " duration: 60) { __typename } }", lambda t: {"p": t.package}),
    ("authorizeCall", 'query($r: Int) { authorizeCall(subAccount: "alice-line",'
     ' number: "+15145550100", resellerId: $r) { __typename } }', lambda t: {"r": t.reseller}),
    ("updateClient", 'mutation($c: Int!) { updateClient(id: $c, input: {name: "x"})'
     " { __typename } }", lambda t: {"c": t.client}),
    ("deleteClient", "mutation($c: Int!) { deleteClient(id: $c) { __typename } }",
     lambda t: {"c": t.client}),
    ("attachPackage", "mutation($c: Int!, $p: Int!) { attachPackage(clientId: $c, packageId: $p)"
     " { __typename } }", lambda t: {"c": t.client, "p": t.package}),
    ("detachPackage", "mutation($c: Int!, $p: Int!) { detachPackage(clientId: $c, packageId: $p)"
     " { __typename } }", lambda t: {"c": t.client, "p": t.package}),
    ("createSubAccount", 'mutation($c: Int!) { createSubAccount(clientId: $c, username: "intr")'
     " { __typename } }", lambda t: {"c": t.client}),
    ("assignDid", 'mutation($c: Int!) { assignDid(number: "15145550199", clientId: $c,'
     ' monthlyPrice: "1", perMinutePrice: "0.01") { __typename } }', lambda t: {"c": t.client}),
    ("addPayment", 'mutation($c: Int!) { addPayment(clientId: $c, amount: "5") { __typename } }',
     lambda t: {"c": t.client}),
    ("addCharge", 'mutation($c: Int!) { addCharge(clientId: $c, amount: "5") { __typename } }',
     lambda t: {"c": t.client}),
    ("setPortalLogin", 'mutation($c: Int!) { setPortalLogin(clientId: $c, username: "intruder",'
     ' password: "long enough password") { __typename } }', lambda t: {"c": t.client}),
    ("submitCdr", "mutation($cdr: CdrInput!, $r: Int) { submitCdr(cdr: $cdr, resellerId: $r)"
     " { __typename } }", lambda t: {"cdr": cdr("x1", "alice-line"), "r": t.reseller}),
    ("submitCdrs", "mutation($cdr: CdrInput!, $r: Int) { submitCdrs(cdrs: [$cdr],"
     " resellerId: $r) { __typename } }", lambda t: {"cdr": cdr("x2", "alice-line"),
                                                    "r": t.reseller}),
]  # fmt: skip

INTRUDERS: dict[str, Callable[[World], tuple[str, Target]]] = {
    "other reseller": lambda w: (
        w.b.reseller, Target(w.a_client, w.a_package, w.a_sub, w.a.reseller_id)
    ),
    "client, same tenant": lambda w: (
        w.portal, Target(w.a_other, w.a_package, w.a_sub, w.a.reseller_id)
    ),
    "client, other tenant": lambda w: (
        w.portal, Target(w.b_client, w.b_package, w.b_sub, w.b.reseller_id)
    ),
}  # fmt: skip


async def _did_for_b(api: Api, w: World) -> None:
    """Tenant B holds DID 15145550199, so ``assignDid`` reaches the client check."""
    await api.data(
        'mutation { addDids(dids: [{number: "15145550199"}]) { __typename } }', w.a.operator
    )
    await api.data('mutation { takeDid(number: "15145550199") { __typename } }', w.b.reseller)


@pytest.mark.parametrize("intruder", list(INTRUDERS))
async def test_every_id_of_someone_else_is_not_found(api: Api, intruder: str) -> None:
    w = await world(api)
    await _did_for_b(api, w)
    token, target = INTRUDERS[intruder](w)
    before = await row_counts(api)
    wrong: dict[str, object] = {}
    for name, query, variables in OPERATIONS:
        body = await api.post(query, token, **variables(target))
        got = (body.get("data") or {}).get(name) or body.get("errors")
        expected: object = {"__typename": "NotFound"}
        if token == w.portal and name != "sipPassword":  # a client may ask for its own
            expected = [{"message": "Forbidden", "path": [name]}]
        if got != expected:
            wrong[name] = got
    assert wrong == {}
    assert await row_counts(api) == before


async def test_a_foreign_package_with_an_own_client_is_not_found(api: Api) -> None:
    w = await world(api)
    query = "mutation($c: Int!, $p: Int!) { attachPackage(clientId: $c, packageId: $p)"
    query += " { __typename } }"
    got = await api.data(query, w.b.reseller, c=w.b_client, p=w.a_package)
    assert got["attachPackage"] == {"__typename": "NotFound"}
    sub = 'mutation($c: Int!, $p: Int!) { createSubAccount(clientId: $c, username: "zed1",'
    sub += " packageId: $p) { __typename } }"
    assert (await api.data(sub, w.b.reseller, c=w.b_client, p=w.a_package))["createSubAccount"] == {
        "__typename": "NotFound"
    }


async def test_reports_name_no_foreign_calls(api: Api) -> None:
    w = await world(api)
    await api.data(
        "mutation($cdr: CdrInput!) { submitCdr(cdr: $cdr) { __typename } }",
        w.a.reseller,
        cdr=cdr("seen", w.a_line),
    )
    query = 'query($c: Int!) { cdrReport(filter: {from: "2026-03-01", to: "2026-03-01",'
    query += " clientId: $c}) { ... on CdrReport { totals { calls } } } }"
    own = await api.data(query, w.a.reseller, c=w.a_client)
    assert own["cdrReport"]["totals"]["calls"] == 1
    got = await api.data(query, w.b.reseller, c=w.a_client)
    assert got["cdrReport"]["totals"]["calls"] == 0
    mine = query.replace("cdrReport", "myCdrReport").replace("on CdrReport", "on MyCdrReport")
    got = await api.data(mine, w.portal, c=w.a_other)
    assert got["myCdrReport"]["totals"]["calls"] == 0


async def test_operator_only_billing_is_refused_to_resellers(api: Api) -> None:
    w = await world(api)
    query = 'mutation($r: Int) { runBilling(on: "2026-03-01", resellerId: $r) { __typename } }'
    body = await api.post(query, w.b.reseller, r=w.a.reseller_id)
    assert body["errors"][0]["message"] == "Forbidden"
    as_client = await api.post(query, w.portal, r=w.b.reseller_id)
    assert as_client["errors"] == [{"message": "Forbidden", "path": ["runBilling"]}]
    missing = await api.data(query, w.a.operator, r=10_000)
    assert missing["runBilling"] == {"__typename": "NotFound"}


async def test_control_the_owner_reaches_every_operation(api: Api) -> None:
    """The same table as the owner: nothing is NotFound (so the table can fail)."""
    w = await world(api)
    await api.data(
        'mutation { addDids(dids: [{number: "15145550199"}]) { __typename } }', w.a.operator
    )
    await api.data('mutation { takeDid(number: "15145550199") { __typename } }', w.a.reseller)
    target = Target(w.a_client, w.a_package, w.a_sub, w.a.reseller_id)
    for name, query, variables in OPERATIONS:
        body = await api.post(query, w.a.reseller, **variables(target))
        assert body["data"][name]["__typename"] != "NotFound", (name, body)
