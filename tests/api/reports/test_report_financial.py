"""The financial report on both databases: balances from the ledger, by period and tenant."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from api.domain.actor import Actor
from api.reports import Balances, FinancialReport, Period, financial_report
from api.reports.kinds import Movement
from api.reports.schema import accounts
from tests.api.reports.report_world import FEBRUARY_NY, NEW_YORK, World

M = Movement


def balances(opening: int, closing: int, **moved: int) -> Balances:
    movements = dict.fromkeys(Movement, 0) | {
        Movement(name): value for name, value in moved.items()
    }
    return Balances(opening, movements, closing)


ALICE_FEBRUARY = balances(
    15_010_000,  # 20.00 paid in January - 4.99 monthly fee on Jan 31
    11_724_500,
    payments_manual=5_000_000,  # posted at the first instant of February in New York
    payments_paypal=10_000_000,
    charges=-1_500_000,
    package_fees=-14_990_000,  # setup 10.00 + monthly 4.99
    did_fees=-2_000_000,
    calls=-45_500,  # 0.036 + 0.0095 (the latter at 23:31 on Feb 28 in New York)
    other=250_000,  # a kind the report does not know still moves the balance
)
BOB_FEBRUARY = balances(0, -50_000, calls=-50_000)
ACME_WITH_OPERATOR = balances(50_000_000, 48_931_000, calls=-69_000, did_fees=-1_000_000)


async def report(world: World, actor: Actor, period: Period = FEBRUARY_NY,
                 reseller_id: int | None = None) -> FinancialReport:  # fmt: skip
    async with world.db.sessionmaker() as session:
        return await financial_report(session, actor, period, reseller_id=reseller_id)


async def test_a_resellers_clients_and_its_account_with_the_operator(world: World) -> None:
    (acme,) = (await report(world, world.acme_actor)).resellers
    assert [(line.client_name, line.balances) for line in acme.clients] == [
        ("=Bob Ltd", BOB_FEBRUARY),
        ("Alice Co", ALICE_FEBRUARY),
    ]
    assert acme.clients_total == ALICE_FEBRUARY + BOB_FEBRUARY
    assert acme.with_operator == ACME_WITH_OPERATOR


async def test_closing_is_opening_plus_movements(world: World) -> None:
    (acme,) = (await report(world, world.acme_actor)).resellers
    for line in [*(client.balances for client in acme.clients), acme.clients_total]:
        assert line.closing == line.opening + sum(line.movements.values())
    assert ALICE_FEBRUARY.payments == 15_000_000


async def test_consecutive_periods_chain(world: World) -> None:
    january = Period(date(2026, 1, 1), date(2026, 1, 31), NEW_YORK)
    march = Period(date(2026, 3, 1), date(2026, 3, 31), NEW_YORK)
    for earlier, later in ((january, FEBRUARY_NY), (FEBRUARY_NY, march)):
        (before,) = (await report(world, world.acme_actor, earlier)).resellers
        (after,) = (await report(world, world.acme_actor, later)).resellers
        assert before.clients_total.closing == after.clients_total.opening
    (in_march,) = (await report(world, world.acme_actor, march)).resellers
    assert in_march.clients_total.movements[M.PAYMENTS_MANUAL] == 100_000_000


async def test_a_client_reads_only_its_own_statement(world: World) -> None:
    (own,) = (await report(world, world.alice_actor)).resellers
    assert [(line.client_name, line.balances) for line in own.clients] == [
        ("Alice Co", ALICE_FEBRUARY)
    ]
    assert own.clients_total == ALICE_FEBRUARY
    assert own.with_operator is None  # the reseller's costs are not the client's business


async def test_no_reseller_reads_another(world: World) -> None:
    (blue,) = (await report(world, world.blue_actor)).resellers
    assert [line.client_name for line in blue.clients] == ["Carol"]
    assert blue.clients_total == balances(0, 6_923_000, payments_manual=7_000_000, calls=-77_000)
    assert blue.with_operator == balances(0, -50_000, calls=-50_000)
    assert (await report(world, world.blue_actor, reseller_id=world.acme)).resellers == []


async def test_the_operator_reads_per_reseller_totals(world: World) -> None:
    result = await report(world, Actor.operator())
    assert [(r.reseller_name, r.clients) for r in result.resellers] == [
        ("Acme Voice", []),
        ("Blue Tel", []),
    ]
    acme, _ = result.resellers
    assert acme.clients_total == ALICE_FEBRUARY + BOB_FEBRUARY
    assert acme.with_operator == ACME_WITH_OPERATOR
    only_blue = await report(world, Actor.operator(), reseller_id=world.blue)
    assert [r.reseller_name for r in only_blue.resellers] == ["Blue Tel"]


async def test_the_resellers_own_payment_without_a_method_counts_as_manual(world: World) -> None:
    january = Period(date(2026, 1, 1), date(2026, 1, 31), NEW_YORK)
    (acme,) = (await report(world, world.acme_actor, january)).resellers
    assert acme.with_operator == balances(0, 50_000_000, payments_manual=50_000_000)


async def test_closing_after_the_last_posting_equals_the_cached_balance(world: World) -> None:
    up_to_now = Period(date(2025, 12, 1), date(2026, 12, 31), NEW_YORK)
    (acme,) = (await report(world, world.acme_actor, up_to_now)).resellers
    async with world.db.sessionmaker() as session:
        rows = await session.execute(select(accounts.c.client_id, accounts.c.balance))
        cached: dict[int | None, int] = dict(rows.all())
    closing = {line.client_id: line.balances.closing for line in acme.clients}
    assert closing == {world.alice: cached[world.alice], world.bob: cached[world.bob]}
    assert closing[world.alice] == 11_724_500 + 100_000_000  # with the March payment
