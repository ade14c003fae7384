"""Two resellers' portals over one app: fixtures shared by the portal tests."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest

from api.domain.actor import Actor
from api.domain.tenants import reseller_code, tenant_username
from api.services import branding, payments, portal_logins, sub_accounts
from api.services.cdrs import rate_cdr
from api.services.context import ServicesContext
from api.services.records import CdrInput
from api.settings import Settings
from api.state import AppState
from tests.api.conftest import Clock, World, check_invariants, make_world
from tests.api.graphql.conftest import FAST_PASSWORDS, serving
from tests.conftest import Database

PASSWORD = "Correct-Horse-9"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@dataclass
class Tenant:
    """A reseller with one client that has a portal login and a line."""

    world: World
    client_id: int
    username: str
    line: str

    @property
    def code(self) -> str:
        return reseller_code(self.world.reseller_id)

    @property
    def base(self) -> str:
        return f"/p/{self.code}"

    @property
    def login(self) -> str:
        """The portal login's full name (``100001_alice``), as GraphQL's ``login`` wants it;
        the portal's own form also takes the short ``username``."""
        return tenant_username(self.world.reseller_id, self.username)


async def configure(ctx: ServicesContext, reseller: Actor, **changes: Any) -> None:
    view = await branding.get_settings(ctx, reseller)
    await branding.update_settings(ctx, reseller, changes, expected=view.updated_at)


async def make_tenant(ctx: ServicesContext, name: str, username: str) -> Tenant:
    world = await make_world(ctx, name=name)
    client_id, line = await world.client(
        f"{name} Client", paid=20_000_000, username=f"{username}-l"
    )
    await portal_logins.set_portal_login(
        ctx, world.reseller, client_id, username, FAST_PASSWORDS.hash(PASSWORD)
    )
    return Tenant(world, client_id, username, line)


@dataclass
class Portals:
    state: AppState
    http: httpx.AsyncClient
    acme: Tenant
    bolt: Tenant
    clock: Clock
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def ctx(self) -> ServicesContext:
        return self.state.services

    async def csrf(self, path: str) -> str:
        """GET ``path`` (setting the CSRF cookie) and return its form token."""
        page = await self.http.get(path)
        found = CSRF.search(page.text)
        assert found is not None, page.text[:500]
        return found.group(1)

    async def login(self, tenant: Tenant, password: str = PASSWORD) -> httpx.Response:
        return await self.login_as(tenant.username, password, tenant)

    async def login_as(self, username: str, password: str, tenant: Tenant) -> httpx.Response:
        token = await self.csrf(f"{tenant.base}/login")
        return await self.http.post(
            f"{tenant.base}/login",
            data={"csrf": token, "username": username, "password": password},
        )

    async def post(self, path: str, data: Mapping[str, str], form: str | None = None) -> Any:
        token = await self.csrf(form or path)
        return await self.http.post(path, data={"csrf": token, **data})


@pytest.fixture
async def portals(database: Database) -> AsyncIterator[Portals]:
    clock = Clock()
    settings = Settings(
        database_url=database.url,
        secret_key="test-secret",
        public_url="http://platform.test",
    )
    async with serving(settings, database, clock) as (_app, state, http):
        acme = await make_tenant(state.services, "Acme", "alice")
        bolt = await make_tenant(state.services, "Bolt", "bob")
        yield Portals(state, http, acme, bolt, clock)
    await check_invariants(database)  # every balance still equals its ledger entries


async def add_line(ctx: ServicesContext, tenant: Tenant, name: str) -> None:
    await sub_accounts.create_sub_account(ctx, tenant.world.reseller, tenant.client_id, name)


async def pay(ctx: ServicesContext, tenant: Tenant, amount: int) -> None:
    await payments.add_payment(
        ctx, tenant.world.reseller, tenant.client_id, amount, description="t"
    )


async def call(
    ctx: ServicesContext, tenant: Tenant, call_id: str, seconds: int = 125, hours_ago: int = 1
) -> None:
    """One outbound call of the tenant's client to Mexico, rated and posted."""
    now = ctx.now()
    await rate_cdr(
        ctx,
        tenant.world.reseller,
        CdrInput(
            "sw1",
            call_id,
            tenant.line,
            "outbound",
            "+525512345678",
            now - timedelta(hours=hours_ago),
            seconds,
        ),
    )
