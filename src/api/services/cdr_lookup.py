"""Stored CDRs by (source, call id): the ratings of a batch just submitted."""

from __future__ import annotations

from collections.abc import Sequence

from api.domain.actor import Actor
from api.services.access import reseller_scope
from api.services.cdrs import result_view
from api.services.context import ServicesContext
from api.services.views import CdrResult


async def find_cdrs(
    ctx: ServicesContext,
    actor: Actor,
    keys: Sequence[tuple[str, str]],
    *,
    reseller_id: int | None = None,
) -> list[CdrResult | None]:
    """The tenant's stored CDR for each key, in order (``None`` where there is none)."""
    tenant = reseller_scope(actor, reseller_id)
    async with ctx.unit_of_work() as uow:
        found = await uow.cdrs.find_many(tenant, keys)
        return [None if (row := found.get(key)) is None else result_view(row) for key in keys]
