"""The hot reads compiled for the raw drivers return SQLAlchemy's rows, exactly: on a
SQLite file through ``sqlite3``, on PostgreSQL through ``asyncpg``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlmodel import col

from api.graphql import loaders
from api.graphql.request_reads import sync_reader
from api.store.compiled_select import compile_select
from api.store.read_models import CLIENT_VIEW
from api.store.tables import Cdr, Client
from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import SUBMIT_CDR, cdr, world
from tests.conftest import Database


def _tenant(query: Select[Any], column: Any) -> Select[Any]:
    return query.where(column == bindparam("tenant"))


STATIC = {
    "client view": CLIENT_VIEW,
    "packages": _tenant(loaders._packages_query(), col(loaders.ClientPackage.reseller_id)),
    "cdr page": _tenant(loaders._cdrs_query(), col(Cdr.reseller_id) + 0),
    "cdr page before": _tenant(loaders._cdrs_before_query(), col(Cdr.reseller_id) + 0),
    "cdr page, operator": loaders._cdrs_query(),
}


async def test_compiled_rows_equal_sqlalchemy_rows(api: Api, database: Database) -> None:
    w = await world(api)
    for n in range(7):
        await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr(f"c-{n}", w.a_line, duration=5 + n))
    await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr("bad", w.a_line, number="+999"))
    tenant, other = w.a.reseller_id, w.b.reseller_id
    cases: list[tuple[str, dict[str, Any]]] = [
        ("client view", {"tenant": tenant, "client_id": w.a_client}),
        ("client view", {"tenant": other, "client_id": w.a_client}),  # another tenant: none
        ("packages", {"tenant": tenant, "ids": [w.a_client]}),
        ("packages", {"tenant": tenant, "ids": [w.a_client, w.a_other, w.b_client]}),
        ("cdr page", {"tenant": tenant, "client_id": w.a_client, "limit": 5}),
        ("cdr page", {"tenant": other, "client_id": w.a_client, "limit": 5}),
        ("cdr page before", {"tenant": tenant, "client_id": w.a_client, "limit": 3, "before": 6}),
        ("cdr page, operator", {"client_id": w.a_client, "limit": 50}),
    ]
    for name, params in cases:
        expected, got = await _both_ways(database, STATIC[name], params)
        assert [tuple(r) for r in got] == [tuple(r) for r in expected], name
        assert [r._fields for r in got[:1]] == [tuple(r._fields) for r in expected[:1]], name
    _, (row,) = await _both_ways(database, CLIENT_VIEW, {"tenant": tenant, "client_id": w.a_client})
    assert isinstance(row.created_at, datetime)  # converted as SQLAlchemy converts it
    assert row.suspended is False
    assert row.currency == "USD"


async def _both_ways(
    database: Database, query: Select[Any], params: dict[str, Any]
) -> tuple[Sequence[Any], list[Any]]:
    """(SQLAlchemy's rows, the compiled statement's rows) on one connection."""
    compiled = compile_select(query, database.backend)
    assert compiled is not None
    readers = sync_reader(database.engine)
    if readers is not None:
        reader = readers.acquire()
        try:
            reader.begin()
            with reader.connect() as connection:
                expected = connection.execute(query, params).all()
            return expected, compiled.run_sqlite(reader.raw, params)
        finally:
            reader.end()
            readers.release(reader)
    async with database.engine.connect() as connection:
        expected = (await connection.execute(query, params)).all()
        raw = (await connection.get_raw_connection()).driver_connection
        return expected, await compiled.run_asyncpg(raw, params)


def test_statements_sqlalchemy_renders_per_execution_are_refused() -> None:
    rendered = select(col(Client.id)).where(col(Client.id) == bindparam("x", literal_execute=True))
    for backend in ("sqlite", "postgresql"):
        assert compile_select(rendered, backend) is None
        assert compile_select(CLIENT_VIEW, backend) is compile_select(CLIENT_VIEW, backend)
