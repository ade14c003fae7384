"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from api.store.engine import create_engine
from api.store.migrate import upgrade_connection
from tests.conftest import Database


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


async def test_migrated_schema_equals_models(database: Database, tmp_path: Path) -> None:
    if database.backend == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}")
    else:
        schema = f"{database.search_path}_m"
        async with database.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = create_engine(database.url, search_path=schema)
    try:
        async with engine.begin() as conn:
            await upgrade_connection(conn)
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff)
    finally:
        await engine.dispose()
        if database.backend == "postgresql":
            async with database.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    assert diff == []


async def _migrated_names(
    database: Database,
    tmp_path: Path,
    subs: list[tuple[int, str]],
    logins: list[tuple[int, str | None]],
) -> tuple[list[str], list[str | None], str]:
    """Usernames after 0001 → head, from rows inserted at 0001 ((reseller id, name) each),
    and the migration's error (empty when it ran)."""
    if database.backend == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'names.db'}")
    else:
        schema = f"{database.search_path}_n"
        async with database.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = create_engine(database.url, search_path=schema)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    try:
        async with engine.begin() as conn:
            await upgrade_connection(conn, "0001")
            for reseller_id in (1, 2):
                await conn.execute(
                    text(
                        "INSERT INTO resellers (id, name, currency, status, low_balance_threshold,"
                        " max_call_seconds, created_at) VALUES (:id, :name, 'USD', 'active', 0,"
                        " 60, :now)"
                    ),
                    {"id": reseller_id, "name": f"r{reseller_id}", "now": now},
                )
            for k, (reseller_id, login) in enumerate(logins, start=1):
                await conn.execute(
                    text(
                        "INSERT INTO clients (id, reseller_id, name, company, email, phone,"
                        " address, balance_type, billing_day, status, suspended,"
                        " low_balance_alerted, created_at, portal_username) VALUES (:id, :r, :name,"
                        " '', '', '', '', 'soft', 1, 'active', false, false, :now, :login)"
                    ),
                    {"id": k, "r": reseller_id, "name": f"c{k}", "now": now, "login": login},
                )
            for k, (reseller_id, name) in enumerate(subs, start=1):
                await conn.execute(
                    text(
                        "INSERT INTO sub_accounts (id, reseller_id, client_id, username,"
                        " password_encrypted, created_at) VALUES (:id, :r, 1, :u, 'x', :now)"
                    ),
                    {"id": k, "r": reseller_id, "u": name, "now": now},
                )
        error = ""
        try:
            async with engine.begin() as conn:
                await upgrade_connection(conn)
        except RuntimeError as exc:
            error = str(exc)
        async with engine.connect() as conn:
            names = await conn.execute(text("SELECT username FROM sub_accounts ORDER BY id"))
            logins_after = await conn.execute(
                text("SELECT portal_username FROM clients ORDER BY id")
            )
            return list(names.scalars()), list(logins_after.scalars()), error
    finally:
        await engine.dispose()
        if database.backend == "postgresql":
            async with database.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


async def test_tenant_names_prefix_existing_usernames(database: Database, tmp_path: Path) -> None:
    # (1, "x") takes the name (2, "100001_x") still holds: renamed in two passes
    subs = [(1, "line-b"), (2, "line-b2"), (1, "100001_kept"), (1, "x"), (2, "100001_x")]
    logins: list[tuple[int, str | None]] = [(1, "alice"), (2, "bob"), (1, None)]
    names, portal, error = await _migrated_names(database, tmp_path, subs, logins)
    assert error == ""
    assert names == [
        "100001_line-b", "100002_line-b2", "100001_kept", "100001_x", "100002_100001_x",
    ]  # fmt: skip
    assert portal == ["100001_alice", "100002_bob", None]


async def test_tenant_names_stop_on_a_clash_and_write_nothing(
    database: Database, tmp_path: Path
) -> None:
    subs = [(1, "line-b"), (1, "100001_line-b"), (2, "y" * 99), (2, "fine")]
    names, portal, error = await _migrated_names(database, tmp_path, subs, [(1, "alice")])
    assert "rows with ids [3] (longer than 100 characters) and [[1, 2]]" in error
    assert names == ["line-b", "100001_line-b", "y" * 99, "fine"]  # nothing written
    assert portal == ["alice"]
