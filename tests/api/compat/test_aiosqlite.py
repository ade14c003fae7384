"""aiosqlite's private API: one function in the connection's thread, in one hop."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import aiosqlite

from api.compat.aiosqlite import BELOW, LOWEST, VERSION, run_in_thread, sqlite3_connection
from api.compat.versions import release


def _work(conn: sqlite3.Connection, value: int) -> tuple[int, int, bool]:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("CREATE TABLE t (v INTEGER)")
    conn.execute("INSERT INTO t VALUES (?)", (value,))
    total = conn.execute("SELECT sum(v) FROM t").fetchone()[0]
    return total, threading.get_ident(), conn.in_transaction


async def test_work_runs_in_the_connection_thread_on_its_connection(tmp_path: Path) -> None:
    assert LOWEST <= release(VERSION) < BELOW
    async with aiosqlite.connect(tmp_path / "t.db", isolation_level=None) as driver:
        total, thread, open_ = await run_in_thread(driver, _work, 42)
        assert (total, open_) == (42, True)
        assert thread != threading.get_ident()
        assert sqlite3_connection(driver).in_transaction
        await driver.execute("ROLLBACK")
        assert not sqlite3_connection(driver).in_transaction
