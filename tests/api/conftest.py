"""Fixtures for the service tests: a services context, small decks and rules, factories,
and the ledger invariants checked after every test that used a database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from api.domain.actor import Actor
from api.events import Event, EventBus
from api.services import clients, decks, packages, payments, resellers, sub_accounts
from api.services.client_packages import attach_package
from api.services.context import ServicesContext
from api.services.secrets import PasswordCipher
from tests.conftest import Database

DECK = """prefix,country,description,value_rate,premium_rate
1,US,USA,0.0050,0.0080
1514,CA,Canada - Montreal,0.0060,0.0090
44,GB,United Kingdom,0.0100,0.0150
4420,GB,United Kingdom - London,0.0080,0.0120
52,MX,Mexico,0.0200,0.0300
"""

RULES = """package "Simple" {
    currency USD
    markup 20% + 0.0000
    pulse 60
    route canada value
    route international value
    on_net free
    fee setup 10.00
    fee monthly 5.00
    free_minutes 10
    round 4 half_up

    rate usa_canada 0.0100
    rate country MX 0.0400
    free_zone usa_canada
}
"""

NO_FREE = """package "PerSecond" {
    currency USD
    markup 50% + 0.0000
    pulse 1
    route canada value
    route international value
    round 4 half_up
}
"""

START = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


class Clock:
    """A settable clock for the tests."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
async def ctx(
    database: Database, clock: Clock, events: list[Event]
) -> AsyncIterator[ServicesContext]:
    bus = EventBus()
    publish = bus.publish

    def record(event: Event) -> None:
        events.append(event)
        publish(event)

    bus.publish = record  # type: ignore[method-assign]
    yield ServicesContext(database.sessionmaker, bus, PasswordCipher("test-secret"), clock)
    await check_invariants(database)  # after every test that used the services


@dataclass
class World:
    """A reseller with a deck, a published package, and helpers to add clients."""

    ctx: ServicesContext
    operator: Actor
    reseller: Actor
    reseller_id: int
    package_id: int

    async def client(
        self,
        name: str,
        *,
        balance_type: str = "soft",
        paid: int = 0,
        attach: bool = True,
        username: str | None = None,
        billing_day: int = 1,
        package_id: int | None = None,
        threshold: int | None = None,
    ) -> tuple[int, str]:
        view = await clients.create_client(
            self.ctx,
            self.reseller,
            name,
            balance_type=balance_type,
            billing_day=billing_day,
            low_balance_threshold=threshold,
        )
        if paid:
            await payments.add_payment(self.ctx, self.reseller, view.id, paid, description="t")
        if attach:
            await attach_package(self.ctx, self.reseller, view.id, package_id or self.package_id)
        line = username or f"{name.lower().replace(' ', '')}-line"
        await sub_accounts.create_sub_account(self.ctx, self.reseller, view.id, line)
        return view.id, line


async def make_world(ctx: ServicesContext, rules: str = RULES, name: str = "Acme") -> World:
    operator = Actor.operator()
    await decks.import_deck(ctx, operator, DECK, name="test", activate=True)
    created = await resellers.create_reseller(ctx, operator, name, "USD")
    reseller = Actor.reseller(created.reseller.id)
    published = await packages.publish_package(ctx, reseller, rules, file_name="t.rate")
    return World(ctx, operator, reseller, created.reseller.id, published.versions[0].package_id)


@pytest.fixture
async def world(ctx: ServicesContext) -> World:
    return await make_world(ctx)


INVARIANT_SQL = {
    "unbalanced transactions": (
        "SELECT transaction_id FROM ledger_entries GROUP BY transaction_id HAVING SUM(amount) <> 0"
    ),
    "cached balance differs from its entries": (
        "SELECT a.id FROM accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id "
        "GROUP BY a.id, a.balance HAVING a.balance <> COALESCE(SUM(e.amount), 0)"
    ),
    "rated CDR without its posting": (
        "SELECT id FROM cdrs WHERE status = 'rated' AND (sell <> 0 OR cost <> 0) "
        "AND transaction_id IS NULL"
    ),
    "unrated CDR with money": (
        "SELECT id FROM cdrs WHERE status = 'unrated' AND (sell <> 0 OR cost <> 0 "
        "OR transaction_id IS NOT NULL)"
    ),
}


async def check_invariants(database: Database) -> None:
    """Every transaction sums to zero; every cached balance equals its entries."""
    async with database.engine.connect() as conn:
        for problem, sql in INVARIANT_SQL.items():
            rows = (await conn.execute(text(sql))).fetchall()
            assert not rows, f"{problem}: {rows[:5]}"


async def refuse_cdr_inserts(database: Database, call_id: str) -> None:
    """A real database refusal (a trigger) of the CDR ``call_id``, past every check."""
    async with database.engine.begin() as conn:
        if database.backend == "sqlite":
            await conn.execute(text(
                "CREATE TRIGGER refuse BEFORE INSERT ON cdrs "
                f"WHEN NEW.call_id = '{call_id}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            ))  # fmt: skip
        else:
            await conn.execute(text(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.call_id = '{call_id}' THEN RAISE EXCEPTION 'refused'; END IF; "
                "RETURN NEW; END $$"
            ))  # fmt: skip
            await conn.execute(text(
                "CREATE TRIGGER refuse BEFORE INSERT ON cdrs FOR EACH ROW EXECUTE FUNCTION refuse()"
            ))  # fmt: skip


async def allow_cdr_inserts(database: Database) -> None:
    """Drop the trigger of :func:`refuse_cdr_inserts`."""
    async with database.engine.begin() as conn:
        on = " ON cdrs" if database.backend == "postgresql" else ""
        await conn.execute(text(f"DROP TRIGGER refuse{on}"))
