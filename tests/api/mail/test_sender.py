"""The outbox and the SMTP sender, against a real SMTP server (aiosmtpd) on both backends."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from api.domain.mail import RetryPolicy
from api.events import LowBalance
from api.mail.config import SmtpConfig
from api.mail.outbox import OutgoingMail, enqueue
from api.mail.sender import MailSender
from api.services import clients, payments
from api.services.context import ServicesContext
from api.store.engine import create_engine, make_sessionmaker
from api.store.tables import MailOutbox
from tests.api.conftest import Clock, World
from tests.conftest import Database
from tests.smtp_server import Collector, Received


async def _client_with_email(world: World, name: str = "Alice") -> int:
    view = await clients.create_client(
        world.ctx, world.reseller, name, email=f"{name.lower()}@example.com"
    )
    return view.id


async def _rows(ctx: ServicesContext) -> list[MailOutbox]:
    async with ctx.read() as uow:
        rows = list((await uow.session.scalars(select(MailOutbox).order_by("id"))).all())
        uow.session.expunge_all()  # keep the loaded values after the reader's rollback
        return rows


async def _queue(ctx: ServicesContext, reseller_id: int, n: int) -> list[int]:
    async with ctx.unit_of_work() as uow:
        return [
            await enqueue(
                uow.session,
                ctx.cipher,
                OutgoingMail(
                    reseller_id, None, "test", f"to{i}@example.com", "Acme", "", f"mail {i}",
                    f"body {i}", "",
                ),
                ctx.now(),
            )
            for i in range(n)
        ]  # fmt: skip


async def test_a_low_balance_crossing_sends_one_email_in_the_resellers_template(
    world: World, smtp: tuple[Collector, int], smtp_config: SmtpConfig
) -> None:
    collector, _ = smtp
    client_id = await _client_with_email(world)
    await payments.add_payment(world.ctx, world.reseller, client_id, 10_000_000)
    await payments.add_charge(world.ctx, world.reseller, client_id, 6_000_000)  # 4.00 < 5.00
    await payments.add_charge(world.ctx, world.reseller, client_id, 1_000_000)  # no new crossing
    report = await MailSender(world.ctx, smtp_config).drain()
    assert (report.sent, report.failed) == (1, 0)
    [mail] = collector.messages
    assert mail.rcpt_tos == ["alice@example.com"]
    assert mail.subject == "Your balance is low"
    assert "Hello Alice," in mail.text
    assert "Your balance is 4.00 USD, below 5.00 USD." in mail.text
    assert "http://127.0.0.1:8000/p/100001" in mail.text
    assert str(mail.message["From"]) == "Acme <billing@pulsebill.test>"
    assert mail.message["Message-ID"].endswith("@pulsebill.test>")
    [row] = await _rows(world.ctx)
    assert (row.status, row.attempts, row.body) == ("sent", 1, "")  # no body kept once sent
    assert await MailSender(world.ctx, smtp_config).drain() == type(report)()  # nothing again


async def test_a_payment_below_the_threshold_sends_nothing(
    world: World, smtp: tuple[Collector, int], smtp_config: SmtpConfig
) -> None:
    client_id = await _client_with_email(world)
    await payments.add_payment(world.ctx, world.reseller, client_id, 100_000)  # 0.00 → 0.10
    assert await _rows(world.ctx) == []
    await MailSender(world.ctx, smtp_config).drain()
    assert smtp[0].messages == []


async def test_a_rollback_queues_and_sends_nothing(
    world: World, smtp: tuple[Collector, int], smtp_config: SmtpConfig
) -> None:
    client_id = await _client_with_email(world)

    class Boom(Exception):
        pass

    async def crossing_then_failure() -> None:
        async with world.ctx.unit_of_work() as uow:
            uow.emit(LowBalance(world.reseller_id, client_id, 1, 5, "USD", world.ctx.now()))
            raise Boom

    with pytest.raises(Boom):
        await crossing_then_failure()
    assert await _rows(world.ctx) == []
    async with world.ctx.unit_of_work() as uow:  # the same event, committed: one row
        uow.emit(LowBalance(world.reseller_id, client_id, 1, 5, "USD", world.ctx.now()))
    assert len(await _rows(world.ctx)) == 1
    assert (await MailSender(world.ctx, smtp_config).drain()).sent == 1
    assert len(smtp[0].messages) == 1


async def test_a_call_crossing_the_threshold_queues_the_email_with_the_call(
    world: World, smtp: tuple[Collector, int], smtp_config: SmtpConfig
) -> None:
    from api.services import cdrs, sub_accounts
    from api.services.client_packages import attach_package
    from api.services.records import CdrInput
    from tests.api.conftest import START

    client_id = await _client_with_email(world, "Carol")
    await payments.add_payment(world.ctx, world.reseller, client_id, 20_000_000)
    await attach_package(world.ctx, world.reseller, client_id, world.package_id)  # -15.00
    await sub_accounts.create_sub_account(world.ctx, world.reseller, client_id, "carol-line")
    cdr = CdrInput("sw1", "c1", "carol-line", "outbound", "+442071234567", START, 90)
    result = await cdrs.rate_cdr(world.ctx, world.reseller, cdr)  # 5.00 → 4.9808
    assert result.sell > 0
    assert not result.duplicate  # rated as a batch of one in a unit of work, stored once
    assert (await cdrs.rate_cdr(world.ctx, world.reseller, cdr)).duplicate
    rows = await _rows(world.ctx)
    assert [(r.kind, r.recipient) for r in rows] == [("low_balance", "carol@example.com")]
    await MailSender(world.ctx, smtp_config).drain()
    assert "Your balance is 4.9808 USD" in smtp[0].messages[0].text  # exact, never rounded


async def test_a_sender_killed_mid_batch_and_restarted_sends_each_email_once(
    world: World, clock: Clock, smtp: tuple[Collector, int], smtp_config: SmtpConfig
) -> None:
    collector, _ = smtp
    await _queue(world.ctx, world.reseller_id, 6)
    sender = MailSender(world.ctx, smtp_config, batch=6)
    loop = asyncio.get_running_loop()
    task = loop.create_task(sender.run_once())

    def kill_at_the_third(received: Received) -> str | None:
        if received.subject == "mail 2":  # the server never answers: the sender dies
            loop.call_soon_threadsafe(task.cancel)
            return "hang"
        return None

    collector.answer = kill_at_the_third
    with pytest.raises(asyncio.CancelledError):
        await task
    collector.answer = None
    assert sorted(m.subject for m in collector.messages) == ["mail 0", "mail 1"]
    statuses = [r.status for r in await _rows(world.ctx)]
    assert statuses == ["sent", "sent", "sending", "sending", "sending", "sending"]
    # restarted at once: the dead sender's claims are still leased, nothing is taken
    assert (await MailSender(world.ctx, smtp_config).drain()).sent == 0
    clock.advance(seconds=RetryPolicy().lease.total_seconds() + 1)
    report = await MailSender(world.ctx, smtp_config).drain()
    assert report.sent == 4
    assert sorted(collector.by_id().values()) == [1] * 6
    assert sorted(m.subject for m in collector.messages) == [f"mail {i}" for i in range(6)]


async def test_two_senders_never_send_one_email_twice(
    world: World, database: Database, smtp: tuple[Collector, int], smtp_config: SmtpConfig
) -> None:
    """Two senders as two processes would be: each its own engine and connections; the
    server is slow enough that their batches overlap."""
    await _queue(world.ctx, world.reseller_id, 30)
    collector, _ = smtp

    def slowly(_received: Received) -> None:
        time.sleep(0.01)  # the server's thread: the claims of the other sender go on

    collector.answer = slowly
    other = create_engine(database.url, search_path=database.search_path)
    try:
        ctx2 = ServicesContext(
            make_sessionmaker(other), world.ctx.bus, world.ctx.cipher, world.ctx.clock
        )
        senders = [
            MailSender(world.ctx, smtp_config, batch=4),
            MailSender(ctx2, smtp_config, batch=4),
        ]
        reports = await asyncio.gather(*(s.drain() for s in senders))
    finally:
        await other.dispose()
    assert all(r.sent > 0 for r in reports)  # both did part of the work
    assert sum(r.sent for r in reports) == 30
    assert len(smtp[0].by_id()) == 30
    assert set(smtp[0].by_id().values()) == {1}
    assert {r.status for r in await _rows(world.ctx)} == {"sent"}


async def test_a_temporary_failure_is_retried_with_backoff_then_given_up(
    world: World, clock: Clock, smtp: tuple[Collector, int], smtp_config: SmtpConfig
) -> None:
    collector, _ = smtp
    collector.answer = lambda _m: "451 4.3.0 try later"
    await _queue(world.ctx, world.reseller_id, 1)
    policy = RetryPolicy(max_attempts=3, base=timedelta(seconds=10))
    sender = MailSender(world.ctx, smtp_config, policy=policy)
    assert (await sender.run_once()).retried == 1
    [row] = await _rows(world.ctx)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "451" in row.last_error
    assert (await sender.run_once()).retried == 0  # not due before its backoff
    clock.advance(seconds=10)
    assert (await sender.run_once()).retried == 1
    clock.advance(seconds=19)
    assert (await sender.run_once()).retried == 0  # the second backoff is 20 s
    clock.advance(seconds=1)
    report = await sender.run_once()
    assert report.failed == 1
    [row] = await _rows(world.ctx)
    assert row.status == "failed"
    assert row.last_error.startswith("gave up after 3 attempts: ")
    assert "451" in row.last_error
    assert row.body == ""
    assert collector.messages == []


async def test_a_permanent_refusal_fails_at_once_with_the_reason(
    world: World, smtp: tuple[Collector, int], smtp_config: SmtpConfig
) -> None:
    smtp[0].answer = lambda _m: "550 5.1.1 no such mailbox"
    await _queue(world.ctx, world.reseller_id, 1)
    report = await MailSender(world.ctx, smtp_config).run_once()
    assert report.failed == 1
    [row] = await _rows(world.ctx)
    assert row.status == "failed"
    assert "550" in row.last_error
    assert row.last_error.startswith("refused: ")


async def test_an_unreachable_server_keeps_the_emails_queued(world: World, clock: Clock) -> None:
    from tests.smtp_server import free_port

    await _queue(world.ctx, world.reseller_id, 2)
    config = SmtpConfig(host="127.0.0.1", port=free_port(), sender="b@pulsebill.test", timeout=2)
    report = await MailSender(world.ctx, config).run_once()
    assert report.retried == 2
    async with world.ctx.read() as uow:
        pending = await uow.session.scalar(
            select(func.count()).where(col(MailOutbox.status) == "pending")
        )
    assert pending == 2


async def test_a_login_refusal_is_the_servers_fault_and_keeps_the_emails(
    world: World, smtp: tuple[Collector, int]
) -> None:
    await _queue(world.ctx, world.reseller_id, 3)
    config = SmtpConfig(
        host="127.0.0.1", port=smtp[1], sender="b@pulsebill.test", username="u", password="pw"
    )  # this server offers no AUTH
    report = await MailSender(world.ctx, config).run_once()
    assert (report.retried, report.failed) == (3, 0)
    rows = await _rows(world.ctx)
    assert {r.status for r in rows} == {"pending"}
    assert "pw" not in rows[0].last_error
    assert smtp[0].messages == []


async def test_an_address_that_cannot_be_a_header_fails_alone(
    world: World, smtp: tuple[Collector, int], smtp_config: SmtpConfig
) -> None:
    async with world.ctx.unit_of_work() as uow:
        for recipient in ("bad@example.com\r\nBcc: victim@example.com", "good@example.com"):
            mail = OutgoingMail(world.reseller_id, None, "t", recipient, "A", "", "s", "b", "")
            await enqueue(uow.session, world.ctx.cipher, mail, world.ctx.now())
    report = await MailSender(world.ctx, smtp_config).run_once()
    assert (report.sent, report.failed) == (1, 1)
    assert [m.rcpt_tos for m in smtp[0].messages] == [["good@example.com"]]
