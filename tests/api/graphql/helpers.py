"""Operations the tests send, exactly as a frontend would, and a seeded tenant."""

from __future__ import annotations

from dataclasses import dataclass

from api.domain.tenants import tenant_username
from api.services import resellers
from tests.api.graphql.conftest import Api

DECK = """prefix,country,description,value_rate,premium_rate
1,US,USA,0.0050,0.0060
44,GB,United Kingdom,0.0100,0.0120
"""

PACKAGE = """package "Basic" {
    currency USD
    markup 20% + 0.0000
    pulse 60
    route canada value
    route international premium
    fee setup 1.00
}
"""

CREATE_CLIENT = """
mutation($input: ClientInput!) {
  createClient(input: $input) {
    __typename
    ... on Client { id name balance { amount currency } suspended }
    ... on Problem { message }
    ... on InvalidInput { errors { field message } }
  }
}"""

PUBLISH = """
mutation($source: String!) {
  publishPackage(source: $source) {
    __typename
    ... on Published { versions { id packageId name version } }
    ... on RuleErrors { errors { line column message } }
  }
}"""

ATTACH = """
mutation($c: Int!, $p: Int!) {
  attachPackage(clientId: $c, packageId: $p) { __typename ... on ClientPackage { name } }
}"""

PAY = """
mutation($c: Int!, $a: Decimal!) {
  addPayment(clientId: $c, amount: $a, description: "test") {
    __typename
    ... on MoneyMovement { amount { amount currency } balance { amount } }
    ... on Problem { message }
    ... on InvalidInput { errors { field message } }
  }
}"""


@dataclass
class Tenant:
    operator: str
    reseller: str
    reseller_id: int


async def seed(api: Api, name: str = "acme") -> Tenant:
    """An operator token, a reseller and its token (created like the command line does)."""
    services = api.state.services
    operator = (await resellers.create_operator_token(services)).token
    body = await api.data(
        'mutation($n: String!) { createReseller(name: $n, currency: "USD") {'
        " ... on ResellerCreated { reseller { id } token { token } } } }",
        operator,
        n=name,
    )
    created = body["createReseller"]
    return Tenant(operator, created["token"]["token"], created["reseller"]["id"])


async def client_with_package(api: Api, tenant: Tenant, name: str = "alice") -> tuple[int, int]:
    """A client of ``tenant`` with the Basic package attached: (client id, package id)."""
    await api.data(
        "mutation($csv: String!) { importDeck(csv: $csv, activate: true) { __typename } }",
        tenant.operator,
        csv=DECK,
    )
    published = (await api.data(PUBLISH, tenant.reseller, source=PACKAGE))["publishPackage"]
    package_id = published.get("versions", [{}])[0].get("packageId")
    client = await api.data(CREATE_CLIENT, tenant.reseller, input={"name": name})
    client_id = client["createClient"]["id"]
    if package_id is not None:
        await api.data(ATTACH, tenant.reseller, c=client_id, p=package_id)
    return client_id, package_id


SUB_ACCOUNT = """
mutation($c: Int!, $u: String!) {
  createSubAccount(clientId: $c, username: $u) {
    __typename ... on SubAccountCreated { subAccount { id } password }
  }
}"""

SET_LOGIN = """
mutation($c: Int!, $u: String!, $p: String!) {
  setPortalLogin(clientId: $c, username: $u, password: $p) {
    __typename
    ... on PortalLoginSet { clientId username sessionsEnded }
    ... on Problem { message }
    ... on InvalidInput { errors { field message } }
  }
}"""

LOGIN = """
mutation($u: String!, $p: String!) {
  login(username: $u, password: $p) {
    __typename
    ... on PortalSession { token clientId }
    ... on LoginFailed { message retryAfterSeconds }
  }
}"""

SUBMIT_CDR = """
mutation($cdr: CdrInput!, $r: Int) {
  submitCdr(cdr: $cdr, resellerId: $r) {
    __typename
    ... on CdrRating {
      id status failureReason duplicate clientId billedSeconds chargedSeconds
      sellRate { amount } sell { amount currency } cost { amount } profit { amount }
      rule { kind text line } deckPrefix country route deckVersion packageVersionId
    }
    ... on Problem { message }
    ... on InvalidInput { errors { field message } }
  }
}"""

SUBMIT_CDRS = """
mutation($cdrs: [CdrInput!]!, $r: Int) {
  submitCdrs(cdrs: $cdrs, resellerId: $r) {
    __typename
    ... on CdrBatch {
      received rated unrated duplicates sell { amount } cost { amount }
      results { callId status failureReason duplicate sell { amount } }
    }
    ... on Problem { message }
    ... on InvalidInput { errors { field message } }
  }
}"""

PASSWORD = "correct horse battery"


def cdr(
    call_id: str, line: str, number: str = "+1 514 555 0100", duration: int = 60
) -> dict[str, object]:
    """A CDR as a switch sends it (variables of ``CdrInput``)."""
    return {
        "source": "sw1", "callId": call_id, "subAccount": line, "direction": "OUTBOUND",
        "number": number, "startedAt": "2026-03-01T10:00:00+00:00", "duration": duration,
    }  # fmt: skip


@dataclass
class World:
    """Two tenants; A has two clients (one with a portal login), B one. All ids known."""

    a: Tenant
    b: Tenant
    a_client: int
    a_other: int
    b_client: int
    a_package: int
    b_package: int
    a_sub: int
    b_sub: int
    a_line: str
    portal: str  # a portal session token of ``a_client``
    a_login: str  # its portal username, ``alice`` in A's namespace (``100001_alice``)


async def world(api: Api) -> World:
    a = await seed(api, "acme")
    b = await seed(api, "bravo")
    a_client, a_package = await client_with_package(api, a, "alice")
    b_client, b_package = await client_with_package(api, b, "bob")
    other = await api.data(CREATE_CLIENT, a.reseller, input={"name": "carol"})
    await api.data(PAY, a.reseller, c=a_client, a="50")
    await api.data(PAY, b.reseller, c=b_client, a="50")
    a_sub = await api.data(SUB_ACCOUNT, a.reseller, c=a_client, u="alice-line")
    b_sub = await api.data(SUB_ACCOUNT, b.reseller, c=b_client, u="bob-line")
    await api.data(SET_LOGIN, a.reseller, c=a_client, u="alice", p=PASSWORD)
    a_login = tenant_username(a.reseller_id, "alice")
    login = await api.data(LOGIN, u=a_login, p=PASSWORD)
    return World(
        a, b, a_client, other["createClient"]["id"], b_client, a_package, b_package,
        a_sub["createSubAccount"]["subAccount"]["id"],
        b_sub["createSubAccount"]["subAccount"]["id"], "alice-line",
        login["login"]["token"], a_login,
    )  # fmt: skip


async def row_counts(api: Api) -> dict[str, int]:
    """Rows per table (to prove that a refused operation wrote nothing)."""
    from sqlalchemy import func, select
    from sqlmodel import SQLModel

    counts: dict[str, int] = {}
    async with api.state.engine.connect() as conn:
        for name, table in SQLModel.metadata.tables.items():
            counts[name] = int(
                (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            )
    return counts
