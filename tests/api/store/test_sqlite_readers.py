"""The inline SQLite readers: query-only, one snapshot for raw and SQLAlchemy statements,
reused only when their transaction has ended. (A SQLite adapter: SQLite files only.)"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from api.store.sqlite_readers import IDLE_READERS, SqliteReaders


@pytest.fixture
def path(tmp_path: Path) -> str:
    file = str(tmp_path / "readers.db")
    with sqlite3.connect(file) as writer:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("CREATE TABLE t (n INTEGER)")
        writer.execute("INSERT INTO t VALUES (1)")
    return file


def _readers(path: str) -> SqliteReaders:
    return SqliteReaders(path, busy_timeout_s=1, hide_parameters=True)


def test_a_reader_cannot_write(path: str) -> None:
    reader = _readers(path).acquire()
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.raw.execute("INSERT INTO t VALUES (2)")


def test_raw_and_sqlalchemy_reads_share_one_snapshot(path: str) -> None:
    readers = _readers(path)
    reader = readers.acquire()
    reader.begin()
    assert reader.raw.execute("SELECT count(*) FROM t").fetchone() == (1,)
    with sqlite3.connect(path) as writer:  # commits while the reader's snapshot is open
        writer.execute("INSERT INTO t VALUES (2)")
    with reader.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 1
    reader.end()
    readers.release(reader)
    again = readers.acquire()
    assert again is reader  # reused once its transaction ended
    again.begin()
    assert again.raw.execute("SELECT count(*) FROM t").fetchone() == (2,)
    again.end()
    readers.release(again)
    assert readers.in_use == 0


def test_a_reader_still_in_a_transaction_is_closed_not_reused(path: str) -> None:
    readers = _readers(path)
    reader = readers.acquire()
    reader.begin()
    readers.release(reader)
    with pytest.raises(sqlite3.ProgrammingError):
        reader.raw.execute("SELECT 1")
    assert readers.acquire() is not reader


def test_idle_readers_are_capped_and_new_ones_hooked(path: str) -> None:
    readers = _readers(path)
    hooked: list[sqlite3.Connection] = []
    readers.on_connect.append(hooked.append)
    taken = [readers.acquire() for _ in range(IDLE_READERS + 3)]
    assert len(hooked) == IDLE_READERS + 3
    for reader in taken:
        readers.release(reader)
    assert readers.in_use == 0
    again = [readers.acquire() for _ in range(IDLE_READERS + 1)]
    kept = [r for r in again if any(r is t for t in taken)]
    assert len(kept) == IDLE_READERS  # the cap: the 3 beyond it were closed, not kept
    assert len(hooked) == IDLE_READERS + 4  # so one more reader had to be opened
    readers.dispose()
