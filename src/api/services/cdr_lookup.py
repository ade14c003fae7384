"""Stored CDRs by (source, call id): the ratings of a batch just submitted."""

from __future__ import annotations

from collections.abc import Sequence

from api.domain.actor import Actor
from api.services.access import reseller_scope
from api.services.context import ServicesContext
from api.services.views import CdrResult
from api.store.tables import Cdr


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
        return [None if (row := found.get(key)) is None else _view(row) for key in keys]


def _view(c: Cdr) -> CdrResult:
    assert c.id is not None
    return CdrResult(
        c.id, c.source, c.call_id, c.status, c.failure_reason, c.client_id, c.sub_account_id,
        c.direction, c.number, c.duration, c.billed_seconds, c.charged_seconds, c.sell_rate,
        c.sell, c.cost_rate, c.cost, c.profit, c.rule_kind, c.rule_text, c.rule_line,
        c.deck_prefix, c.country, c.route, c.free_minutes_used, c.on_net,
        c.package_version_id, c.deck_version, c.transaction_id,
    )  # fmt: skip
