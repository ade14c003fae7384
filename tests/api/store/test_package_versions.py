"""The latest-version rule: once a package has a new version, every read of the road
(the real-time resolve query, the batch path's lines, billing, the package list) takes it."""

from __future__ import annotations

from api.services import cdrs, packages
from api.services.records import CdrInput
from tests.api.conftest import NO_FREE, START, World

DEARER = NO_FREE.replace("markup 50%", "markup 100%")


def _call(line: str, call_id: str) -> CdrInput:
    return CdrInput("sw", call_id, line, "outbound", "+442071234567", START, 60)


async def test_calls_after_a_new_version_are_rated_with_it_on_both_paths(world: World) -> None:
    first = await packages.publish_package(world.ctx, world.reseller, NO_FREE, file_name="a.rate")
    package_id = first.versions[0].package_id
    _, line = await world.client("Versions", paid=50_000_000, package_id=package_id)
    before = await cdrs.rate_cdr(world.ctx, world.reseller, _call(line, "v1"))
    second = await packages.publish_package(world.ctx, world.reseller, DEARER, file_name="b.rate")
    assert second.versions[0].package_id == package_id
    after = await cdrs.rate_cdr(world.ctx, world.reseller, _call(line, "v2"))
    await cdrs.ingest_cdrs(world.ctx, world.reseller, [_call(line, "v2-batch")])
    batch = (await cdrs.find_cdrs(world.ctx, world.reseller, [("sw", "v2-batch")]))[0]
    assert batch is not None
    assert before.package_version_id != after.package_version_id
    assert after.package_version_id == batch.package_version_id
    assert after.sell == batch.sell > before.sell
    listed = {p.id: p for p in await packages.list_packages(world.ctx, world.reseller)}
    assert listed[package_id].latest_version == 2
