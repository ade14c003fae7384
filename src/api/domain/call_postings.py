"""From a rated call (or a batch of them) to ledger postings.

The client pays the reseller the sell price; the reseller pays the operator the cost.
"""

from __future__ import annotations

from api.domain.ledger import TenantAccounts, TransactionDraft, TransactionKind


def call_transaction(
    accounts: TenantAccounts,
    *,
    sell: int,
    cost: int,
    reseller_id: int,
    client_id: int,
    kind: TransactionKind = TransactionKind.CALL,
    description: str = "",
    key: str | None = None,
) -> TransactionDraft:
    """client → reseller revenue at ``sell``; reseller → operator revenue at ``cost``."""
    if sell < 0 or cost < 0:
        raise ValueError("call amounts are never negative")
    draft = TransactionDraft(kind, reseller_id, client_id, description=description, key=key)
    draft.move(sell, debit=accounts.client, credit=accounts.reseller_revenue)
    draft.move(cost, debit=accounts.reseller, credit=accounts.operator_revenue)
    return draft
