"""SQLAlchemy's private API: the asyncpg adapter's transaction started on demand, and a
pooled connection checked in without a reset."""

from __future__ import annotations

from sqlalchemy import text

from api.compat.sqlalchemy import BELOW, LOWEST, VERSION, begin_asyncpg_transaction, check_in_idle
from api.compat.versions import release
from tests.conftest import Database


async def test_the_session_transaction_is_open_for_the_raw_driver(database: Database) -> None:
    assert LOWEST <= release(VERSION) < BELOW
    async with database.sessionmaker() as session, session.begin():
        connection = await session.connection()
        fairy = await connection.get_raw_connection()
        await begin_asyncpg_transaction(fairy.dbapi_connection)
        if database.backend == "postgresql":
            assert fairy.driver_connection.is_in_transaction()
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1


async def test_an_idle_connection_goes_back_to_the_pool_without_a_reset(
    database: Database,
) -> None:
    engine = database.engine
    fairy = await engine.raw_connection()
    driver = fairy.driver_connection
    check_in_idle(fairy)
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    again = await engine.raw_connection()
    assert again.driver_connection is driver  # the same connection, kept by the pool
    check_in_idle(again)
