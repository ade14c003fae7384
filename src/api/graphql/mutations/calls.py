"""What a switch (a CDR source) sends: CDRs, one or a batch; each is rated and explained.

Resellers submit for their own tenant; the operator names the tenant (``resellerId``).
The same (source, call id) sent again is rated once and answered with the first rating.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.domain import errors as domain
from api.graphql.context import Info
from api.graphql.errors import Conflict, InvalidInput, NotFound, common_problem, invalid
from api.graphql.types.calls import CdrBatch, CdrRating
from api.graphql.types.common import CallDirection
from api.services import cdrs
from api.services.records import CdrInput as CdrInputView
from api.services.resellers import get_reseller

MAX_BATCH = 1000

SubmitCdrResult = Annotated[
    CdrRating | InvalidInput | NotFound, strawberry.union("SubmitCdrResult")
]
SubmitCdrsResult = Annotated[
    CdrBatch | InvalidInput | NotFound, strawberry.union("SubmitCdrsResult")
]


@strawberry.input
class CdrInput:
    """One call detail record; ``startedAt`` must carry its UTC offset. An inbound call may
    name only the DID called (``number``) and no ``subAccount``: it is the call of the
    client the DID is assigned to."""

    source: str
    call_id: str
    sub_account: str | None = strawberry.field(
        default=None, description="The line; optional for an inbound call (the DID's client)."
    )
    direction: CallDirection
    number: str
    started_at: datetime
    duration: int

    def to_domain(self) -> CdrInputView:
        return CdrInputView(
            self.source, self.call_id, self.sub_account or "", self.direction.value, self.number,
            self.started_at, self.duration,
        )  # fmt: skip


async def submit_cdr(info: Info, cdr: CdrInput, reseller_id: int | None = None) -> SubmitCdrResult:
    """Rate and store one CDR; answers with its rating or why it stayed unrated."""
    context = info.context
    actor = context.acting_as(
        "reseller", "operator", what="reseller", named=reseller_id is not None
    )
    if isinstance(actor, NotFound):
        return actor
    try:
        view = await cdrs.rate_cdr(
            context.services, actor, cdr.to_domain(), reseller_id=reseller_id
        )
        currency = view.currency or await _currency(info, reseller_id)
    except domain.ServiceError as exc:
        problem = common_problem(exc)
        return problem if not isinstance(problem, Conflict) else invalid("cdr", str(exc))
    return CdrRating.from_domain(view, currency)


async def submit_cdrs(
    info: Info, cdrs_: Annotated[list[CdrInput], strawberry.argument(name="cdrs")],
    reseller_id: int | None = None,
) -> SubmitCdrsResult:  # fmt: skip
    """Rate and store up to 1000 CDRs in one go; every CDR is checked before any is stored."""
    context = info.context
    actor = context.acting_as(
        "reseller", "operator", what="reseller", named=reseller_id is not None
    )
    if isinstance(actor, NotFound):
        return actor
    if not 1 <= len(cdrs_) <= MAX_BATCH:
        return invalid("cdrs", f"between 1 and {MAX_BATCH} CDRs")
    records = [c.to_domain() for c in cdrs_]
    services = context.services
    try:
        summary = await cdrs.ingest_cdrs(services, actor, records, reseller_id=reseller_id)
        keys = [(c.source, c.call_id) for c in records]
        found = await cdrs.find_cdrs(services, actor, keys, reseller_id=reseller_id)
        currency = await _currency(info, reseller_id)
    except domain.ServiceError as exc:
        problem = common_problem(exc)
        return problem if not isinstance(problem, Conflict) else invalid("cdrs", str(exc))
    results = [CdrRating.from_domain(v, currency) for v in found if v is not None]
    return CdrBatch.from_domain(summary, results, currency)


async def _currency(info: Info, reseller_id: int | None) -> str:
    if reseller_id is None:
        return await info.context.currency()
    context = info.context
    return (await get_reseller(context.services, context.require(), reseller_id)).currency
