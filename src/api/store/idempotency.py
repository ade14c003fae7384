"""Idempotency keys of payments and charges: find, remember, forget after retention."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.store.tables import IdempotencyKey


class IdempotencyRepository:
    """A reseller's idempotency keys (flush only). Concurrent twins are decided by the
    unique ``(reseller_id, key)``: the second insert raises ``IntegrityError``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, reseller_id: int, key: str) -> IdempotencyKey | None:
        """The reseller's stored ``key``, if any."""
        found: IdempotencyKey | None = (
            await self.session.scalars(
                select(IdempotencyKey).where(
                    col(IdempotencyKey.reseller_id) == reseller_id,
                    col(IdempotencyKey.key) == key,
                )
            )
        ).first()
        return found

    async def add(
        self,
        reseller_id: int,
        key: str,
        fingerprint: str,
        transaction_id: int,
        balance: int,
        at: datetime,
    ) -> None:
        """Remember ``key``; a twin stored first raises ``IntegrityError`` at the flush."""
        self.session.add(
            IdempotencyKey(
                reseller_id=reseller_id,
                key=key,
                fingerprint=fingerprint,
                transaction_id=transaction_id,
                balance=int(balance),
                created_at=at,
            )
        )
        await self.session.flush()

    async def purge(self, reseller_id: int, before: datetime) -> None:
        """Forget the reseller's keys stored before ``before``."""
        await self.session.execute(
            delete(IdempotencyKey)
            .where(
                col(IdempotencyKey.reseller_id) == reseller_id,
                col(IdempotencyKey.created_at) < before,
            )
            .execution_options(synchronize_session=False)
        )
