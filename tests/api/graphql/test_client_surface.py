"""What a client's portal session can reach: every ``Type.field`` on an allow-list, no cost.

The schema is walked from the root fields a client token may select
(:data:`~api.graphql.client_surface.CLIENT_ROOT_FIELDS`) through every field, union member
and interface implementation; anything reached that is not on :data:`ALLOWED` fails. A
field added to a client-reachable type (a ``cost`` on ``MyCdr``), or a staff root field
opened to clients, therefore fails here until someone decides it on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import SimpleNamespace

import pytest
from graphql import (
    ExecutionResult,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    OperationType,
    extend_schema,
    get_named_type,
    parse,
)

from api.domain.actor import Actor
from api.graphql import client_surface
from api.graphql.client_surface import CLIENT_ROOT_FIELDS, refused_root_fields
from api.graphql.schema import build_schema
from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import cdr, world

ALLOWED_FIELDS: dict[str, str] = {
    "Query": "me myClient myCdrReport sipPassword",
    "Mutation": "login logout orderDid",
    "Subscription": "balanceChanged lowBalance suspensionChanged",
    "Viewer": "role resellerId clientId",
    "MyClient": (
        "id name company email phone address balanceType billingDay lowBalanceThreshold "
        "status suspended balance createdAt closedAt packages subAccounts dids cdrs "
        "transactions statements"
    ),
    "PageInfo": "hasNextPage endCursor",
    "Money": "amount currency",
    "ClientPackageConnection": "edges pageInfo",
    "ClientPackageEdge": "cursor node",
    "ClientPackage": "packageId name latestVersion freeMinutesUsed attachedAt",
    "SubAccountConnection": "edges pageInfo",
    "SubAccountEdge": "cursor node",
    "SubAccount": "id clientId username packageId createdAt shortName",
    "MyDidConnection": "edges pageInfo",
    "MyDidEdge": "cursor node",
    "MyDid": "id number country monthlyPrice setupPrice perMinutePrice",
    "MyCdrConnection": "edges pageInfo",
    "MyCdrEdge": "cursor node",
    "MyCdr": (
        "id callId status failureReason subAccountId direction number startedAt duration "
        "billedSeconds chargedSeconds sellRate sell country freeMinutesUsed onNet"
    ),
    "LedgerLineConnection": "edges pageInfo",
    "LedgerLineEdge": "cursor node",
    "LedgerLine": "transactionId kind method description change balance createdAt",
    "StatementConnection": "edges pageInfo",
    "StatementEdge": "cursor node",
    "Statement": "id periodStart periodEnd opening calls fees charges payments closing createdAt",
    "MyCdrReport": "rows nextCursor totals",
    "MyCdrReportRow": (
        "id startedAt subAccount direction number country status failureReason duration "
        "billedSeconds sell"
    ),
    "MyCdrReportTotals": "calls answered durationSeconds billedSeconds freeMinutesUsed sell",
    "InvalidInput": "message errors",
    "FieldError": "field message",
    "Problem": "message",
    "PortalSession": "token expiresAt clientId",
    "LoginFailed": "message retryAfterSeconds",
    "LoggedOut": "ok",
    "BalanceChangedEvent": "clientId balance at",
    "LowBalanceEvent": "clientId balance threshold at",
    "SuspensionChangedEvent": "clientId suspended at",
    "SipPassword": "subAccountId password",
    "NotFound": "message what",
    "DidOrdered": "number setupPrice monthlyPrice perMinutePrice",
    "InsufficientBalance": "message balance amount",
    "Conflict": "message",
}
ALLOWED = frozenset(f"{t}.{f}" for t, fields in ALLOWED_FIELDS.items() for f in fields.split())
"""Every field a client may read. Nothing here reveals what the reseller pays."""

COST_WORDS = ("cost", "profit", "margin", "rule", "deck", "route", "markup", "source")


def reachable(schema: GraphQLSchema, roots: Mapping[str, Iterable[str]]) -> set[str]:
    """``Type.field`` of every output field reachable from ``roots`` (operation → names):
    through field types, union members, the implementations of an interface a field
    returns, and the fields of the interfaces an object reached implements."""
    found: set[str] = set()
    seen: set[str] = set()
    pending: list[GraphQLNamedType] = []
    for operation, names in roots.items():
        root = schema.get_root_type(OperationType(operation))
        assert root is not None, operation
        for name in names:
            field = root.fields[name]  # a KeyError: a root name the schema does not have
            found.add(f"{root.name}.{name}")
            pending.append(get_named_type(field.type))
    while pending:
        named = pending.pop()
        if named.name in seen:
            continue
        seen.add(named.name)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for name, field in named.fields.items():
                found.add(f"{named.name}.{name}")
                pending.append(get_named_type(field.type))
        if isinstance(named, GraphQLInterfaceType):
            pending.extend(schema.get_possible_types(named))
        if isinstance(named, GraphQLUnionType):
            pending.extend(named.types)
        if isinstance(named, GraphQLObjectType):  # ``... on Problem { message }``
            found.update(f"{i.name}.{name}" for i in named.interfaces for name in i.fields)
    return found


def _schema() -> GraphQLSchema:
    return build_schema(dev=True)._schema


def test_a_client_reaches_only_allowed_fields() -> None:
    got = reachable(_schema(), CLIENT_ROOT_FIELDS)
    assert sorted(got - ALLOWED) == []
    assert sorted(ALLOWED - got) == []  # the list stays exact: no stale entries


def test_no_allowed_field_is_named_after_a_cost() -> None:
    assert [f for f in ALLOWED if any(w in f.split(".")[1].lower() for w in COST_WORDS)] == []


def test_the_walk_fails_on_a_cost_field_added_to_a_client_type() -> None:
    """The proof that the allow-list test can fail: the same walk over the schema with one
    more field on a client type, and with a staff root field opened to clients."""
    extended = extend_schema(_schema(), parse("extend type MyCdr { cost: Money }"))
    assert reachable(extended, CLIENT_ROOT_FIELDS) - ALLOWED == {"MyCdr.cost"}
    opened = {**CLIENT_ROOT_FIELDS, "query": {*CLIENT_ROOT_FIELDS["query"], "client"}}
    leaked = reachable(_schema(), opened) - ALLOWED
    assert {"Cdr.cost", "Cdr.rule", "MatchedRule.text", "Did.monthlyCost"} <= leaked


def test_every_other_root_field_is_refused_to_clients() -> None:
    schema = _schema()
    for operation, root in (
        ("query", schema.query_type),
        ("mutation", schema.mutation_type),
        ("subscription", schema.subscription_type),
    ):
        assert root is not None
        for name in root.fields:
            refused = refused_root_fields(parse(f"{operation} {{ {name} }}"), None)
            assert refused == ([] if name in CLIENT_ROOT_FIELDS[operation] else [name])


@pytest.mark.parametrize(
    "document",
    [
        "query { me { role } client(id: 1) { __typename } }",
        "query { ...F } fragment F on Query { x: dids { __typename } }",
        "query { ... on Query { ... { cdrReport { __typename } } } }",
        "query A { me { role } } query B { packages { __typename } }",
    ],
)
def test_fragments_aliases_and_named_operations_do_not_hide_a_root_field(document: str) -> None:
    name = "B" if "query B" in document else None
    assert refused_root_fields(parse(document), name) != []


ISSUE_QUERY = """{ myClient { cdrs { edges { node { rule { kind text } deckPrefix route } } } } }"""


async def test_the_issue_query_is_invalid_for_a_client_session(api: Api) -> None:
    """The query of issue #10: rule, deck prefix and route do not exist on a client's CDR."""
    w = await world(api)
    await api.data(
        "mutation($cdr: CdrInput!) { submitCdr(cdr: $cdr) { __typename } }",
        w.a.reseller,
        cdr=cdr("leak-1", w.a_line),
    )
    body = await api.post(ISSUE_QUERY, w.portal)
    assert body.get("data") is None
    messages = " ".join(e["message"] for e in body["errors"])
    for field in ("rule", "deckPrefix", "route"):
        assert f"Cannot query field '{field}' on type 'MyCdr'" in messages
    for field in ("cost", "costRate", "profit"):
        query = f"{{ myClient {{ cdrs {{ edges {{ node {{ {field} }} }} }} }} }}"
        body = await api.post(query, w.portal)
        assert f"Cannot query field '{field}' on type 'MyCdr'" in body["errors"][0]["message"]
    seen = await api.data(
        "{ myClient { cdrs { edges { node { number sellRate { amount } sell { amount }"
        " billedSeconds country } } } dids { edges { node { number } } } } }",
        w.portal,
    )
    node = seen["myClient"]["cdrs"]["edges"][0]["node"]
    assert node == {
        "number": "15145550100", "sellRate": {"amount": "0.006"}, "sell": {"amount": "0.006"},
        "billedSeconds": 60, "country": "US",
    }  # fmt: skip


STAFF_READS = [
    ("client", "query($c: Int!) { client(id: $c) { ... on Client { cdrs { edges { node {"
     " cost { amount } rule { text } } } } } } }"),
    ("dids", "{ dids { edges { node { monthlyCost { amount } } } } }"),
    ("cdrReport", '{ cdrReport(filter: {from: "2026-03-01", to: "2026-03-01"}) {'
     " ... on CdrReport { totals { calls } } } }"),
    ("pricePreview", 'query($c: Int!) { pricePreview(packageId: $c, number: "+15145550100",'
     " duration: 60) { __typename } }"),
    ("addPayment", 'mutation($c: Int!) { addPayment(clientId: $c, amount: "5") { __typename } }'),
]  # fmt: skip


@pytest.mark.parametrize(("name", "query"), STAFF_READS, ids=[n for n, _ in STAFF_READS])
async def test_a_client_session_is_refused_staff_fields_whatever_the_id(
    api: Api, name: str, query: str
) -> None:
    w = await world(api)
    variables = {"c": w.a_client} if "$c" in query else {}
    for _ in ("own id", "another's id"):
        body = await api.post(query, w.portal, **variables)
        assert body["data"] is None
        assert [(e["message"], e.get("path")) for e in body["errors"]] == [("Forbidden", [name])]
        variables = {"c": w.b_client} if variables else {}
    as_reseller = await api.post(query, w.a.reseller, **({"c": w.a_client} if variables else {}))
    assert "errors" not in as_reseller  # the same document is valid: only the caller differs


async def test_my_cdr_report_has_the_calls_without_cost(api: Api) -> None:
    w = await world(api)
    for k in range(2):
        await api.data(
            "mutation($cdr: CdrInput!) { submitCdr(cdr: $cdr) { __typename } }",
            w.a.reseller,
            cdr=cdr(f"rep-{k}", w.a_line),
        )
    query = '{ myCdrReport(filter: {from: "2026-03-01", to: "2026-03-01"}) { __typename'
    query += " ... on MyCdrReport { rows { number subAccount sell { amount } }"
    query += " totals { calls sell { amount } } } } }"
    got = (await api.data(query, w.portal))["myCdrReport"]
    assert got["totals"] == {"calls": 2, "sell": {"amount": "0.012"}}
    assert [r["sell"] for r in got["rows"]] == [{"amount": "0.006"}] * 2
    body = await api.post(query, w.a.reseller)
    assert body["errors"][0]["message"] == "Forbidden"


async def test_a_subscription_outside_the_surface_is_refused_before_it_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every subscription is a client's today; one that were not (``lowBalance`` taken off
    the list here) is refused over the websocket before its resolver runs."""
    subscriptions = frozenset({"balanceChanged", "suspensionChanged"})
    monkeypatch.setitem(client_surface.CLIENT_ROOT_FIELDS, "subscription", subscriptions)
    connection = SimpleNamespace(actor=Actor.client(1, 2), websocket=True)  # as on_ws_connect
    stream = await build_schema().subscribe(
        "subscription { lowBalance { clientId } }", context_value=connection
    )
    assert not isinstance(stream, ExecutionResult)
    results = [r async for r in stream]
    assert [[e.message for e in r.errors or ()] for r in results] == [["Forbidden"]]
