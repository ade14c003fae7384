"""Posting fees idempotently: each fee has a ledger key, so posting it twice is a no-op."""

from __future__ import annotations

from datetime import datetime

from api.domain.ledger import AccountKind, TransactionDraft, TransactionKind
from api.services.client_money import after_balance_change
from api.store.tables import Reseller
from api.store.unit_of_work import UnitOfWork


async def post_client_fee(
    uow: UnitOfWork,
    reseller: Reseller,
    client_id: int,
    kind: TransactionKind,
    amount: int,
    *,
    key: str,
    description: str,
    at: datetime,
) -> bool:
    """Client → reseller revenue; ``False`` when the fee is 0 or ``key`` was posted before.

    Fees are posted whatever the balance (they may drive a hard client below 0).
    """
    if amount <= 0 or await uow.ledger.key_exists(key):
        return False
    assert reseller.id is not None
    accounts = await uow.accounts.tenant_accounts(reseller.id, client_id)
    draft = TransactionDraft(kind, reseller.id, client_id, description=description, key=key)
    draft.move(amount, debit=accounts.client, credit=accounts.reseller_revenue)
    posted = await uow.ledger.post(draft, at)
    await after_balance_change(
        uow,
        reseller.id,
        client_id,
        posted.balances[accounts.client],
        previous=posted.balances[accounts.client] + amount,
        currency=reseller.currency,
        default_threshold=reseller.low_balance_threshold,
        at=at,
    )
    return True


async def post_reseller_cost(
    uow: UnitOfWork,
    reseller_id: int,
    amount: int,
    *,
    key: str,
    description: str,
    at: datetime,
) -> bool:
    """Reseller → operator revenue (DID costs); ``False`` when 0 or already posted."""
    if amount <= 0 or await uow.ledger.key_exists(key):
        return False
    ids = await uow.accounts.reseller_account_ids(reseller_id)

    draft = TransactionDraft(
        TransactionKind.DID_COST, reseller_id, None, description=description, key=key
    )
    draft.move(amount, debit=ids[AccountKind.RESELLER], credit=ids[AccountKind.OPERATOR_REVENUE])
    await uow.ledger.post(draft, at)
    return True
