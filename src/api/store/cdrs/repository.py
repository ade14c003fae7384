"""CDR rows: find them; insert them one at a time (ORM) or in bulk (raw driver)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.store.cdrs.driver import CDR_INSERT_COLUMNS, raw_connection
from api.store.tables import Cdr

LOOKUP_CHUNK = 500

CDR_COLUMNS: tuple[str, ...] = CDR_INSERT_COLUMNS
"""Every CDR column but ``id``, in the order of the bulk rows."""


class CdrRepository:
    """Find and store CDRs of one reseller (flush only)."""

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

    async def add(self, cdr: Cdr) -> Cdr:
        self.session.add(cdr)
        await self.session.flush()
        return cdr

    async def add_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert plain column dicts (every column of :data:`CDR_COLUMNS`) with the raw
        driver (``COPY`` on PostgreSQL, one ``executemany`` on SQLite)."""
        if not rows:
            return
        raw = await raw_connection(self.session)
        await raw.insert_cdrs(
            [tuple(raw.when(v) if c in _TIMES else v for c, v in _items(r)) for r in rows]
        )


_TIMES = frozenset({"started_at", "created_at"})


def _items(row: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    return ((c, row[c]) for c in CDR_INSERT_COLUMNS)
