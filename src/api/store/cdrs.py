"""CDR rows: one at a time for the real-time path, in bulk for ingest."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
from sqlalchemy import insert, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.store.tables import Cdr

LOOKUP_CHUNK = 500
INSERT_CHUNK = 5000

CDR_COLUMNS: tuple[str, ...] = tuple(
    c.name
    for c in Cdr.__table__.columns
    if c.name != "id"  # type: ignore[attr-defined]
)


class CdrRepository:
    """Find and store CDRs of one reseller (flush only)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, reseller_id: int, source: str, call_id: str) -> Cdr | None:
        result = await self.session.scalars(
            select(Cdr).where(
                Cdr.reseller_id == reseller_id, Cdr.source == source, Cdr.call_id == call_id
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
                    Cdr.reseller_id == reseller_id,
                    tuple_(Cdr.source, Cdr.call_id).in_(chunk),
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
        """Insert plain column dicts (every column of :data:`CDR_COLUMNS`), in chunks."""
        if not rows:
            return
        bind = self.session.bind
        if bind.dialect.name == "postgresql":
            await self._copy(rows)
            return
        for start in range(0, len(rows), INSERT_CHUNK):
            await self.session.execute(insert(Cdr), list(rows[start : start + INSERT_CHUNK]))

    async def _copy(self, rows: Sequence[dict[str, Any]]) -> None:
        """PostgreSQL ``COPY`` through asyncpg: far faster than multi-row inserts."""
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        records = [tuple(row[c] for c in CDR_COLUMNS) for row in rows]
        try:
            await driver.copy_records_to_table("cdrs", records=records, columns=list(CDR_COLUMNS))
        except asyncpg.UniqueViolationError as exc:  # a concurrent twin stored one first
            raise IntegrityError("COPY cdrs", None, exc) from exc
