"""aiosqlite's private API, in one place.

aiosqlite runs every call of a connection in that connection's thread, and its public
methods cost one hop to that thread per statement. The CDR road runs several statements
(``BEGIN IMMEDIATE`` and a read; every write and ``COMMIT``; a multi-row insert) as ONE
function in that thread: ``Connection._execute(fn, *args)`` queues ``fn`` there and
``Connection._conn`` is the sqlite3 connection it runs on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite

from api.compat.versions import check_version

LOWEST = (0, 20)
BELOW = (0, 23)
VERSION = check_version("aiosqlite", LOWEST, BELOW)

T = TypeVar("T")

if not hasattr(aiosqlite.Connection, "_execute"):  # pragma: no cover - checked by version
    raise ImportError(f"aiosqlite {VERSION} has no Connection._execute")


async def run_in_thread(driver: aiosqlite.Connection, work: Callable[..., T], *args: Any) -> T:
    """``work(sqlite3 connection, *args)`` in the connection's thread, in one hop."""
    result: T = await driver._execute(work, driver._conn, *args)  # type: ignore[no-untyped-call]
    return result


def sqlite3_connection(driver: aiosqlite.Connection) -> sqlite3.Connection:
    """The sqlite3 connection under ``driver`` (for a look at ``in_transaction``)."""
    return driver._conn
