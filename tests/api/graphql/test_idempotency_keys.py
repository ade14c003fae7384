"""``addPayment`` / ``addCharge`` with an ``idempotencyKey``, as a frontend sends them: a
retry returns the first answer, other arguments are a ``Conflict``, a bad key is
``InvalidInput`` on ``idempotencyKey``."""

from __future__ import annotations

from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import world

MONEY = """
mutation($c: Int!, $a: Decimal!, $k: String, $charge: Boolean!) {
  pay: addPayment(clientId: $c, amount: $a, idempotencyKey: $k) @skip(if: $charge) {
    ...Answer
  }
  charge: addCharge(clientId: $c, amount: $a, idempotencyKey: $k) @include(if: $charge) {
    ...Answer
  }
}
fragment Answer on MoneyResult {
  __typename
  ... on MoneyMovement { transactionId kind amount { amount } balance { amount } createdAt }
  ... on Problem { message }
  ... on InvalidInput { errors { field message } }
}"""

BALANCE = "query($id: Int!) { client(id: $id) { ... on Client { balance { amount } } } }"


async def test_a_retried_payment_or_charge_is_posted_once(api: Api) -> None:
    w = await world(api)
    token, client = w.a.reseller, w.a_other
    first = (await api.data(MONEY, token, c=client, a="12.5", k="pay-1", charge=False))["pay"]
    assert first["__typename"] == "MoneyMovement"
    again = (await api.data(MONEY, token, c=client, a="12.5", k="pay-1", charge=False))["pay"]
    assert again == first
    other = (await api.data(MONEY, token, c=client, a="13", k="pay-1", charge=False))["pay"]
    assert other["__typename"] == "Conflict"
    assert "idempotency_key" in other["message"]
    charge = (await api.data(MONEY, token, c=client, a="2", k="ch-1", charge=True))["charge"]
    assert (
        charge == (await api.data(MONEY, token, c=client, a="2", k="ch-1", charge=True))["charge"]
    )
    balance = await api.data(BALANCE, token, id=client)
    assert balance["client"]["balance"]["amount"] == "10.50"


async def test_a_bad_key_names_the_argument(api: Api) -> None:
    w = await world(api)
    bad = await api.data(MONEY, w.a.reseller, c=w.a_other, a="1", k="k" * 129, charge=False)
    assert bad["pay"]["__typename"] == "InvalidInput"
    assert bad["pay"]["errors"][0]["field"] == "idempotencyKey"
    balance = await api.data(BALANCE, w.a.reseller, id=w.a_other)
    assert balance["client"]["balance"]["amount"] == "0.00"
