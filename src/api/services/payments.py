"""Manual (or PayPal) payments and charges on a client's balance: ledger transactions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.balance_rules import BalanceType
from api.domain.errors import Conflict, InvalidInput
from api.domain.ledger import TransactionDraft, TransactionKind
from api.services.access import reseller_scope
from api.services.client_money import after_balance_change
from api.services.context import ServicesContext
from api.services.idempotency import (
    FirstResult,
    KeyedRequest,
    first_result,
    keyed_request,
    remember,
)
from api.services.records import MoneyMovement
from api.services.tenancy import load_client, load_reseller
from api.store.ledger import Posted
from api.store.tables import LedgerEntry, LedgerTransaction, Reseller
from api.store.unit_of_work import UnitOfWork
from ratelang.money import format_money

PAYMENT_METHODS = frozenset({"manual", "paypal"})
MAX_DESCRIPTION = 500
MAX_AMOUNT = 10**15  # one billion units of a currency, in micro-units


async def add_payment(
    ctx: ServicesContext,
    actor: Actor,
    client_id: int,
    amount: int,
    *,
    description: str = "",
    method: str = "manual",
    key: str | None = None,
    reseller_id: int | None = None,
    idempotency_key: str | None = None,
) -> MoneyMovement:
    """Credit ``amount`` (> 0 micro-units) to the client. A payment that brings a hard
    client above 0 lifts its suspension. ``key`` (e.g. a PayPal transaction id) makes it
    idempotent: the same key again returns the first payment. ``idempotency_key``: the
    caller's retry key (:mod:`api.services.idempotency`).

    A *closed* client accepts a payment only to settle its debt: while its balance is
    negative, and at most the debt (a payment that would leave it in credit, or one to a
    closed client that owes nothing, is a :class:`Conflict`)."""
    tenant = reseller_scope(actor, reseller_id)
    _check(amount, description)
    if method not in PAYMENT_METHODS:
        raise InvalidInput("method", f"must be one of {', '.join(sorted(PAYMENT_METHODS))}")
    return await _post(
        ctx, tenant, client_id, TransactionKind.PAYMENT, amount, description, method, key, False,
        idempotency_key,
    )  # fmt: skip


async def add_charge(
    ctx: ServicesContext,
    actor: Actor,
    client_id: int,
    amount: int,
    *,
    description: str = "",
    allow_overdraft: bool = True,
    key: str | None = None,
    reseller_id: int | None = None,
    idempotency_key: str | None = None,
) -> MoneyMovement:
    """Debit ``amount`` (> 0 micro-units) from the client, for the reseller.

    Like fees, charges may drive a hard client below zero (which suspends it). With
    ``allow_overdraft=False`` a charge that would take a *hard* client below zero is
    refused with :class:`InsufficientBalance` and nothing is posted; the check and the
    debit are one atomic statement, so concurrent charges never overdraw together.
    ``idempotency_key``: the caller's retry key (:mod:`api.services.idempotency`).
    """
    tenant = reseller_scope(actor, reseller_id)
    _check(amount, description)
    return await _post(
        ctx,
        tenant,
        client_id,
        TransactionKind.CHARGE,
        amount,
        description,
        "manual",
        key,
        not allow_overdraft,
        idempotency_key,
    )


async def _post(
    ctx: ServicesContext,
    tenant: int,
    client_id: int,
    kind: TransactionKind,
    amount: int,
    description: str,
    method: str,
    key: str | None,
    floor_at_zero: bool,
    idempotency_key: str | None = None,
) -> MoneyMovement:
    ledger_key = None if key is None else f"{kind.value}:{tenant}:{key}"[:200]
    keyed = keyed_request(
        idempotency_key, operation=kind.value, client_id=client_id, amount=amount,
        description=description, method=method, key=key, floor_at_zero=floor_at_zero,
    )  # fmt: skip
    now = ctx.now()

    def movement(first: FirstResult) -> MoneyMovement:
        return MoneyMovement(
            first.transaction_id, client_id, kind.value, amount, method, description,
            first.balance, first.created_at,
        )  # fmt: skip

    try:
        async with ctx.unit_of_work() as uow:
            if keyed is not None and (first := await first_result(uow, tenant, keyed, now)):
                return movement(first)
            settling = kind is TransactionKind.PAYMENT
            client = await load_client(uow, tenant, client_id, active=not settling)
            if ledger_key is not None and await uow.ledger.key_exists(ledger_key):
                return await _existing(uow, ledger_key, client_id)
            reseller = await load_reseller(uow, tenant)
            accounts = await uow.accounts.tenant_accounts(tenant, client_id)
            if client.status != "active":
                await load_client(uow, tenant, client_id, lock=True)  # one settlement at a time
                _check_settlement(client_id, amount, await uow.accounts.balance(accounts.client))
            draft = TransactionDraft(
                kind, tenant, client_id, description=description, method=method, key=ledger_key
            )
            if kind is TransactionKind.PAYMENT:
                draft.move(amount, debit=accounts.client_funding, credit=accounts.client)
            else:
                draft.move(amount, debit=accounts.client, credit=accounts.reseller_revenue)
            floors = (
                {accounts.client: 0}
                if floor_at_zero and client.balance_type == BalanceType.HARD
                else None
            )
            posted = await uow.ledger.post(draft, now, floors=floors)
            balance = posted.balances[accounts.client]
            await after_balance_change(
                uow,
                tenant,
                client_id,
                balance,
                previous=balance - amount if kind is TransactionKind.PAYMENT else balance + amount,
                currency=reseller.currency,
                default_threshold=reseller.low_balance_threshold,
                at=now,
            )
            result = FirstResult(posted.transaction_id, balance, now)
            if keyed is not None:
                await remember(uow, tenant, keyed, result)
            return movement(result)
    except IntegrityError:
        if keyed is not None and (first := await _first_after_race(ctx, tenant, keyed, now)):
            return movement(first)
        if ledger_key is None:
            raise
        async with ctx.unit_of_work() as uow:  # a concurrent twin won the key
            return await _existing(uow, ledger_key, client_id)


async def _first_after_race(
    ctx: ServicesContext, tenant: int, keyed: KeyedRequest, now: datetime
) -> FirstResult | None:
    """The result of a concurrent twin that stored the idempotency key first."""
    async with ctx.unit_of_work() as uow:
        return await first_result(uow, tenant, keyed, now)


async def _existing(uow: UnitOfWork, key: str, client_id: int) -> MoneyMovement:
    tx = (
        await uow.session.scalars(
            select(LedgerTransaction).where(col(LedgerTransaction.key) == key)
        )
    ).one()
    assert tx.id is not None
    accounts = await uow.accounts.tenant_accounts(tx.reseller_id or 0, client_id)
    amount = await uow.session.scalar(
        select(col(LedgerEntry.amount)).where(
            col(LedgerEntry.transaction_id) == tx.id, col(LedgerEntry.account_id) == accounts.client
        )
    )
    balance = await uow.accounts.balance(accounts.client)
    return MoneyMovement(
        tx.id,
        client_id,
        tx.kind,
        abs(int(amount or 0)),
        tx.method,
        tx.description,
        balance,
        tx.created_at,
    )


def _check_settlement(client_id: int, amount: int, balance: int) -> None:
    """A payment to a closed client may settle its debt, never put it in credit."""
    if balance >= 0:
        raise Conflict(f"client {client_id} is closed and owes nothing")
    if amount > -balance:
        raise Conflict(
            f"client {client_id} is closed: a payment may settle its debt of "
            f"{format_money(-balance)} at most"
        )


def _check(amount: int, description: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput("amount", "must be an integer number of micro-units")
    if not 0 < amount <= MAX_AMOUNT:
        raise InvalidInput("amount", "must be positive")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput("description", f"at most {MAX_DESCRIPTION} characters")


async def post_payment_in(
    uow: UnitOfWork,
    reseller: Reseller,
    client_id: int,
    amount: int,
    *,
    method: str,
    description: str,
    key: str | None,
    at: datetime,
) -> Posted:
    """Post a payment of ``amount`` (negative: its reversal) inside the caller's unit of
    work, with the balance rules (a hard client lifted above 0 is unsuspended, one taken
    below 0 suspended) and the usual events. For use cases that must post in the same
    transaction as their own rows (PayPal); the caller checks the client."""
    assert reseller.id is not None
    accounts = await uow.accounts.tenant_accounts(reseller.id, client_id)
    draft = TransactionDraft(
        TransactionKind.PAYMENT,
        reseller.id,
        client_id,
        description=description,
        method=method,
        key=key,
    )
    draft.move(amount, debit=accounts.client_funding, credit=accounts.client)
    posted = await uow.ledger.post(draft, at)
    balance = posted.balances[accounts.client]
    await after_balance_change(
        uow,
        reseller.id,
        client_id,
        balance,
        previous=balance - amount,
        currency=reseller.currency,
        default_threshold=reseller.low_balance_threshold,
        at=at,
    )
    return posted
