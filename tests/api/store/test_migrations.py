"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

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
