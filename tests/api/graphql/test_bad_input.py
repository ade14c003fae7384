"""Bad input on every mutation: a clean typed problem or a validation error, never a crash,
and nothing written (row counts of every table unchanged)."""

from __future__ import annotations

from typing import Any

from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import World, cdr, row_counts, world

LONG = "x" * 100_001
TYPED = {"InvalidInput", "RuleErrors", "DeckRejected", "NotFound", "LoginFailed"}


def _m(field: str, args: str, params: str) -> str:
    return f"mutation({params}) {{ {field}({args}) {{ __typename }} }}"


def cases(w: World) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(token role, field, document, variables) for each bad input."""
    good = cdr("ok1", w.a_line)
    return [
        ("none", "login", _m("login", "username: $u, password: $p", "$u: String!, $p: String!"),
         {"u": LONG, "p": "x"}),
        ("r", "publishPackage", _m("publishPackage", "source: $s", "$s: String!"), {"s": LONG * 3}),
        ("r", "publishPackage", _m("publishPackage", "source: $s", "$s: String!"), {"s": ""}),
        ("r", "publishPackage", _m("publishPackage", "source: $s", "$s: String!"), {"s": 5}),
        ("r", "createClient", _m("createClient", "input: $i", "$i: ClientInput!"),
         {"i": {"name": "x" * 501}}),
        ("r", "createClient", _m("createClient", "input: $i", "$i: ClientInput!"),
         {"i": {"name": "ok", "billingDay": 40}}),
        ("r", "createClient", _m("createClient", "input: $i", "$i: ClientInput!"),
         {"i": {"name": "ok", "lowBalanceThreshold": 1.5}}),
        ("r", "createClient", _m("createClient", "input: $i", "$i: ClientInput!"),
         {"i": {"name": "ok", "balanceType": "MEDIUM"}}),
        ("r", "updateClient", _m("updateClient", "id: $c, input: $i", "$c: Int!, $i: ClientInput!"),
         {"c": w.a_client, "i": {"email": "e" * 600}}),
        ("r", "updateClient", _m("updateClient", "id: $c, input: $i", "$c: Int!, $i: ClientInput!"),
         {"c": "one", "i": {}}),
        ("r", "deleteClient", _m("deleteClient", "id: $c", "$c: Int!"), {"c": 2**40}),
        ("r", "attachPackage", _m("attachPackage", "clientId: $c, packageId: $p",
                                  "$c: Int!, $p: Int!"), {"c": -1, "p": w.a_package}),
        ("r", "detachPackage", _m("detachPackage", "clientId: $c, packageId: $p",
                                  "$c: Int!, $p: Int!"), {"c": w.a_client, "p": 1.5}),
        ("r", "createSubAccount", _m("createSubAccount", "clientId: $c, username: $u",
                                     "$c: Int!, $u: String!"), {"c": w.a_client, "u": "a b"}),
        ("r", "createSubAccount", _m("createSubAccount", "clientId: $c, username: $u, password: $p",
                                     "$c: Int!, $u: String!, $p: String"),
         {"c": w.a_client, "u": "good-name", "p": "short"}),
        ("r", "takeDid", _m("takeDid", "number: $n", "$n: String!"), {"n": "9" * 40}),
        ("r", "takeDid", _m("takeDid", "number: $n", "$n: String!"), {"n": "not a number"}),
        ("r", "assignDid", _m("assignDid", 'number: $n, clientId: $c, monthlyPrice: "-1",'
                              ' perMinutePrice: "0.01"', "$n: String!, $c: Int!"),
         {"n": "15145550199", "c": w.a_client}),
        ("r", "addPayment", _m("addPayment", "clientId: $c, amount: $a", "$c: Int!, $a: Decimal!"),
         {"c": w.a_client, "a": "-5"}),
        ("r", "addPayment", _m("addPayment", "clientId: $c, amount: $a", "$c: Int!, $a: Decimal!"),
         {"c": w.a_client, "a": 1.5}),
        ("r", "addPayment", _m("addPayment", "clientId: $c, amount: $a", "$c: Int!, $a: Decimal!"),
         {"c": w.a_client, "a": "1e3"}),
        ("r", "addCharge", _m("addCharge", "clientId: $c, amount: $a, description: $d",
                              "$c: Int!, $a: Decimal!, $d: String!"),
         {"c": w.a_client, "a": "1", "d": LONG}),
        ("r", "addCharge", _m("addCharge", "clientId: $c, amount: $a", "$c: Int!, $a: Decimal!"),
         {"c": w.a_client, "a": "0.0000001"}),
        ("o", "importDeck", _m("importDeck", "csv: $c", "$c: String!"), {"c": "garbage,,\n1"}),
        ("o", "addDids", _m("addDids", "dids: $d", "$d: [DidInput!]!"), {"d": []}),
        ("o", "addDids", _m("addDids", "dids: $d", "$d: [DidInput!]!"),
         {"d": [{"number": "15145550111", "monthlyCost": "-1"}]}),
        ("o", "createReseller", _m("createReseller", "name: $n, currency: $c",
                                   "$n: String!, $c: String!"), {"n": "zz", "c": "XXXX"}),
        ("o", "createReseller", _m("createReseller", "name: $n, currency: $c",
                                   "$n: String!, $c: String!"), {"n": LONG, "c": "USD"}),
        ("r", "setPortalLogin", _m("setPortalLogin", "clientId: $c, username: $u, password: $p",
                                   "$c: Int!, $u: String!, $p: String!"),
         {"c": w.a_other, "u": "a", "p": "long enough password"}),
        ("r", "setPortalLogin", _m("setPortalLogin", "clientId: $c, username: $u, password: $p",
                                   "$c: Int!, $u: String!, $p: String!"),
         {"c": w.a_other, "u": "carol", "p": "short"}),
        ("r", "submitCdr", _m("submitCdr", "cdr: $c", "$c: CdrInput!"),
         {"c": {**good, "duration": -1}}),
        ("r", "submitCdr", _m("submitCdr", "cdr: $c", "$c: CdrInput!"),
         {"c": {**good, "startedAt": "2026-03-01T10:00:00"}}),
        ("r", "submitCdr", _m("submitCdr", "cdr: $c", "$c: CdrInput!"),
         {"c": {**good, "startedAt": "yesterday"}}),
        ("r", "submitCdr", _m("submitCdr", "cdr: $c", "$c: CdrInput!"),
         {"c": {**good, "number": "1" * 65}}),
        ("r", "submitCdr", _m("submitCdr", "cdr: $c", "$c: CdrInput!"),
         {"c": {**good, "source": ""}}),
        ("r", "submitCdr", _m("submitCdr", "cdr: $c", "$c: CdrInput!"),
         {"c": {**good, "direction": "SIDEWAYS"}}),
        ("r", "submitCdrs", _m("submitCdrs", "cdrs: $c", "$c: [CdrInput!]!"), {"c": []}),
        ("r", "submitCdrs", _m("submitCdrs", "cdrs: $c", "$c: [CdrInput!]!"),
         {"c": [good, {**cdr("bad", w.a_line), "duration": -5}]}),
        ("o", "runBilling", _m("runBilling", "on: $d", "$d: Date!"), {"d": "not-a-date"}),
    ]  # fmt: skip


async def test_every_mutation_refuses_bad_input_cleanly_and_writes_nothing(api: Api) -> None:
    w = await world(api)
    tokens = {"none": None, "r": w.a.reseller, "o": w.a.operator}
    before = await row_counts(api)
    unclean: list[tuple[str, object]] = []
    for role, field, document, variables in cases(w):
        body = await api.post(document, tokens[role], **variables)
        errors = body.get("errors")
        if errors:
            if any(e["message"] == "Unexpected error" for e in errors):
                unclean.append((field, errors))
            continue
        kind = body["data"][field]["__typename"]
        if kind not in TYPED:
            unclean.append((field, kind))
    assert unclean == []
    assert await row_counts(api) == before
