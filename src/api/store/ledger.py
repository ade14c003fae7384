"""Posting balanced transactions: the transaction row, its entries, and the balances."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.domain.ledger import TransactionDraft
from api.store.accounts import AccountRepository
from api.store.tables import LedgerEntry, LedgerTransaction


@dataclass(frozen=True, slots=True)
class Posted:
    """A stored transaction and the new balance of every account it touched."""

    transaction_id: int
    balances: dict[int, int]


class LedgerRepository:
    """Writes transactions; entries are only ever inserted (flush only)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def key_exists(self, key: str) -> bool:
        found = await self.session.scalar(
            select(col(LedgerTransaction.id)).where(col(LedgerTransaction.key) == key)
        )
        return found is not None

    async def post(
        self,
        draft: TransactionDraft,
        at: datetime,
        *,
        floors: Mapping[int, int] | None = None,
    ) -> Posted:
        """Store ``draft`` (refused unless balanced) and move the balances atomically.

        A ``key`` already used raises ``IntegrityError`` from the unique constraint; callers
        that want idempotence check :meth:`key_exists` first and treat the error as a race.
        """
        postings = draft.postings()
        balances = await AccountRepository(self.session).apply(
            {p.account_id: p.amount for p in postings}, floors=floors
        )
        tx = LedgerTransaction(
            reseller_id=draft.reseller_id,
            client_id=draft.client_id,
            kind=draft.kind,
            method=draft.method,
            description=draft.description,
            key=draft.key,
            created_at=at,
        )
        self.session.add(tx)
        await self.session.flush()
        assert tx.id is not None
        if postings:
            await self.session.execute(
                insert(LedgerEntry),
                [
                    {"transaction_id": tx.id, "account_id": p.account_id, "amount": int(p.amount)}
                    for p in postings
                ],
            )
        return Posted(tx.id, balances)
