"""The batch path's CDR writer: multi-row inserts queued while the next rows are priced."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from api.services import cdrs, clients
from api.services.context import ServicesContext
from api.services.records import CdrInput
from api.store.cdrs import driver
from api.store.cdrs.row import CDR_COLUMNS
from api.store.tables import Cdr
from tests.api.conftest import NO_FREE, START, make_world


class _Recorder:
    def __init__(self) -> None:
        self.sizes: list[int] = []

    def execute(self, sql: str, params: list[Any]) -> None:
        rows = sql.count("), (") + 1
        assert len(params) == rows * len(CDR_COLUMNS)
        self.sizes.append(rows)


def test_sqlite_rows_go_in_full_statements_then_power_of_two_ones() -> None:
    step = driver.SQLITE_ROWS_PER_INSERT
    row = tuple(range(len(CDR_COLUMNS)))
    for total, expected in [
        (0, []),
        (1, [1]),
        (7, [4, 2, 1]),
        (step, [step]),
        (2 * step + 100, [step, step, 64, 32, 4]),
    ]:
        conn = _Recorder()
        driver._sqlite_insert_rows(conn, [row] * total)
        assert conn.sizes == expected
    assert step * len(CDR_COLUMNS) <= 32766


def _cdr(line: str, call_id: str, i: int) -> CdrInput:
    numbers = ["+12025550100", "+442071234567", "+525512345678", "12", "+15145551234"]
    return CdrInput("sw1", call_id, line, "outbound", numbers[i % 5], START, 17 * i % 500)


async def test_a_large_batch_stores_every_row_as_one_by_one_does(ctx: ServicesContext) -> None:
    # more than SQLITE_JOBS_QUEUED statements of SQLITE_ROWS_PER_INSERT rows, and a tail;
    # no free minutes, so that a sample rated one by one gives the same rows
    total = (driver.SQLITE_JOBS_QUEUED + 2) * driver.SQLITE_ROWS_PER_INSERT + 77
    world = await make_world(ctx, NO_FREE, name="One")
    twin = await make_world(ctx, NO_FREE, name="Twin")
    a_id, a_line = await world.client("A", paid=900_000_000, username="a-x")
    b_id, b_line = await twin.client("B", paid=900_000_000, username="b-x")
    batch = [_cdr(b_line if i % 9 else "nobody", f"c{i}", i) for i in range(total)]
    summary = await cdrs.ingest_cdrs(twin.ctx, twin.reseller, batch, batch_size=total)
    assert summary.rated + summary.unrated == total
    assert summary.unrated > 0  # unknown line, invalid number: stored with their reason
    # one by one, for a sample spread over every statement and the tail
    sample = list(range(0, total, 97)) + list(range(total - 80, total))
    for i in sample:
        one = _cdr(a_line if i % 9 else "nobody", f"c{i}", i)
        await cdrs.rate_cdr(world.ctx, world.reseller, one)
    skip = {"id", "reseller_id", "client_id", "sub_account_id", "transaction_id"}
    skip.add("package_version_id")
    columns = [c for c in Cdr.__table__.columns if c.name not in skip]  # type: ignore[attr-defined]
    async with world.ctx.unit_of_work() as uow:
        stored = await uow.session.scalar(
            select(func.count()).select_from(Cdr).where(Cdr.reseller_id == twin.reseller_id)
        )
        assert stored == total
        for i in sample:
            rows = [
                (
                    await uow.session.execute(
                        select(*columns).where(Cdr.reseller_id == r, Cdr.call_id == f"c{i}")
                    )
                ).one()
                for r in (world.reseller_id, twin.reseller_id)
            ]
            assert rows[0] == rows[1], i
    b = await clients.get_client(twin.ctx, twin.reseller, b_id)
    assert b.balance == 900_000_000 - summary.sell
    assert (await clients.get_client(world.ctx, world.reseller, a_id)).balance < 900_000_000
    again = await cdrs.ingest_cdrs(twin.ctx, twin.reseller, batch[:50], batch_size=total)
    assert (again.duplicates, again.rated, again.unrated) == (50, 0, 0)
