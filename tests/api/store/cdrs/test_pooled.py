"""One short transaction on a pooled driver connection: a connection left in a
transaction is never pooled; an idle one goes back without a reset."""

from __future__ import annotations

from typing import Any

import pytest

from api.store.cdrs.pooled import PostgresTransaction, RealtimeTransaction, realtime_transaction
from tests.conftest import Database


def _driver(tx: RealtimeTransaction) -> Any:
    return tx.driver if isinstance(tx, PostgresTransaction) else tx._driver


async def test_a_connection_left_in_a_transaction_is_never_pooled(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def keep_it_open(self: Any) -> None:
        return None

    async with realtime_transaction(database.engine) as tx:
        await tx.begin_fetch("SELECT 1")
        driver = _driver(tx)
        monkeypatch.setattr(type(tx), "rollback", keep_it_open)  # a rollback that fails
    monkeypatch.undo()
    if database.backend == "postgresql":
        assert driver.is_closed()
    else:
        assert driver._connection is None  # closed
    async with realtime_transaction(database.engine) as tx:  # a fresh connection
        assert _driver(tx) is not driver
        assert tx.idle()


async def test_an_idle_connection_is_pooled_without_a_reset(database: Database) -> None:
    async with realtime_transaction(database.engine) as tx:
        await tx.begin_fetch("SELECT 1")
        if isinstance(tx, PostgresTransaction):
            await tx.commit()
        else:
            await tx.finish(lambda conn: None)
        assert tx.idle()
        driver = _driver(tx)
    async with realtime_transaction(database.engine) as again:
        assert _driver(again) is driver  # pooled again, not invalidated
        assert again.idle()
