"""The main flow end to end: payments, a rated call, fees, balances and events."""

from __future__ import annotations

from api.events import BalanceChanged, LowBalance, SuspensionChanged
from api.services import cdrs, clients
from api.services.records import CdrInput
from tests.api.conftest import START, World


def call(line: str, call_id: str, number: str = "+12025550100", duration: int = 90) -> CdrInput:
    return CdrInput("sw1", call_id, line, "outbound", number, START, duration)


async def test_attach_posts_setup_and_first_monthly_fee(world: World) -> None:
    client_id, _ = await world.client("Bob", paid=20_000_000)
    view = await clients.get_client(world.ctx, world.reseller, client_id)
    assert view.balance == 20_000_000 - 10_000_000 - 5_000_000


async def test_a_call_outside_free_zone_is_charged_at_sell_and_cost(world: World) -> None:
    client_id, line = await world.client("Bob", paid=20_000_000)
    result = await cdrs.rate_cdr(world.ctx, world.reseller, call(line, "c1", "+442071234567"))
    assert result.status == "rated"
    # London: deck 4420 value 0.0080, markup 20% → 0.0096/min, 90 s → 120 s billed
    assert (result.sell_rate, result.sell) == (9_600, 19_200)
    assert (result.cost_rate, result.cost) == (8_000, 16_000)
    assert result.profit == 3_200
    assert result.deck_prefix == "4420"
    assert result.country == "GB"
    view = await clients.get_client(world.ctx, world.reseller, client_id)
    assert view.balance == 5_000_000 - 19_200


async def test_hard_client_events(world: World, events: list[object]) -> None:
    client_id, _ = await world.client("Hard", balance_type="hard", attach=False)
    from api.services import payments

    await payments.add_payment(world.ctx, world.reseller, client_id, 10_000_000)
    await payments.add_charge(world.ctx, world.reseller, client_id, 6_000_000)
    await payments.add_charge(world.ctx, world.reseller, client_id, 1_000_000)
    await payments.add_charge(world.ctx, world.reseller, client_id, 4_000_000)
    mine = [e for e in events if getattr(e, "client_id", None) == client_id]
    lows = [e for e in mine if isinstance(e, LowBalance)]
    suspensions = [e for e in mine if isinstance(e, SuspensionChanged)]
    assert len([e for e in mine if isinstance(e, BalanceChanged)]) == 4
    assert len(lows) == 1  # 4.00 is below the default 5.00; 3.00 is no new crossing
    assert lows[0].balance == 4_000_000
    assert [s.suspended for s in suspensions] == [False, True]


async def test_a_payment_that_leaves_a_low_balance_below_is_no_crossing(
    world: World, events: list[object]
) -> None:
    """Issue #11: a payment raising 0.00 to 0.10 (threshold 5.00) fired lowBalance."""
    from api.services import payments

    client_id, _ = await world.client("Low", attach=False)
    await payments.add_payment(world.ctx, world.reseller, client_id, 100_000)
    await payments.add_charge(world.ctx, world.reseller, client_id, 50_000)  # still below
    mine = [e for e in events if getattr(e, "client_id", None) == client_id]
    assert [e for e in mine if isinstance(e, LowBalance)] == []
    assert len([e for e in mine if isinstance(e, BalanceChanged)]) == 2
