"""The verification worker: the server's background retry loop, and two verifiers racing
over the same messages (each message verified once, each payment credited once)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from api.payments.worker import PaypalVerifier
from api.services import paypal_ipn
from api.store.tables import PaypalIpnMessage
from tests.api.payments.conftest import open_shop
from tests.api.payments.fake_paypal import FakePaypal, web_accept
from tests.conftest import Database


async def test_the_servers_loop_credits_once_paypal_is_back(
    database: Database, fake_paypal: FakePaypal
) -> None:
    fake_paypal.stop()
    async for shop in open_shop(database, fake_paypal.url, worker_seconds=0.05):
        client = await shop.client("Alice")
        body = fake_paypal.issue(
            web_accept("LOOP0000000000001", shop.signer.sign(shop.reseller_id, client))
        )
        await shop.deliver(body)
        assert await shop.balance(client) == 0
        fake_paypal.start()
        # the due time of the next attempt: 30 s after one failed attempt, 60 s after two
        # (the verification right after delivery and the loop may both have tried)
        async with database.sessionmaker() as session:
            due = await session.scalar(select(col(PaypalIpnMessage.next_attempt_at)))
        assert due is not None
        assert due > shop.clock.now  # not before its delay
        shop.clock.now = due + timedelta(seconds=1)
        deadline = time.monotonic() + 10
        while await shop.balance(client) == 0:
            assert time.monotonic() < deadline, "the loop did not credit the payment"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # a few more rounds: nothing more
        assert await shop.balance(client) == 10_000_000


async def test_two_verifiers_share_the_work_and_credit_once(
    database: Database, fake_paypal: FakePaypal
) -> None:
    async for shop in open_shop(database, fake_paypal.url):
        client = await shop.client("Bob")
        custom = shop.signer.sign(shop.reseller_id, client)
        bodies = [fake_paypal.issue(web_accept(f"RACE{n:013d}", custom)) for n in range(6)]
        for body in bodies + bodies:  # every payment delivered twice
            await paypal_ipn.store_message(shop.state.services, shop.reseller_id, body, {})
        other = PaypalVerifier.from_settings(shop.state.services, shop.state.settings)
        try:
            counts = await asyncio.gather(
                shop.verifier.run_once(batch_size=1), other.run_once(batch_size=1)
            )
        finally:
            await other.stop(None)

        merged = {k: counts[0].get(k, 0) + counts[1].get(k, 0) for k in ("credited", "refused")}
        assert merged == {"credited": 6, "refused": 6}
        assert all(sum(c.values()) > 0 for c in counts)  # both took a share
        assert await shop.balance(client) == 60_000_000
        async with database.sessionmaker() as session:
            attempts = list(await session.scalars(select(col(PaypalIpnMessage.attempts))))
        assert attempts == [1] * 12  # no message was verified twice
