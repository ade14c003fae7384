"""Readers (loaders, read use cases, token look-ups) never queue behind writers on SQLite,
and writers never wait for readers; DID money is in its owner's currency."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from api.domain.actor import Actor
from api.services import resellers
from api.services.context import ServicesContext
from api.store.engine import read_session
from api.store.tables import Reseller
from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import seed
from tests.conftest import Database

TIMEOUT_S = 5.0  # far below the 30 s busy timeout a queued reader would wait


async def test_a_write_commits_while_two_read_transactions_are_open(
    ctx: ServicesContext, database: Database
) -> None:
    names = select(col(Reseller.name))
    async with ctx.read() as first, read_session(database.sessionmaker) as second:
        # the first read starts each reader's snapshot (SQLite: its read lock)
        assert "written" not in set(await first.session.scalars(names))
        assert "written" not in set(await second.scalars(names))
        created = await asyncio.wait_for(
            resellers.create_reseller(ctx, Actor.operator(), "written", "EUR"), TIMEOUT_S
        )
        if database.backend == "sqlite":  # each reader keeps the snapshot it started with
            assert "written" not in set(await first.session.scalars(names))
            assert "written" not in set(await second.scalars(names))
    async with ctx.read() as after:
        assert await after.session.get(Reseller, created.reseller.id) is not None


class _RollBack(Exception):
    pass


async def test_readers_do_not_wait_for_an_open_writer(ctx: ServicesContext) -> None:
    async def read() -> set[str]:
        async with ctx.read() as uow:
            return set(await uow.session.scalars(select(col(Reseller.name))))

    seen: list[set[str]] = []

    async def write_while_reading() -> None:
        async with ctx.unit_of_work() as writer:  # BEGIN IMMEDIATE: holds the write lock
            writer.session.add(Reseller(name="pending", currency="EUR", created_at=ctx.now()))
            await writer.session.flush()
            seen.extend(await asyncio.wait_for(asyncio.gather(read(), read()), TIMEOUT_S))
            raise _RollBack

    with pytest.raises(_RollBack):
        await write_while_reading()
    assert len(seen) == 2
    assert all("pending" not in names for names in seen)


async def test_a_read_only_unit_of_work_refuses_events(ctx: ServicesContext) -> None:
    async with ctx.read() as uow:
        with pytest.raises(RuntimeError, match="read-only"):
            uow.emit(object())  # type: ignore[arg-type]


async def test_repeated_documents_are_validated_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.graphql import hardening

    validated: list[object] = []
    real = hardening.validate_document

    def counting(*args: Any) -> Any:
        validated.append(args[1])
        return real(*args)

    tenant = await seed(api)
    monkeypatch.setattr(hardening, "validate_document", counting)
    query = f"query {{ reseller {{ id name }} }} # {uuid.uuid4()}"  # a document new to the caches
    for _ in range(4):
        await api.data(query, tenant.reseller)
    assert len(validated) == 1
    invalid = f"query {{ reseller {{ nope }} }} # {uuid.uuid4()}"
    for _ in range(2):
        response = await api.post(invalid, tenant.reseller)
        assert "nope" in response["errors"][0]["message"]
    assert len(validated) == 2


async def test_did_money_is_in_the_owning_reseller_currency(api: Api) -> None:
    tenant = await seed(api)
    body = await api.data(
        'mutation { createReseller(name: "euro", currency: "EUR") {'
        " ... on ResellerCreated { token { token } } } }",
        tenant.operator,
    )
    euro = body["createReseller"]["token"]["token"]
    money = "monthlyPrice { currency } monthlyCost { currency }"
    added = await api.data(
        f'mutation {{ addDids(dids: [{{number: "15145550199"}}]) {{'
        f" ... on AddedDids {{ dids {{ {money} }} }} }} }}",
        tenant.operator,
    )
    assert added["addDids"]["dids"][0]["monthlyCost"]["currency"] == "USD"  # platform
    taken = await api.data(
        f'mutation {{ takeDid(number: "15145550199") {{ ... on Did {{ {money} }} }} }}', euro
    )
    assert taken["takeDid"] == {
        "monthlyPrice": {"currency": "EUR"},
        "monthlyCost": {"currency": "EUR"},
    }
    listed = await api.data(f"query {{ dids {{ edges {{ node {{ {money} }} }} }} }}", euro)
    assert listed["dids"]["edges"][0]["node"]["monthlyPrice"]["currency"] == "EUR"
