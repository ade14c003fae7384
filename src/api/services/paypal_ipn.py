"""PayPal IPN messages: stored as received, claimed for verification, then settled.

The verification itself (the postback to PayPal) is the adapter's work
(:mod:`api.payments`); this module owns the rows and the money:

1. :func:`store_message` keeps every body verbatim, before anything else;
2. :func:`claim_due` / :func:`claim` lease pending messages to one verifier (PostgreSQL:
   ``FOR UPDATE SKIP LOCKED``; SQLite: its single writer), :func:`postpone` puts one back
   with a growing delay when PayPal could not be reached;
3. :func:`settle` applies PayPal's answer: refuse (with the reason kept), ignore, or post the
   payment, its reversal or the cancelled reversal, in the same transaction as a
   ``paypal_payments`` row whose unique key ``(reseller, txn_id, movement)`` makes a
   PayPal transaction move money once, whatever the races.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.errors import NotFound
from api.domain.paypal import (
    Action,
    CustomSigner,
    Ipn,
    MalformedIpn,
    Refusal,
    Status,
    movement_refusal,
    parse_ipn,
    parse_money,
    parse_offered_amounts,
    payment_refusal,
    retry_delay,
)
from api.services.access import reseller_scope
from api.services.context import ServicesContext
from api.services.payments import post_payment_in
from api.store.tables import (
    Client,
    PaypalIpnMessage,
    PaypalPayment,
    PaypalSettings,
    Reseller,
)
from api.store.unit_of_work import UnitOfWork

CLAIM_SECONDS = 120
"""How long a claim lasts: a verifier that died mid-way frees its messages after this."""
HEADERS_KEPT = ("content-type", "content-length", "user-agent", "x-forwarded-for")
MAX_LIST = 100


class Movement(StrEnum):
    """What a ``paypal_payments`` row did to the client's balance."""

    CREDIT = "credit"
    REVERSE = "reverse"
    RESTORE = "restore"


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message leased to one verifier: what the postback needs."""

    id: int
    reseller_id: int
    body: bytes
    sandbox: bool


@dataclass(frozen=True, slots=True)
class IpnMessageView:
    id: int
    received_at: datetime
    status: str
    reason: str
    detail: str
    txn_id: str
    payment_status: str
    client_id: int | None
    attempts: int
    processed_at: datetime | None
    body: bytes


async def store_message(
    ctx: ServicesContext,
    reseller_id: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    remote: str = "",
) -> int | None:
    """Keep an IPN message exactly as received; its id, or ``None`` for no such reseller."""
    ipn = _try_parse(body)
    kept = {name: headers[name][:300] for name in HEADERS_KEPT if name in headers}
    if remote:
        kept["remote-addr"] = remote[:64]
    now = ctx.now()
    async with ctx.unit_of_work() as uow:
        if await uow.session.get(Reseller, reseller_id) is None:
            return None
        message = PaypalIpnMessage(
            reseller_id=reseller_id,
            received_at=now,
            body=body,
            headers=json.dumps(kept, sort_keys=True),
            status=Status.PENDING,
            txn_id=ipn.get("txn_id")[:64] if ipn else "",
            payment_status=ipn.get("payment_status")[:32] if ipn else "",
            next_attempt_at=now,
        )
        uow.session.add(message)
        await uow.session.flush()
        assert message.id is not None
        return message.id


async def claim_due(ctx: ServicesContext, *, limit: int = 20) -> list[Claimed]:
    """Lease up to ``limit`` pending messages whose time has come (oldest first)."""
    now = ctx.now()
    async with ctx.unit_of_work() as uow:
        query = (
            select(col(PaypalIpnMessage.id))
            .where(_claimable(now), col(PaypalIpnMessage.next_attempt_at) <= now)
            .order_by(col(PaypalIpnMessage.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = [int(id_ or 0) for id_ in await uow.session.scalars(query)]
        return await _lease(uow, ids, now)


async def claim(ctx: ServicesContext, message_id: int) -> Claimed | None:
    """Lease one pending message now (the path right after it arrived); ``None`` when it
    is settled or another verifier holds it."""
    now = ctx.now()
    async with ctx.unit_of_work() as uow:
        query = (
            select(col(PaypalIpnMessage.id))
            .where(col(PaypalIpnMessage.id) == message_id, _claimable(now))
            .with_for_update(skip_locked=True)
        )
        ids = [int(id_ or 0) for id_ in await uow.session.scalars(query)]
        leased = await _lease(uow, ids, now)
        return leased[0] if leased else None


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(
        col(PaypalIpnMessage.status) == Status.PENDING,
        or_(
            col(PaypalIpnMessage.claimed_until).is_(None),
            col(PaypalIpnMessage.claimed_until) < now,
        ),
    )


async def _lease(uow: UnitOfWork, ids: list[int], now: datetime) -> list[Claimed]:
    if not ids:
        return []
    until = now + timedelta(seconds=CLAIM_SECONDS)
    result = await uow.session.execute(
        update(PaypalIpnMessage)
        .where(col(PaypalIpnMessage.id).in_(ids), _claimable(now))
        .values(claimed_until=until, attempts=col(PaypalIpnMessage.attempts) + 1)
        .returning(col(PaypalIpnMessage.id))
        .execution_options(synchronize_session=False)
    )
    leased = [int(row[0] or 0) for row in result]
    if not leased:
        return []
    rows = await uow.session.execute(
        select(
            col(PaypalIpnMessage.id),
            col(PaypalIpnMessage.reseller_id),
            col(PaypalIpnMessage.body),
            col(PaypalSettings.sandbox),
        )
        .outerjoin(
            PaypalSettings, col(PaypalSettings.reseller_id) == col(PaypalIpnMessage.reseller_id)
        )
        .where(col(PaypalIpnMessage.id).in_(leased))
        .order_by(col(PaypalIpnMessage.id))
    )
    return [
        Claimed(int(id_ or 0), reseller, bytes(body), bool(sandbox))
        for id_, reseller, body, sandbox in rows
    ]


async def postpone(ctx: ServicesContext, message_id: int, problem: str) -> datetime:
    """PayPal could not answer: free the claim and retry later (doubling delays)."""
    now = ctx.now()
    async with ctx.unit_of_work() as uow:
        message = await uow.session.get(PaypalIpnMessage, message_id, with_for_update=True)
        if message is None or message.status != Status.PENDING:
            return now
        message.next_attempt_at = now + timedelta(seconds=retry_delay(message.attempts))
        message.claimed_until = None
        message.detail = f"verification unavailable: {problem}"[:200]
        return message.next_attempt_at


@dataclass(frozen=True, slots=True)
class _Outcome:
    status: Status
    reason: str = ""
    detail: str = ""
    client_id: int | None = None


class _Refused(Exception):
    def __init__(self, reason: Refusal, detail: str = "") -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.detail = detail


async def settle(
    ctx: ServicesContext, signer: CustomSigner, message_id: int, *, verified: bool
) -> Status:
    """Apply PayPal's verdict on a claimed message (``verified``: it answered ``VERIFIED``;
    else ``INVALID``). Moves money at most once per PayPal transaction; a message already
    settled is left as it is.

    When a concurrent message of the same transaction wins the unique key, this one's
    transaction rolls back and is settled again: it then sees the twin (``duplicate``).
    """
    try:
        return await _settle(ctx, signer, message_id, verified=verified)
    except IntegrityError:
        return await _settle(ctx, signer, message_id, verified=verified)


async def _settle(
    ctx: ServicesContext, signer: CustomSigner, message_id: int, *, verified: bool
) -> Status:
    async with ctx.unit_of_work() as uow:
        message = await uow.session.get(
            PaypalIpnMessage, message_id, with_for_update=True, populate_existing=True
        )
        if message is None:
            raise NotFound("IPN message", message_id)
        if message.status != Status.PENDING:
            return Status(message.status)
        try:
            outcome = await _apply(uow, signer, message, verified=verified, at=ctx.now())
        except _Refused as refused:
            outcome = _Outcome(Status.REFUSED, refused.reason.value, refused.detail)
        _record(message, outcome, ctx.now())
        return outcome.status


def _record(message: PaypalIpnMessage, outcome: _Outcome, now: datetime) -> None:
    message.status = outcome.status
    message.reason = outcome.reason
    message.detail = outcome.detail[:200]
    message.client_id = outcome.client_id
    message.claimed_until = None
    message.processed_at = now


async def _apply(
    uow: UnitOfWork,
    signer: CustomSigner,
    message: PaypalIpnMessage,
    *,
    verified: bool,
    at: datetime,
) -> _Outcome:
    if not verified:
        raise _Refused(Refusal.INVALID, "PayPal answered INVALID")
    try:
        ipn = parse_ipn(message.body)
    except MalformedIpn as exc:
        raise _Refused(Refusal.MALFORMED, str(exc)) from None
    settings = await uow.session.get(PaypalSettings, message.reseller_id)
    if settings is None or not settings.enabled:
        raise _Refused(Refusal.PAYPAL_OFF, "PayPal is switched off in the settings")
    reseller = await uow.session.get(Reseller, message.reseller_id)
    assert reseller is not None
    action = ipn.action
    if action in {Action.WAIT, Action.IGNORE}:
        status = ipn.get("payment_status") or "none"
        return _Outcome(Status.IGNORED, detail=f"payment_status {status}: nothing to post")
    try:
        if action is Action.CREDIT:
            return await _credit(uow, signer, message, ipn, settings, reseller, at)
        return await _reverse_or_restore(uow, message, ipn, settings, reseller, action, at)
    except MalformedIpn as exc:
        raise _Refused(Refusal.MALFORMED, str(exc)) from None


async def _credit(
    uow: UnitOfWork,
    signer: CustomSigner,
    message: PaypalIpnMessage,
    ipn: Ipn,
    settings: PaypalSettings,
    reseller: Reseller,
    at: datetime,
) -> _Outcome:
    assert reseller.id is not None
    refusal = payment_refusal(
        ipn,
        receiver_email=settings.email,
        currency=reseller.currency,
        offered=parse_offered_amounts(settings.amounts),
    )
    if refusal is not None:
        raise _Refused(refusal)
    txn_id = _txn_id(ipn.get("txn_id"))
    client_id = signer.client_id(reseller.id, ipn.get("custom"))
    client = None if client_id is None else await uow.session.get(Client, client_id)
    if client is None or client.reseller_id != reseller.id or client.status != "active":
        raise _Refused(Refusal.UNKNOWN_CLIENT, "custom is not a client of ours, or it is closed")
    if await _posted(uow, reseller.id, txn_id, Movement.CREDIT) is not None:
        raise _Refused(Refusal.DUPLICATE, f"txn_id {txn_id} was credited already")
    gross = parse_money(ipn.get("mc_gross"), reseller.currency)
    fee = parse_money(ipn.get("mc_fee") or "0", reseller.currency, field="mc_fee")
    assert client.id is not None
    await _post(
        uow, reseller, client.id, message, (txn_id, txn_id), Movement.CREDIT, gross, fee, at
    )
    return _Outcome(Status.CREDITED, client_id=client.id)


async def _reverse_or_restore(
    uow: UnitOfWork,
    message: PaypalIpnMessage,
    ipn: Ipn,
    settings: PaypalSettings,
    reseller: Reseller,
    action: Action,
    at: datetime,
) -> _Outcome:
    assert reseller.id is not None
    refusal = movement_refusal(ipn, receiver_email=settings.email, currency=reseller.currency)
    if refusal is not None:
        raise _Refused(refusal, "" if refusal is not Refusal.MALFORMED else "no parent_txn_id")
    parent = _txn_id(ipn.get("parent_txn_id"), "parent_txn_id")
    own_txn = ipn.get("txn_id")[:64]
    fee = parse_money(ipn.get("mc_fee") or "0", reseller.currency, field="mc_fee")
    if action is Action.REVERSE:
        paid = await _posted(uow, reseller.id, parent, Movement.CREDIT)
        if paid is None:
            raise _Refused(Refusal.UNKNOWN_PAYMENT, f"no credited payment {parent}")
        if await _posted(uow, reseller.id, parent, Movement.REVERSE) is not None:
            raise _Refused(Refusal.DUPLICATE, f"payment {parent} was reversed already")
        gross = parse_money(ipn.get("mc_gross"), reseller.currency)
        if not 0 < -gross <= paid.amount:
            raise _Refused(Refusal.MALFORMED, "mc_gross is not a refund of that payment")
        movement, amount, status = Movement.REVERSE, gross, Status.REVERSED
        client_id = paid.client_id
    else:
        reversed_ = await _posted(uow, reseller.id, parent, Movement.REVERSE)
        if reversed_ is None:
            raise _Refused(Refusal.UNKNOWN_PAYMENT, f"no reversed payment {parent}")
        if await _posted(uow, reseller.id, parent, Movement.RESTORE) is not None:
            raise _Refused(Refusal.DUPLICATE, f"payment {parent} was restored already")
        movement, amount, status = Movement.RESTORE, -reversed_.amount, Status.RESTORED
        client_id = reversed_.client_id
    await _post(uow, reseller, client_id, message, (parent, own_txn), movement, amount, fee, at)
    return _Outcome(status, client_id=client_id)


def _txn_id(value: str, field: str = "txn_id") -> str:
    if not value or len(value) > 64 or not value.isascii() or not value.isalnum():
        raise MalformedIpn(f"{field} is missing or not a PayPal transaction id")
    return value


async def _posted(
    uow: UnitOfWork, reseller_id: int, txn_id: str, movement: str
) -> PaypalPayment | None:
    """A look-up to refuse early with a clear reason; the unique key is the guarantee."""
    found = await uow.session.scalars(
        select(PaypalPayment).where(
            col(PaypalPayment.reseller_id) == reseller_id,
            col(PaypalPayment.txn_id) == txn_id,
            col(PaypalPayment.movement) == movement,
        )
    )
    return found.first()


async def _post(
    uow: UnitOfWork,
    reseller: Reseller,
    client_id: int,
    message: PaypalIpnMessage,
    txn_ids: tuple[str, str],
    movement: Movement,
    amount: int,
    fee: int,
    at: datetime,
) -> None:
    """Post ``amount`` and the row that makes it unique; ``txn_ids``: the payment's
    (``parent_txn_id`` for a reversal) and the message's own."""
    assert reseller.id is not None
    assert message.id is not None
    txn_id, message_txn_id = txn_ids
    words = {Movement.CREDIT: "payment", Movement.REVERSE: "reversal", Movement.RESTORE: "restored"}
    posted = await post_payment_in(
        uow,
        reseller,
        client_id,
        amount,
        method="paypal",
        description=f"PayPal {words[movement]} {txn_id}",
        key=f"paypal:{reseller.id}:{movement}:{txn_id}",
        at=at,
    )
    uow.session.add(
        PaypalPayment(
            reseller_id=reseller.id,
            client_id=client_id,
            txn_id=txn_id,
            movement=movement,
            message_txn_id=message_txn_id,
            amount=amount,
            fee=fee,
            transaction_id=posted.transaction_id,
            message_id=message.id,
            created_at=at,
        )
    )
    await uow.session.flush()


async def list_messages(
    ctx: ServicesContext,
    actor: Actor,
    *,
    status: str | None = None,
    before: int | None = None,
    limit: int = MAX_LIST,
    reseller_id: int | None = None,
) -> list[IpnMessageView]:
    """The reseller's IPN messages, newest first (``before``: ids below it)."""
    tenant = reseller_scope(actor, reseller_id)
    query = select(PaypalIpnMessage).where(col(PaypalIpnMessage.reseller_id) == tenant)
    if status is not None:
        query = query.where(col(PaypalIpnMessage.status) == status)
    if before is not None:
        query = query.where(col(PaypalIpnMessage.id) < before)
    query = query.order_by(col(PaypalIpnMessage.id).desc()).limit(max(1, min(limit, MAX_LIST)))
    async with ctx.read() as uow:
        rows = list(await uow.session.scalars(query))
        return [
            IpnMessageView(
                id=row.id or 0,
                received_at=row.received_at,
                status=row.status,
                reason=row.reason,
                detail=row.detail,
                txn_id=row.txn_id,
                payment_status=row.payment_status,
                client_id=row.client_id,
                attempts=row.attempts,
                processed_at=row.processed_at,
                body=bytes(row.body),
            )
            for row in rows
        ]


def _try_parse(body: bytes) -> Ipn | None:
    try:
        return parse_ipn(body)
    except MalformedIpn:
        return None
