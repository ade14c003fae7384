"""The IPN endpoint end to end: stored as received, verified verbatim by a real (fake)
PayPal on 127.0.0.1, credited once; refusals keep their reason. Both databases."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from api.domain.paypal import Status
from api.events import BalanceChanged, Event, SuspensionChanged
from api.services import clients, payments, paypal_ipn, paypal_settings
from api.services.records import ClientView
from api.store.tables import LedgerTransaction, PaypalIpnMessage, PaypalPayment
from tests.api.payments.conftest import Shop
from tests.api.payments.fake_paypal import FakePaypal, encode, reversal, web_accept

TEN = 10_000_000


async def _messages(shop: Shop) -> list[PaypalIpnMessage]:
    async with shop.database.sessionmaker() as session:
        return list(
            await session.scalars(select(PaypalIpnMessage).order_by(col(PaypalIpnMessage.id)))
        )


async def _paypal_transactions(shop: Shop) -> int:
    async with shop.database.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).where(col(LedgerTransaction.method) == "paypal")
        )
        return int(count or 0)


async def test_a_verified_payment_is_credited_once_with_its_fee(
    shop: Shop, fake_paypal: FakePaypal
) -> None:
    client = await shop.client("Alice", balance_type="hard")
    body = fake_paypal.issue(
        web_accept("61E67681CH3238416", shop.signer.sign(shop.reseller_id, client))
    )

    response = await shop.deliver(body)

    assert (response.status_code, response.content) == (200, b"")
    assert await shop.balance(client) == TEN
    assert fake_paypal.postbacks == [b"cmd=_notify-validate&" + body]
    assert fake_paypal.content_types == ["application/x-www-form-urlencoded; charset=windows-1252"]
    (message,) = await _messages(shop)
    assert (message.status, message.reason, message.txn_id) == ("credited", "", "61E67681CH3238416")
    assert message.body == body
    assert json.loads(message.headers)["content-type"] == "application/x-www-form-urlencoded"
    async with shop.database.sessionmaker() as session:
        (payment,) = await session.scalars(select(PaypalPayment))
        tx = await session.get(LedgerTransaction, payment.transaction_id)
    assert (payment.amount, payment.fee, payment.client_id) == (TEN, 590_000, client)
    assert tx is not None
    assert (tx.kind, tx.method) == ("payment", "paypal")
    assert "61E67681CH3238416" in tx.description
    view = await shop.balance(client)
    assert view == TEN


async def test_the_windows_1252_body_goes_back_unchanged(
    shop: Shop, fake_paypal: FakePaypal
) -> None:
    client = await shop.client("Bob")
    body = fake_paypal.issue(
        web_accept("8AB12345CD6789012", shop.signer.sign(shop.reseller_id, client))
    )
    assert b"Jos%E9" in body  # é in windows-1252, not UTF-8 (%C3%A9)

    await shop.deliver(body)

    assert fake_paypal.postbacks[-1] == b"cmd=_notify-validate&" + body
    assert await shop.balance(client) == TEN


async def test_a_utf8_body_is_read_in_its_own_charset(shop: Shop, fake_paypal: FakePaypal) -> None:
    client = await shop.client("Carol")
    fields = web_accept(
        "1UT8000000000001A", shop.signer.sign(shop.reseller_id, client), charset="UTF-8"
    )
    body = fake_paypal.issue(fields)
    assert b"Jos%C3%A9" in body

    await shop.deliver(body)

    assert fake_paypal.postbacks[-1] == b"cmd=_notify-validate&" + body
    assert fake_paypal.content_types[-1].endswith("charset=UTF-8")
    assert await shop.balance(client) == TEN


async def test_twenty_concurrent_deliveries_credit_once_and_a_day_later_none(
    shop: Shop, fake_paypal: FakePaypal
) -> None:
    client = await shop.client("Dora", balance_type="hard")
    body = fake_paypal.issue(
        web_accept("9XY00000000000020", shop.signer.sign(shop.reseller_id, client), gross="20.00")
    )

    responses = await asyncio.gather(*(shop.deliver(body) for _ in range(20)))

    assert {(r.status_code, r.content) for r in responses} == {(200, b"")}
    assert await shop.balance(client) == 20_000_000
    assert await _paypal_transactions(shop) == 1
    statuses = sorted((m.status, m.reason) for m in await _messages(shop))
    assert statuses == [("credited", "")] + [("refused", "duplicate")] * 19

    shop.clock.advance(days=1)
    await shop.deliver(body)

    assert await shop.balance(client) == 20_000_000
    assert await _paypal_transactions(shop) == 1
    last = (await _messages(shop))[-1]
    assert (last.status, last.reason) == ("refused", "duplicate")


async def test_tampered_messages_credit_nothing_and_keep_their_reason(
    shop: Shop, fake_paypal: FakePaypal
) -> None:
    client = await shop.client("Eve")
    other = await shop.client("Mallory")
    custom = shop.signer.sign(shop.reseller_id, client)
    genuine = web_accept("0TAMPER0000000001", custom)
    cases = {
        "invalid": [("mc_gross", "50.00") if k == "mc_gross" else (k, v) for k, v in genuine],
        "wrong receiver": web_accept("0TAMPER0000000002", custom, receiver="thief@evil.example"),
        "wrong currency": web_accept("0TAMPER0000000003", custom, currency="EUR"),
        "amount not offered": web_accept("0TAMPER0000000004", custom, gross="15.00"),
        "unknown client": web_accept(
            "0TAMPER0000000005", custom.replace(f"c{client}.", f"c{other}.")
        ),
    }
    fake_paypal.issue(genuine)
    for reason, fields in cases.items():
        body = fake_paypal.issue(fields) if reason != "invalid" else encode(fields)
        response = await shop.deliver(body)
        assert response.status_code == 200
        last = (await _messages(shop))[-1]
        assert (last.status, last.reason) == ("refused", reason), reason

    assert await shop.balance(client) == 0
    assert await shop.balance(other) == 0
    assert await _paypal_transactions(shop) == 0


async def test_a_closed_or_foreign_client_is_unknown(shop: Shop, fake_paypal: FakePaypal) -> None:
    client = await shop.client("Frank")
    await clients.close_client(shop.state.services, shop.reseller, client)
    body = fake_paypal.issue(
        web_accept("CLOSED00000000001", shop.signer.sign(shop.reseller_id, client))
    )
    await shop.deliver(body)
    # signed for another reseller: the signature does not hold here
    foreign = fake_paypal.issue(
        web_accept("FOREIGN0000000001", shop.signer.sign(shop.reseller_id + 1, client))
    )
    await shop.deliver(foreign)

    reasons = [(m.status, m.reason) for m in await _messages(shop)]
    assert reasons == [("refused", "unknown client")] * 2
    assert await _paypal_transactions(shop) == 0


async def test_paypal_down_leaves_the_message_pending_then_credits_once(
    shop: Shop, fake_paypal: FakePaypal
) -> None:
    client = await shop.client("Gina", balance_type="hard")
    body = fake_paypal.issue(
        web_accept("DOWN0000000000001", shop.signer.sign(shop.reseller_id, client))
    )
    fake_paypal.stop()

    response = await shop.deliver(body)

    assert (response.status_code, response.content) == (200, b"")
    (message,) = await _messages(shop)
    assert message.status == "pending"
    assert message.detail.startswith("verification unavailable: ConnectError")
    assert await shop.balance(client) == 0
    verifier = shop.verifier
    assert await verifier.run_once() == {}  # not due yet (30 s back-off)
    shop.clock.advance(seconds=31)
    assert await verifier.run_once() == {"retry": 1}  # still down: 60 s now
    assert await shop.balance(client) == 0

    fake_paypal.start()
    shop.clock.advance(seconds=61)
    assert await verifier.run_once() == {"credited": 1}
    assert await verifier.run_once() == {}
    assert await shop.balance(client) == TEN
    (message,) = await _messages(shop)
    assert (message.status, message.attempts) == ("credited", 3)


async def test_a_claimed_message_is_not_claimed_twice(shop: Shop, fake_paypal: FakePaypal) -> None:
    client = await shop.client("Hugo")
    body = fake_paypal.issue(
        web_accept("CLAIM000000000001", shop.signer.sign(shop.reseller_id, client))
    )
    message_id = await paypal_ipn.store_message(shop.state.services, shop.reseller_id, body, {})
    assert message_id is not None

    first = await paypal_ipn.claim_due(shop.state.services)
    second = await paypal_ipn.claim_due(shop.state.services)
    again = await paypal_ipn.claim(shop.state.services, message_id)

    assert [c.id for c in first] == [message_id]
    assert (second, again) == ([], None)
    shop.clock.advance(seconds=paypal_ipn.CLAIM_SECONDS + 1)  # its verifier died: freed
    assert [c.id for c in await paypal_ipn.claim_due(shop.state.services)] == [message_id]
    status = await paypal_ipn.settle(shop.state.services, shop.signer, message_id, verified=True)
    assert status is Status.CREDITED
    assert (
        await paypal_ipn.settle(shop.state.services, shop.signer, message_id, verified=True)
        is Status.CREDITED
    )
    assert await shop.balance(client) == TEN


async def test_refund_then_reversal_cancel_follow_the_balance(
    shop: Shop, fake_paypal: FakePaypal
) -> None:
    client = await shop.client("Ivy", balance_type="hard")
    custom = shop.signer.sign(shop.reseller_id, client)
    paid = fake_paypal.issue(web_accept("PAY00000000000050", custom, gross="50.00", fee="1.75"))
    await shop.deliver(paid)
    assert await shop.balance(client) == 50_000_000

    chargeback = fake_paypal.issue(
        reversal(
            "REV00000000000001",
            "PAY00000000000050",
            custom,
            status="Reversed",
            gross="-50.00",
            fee="-1.75",
        )
    )
    await shop.deliver(chargeback)
    await shop.deliver(chargeback)  # PayPal resends
    assert await shop.balance(client) == 0

    cancelled = fake_paypal.issue(
        reversal(
            "CAN00000000000001",
            "PAY00000000000050",
            custom,
            status="Canceled_Reversal",
            gross="50.00",
            fee="1.75",
        )
    )
    await shop.deliver(cancelled)
    await shop.deliver(cancelled)
    assert await shop.balance(client) == 50_000_000

    refund = fake_paypal.issue(
        reversal(
            "REF00000000000001",
            "PAY00000000000050",
            custom,
            status="Refunded",
            gross="-50.00",
            fee="-1.45",
        )
    )
    await shop.deliver(refund)  # the payment was reversed once already: not again
    statuses = [(m.payment_status, m.status, m.reason) for m in await _messages(shop)]
    assert statuses == [
        ("Completed", "credited", ""),
        ("Reversed", "reversed", ""),
        ("Reversed", "refused", "duplicate"),
        ("Canceled_Reversal", "restored", ""),
        ("Canceled_Reversal", "refused", "duplicate"),
        ("Refunded", "refused", "duplicate"),
    ]
    assert await shop.balance(client) == 50_000_000
    async with shop.database.sessionmaker() as session:
        rows = (
            await session.execute(
                select(
                    col(PaypalPayment.movement), col(PaypalPayment.amount), col(PaypalPayment.fee)
                ).order_by(col(PaypalPayment.id))
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("credit", 50_000_000, 1_750_000),
        ("reverse", -50_000_000, -1_750_000),
        ("restore", 50_000_000, 1_750_000),
    ]


async def test_a_partial_refund_posts_its_amount(shop: Shop, fake_paypal: FakePaypal) -> None:
    client = await shop.client("Jack")
    custom = shop.signer.sign(shop.reseller_id, client)
    await shop.deliver(fake_paypal.issue(web_accept("PAY00000000000020", custom, gross="20.00")))
    too_much = fake_paypal.issue(
        reversal(
            "REF00000000000009", "PAY00000000000020", custom, status="Refunded", gross="-25.00"
        )
    )
    unknown = fake_paypal.issue(
        reversal("REF00000000000008", "NOPE0000000000000", custom, status="Refunded", gross="-5.00")
    )
    partial = fake_paypal.issue(
        reversal("REF00000000000007", "PAY00000000000020", custom, status="Refunded", gross="-5.00")
    )
    for body in (too_much, unknown, partial):
        await shop.deliver(body)

    assert await shop.balance(client) == 15_000_000
    reasons = [(m.status, m.reason) for m in await _messages(shop)][1:]
    assert reasons == [("refused", "malformed"), ("refused", "unknown payment"), ("reversed", "")]


async def test_pending_credits_nothing_until_completed(shop: Shop, fake_paypal: FakePaypal) -> None:
    client = await shop.client("Kim", balance_type="hard")
    custom = shop.signer.sign(shop.reseller_id, client)
    await shop.deliver(
        fake_paypal.issue(
            web_accept("ECHECK00000000001", custom, status="Pending", pending_reason="echeck")
        )
    )
    assert await shop.balance(client) == 0
    await shop.deliver(fake_paypal.issue(web_accept("ECHECK00000000001", custom)))

    assert await shop.balance(client) == TEN
    assert [(m.status, m.payment_status) for m in await _messages(shop)] == [
        ("ignored", "Pending"),
        ("credited", "Completed"),
    ]


async def test_a_payment_lifts_a_hard_clients_suspension(
    shop: Shop, fake_paypal: FakePaypal
) -> None:
    client = await shop.client("Liam", balance_type="hard")
    await payments.add_charge(shop.state.services, shop.reseller, client, 5_000_000)
    view = await _client(shop, client)
    assert view.suspended
    events: list[Event] = []
    shop.state.bus.add_listener(events.append)
    await shop.deliver(
        fake_paypal.issue(
            web_accept("LIFT0000000000001", shop.signer.sign(shop.reseller_id, client))
        )
    )

    view = await _client(shop, client)
    assert (view.balance, view.suspended) == (5_000_000, False)
    at = shop.clock.now
    assert BalanceChanged(shop.reseller_id, client, 5_000_000, "USD", at) in events
    assert SuspensionChanged(shop.reseller_id, client, False, at) in events


async def _client(shop: Shop, client_id: int) -> ClientView:
    return await clients.get_client(shop.state.services, shop.reseller, client_id)


async def test_unknown_codes_answer_404_and_store_nothing(shop: Shop) -> None:
    for code in ("999999", "abc", "0100001", "100000"):
        response = await shop.http.post(f"/paypal/ipn/{code}", content=b"txn_id=1")
        assert (response.status_code, response.content) == (404, b""), code
    assert await _messages(shop) == []


async def test_paypal_off_keeps_the_message_and_credits_nothing(
    shop: Shop, fake_paypal: FakePaypal
) -> None:
    client = await shop.client("Mia")
    await paypal_settings.set_paypal_settings(
        shop.state.services, shop.reseller, enabled=False, email="", amounts=[], sandbox=True
    )
    await shop.deliver(
        fake_paypal.issue(
            web_accept("OFF00000000000001", shop.signer.sign(shop.reseller_id, client))
        )
    )

    (message,) = await _messages(shop)
    assert (message.status, message.reason) == ("refused", "paypal off")
    assert await shop.balance(client) == 0


async def test_the_unique_key_refuses_a_second_credit_row_without_any_look_up(
    shop: Shop, fake_paypal: FakePaypal
) -> None:
    client = await shop.client("Nora")
    body = fake_paypal.issue(
        web_accept("UNIQ0000000000001", shop.signer.sign(shop.reseller_id, client))
    )
    await shop.deliver(body)
    async with shop.database.sessionmaker() as session:
        (row,) = await session.scalars(select(PaypalPayment))
        twin = PaypalPayment(
            reseller_id=row.reseller_id, client_id=row.client_id, txn_id=row.txn_id,
            movement=row.movement, amount=row.amount, fee=row.fee,
            transaction_id=row.transaction_id, message_id=row.message_id,
            created_at=row.created_at,
        )  # fmt: skip
        session.add(twin)
        with pytest.raises(IntegrityError):
            await session.flush()
        await session.rollback()
