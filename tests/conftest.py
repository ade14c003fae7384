"""Shared fixtures: every store test runs once on SQLite and once on PostgreSQL.

PostgreSQL comes from ``PULSEBILL_TEST_POSTGRES_URL``, else from ``DATABASE_URL`` when it
names PostgreSQL, else ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``. Each test
gets its own schema there (dropped afterwards) and its own SQLite file. When the server
cannot be reached the PostgreSQL half is skipped on a developer's machine, but with
``CI=true`` each of those tests fails.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import SQLModel

import api.store.tables  # noqa: F401  (registers every table on SQLModel.metadata)
from api.store.engine import create_engine, make_sessionmaker, normalize_url

DEFAULT_TEST_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


def postgres_url() -> str:
    """The PostgreSQL server the tests use."""
    explicit = os.environ.get("PULSEBILL_TEST_POSTGRES_URL")
    if explicit:
        return normalize_url(explicit)
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith("postgres"):
        return normalize_url(database_url)
    return DEFAULT_TEST_POSTGRES_URL


@cache
def postgres_problem() -> str | None:
    """Why PostgreSQL is unusable, or ``None`` when a TCP connection succeeds."""
    url = make_url(postgres_url())
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=3):
            return None
    except OSError as exc:
        return f"PostgreSQL at {url.host}:{url.port or 5432} is unreachable ({exc})"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_postgres() -> None:
    """Fail the test (``CI=true``) or skip it (a developer's machine) without PostgreSQL."""
    problem = postgres_problem()
    if problem is None:
        return
    if in_ci():
        pytest.fail(f"{problem}; CI=true requires the PostgreSQL tests to run")
    pytest.skip(f"{problem}; set CI=true to make this a failure")


@dataclass(frozen=True)
class Database:
    """One isolated test database: its engine, session factory and backend name."""

    backend: str
    url: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    search_path: str | None = None


async def _create_postgres() -> Database:
    url = postgres_url()
    schema = f"pb_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    await admin.dispose()
    engine = create_engine(url, search_path=schema)
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    return Database("postgresql", url, engine, make_sessionmaker(engine), schema)


async def _drop_postgres(db: Database) -> None:
    await db.engine.dispose()
    admin = create_engine(db.url)
    async with admin.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{db.search_path}" CASCADE'))
    await admin.dispose()


async def _create_sqlite(directory: Path) -> Database:
    url = f"sqlite+aiosqlite:///{directory / 'test.db'}"
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    return Database("sqlite", url, engine, make_sessionmaker(engine))


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh, empty database with every table, on each backend in turn."""
    if request.param == "postgresql":
        require_postgres()
        db = await _create_postgres()
        try:
            yield db
        finally:
            await asyncio.shield(_drop_postgres(db))
    else:
        db = await _create_sqlite(tmp_path)
        try:
            yield db
        finally:
            await db.engine.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran on PostgreSQL, so that a summary shows the backend was used."""
    counts: dict[str, int] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        reports = terminalreporter.stats.get(outcome, [])
        counts[outcome] = sum(
            1
            for report in reports
            if getattr(report, "when", "call") in {"call", "setup"}
            and "postgresql" in getattr(report, "nodeid", "")
        )
    if any(counts.values()):
        url = make_url(postgres_url())
        where = f"{url.host}:{url.port or 5432}/{url.database}"
        shown = ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)
        terminalreporter.write_line(f"PostgreSQL tests at {where}: {shown}")
