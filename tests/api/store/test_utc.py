"""Timestamps keep their instant through the store, whatever UTC offset they arrive with:
every timestamp column is UTC, the ORM and the raw drivers write UTC and read back aware
UTC datetimes, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import DateTime, select, text
from sqlmodel import SQLModel, col

from api.events import EventBus
from api.store.cdrs.driver import raw_connection
from api.store.cdrs.pooled import realtime_transaction
from api.store.engine import create_engine, make_sessionmaker
from api.store.tables import ApiToken, Cdr, Reseller
from api.store.unit_of_work import UnitOfWork
from api.store.utc import UtcDateTime, to_utc
from tests.conftest import Database

offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.datetimes(datetime(1990, 1, 1), datetime(2090, 12, 31))
"""Naive wall-clock times, given an offset by :data:`offsets`."""


def drawn(count: int) -> list[datetime]:
    """``count`` aware datetimes of random offsets (Hypothesis draws, the loop runs them)."""
    found: list[datetime] = []

    @settings(
        max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(moments, offsets)
    def collect(moment: datetime, zone: timezone) -> None:
        found.append(moment.replace(tzinfo=zone))

    collect()
    return found


@given(moments, offsets)
def test_to_utc_keeps_the_instant_and_names_utc(moment: datetime, zone: timezone) -> None:
    aware = moment.replace(tzinfo=zone)
    converted = to_utc(aware)
    assert converted == aware
    assert converted.tzinfo is UTC
    assert to_utc(moment) == moment.replace(tzinfo=UTC)  # naive: taken as UTC


def test_every_timestamp_column_is_utc() -> None:
    columns = [
        f"{table.name}.{column.name}"
        for table in SQLModel.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, DateTime | UtcDateTime)
    ]
    assert "cdrs.started_at" in columns
    wrong = [
        name
        for name in columns
        if not isinstance(
            SQLModel.metadata.tables[name.split(".")[0]].c[name.split(".")[1]].type, UtcDateTime
        )
    ]
    assert wrong == []


def _epoch(backend: str) -> str:
    """The epoch seconds of ``created_at`` in SQL (SQLite rounds to milliseconds)."""
    if backend == "sqlite":
        return "CAST(strftime('%s', created_at) AS INTEGER)"
    return "CAST(FLOOR(EXTRACT(EPOCH FROM created_at)) AS BIGINT)"


async def test_orm_writes_utc_and_reads_aware_utc(database: Database) -> None:
    times = drawn(40)
    async with UnitOfWork(database.sessionmaker, EventBus()) as uow:
        for i, when in enumerate(times):
            uow.session.add(Reseller(name=f"r{i}", currency="USD", created_at=when))
    async with UnitOfWork(database.sessionmaker, EventBus(), read_only=True) as uow:
        rows = (await uow.session.scalars(select(Reseller).order_by(col(Reseller.id)))).all()
        assert [r.created_at for r in rows] == times
        assert all(r.created_at.tzinfo is UTC for r in rows)
        # the SQL side sees the same instants (what the reports bucket and compare)
        epochs_sql = text(f"SELECT {_epoch(database.backend)} FROM resellers ORDER BY id")
        epochs = (await uow.session.execute(epochs_sql)).scalars().all()
        assert all(abs(e - t.timestamp()) < 1 for e, t in zip(epochs, times, strict=True))
        # ordering by the column is ordering by instant
        ordered = (
            await uow.session.scalars(
                select(col(Reseller.id)).order_by(col(Reseller.created_at), col(Reseller.id))
            )
        ).all()
        by_instant = sorted(rows, key=lambda r: (r.created_at, r.id or 0))
        assert list(ordered) == [r.id for r in by_instant]
        # a bound parameter with an offset compares as its instant
        middle = times[len(times) // 2]
        later = await uow.session.scalar(
            select(col(Reseller.id))
            .where(col(Reseller.created_at) > middle.astimezone(timezone(timedelta(hours=-7))))
            .order_by(col(Reseller.id))
        )
        expected = [r.id for r in rows if r.created_at > middle]
        assert later == (expected[0] if expected else None)


_NUMBERED = "VALUES ($1, $2, $3, $4, $5)"


async def test_raw_driver_writes_utc(database: Database) -> None:
    naive = datetime(2026, 3, 1, 23, 30)  # taken as UTC (asyncpg alone: local time)
    times = [*drawn(25), naive]
    async with realtime_transaction(database.engine) as tx:  # the real-time path's binds
        realtime = [tx.when(t) for t in times]
    async with UnitOfWork(database.sessionmaker, EventBus()) as uow:
        raw = await raw_connection(uow.session)
        reseller = Reseller(name="raw", currency="USD", created_at=times[0])
        uow.session.add(reseller)
        await uow.session.flush()
        tenant = reseller.id
        assert tenant is not None
        for i, when in enumerate(times):
            await raw.fetch(
                "INSERT INTO api_tokens (role, reseller_id, name, token_hash, created_at) "
                + ("VALUES (?, ?, ?, ?, ?)" if raw.backend == "sqlite" else _NUMBERED),
                "reseller",
                tenant,
                f"t{i}",
                f"{i:064d}",
                raw.when(when),
            )
        assert [raw.when(t) for t in times] == realtime
    async with UnitOfWork(database.sessionmaker, EventBus(), read_only=True) as uow:
        stored = (await uow.session.scalars(select(ApiToken).order_by(col(ApiToken.id)))).all()
        assert [t.created_at for t in stored] == [*times[:-1], naive.replace(tzinfo=UTC)]
        assert all(t.created_at.tzinfo is UTC for t in stored)


def _documented_repair() -> str:
    """The repair statement of docs/reports.md (SQLite databases written before the fix)."""
    doc = (Path(__file__).parents[3] / "docs" / "reports.md").read_text()
    block = doc.split("**Repairing SQLite databases", 1)[1].split("```sql\n", 1)[1]
    return block.split("```", 1)[0]


async def test_the_documented_repair_moves_shifted_rows_once(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    sessions = make_sessionmaker(engine)
    before, after = datetime(2026, 12, 7, 14, tzinfo=UTC), datetime(2026, 12, 7, 16, tzinfo=UTC)
    # what the old code stored for 23:30-05:00: the wall-clock text, read as 23:30Z
    shifted = datetime(2026, 3, 1, 23, 30, 59, 999_999, tzinfo=UTC)
    rows = [
        ("old", "asterisk-ny", shifted, before),  # to repair
        ("other", "freeswitch", shifted, before),  # another source: another offset
        ("new", "asterisk-ny", shifted, after),  # written after the upgrade: right already
    ]
    try:
        async with engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
        async with UnitOfWork(sessions, EventBus()) as uow:
            reseller = Reseller(id=7, name="r", currency="USD", created_at=before)
            uow.session.add(reseller)
            for call_id, source, started, created in rows:
                uow.session.add(
                    Cdr(
                        reseller_id=7,
                        source=source,
                        call_id=call_id,
                        direction="outbound",
                        number="1",
                        started_at=started,
                        duration=1,
                        status="unrated",
                        created_at=created,
                    )
                )
        async with engine.begin() as conn:
            for statement in _documented_repair().split(";"):
                if statement.strip(" \n-"):
                    await conn.exec_driver_sql(statement)
        async with UnitOfWork(sessions, EventBus(), read_only=True) as uow:
            stored = dict((await uow.session.execute(select(Cdr.call_id, Cdr.started_at))).all())
    finally:
        await engine.dispose()
    assert stored == {
        "old": datetime(2026, 3, 2, 4, 30, 59, 999_999, tzinfo=UTC),
        "other": shifted,
        "new": shifted,
    }
