"""SQLAlchemy's private API, in one place.

- :func:`begin_asyncpg_transaction`: SQLAlchemy's asyncpg adapter sends ``BEGIN`` lazily,
  with its first statement; the CDR road's raw asyncpg statements must run inside the
  session's transaction, so it is started first (``_transaction``,
  ``_start_transaction``).
- :func:`check_in_idle`: give a pooled connection with no open transaction back without
  the pool's reset-on-return ``ROLLBACK`` (``_close_special(transaction_reset=True)``).
- :func:`greenlet_spawn`: run a synchronous pool call from async code
  (``sqlalchemy.util.greenlet_spawn``, not documented).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.pool.base import _ConnectionFairy
from sqlalchemy.util import greenlet_spawn

from api.compat.versions import check_version

LOWEST = (2, 0, 30)
BELOW = (2, 2)
VERSION = check_version("sqlalchemy", LOWEST, BELOW)

if not hasattr(_ConnectionFairy, "_close_special") or not hasattr(
    AsyncAdapt_asyncpg_connection, "_start_transaction"
):  # pragma: no cover - checked by version
    raise ImportError(f"SQLAlchemy {VERSION} lacks a private API this module wraps")

__all__ = ["VERSION", "begin_asyncpg_transaction", "check_in_idle", "greenlet_spawn"]


async def begin_asyncpg_transaction(adapted: Any) -> None:
    """Start the transaction of SQLAlchemy's asyncpg adapter connection now, if it has
    not sent its ``BEGIN`` yet."""
    if getattr(adapted, "_transaction", True) is None:
        await adapted._start_transaction()


def check_in_idle(fairy: PoolProxiedConnection) -> None:
    """Return a connection with no open transaction to its pool, skipping the reset
    (synchronous: call it in a greenlet when the pool may close the connection)."""
    fairy._close_special(transaction_reset=True)
