"""Password checks run on a few threads; the excess waits briefly or is refused at once."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest
from argon2 import PasswordHasher

from api.auth.passwords import Passwords
from api.auth.verify_pool import NICENESS, PoolBusy, VerifyPool

HASHER = PasswordHasher(time_cost=2, memory_cost=8 * 1024, parallelism=1)


async def test_at_most_workers_checks_run_at_once_and_the_excess_is_refused() -> None:
    pool = VerifyPool(workers=2, queue=3, max_wait=30.0)
    passwords = Passwords(HASHER, pool)
    stored = passwords.hash("right")
    outcomes = await asyncio.gather(
        *(passwords.verify(stored, "wrong") for _ in range(32)), return_exceptions=True
    )
    busy = [o for o in outcomes if isinstance(o, PoolBusy)]
    checked = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(checked) == 5  # 2 running + 3 waiting
    assert len(busy) == 27
    assert all(b.retry_after >= 1 for b in busy)
    assert all(not c.ok for c in checked)
    assert pool.peak_running == 2
    assert pool.in_flight == 0
    assert (await passwords.verify(stored, "right")).ok  # the pool is free again


async def test_a_check_that_waited_too_long_is_not_run() -> None:
    release = threading.Event()
    pool = VerifyPool(workers=1, queue=5, max_wait=0.05)

    def blocking() -> str:
        release.wait(5)
        return "done"

    first = asyncio.ensure_future(pool.run(blocking))
    await asyncio.sleep(0.01)
    late = asyncio.ensure_future(pool.run(lambda: "never"))
    await asyncio.sleep(0.2)
    release.set()
    assert await first == "done"
    with pytest.raises(PoolBusy) as refused:
        await late
    assert refused.value.retry_after >= 1
    assert pool.in_flight == 0


async def test_a_cancelled_waiter_gives_its_place_back() -> None:
    release = threading.Event()
    pool = VerifyPool(workers=1, queue=1, max_wait=30.0)
    running = asyncio.ensure_future(pool.run(lambda: release.wait(5)))
    await asyncio.sleep(0.01)
    waiting = asyncio.ensure_future(pool.run(lambda: True))
    await asyncio.sleep(0.01)
    with pytest.raises(PoolBusy):
        await pool.run(lambda: True)  # 1 running + 1 waiting: full
    waiting.cancel()
    await asyncio.sleep(0.01)
    assert pool.in_flight == 1
    release.set()
    assert await running is True
    assert await pool.run(lambda: "free") == "free"


async def test_checks_run_at_a_lower_priority_than_the_event_loop() -> None:
    pool = VerifyPool(workers=1)

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    loop_nice = niceness()
    assert await pool.run(niceness) == min(19, loop_nice + NICENESS)
    assert niceness() == loop_nice


async def test_the_event_loop_stays_free_while_checks_run() -> None:
    """Checks never run on the event loop: a 10 ms timer keeps firing during 10 checks."""
    pool = VerifyPool(workers=2, queue=8)
    passwords = Passwords(HASHER, pool)
    stored = passwords.hash("x")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.ensure_future(tick())
    started = time.perf_counter()
    await asyncio.gather(*(passwords.verify(stored, "y") for _ in range(10)))
    elapsed = time.perf_counter() - started
    ticker.cancel()
    assert ticks >= elapsed / 0.01 / 4, (ticks, elapsed)
