"""Stored CDRs of a reseller, found by (source, call id)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.store.tables import Cdr

LOOKUP_CHUNK = 500


class CdrRepository:
    """Find the stored CDRs of one reseller."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, reseller_id: int, source: str, call_id: str) -> Cdr | None:
        result = await self.session.scalars(
            select(Cdr).where(
                col(Cdr.reseller_id) == reseller_id,
                col(Cdr.source) == source,
                col(Cdr.call_id) == call_id,
            )
        )
        return result.first()

    async def find_many(
        self, reseller_id: int, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], Cdr]:
        """Stored CDRs among ``keys`` ((source, call id) pairs) of the reseller."""
        found: dict[tuple[str, str], Cdr] = {}
        key_list = list(dict.fromkeys(keys))
        for start in range(0, len(key_list), LOOKUP_CHUNK):
            chunk = key_list[start : start + LOOKUP_CHUNK]
            rows = await self.session.scalars(
                select(Cdr).where(
                    col(Cdr.reseller_id) == reseller_id,
                    tuple_(col(Cdr.source), col(Cdr.call_id)).in_(chunk),
                )
            )
            for cdr in rows:
                found[(cdr.source, cdr.call_id)] = cdr
        return found
