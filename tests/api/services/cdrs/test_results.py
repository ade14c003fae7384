"""A stored CDR reads the same whether it comes from the row just written or from the
table (the ORM), duplicate or not."""

from __future__ import annotations

from dataclasses import replace

from api.services import cdrs
from api.services.records import CdrInput
from tests.api.conftest import START, World


async def test_the_view_of_a_stored_cdr_equals_the_view_of_the_row_written(world: World) -> None:
    _, line = await world.client("Viewed", paid=20_000_000)
    call = CdrInput("sw", "seen", line, "outbound", "+442071234567", START, 95)
    written = await cdrs.rate_cdr(world.ctx, world.reseller, call)
    assert (written.status, written.duplicate, written.currency) == ("rated", False, "USD")
    assert written.transaction_id is not None
    stored = await cdrs.get_cdr(world.ctx, world.reseller, "sw", "seen")
    assert stored == replace(written, currency="")
    again = await cdrs.rate_cdr(world.ctx, world.reseller, call)
    assert again == replace(written, duplicate=True)
    assert await cdrs.find_cdrs(world.ctx, world.reseller, [("sw", "seen"), ("sw", "no")]) == [
        stored,
        None,
    ]
