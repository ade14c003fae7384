"""The line-package rule (:mod:`api.store.line_packages`) as the real-time rating, the
batch rating and the authorization read it: a line linked to a package rates with it,
an unlinked line with its client's most recent attachment, a detached one no more."""

from __future__ import annotations

from api.domain.actor import Actor
from api.services import cdrs, packages, sub_accounts
from api.services.authorization import authorize
from api.services.client_packages import attach_package, detach_package
from api.services.records import CdrInput
from tests.api.conftest import NO_FREE, START, World


def _call(line: str, call_id: str) -> CdrInput:
    return CdrInput("sw", call_id, line, "outbound", "+442071234567", START, 61)


async def _versions(world: World, line: str, tag: str) -> tuple[int | None, int | None]:
    """The package version of one call of ``line`` on each rating path."""
    now = await cdrs.rate_cdr(world.ctx, world.reseller, _call(line, f"{tag}-rt"))
    await cdrs.ingest_cdrs(world.ctx, world.reseller, [_call(line, f"{tag}-batch")])
    batch = (await cdrs.find_cdrs(world.ctx, world.reseller, [("sw", f"{tag}-batch")]))[0]
    assert batch is not None
    return now.package_version_id, batch.package_version_id


async def _max_seconds(world: World, reseller: Actor, line: str) -> int:
    decision = await authorize(world.ctx, reseller, line, "+442071234567")
    assert decision.allowed, decision
    return decision.max_seconds


async def test_a_line_rates_with_its_own_package_else_the_latest_attachment(
    world: World,
) -> None:
    per_second = await packages.publish_package(
        world.ctx, world.reseller, NO_FREE, file_name="s.rate"
    )
    second = per_second.versions[0]
    client_id, line = await world.client("Two", balance_type="hard", paid=16_000_000)
    first_version = (await _versions(world, line, "a"))[0]
    assert first_version is not None
    assert first_version != second.id
    await attach_package(world.ctx, world.reseller, client_id, second.package_id)

    # unlinked: the most recent attachment (per second, pulse 1)
    assert await _versions(world, line, "b") == (second.id, second.id)
    assert (await _max_seconds(world, world.reseller, line)) % 60 != 0

    # linked to the first package: that one (pulse 60), whatever was attached later
    listed = await sub_accounts.list_sub_accounts(world.ctx, world.reseller, client_id)
    await sub_accounts.set_sub_account_package(
        world.ctx, world.reseller, listed[0].id, world.package_id
    )
    assert await _versions(world, line, "c") == (first_version, first_version)
    assert (await _max_seconds(world, world.reseller, line)) % 60 == 0

    # unlinked again, the latest attachment detached: the earlier attachment
    await sub_accounts.set_sub_account_package(world.ctx, world.reseller, listed[0].id, None)
    await detach_package(world.ctx, world.reseller, client_id, second.package_id)
    assert await _versions(world, line, "d") == (first_version, first_version)
