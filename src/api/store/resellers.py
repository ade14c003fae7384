"""Resellers: the terms the CDR paths read about one (flush only, no commits)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.store.tables import Reseller


class ResellerRepository:
    """Read a reseller's rows (flush only)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def terms(self, reseller_id: int) -> tuple[str, int] | None:
        """The reseller's (currency, default low-balance threshold); ``None``: no such
        reseller."""
        row = (
            await self.session.execute(
                select(col(Reseller.currency), col(Reseller.low_balance_threshold)).where(
                    col(Reseller.id) == reseller_id
                )
            )
        ).first()
        return None if row is None else (str(row[0]), int(row[1]))
