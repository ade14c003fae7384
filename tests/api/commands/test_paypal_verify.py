"""``pulsebill paypal-verify``: one round of verification from the command line (SQLite)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import main
from api.domain.actor import Actor
from api.domain.paypal import CustomSigner
from api.events import EventBus
from api.services import clients, paypal_ipn, paypal_settings, resellers
from api.services.context import ServicesContext
from api.services.secrets import PasswordCipher
from api.store.engine import create_engine, make_sessionmaker
from tests.api.payments.fake_paypal import RECEIVER, FakePaypal, web_accept

SECRET = "cli-paypal-secret"


@pytest.fixture
def fake() -> Iterator[FakePaypal]:
    server = FakePaypal()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _seed(url: str, fake: FakePaypal) -> tuple[int, int]:
    """A reseller with PayPal on, a client, and two stored messages (one forged)."""

    async def run() -> tuple[int, int]:
        engine = create_engine(url)
        try:
            ctx = ServicesContext(make_sessionmaker(engine), EventBus(), PasswordCipher(SECRET))
            created = await resellers.create_reseller(ctx, Actor.operator(), "Acme", "USD")
            reseller = Actor.reseller(created.reseller.id)
            await paypal_settings.set_paypal_settings(
                ctx, reseller, enabled=True, email=RECEIVER, amounts=[10], sandbox=False
            )
            client = await clients.create_client(ctx, reseller, "Alice")
            custom = CustomSigner(SECRET).sign(created.reseller.id, client.id)
            genuine = fake.issue(web_accept("CLI00000000000001", custom))
            forged = genuine.replace(b"mc_gross=10.00", b"mc_gross=20.00")
            for body in (genuine, forged):
                await paypal_ipn.store_message(ctx, created.reseller.id, body, {})
            return created.reseller.id, client.id
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_one_round_credits_the_genuine_and_refuses_the_forged(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fake: FakePaypal,
) -> None:
    path = tmp_path / "cli.db"
    url = f"sqlite+aiosqlite:///{path}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PULSEBILL_SECRET_KEY", SECRET)
    monkeypatch.setenv("PULSEBILL_PAYPAL_VERIFY_URL", fake.url)
    assert main(["migrate"]) == 0
    _, client_id = _seed(url, fake)
    capsys.readouterr()

    assert main(["paypal-verify"]) == 0
    assert capsys.readouterr().out == "PayPal IPN messages: 1 credited, 1 refused\n"
    assert main(["paypal-verify"]) == 0
    assert capsys.readouterr().out == "PayPal IPN messages: none due\n"

    with sqlite3.connect(path) as conn:
        statuses = conn.execute("SELECT status, reason FROM paypal_ipn_messages ORDER BY id")
        assert statuses.fetchall() == [("credited", ""), ("refused", "invalid")]
        (balance,) = conn.execute(
            "SELECT balance FROM accounts WHERE kind = 'client' AND client_id = ?", (client_id,)
        ).fetchone()
    assert balance == 10_000_000


def test_paypal_unreachable_is_a_retry_not_an_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fake: FakePaypal,
) -> None:
    path = tmp_path / "cli.db"
    url = f"sqlite+aiosqlite:///{path}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PULSEBILL_SECRET_KEY", SECRET)
    monkeypatch.setenv("PULSEBILL_PAYPAL_VERIFY_URL", fake.url)
    assert main(["migrate"]) == 0
    _seed(url, fake)
    fake.stop()
    capsys.readouterr()

    assert main(["paypal-verify"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "PayPal IPN messages: 2 retry\n"
    assert "Traceback" not in captured.err
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT status, attempts FROM paypal_ipn_messages").fetchall()
    assert rows == [("pending", 1), ("pending", 1)]
