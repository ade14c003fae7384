"""Claims: two senders whose claims overlap in time never hold the same row."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from api.domain.mail import RetryPolicy
from api.mail.outbox import OutgoingMail, claim, enqueue
from api.services.context import ServicesContext
from api.store.engine import create_engine, make_sessionmaker
from api.store.tables import MailOutbox
from tests.api.conftest import World
from tests.conftest import Database


async def test_overlapping_claims_take_different_rows(world: World, database: Database) -> None:
    ctx = world.ctx
    async with ctx.unit_of_work() as uow:
        for i in range(6):
            mail = OutgoingMail(world.reseller_id, None, "t", f"{i}@x.test", "", "", "s", "b", "")
            await enqueue(uow.session, ctx.cipher, mail, ctx.now())
    policy = RetryPolicy()
    if database.backend == "sqlite":  # one writer at a time: claims follow each other
        async with ctx.unit_of_work() as uow:
            first = await claim(uow.session, ctx.cipher, ctx.now(), policy, 3)
        async with ctx.unit_of_work() as uow:
            second = await claim(uow.session, ctx.cipher, ctx.now(), policy, 3)
    else:  # the first claim's transaction is still open while the second claims
        other = create_engine(database.url, search_path=database.search_path)
        ctx2 = ServicesContext(make_sessionmaker(other), ctx.bus, ctx.cipher, ctx.clock)
        try:
            async with ctx.unit_of_work() as uow:
                first = await claim(uow.session, ctx.cipher, ctx.now(), policy, 3)
                async with ctx2.unit_of_work() as uow2:  # skips, never waits for, locked rows
                    second = await asyncio.wait_for(
                        claim(uow2.session, ctx.cipher, ctx.now(), policy, 3), timeout=10
                    )
        finally:
            await other.dispose()
    assert len(first) == len(second) == 3
    assert not {m.id for m in first} & {m.id for m in second}
    async with ctx.unit_of_work() as uow:  # all six are leased now
        assert await claim(uow.session, ctx.cipher, ctx.now(), policy, 3) == []


async def test_a_row_whose_senders_keep_dying_ends_failed(world: World) -> None:
    from datetime import timedelta

    ctx = world.ctx
    async with ctx.unit_of_work() as uow:
        mail = OutgoingMail(world.reseller_id, None, "t", "a@x.test", "", "", "s", "b", "")
        await enqueue(uow.session, ctx.cipher, mail, ctx.now())
    policy = RetryPolicy(max_attempts=2, lease=timedelta(seconds=10))
    now = ctx.now()
    for attempt in (1, 2):  # claimed, and its sender never comes back
        async with ctx.unit_of_work() as uow:
            [taken] = await claim(uow.session, ctx.cipher, now, policy, 5)
        assert taken.attempt == attempt
        now += timedelta(seconds=11)
    async with ctx.unit_of_work() as uow:
        assert await claim(uow.session, ctx.cipher, now, policy, 5) == []
    async with ctx.read() as uow:
        row = (await uow.session.execute(select(MailOutbox.status, MailOutbox.last_error))).one()
    assert tuple(row) == ("failed", "gave up after 2 attempts: the sender stopped")
