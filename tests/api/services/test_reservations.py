"""Reservations of hard clients' calls (api.domain.reservations), on both backends:
concurrent authorizations share the balance; CDRs, hangups and expiry release."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from api.domain.authorization import RefusalReason
from api.domain.tenants import tenant_username
from api.services import authorization, cdrs, clients, packages, resellers, switch
from api.services.cdrs import use_cases
from api.services.records import CdrInput
from api.store.tables import CallReservation
from tests.api.conftest import START, Clock, World

DEAR = """package "Dear" {
    currency USD
    markup 0% + 0.0000
    pulse 60
    route canada value
    route international value
    round 4 half_up

    rate country MX 1.0000
}
"""
MEXICO = "+525512345678"  # 1.0000 a minute with "Dear"
US = "+12025550100"


async def dear_client(world: World, paid: int = 10_000_000, name: str = "Hard") -> str:
    """A hard client holding ``paid`` (no fees) whose calls to Mexico cost 1.00/min."""
    published = await packages.publish_package(world.ctx, world.reseller, DEAR, file_name="d.rate")
    package_id = published.versions[0].package_id
    _, line = await world.client(name, balance_type="hard", paid=paid, package_id=package_id)
    return line


async def ask(world: World, line: str, call_id: str | None, number: str = MEXICO) -> int:
    decision = await authorization.authorize(
        world.ctx, world.reseller, line, number, call_id=call_id
    )
    return decision.max_seconds


async def held(world: World) -> list[tuple[str, int, int, int]]:
    async with world.ctx.read() as uow:
        rows = await uow.session.execute(
            select(
                CallReservation.call_id,
                CallReservation.seconds,
                CallReservation.amount,
                CallReservation.free_minutes,
            ).order_by(CallReservation.call_id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def cdr(line: str, call_id: str, duration: int, number: str = MEXICO) -> CdrInput:
    return CdrInput("sw", call_id, line, "outbound", number, START, duration)


async def test_fifty_concurrent_authorizations_share_ten_dollars(world: World) -> None:
    line = await dear_client(world)
    decisions = await asyncio.gather(
        *(
            authorization.authorize(world.ctx, world.reseller, line, MEXICO, call_id=f"c{i}")
            for i in range(50)
        )
    )
    granted = sorted((d.max_seconds for d in decisions), reverse=True)
    assert granted[0] == 600  # the first served gets the whole 10.00
    assert sum(granted) * 1_000_000 // 60 <= 10_000_000
    assert all(d.reason is RefusalReason.INSUFFICIENT_BALANCE for d in decisions if not d.allowed)
    rows = await held(world)
    assert sum(amount for _, _, amount, _ in rows) <= 10_000_000
    assert [(s, a) for _, s, a, _ in rows] == [(600, 10_000_000)]


async def test_a_second_call_gets_what_the_first_leaves(world: World) -> None:
    line = await dear_client(world)
    assert await ask(world, line, "a") == 600
    assert await ask(world, line, None) == 0  # a look without a call id: nothing left
    assert await switch.release_call(world.ctx, "a")
    assert await ask(world, line, "b") == 600


async def test_same_call_id_again_replaces_its_own_reservation(world: World) -> None:
    line = await dear_client(world)
    assert await ask(world, line, "a") == 600
    assert await ask(world, line, "a") == 600  # not counted against itself
    assert await held(world) == [("a", 600, 10_000_000, 0)]
    assert await ask(world, line, "b") == 0


async def test_partial_balance_splits_in_pulse_steps(world: World) -> None:
    line = await dear_client(world, paid=2_500_000)  # 2.50: two whole minutes
    assert await ask(world, line, "a") == 120
    assert await ask(world, line, "b") == 0  # 0.50 left pays no minute
    assert await held(world) == [("a", 120, 2_000_000, 0)]


async def test_free_minutes_are_reserved_too(world: World) -> None:
    # "Simple": 10 free minutes for US/CA, then 0.0100/min; fees 15.00 → 0.01 left
    _, line = await world.client("Free", balance_type="hard", paid=15_010_000)
    assert await ask(world, line, "a", US) == 660  # 10 free minutes + 1 paid
    assert await held(world) == [("a", 660, 10_000, 10)]
    assert await ask(world, line, "b", US) == 0


async def test_soft_clients_reserve_nothing(world: World) -> None:
    _, line = await world.client("Soft")
    assert await ask(world, line, "a", US) == 4 * 3600
    assert await held(world) == []


async def test_expired_reservations_stop_counting(world: World, clock: Clock) -> None:
    line = await dear_client(world)
    assert await ask(world, line, "a") == 600
    clock.advance(seconds=600 + 59)
    assert await ask(world, line, "b") == 0  # within the grace: still held
    clock.advance(seconds=2)
    assert await ask(world, line, "c") == 600  # a's expired; b held nothing
    assert [r[0] for r in await held(world)] == ["c"]  # expired rows purged


async def test_the_cdr_releases_and_is_charged_at_most_the_granted_seconds(
    world: World,
) -> None:
    line = await dear_client(world)
    assert await ask(world, line, "a") == 600
    rated = await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "a", 601))
    assert (rated.duration, rated.charged_seconds, rated.sell) == (601, 600, 10_000_000)
    assert await held(world) == []
    client = await clients.get_client(world.ctx, world.reseller, rated.client_id or 0)
    assert client.balance == 0
    again = await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "a", 601))
    assert again.duplicate


async def test_the_real_time_path_releases_and_clamps_in_its_own_writes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Far from the low-balance threshold, the CDR of a call holding a reservation is
    written by the real-time path itself (no unit of work): released with its writes."""
    await resellers.update_reseller_settings(world.ctx, world.reseller, max_call_seconds=600)
    line = await dear_client(world, paid=100_000_000)
    assert await ask(world, line, "a") == 600  # the cap; 100.00 would pay 6,000 s
    assert await ask(world, line, "b") == 600
    assert [r[0] for r in await held(world)] == ["a", "b"]

    async def no_unit_of_work(*_args: object) -> None:
        raise AssertionError("rated as a batch of one in a unit of work")

    monkeypatch.setattr(use_cases, "_rate_in_unit_of_work", no_unit_of_work)
    rated = await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "a", 601))
    assert (rated.duration, rated.charged_seconds, rated.sell) == (601, 600, 10_000_000)
    assert [r[0] for r in await held(world)] == ["b"]
    client = await clients.get_client(world.ctx, world.reseller, rated.client_id or 0)
    assert client.balance == 90_000_000
    assert (await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "a", 601))).duplicate
    assert [r[0] for r in await held(world)] == ["b"]


async def test_a_cdr_without_reservation_is_charged_in_full(world: World) -> None:
    line = await dear_client(world)
    rated = await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "free-run", 61))
    assert (rated.charged_seconds, rated.sell) == (120, 2_000_000)


async def test_batch_ingest_releases_and_clamps(world: World) -> None:
    line = await dear_client(world, paid=4_000_000)
    assert await ask(world, line, "a") == 240
    assert await ask(world, line, "b") == 0
    summary = await cdrs.ingest_cdrs(
        world.ctx, world.reseller, [cdr(line, "a", 241), cdr(line, "z", 0)]
    )
    assert (summary.rated, summary.sell) == (2, 4_000_000)
    assert await held(world) == []  # a's released by its CDR; b was refused, held nothing
    stored = await cdrs.get_cdr(world.ctx, world.reseller, "sw", "a")
    assert (stored.duration, stored.charged_seconds) == (241, 240)


async def test_hangup_releases(world: World) -> None:
    line = await dear_client(world)
    assert await ask(world, line, "a") == 600
    full = tenant_username(world.reseller_id, line)
    assert not await switch.release_call(world.ctx, "a", "999999_other")
    assert await switch.release_call(world.ctx, "a", full)
    assert not await switch.release_call(world.ctx, "a")
    assert await ask(world, line, "b") == 600


async def test_refusal_of_a_reauthorized_call_releases_its_reservation(world: World) -> None:
    line = await dear_client(world, paid=1_000_000)
    assert await ask(world, line, "a") == 60
    async with world.ctx.read() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(CallReservation)) == 1
    await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "other", 30))  # spends 1.00
    assert await ask(world, line, "a") == 0  # suspended or broke: refused
    assert await held(world) == []


@pytest.mark.parametrize("count", [2, 7])
async def test_concurrent_cdrs_and_authorizations_never_overdraw(world: World, count: int) -> None:
    line = await dear_client(world, paid=5_000_000)
    granted = await asyncio.gather(*(ask(world, line, f"k{i}") for i in range(count)))
    assert sum(granted) <= 300
    await asyncio.gather(
        *(cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, f"k{i}", g + 1)) for i, g in
          enumerate(granted) if g)
    )  # fmt: skip
    assert await held(world) == []
    client_id = (await cdrs.get_cdr(world.ctx, world.reseller, "sw", "k0")).client_id or 0
    balance = (await clients.get_client(world.ctx, world.reseller, client_id)).balance
    assert balance >= 0
