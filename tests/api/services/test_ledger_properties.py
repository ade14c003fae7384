"""A random interleaving of operations keeps the ledger invariants and the hard rule."""

from __future__ import annotations

import contextlib
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.domain.errors import NotFound
from api.services import billing, cdrs, clients, payments
from api.services.client_packages import attach_package, detach_package
from api.services.records import CdrInput
from tests.api.conftest import START, World, check_invariants
from tests.conftest import Database

NUMBERS = ["+12025550100", "+442071234567", "+525512345678", "+861012345678"]

operation = st.one_of(
    st.tuples(st.just("cdr"), st.integers(0, 1), st.sampled_from(NUMBERS), st.integers(0, 900)),
    st.tuples(st.just("pay"), st.integers(0, 1), st.integers(1, 20_000_000)),
    st.tuples(st.just("charge"), st.integers(0, 1), st.integers(1, 20_000_000)),
    st.tuples(st.just("detach"), st.integers(0, 1)),
    st.tuples(st.just("attach"), st.integers(0, 1)),
    st.tuples(st.just("bill"), st.integers(1, 3)),
)


async def test_random_operations_keep_the_invariants(world: World, database: Database) -> None:
    hard, hard_line = await world.client("H", balance_type="hard", paid=20_000_000, username="hh-1")
    soft, soft_line = await world.client("S", paid=20_000_000, username="ss-1")
    ids, lines = [hard, soft], [hard_line, soft_line]
    counter = iter(range(10**9))

    async def run(ops: list[tuple[object, ...]]) -> None:
        for op in ops:
            kind, who = op[0], int(op[1])  # type: ignore[call-overload]
            target = ids[who % 2]
            if kind == "cdr":
                await cdrs.rate_cdr(
                    world.ctx,
                    world.reseller,
                    CdrInput(
                        "p",
                        f"c{next(counter)}",
                        lines[who],
                        "outbound",
                        str(op[2]),
                        START,
                        int(op[3]),
                    ),
                )  # type: ignore[call-overload]
            elif kind == "pay":
                await payments.add_payment(world.ctx, world.reseller, target, int(op[2]))  # type: ignore[call-overload]
            elif kind == "charge":
                await payments.add_charge(world.ctx, world.reseller, target, int(op[2]))  # type: ignore[call-overload]
            elif kind == "detach":
                with contextlib.suppress(NotFound):  # not attached: fine
                    await detach_package(world.ctx, world.reseller, target, world.package_id)
            elif kind == "attach":
                await attach_package(world.ctx, world.reseller, target, world.package_id)
            else:
                await billing.run_billing(world.ctx, world.reseller, date(2026, 11 + who % 2, 1))
        await check_invariants(database)
        for client_id in ids:
            view = await clients.get_client(world.ctx, world.reseller, client_id)
            assert view.suspended == (view.balance_type == "hard" and view.balance <= 0)

    # Hypothesis draws the sequences (no shrinking across the async boundary); each one
    # is then run on this event loop against the same database.
    examples: list[list[tuple[object, ...]]] = []

    @settings(
        max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(st.lists(operation, max_size=12))
    def collect(ops: list[tuple[object, ...]]) -> None:
        examples.append(ops)

    collect()
    for ops in examples:
        await run(ops)
