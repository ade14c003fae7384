"""An app per test with PayPal settings, its services, and the fake PayPal server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.domain.actor import Actor
from api.domain.paypal import CustomSigner
from api.domain.tenants import reseller_code
from api.payments.worker import PaypalVerifier
from api.services import clients, paypal_settings, resellers
from api.settings import Settings
from api.state import AppState
from tests.api.conftest import Clock, check_invariants
from tests.api.graphql.conftest import serving
from tests.api.payments.fake_paypal import RECEIVER, FakePaypal
from tests.conftest import Database

SECRET = "test-secret"


@pytest.fixture
def fake_paypal() -> Iterator[FakePaypal]:
    fake = FakePaypal()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@dataclass
class Shop:
    """A reseller selling PayPal top-ups of 10, 20 and 50 USD, and its app."""

    state: AppState
    http: httpx.AsyncClient
    database: Database
    clock: Clock
    reseller: Actor
    reseller_id: int
    signer: CustomSigner
    verifier: PaypalVerifier
    token: str  # the reseller's API token

    @property
    def ipn_path(self) -> str:
        return f"/paypal/ipn/{reseller_code(self.reseller_id)}"

    async def client(self, name: str, *, balance_type: str = "soft") -> int:
        view = await clients.create_client(
            self.state.services, self.reseller, name, balance_type=balance_type
        )
        return view.id

    async def deliver(self, body: bytes) -> httpx.Response:
        return await self.http.post(
            self.ipn_path,
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    async def graphql(self, query: str, token: str | None = None, **variables: Any) -> Any:
        """POST one operation as the reseller (or ``token``); returns ``data``."""
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token or self.token}"},
        )
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def balance(self, client_id: int) -> int:
        view = await clients.get_client(self.state.services, self.reseller, client_id)
        return view.balance


async def open_shop(
    database: Database,
    verify_url: str,
    *,
    name: str = "Acme",
    currency: str = "USD",
    worker_seconds: float = 0,
) -> AsyncIterator[Shop]:
    clock = Clock()
    settings = Settings(
        database_url=database.url,
        secret_key=SECRET,
        paypal_verify_url=verify_url,
        paypal_worker_seconds=worker_seconds,
    )
    async with serving(settings, database, clock) as (app, state, http):
        services = state.services
        created = await resellers.create_reseller(services, Actor.operator(), name, currency)
        reseller = Actor.reseller(created.reseller.id)
        await paypal_settings.set_paypal_settings(
            services, reseller, enabled=True, email=RECEIVER, amounts=[10, 20, 50], sandbox=True
        )
        yield Shop(
            state, http, database, clock, reseller, created.reseller.id,
            CustomSigner(SECRET), app.state.paypal, created.token.token,
        )  # fmt: skip
    await check_invariants(database)


@pytest.fixture
async def shop(database: Database, fake_paypal: FakePaypal) -> AsyncIterator[Shop]:
    async for opened in open_shop(database, fake_paypal.url):
        yield opened
