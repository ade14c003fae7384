"""The operator runs the billing cycle for a day (idempotent: a rerun posts nothing)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from api.domain import errors as domain
from api.graphql.context import Info
from api.graphql.errors import InvalidInput, NotFound, common_problem, invalid
from api.graphql.types.ledger import BillingRun
from api.services import billing
from api.services.resellers import get_reseller

BillingResult = Annotated[BillingRun | NotFound | InvalidInput, strawberry.union("BillingResult")]


async def run_billing(info: Info, on: date, reseller_id: int | None = None) -> BillingResult:
    """Post monthly fees, reset free minutes and write statements for ``on``'s cycles
    (every reseller's, or one's)."""
    context = info.context
    actor = context.acting_as("operator", what="reseller", named=reseller_id is not None)
    if isinstance(actor, NotFound):
        return actor
    if reseller_id is not None:
        try:
            await get_reseller(context.services, actor, reseller_id)
        except domain.NotFound:
            return NotFound(message="reseller not found", what="reseller")
    try:
        run = await billing.run_billing(context.services, actor, on, reseller_id=reseller_id)
    except domain.ServiceError as exc:
        problem = common_problem(exc)
        return problem if isinstance(problem, NotFound | InvalidInput) else invalid("on", str(exc))
    return BillingRun.from_domain(run)
