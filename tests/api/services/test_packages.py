"""Publishing packages: one size limit, compiled off the event loop, then a short write."""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

from api.domain.errors import InvalidInput, RuleCompileFailed
from api.services import packages
from api.services.packages import MAX_FILE_NAME, MAX_SOURCE_CHARACTERS
from tests.api.conftest import RULES, World


def big_package(rules: int) -> str:
    lines = [f"    rate prefix {44_000_000 + i} 0.{i % 9000 + 1000:04d}" for i in range(rules)]
    return RULES.replace('"Simple"', '"Big"').replace("}\n", "\n".join(lines) + "\n}\n")


async def test_sources_and_names_over_the_limits_are_refused(world: World) -> None:
    padding = "#" * (MAX_SOURCE_CHARACTERS - len(RULES)) + "\n"
    with pytest.raises(InvalidInput) as refused:
        await packages.publish_package(world.ctx, world.reseller, RULES + padding)
    assert (refused.value.field, refused.value.detail) == ("source", "at most 200000 characters")
    with pytest.raises(InvalidInput) as refused:
        await packages.publish_package(
            world.ctx, world.reseller, RULES, file_name="x" * (MAX_FILE_NAME + 1)
        )
    assert refused.value.field == "file_name"
    at_the_limit = RULES + padding[: MAX_SOURCE_CHARACTERS - len(RULES) - 1] + "\n"
    assert len(at_the_limit) == MAX_SOURCE_CHARACTERS
    published = await packages.publish_package(
        world.ctx, world.reseller, at_the_limit, file_name="y" * MAX_FILE_NAME
    )
    assert [v.version for v in published.versions] == [2]


async def test_compile_errors_store_nothing(world: World) -> None:
    before = await packages.list_packages(world.ctx, world.reseller)
    with pytest.raises(RuleCompileFailed):
        await packages.publish_package(world.ctx, world.reseller, RULES.replace("USD", "usd"))
    assert await packages.list_packages(world.ctx, world.reseller) == before


async def test_the_event_loop_keeps_running_while_a_large_file_compiles(world: World) -> None:
    source = big_package(6_000)
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    gc.collect()
    gc.freeze()  # as the server does (api.app.tune_gc): no full collection of the test heap
    try:
        ticker = asyncio.create_task(tick())
        began = time.perf_counter()
        published = await packages.publish_package(world.ctx, world.reseller, source)
        took = time.perf_counter() - began
        done.set()
        await ticker
    finally:
        gc.unfreeze()
    assert [v.name for v in published.versions] == ["Big"]
    assert took > 0.2  # long enough to tell
    # Compiling on the loop would stop the ticker for the whole compile.
    assert max(gaps) < took / 2, (max(gaps), took)
