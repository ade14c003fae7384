"""``create_app``: settings from the environment (``uvicorn --factory``) and the daily
billing task started and stopped with the app's lifespan."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from sqlmodel import col

from api.app import create_app
from api.domain.actor import Actor
from api.services import resellers
from api.services.context import ServicesContext
from api.settings import Settings
from api.store.migrate import upgrade
from api.store.tables import DailyBillingRun
from tests.api.commands.test_cli import with_services
from tests.api.conftest import Clock, World
from tests.conftest import Database

RESELLERS = "{ resellers { edges { node { name currency } } } }"


@pytest.fixture
def operator_token_in_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite file named by the environment, with a reseller; an operator token."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'env.db'}"
    upgrade(url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PULSEBILL_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("PULSEBILL_DAILY_BILLING", "0")

    async def prepare(ctx: ServicesContext) -> str:
        await resellers.create_reseller(ctx, Actor.operator(), "Acme", "EUR")
        return (await resellers.create_operator_token(ctx)).token

    return with_services(url, prepare)


def test_uvicorn_loads_the_factory(operator_token_in_env: str) -> None:
    config = uvicorn.Config("api.app:create_app", factory=True)
    config.load()  # what `uvicorn --factory api.app:create_app` does
    assert config.loaded_app is not None


async def test_the_factory_reads_the_environment(operator_token_in_env: str) -> None:
    app = create_app()
    headers = {"Authorization": f"Bearer {operator_token_in_env}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post("/graphql", json={"query": RESELLERS}, headers=headers)
    assert response.status_code == 200
    assert response.json() == {
        "data": {"resellers": {"edges": [{"node": {"name": "Acme", "currency": "EUR"}}]}}
    }


def test_the_daily_billing_is_on_unless_turned_off() -> None:
    base = {"PULSEBILL_SECRET_KEY": "k"}
    assert Settings.from_env(base).daily_billing is True
    for off in ("0", "false", "no", "NO"):
        assert Settings.from_env({**base, "PULSEBILL_DAILY_BILLING": off}).daily_billing is False
    assert Settings().daily_billing is False  # tests build their settings explicitly


async def billing_rows(world: World) -> list[object]:
    async with world.ctx.read() as uow:
        return list(await uow.session.scalars(select(col(DailyBillingRun.day))))


@pytest.mark.parametrize("enabled", [True, False])
async def test_the_lifespan_runs_the_daily_billing(
    world: World, database: Database, clock: Clock, enabled: bool
) -> None:
    settings = Settings(database_url=database.url, secret_key="k", daily_billing=enabled)
    app = create_app(settings, engine=database.engine, clock=clock)
    async with app.router.lifespan_context(app):
        names = {task.get_name() for task in asyncio.all_tasks()}
        assert ("pulsebill daily billing" in names) is enabled
        if enabled:
            deadline = time.monotonic() + 10
            while not await billing_rows(world):
                assert time.monotonic() < deadline, "the daily billing did not run"
                await asyncio.sleep(0.01)
            assert await billing_rows(world) == [clock.now.date()]
    names = {task.get_name() for task in asyncio.all_tasks()}
    assert "pulsebill daily billing" not in names
    if not enabled:
        assert await billing_rows(world) == []
