"""The sender inside the running app: started with SMTP settings, a warning without."""

from __future__ import annotations

import asyncio
import logging

import pytest

from api.app import create_app
from api.domain.actor import Actor
from api.mail.config import SmtpConfig
from api.services import clients, payments, resellers
from api.settings import Settings
from api.state import AppState
from tests.conftest import Database
from tests.smtp_server import Collector


async def test_without_smtp_the_app_warns_that_emails_stay_queued(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(database_url=database.url, secret_key="k"), engine=database.engine)
    with caplog.at_level(logging.WARNING, logger="pulsebill.mail"):
        async with app.router.lifespan_context(app):
            pass
    assert "SMTP is not configured" in caplog.text
    assert "stay queued" in caplog.text


async def test_the_running_app_delivers_a_low_balance_email(
    database: Database, smtp: tuple[Collector, int], smtp_config: SmtpConfig
) -> None:
    settings = Settings(database_url=database.url, secret_key="k", smtp=smtp_config)
    states: list[AppState] = []
    app = create_app(settings, engine=database.engine, on_ready=states.append)
    async with app.router.lifespan_context(app):
        ctx = states[0].services
        created = await resellers.create_reseller(ctx, Actor.operator(), "Acme", "USD")
        acme = Actor.reseller(created.reseller.id)
        client = await clients.create_client(ctx, acme, "Dan", email="dan@example.com")
        await payments.add_payment(ctx, acme, client.id, 5_000_000)
        await payments.add_charge(ctx, acme, client.id, 1)  # 5.00 → 4.999999
        for _ in range(100):
            if smtp[0].messages:
                break
            await asyncio.sleep(0.1)
    assert [m.rcpt_tos for m in smtp[0].messages] == [["dan@example.com"]]
    assert "4.999999 USD" in smtp[0].messages[0].text
