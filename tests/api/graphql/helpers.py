"""Operations the tests send, exactly as a frontend would, and a seeded tenant."""

from __future__ import annotations

from dataclasses import dataclass

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
