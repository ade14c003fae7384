"""DID lifecycles of a reseller: unassign from a client, reprice, release to the operator."""

from __future__ import annotations

from decimal import Decimal

from api.domain import errors as domain
from api.graphql.context import Info
from api.graphql.errors import common_problem, invalid
from api.graphql.mutations.reseller_ops import DidResult
from api.graphql.scalars import to_micros
from api.graphql.types.dids import Did
from api.services import dids

MAX_NUMBER = 32


async def unassign_did(info: Info, number: str) -> DidResult:
    """Take a DID back from its client: no more monthly fees (the current month is not
    refunded); the reseller keeps the DID."""
    context = info.context
    actor = context.require_role("reseller")
    if len(number) > MAX_NUMBER:
        return invalid("number", f"at most {MAX_NUMBER} characters")
    try:
        view = await dids.unassign_did(context.services, actor, number)
    except domain.ServiceError as exc:
        return common_problem(exc)
    return Did.from_domain(view, await context.tenant_currency(view.reseller_id))


async def reprice_did(
    info: Info,
    number: str,
    monthly_price: Decimal | None = None,
    per_minute_price: Decimal | None = None,
) -> DidResult:
    """New prices for an assigned DID: per minute from the next call, monthly from the
    client's next cycle (null keeps a price)."""
    context = info.context
    actor = context.require_role("reseller")
    if len(number) > MAX_NUMBER:
        return invalid("number", f"at most {MAX_NUMBER} characters")
    prices: dict[str, int] = {}
    for field, name, value in (
        ("monthlyPrice", "monthly_price", monthly_price),
        ("perMinutePrice", "per_minute_price", per_minute_price),
    ):
        if value is not None:
            if value < 0:
                return invalid(field, "must not be negative")
            prices[name] = to_micros(value)
    try:
        view = await dids.reprice_did(context.services, actor, number, **prices)
    except domain.ServiceError as exc:
        return common_problem(exc)
    return Did.from_domain(view, await context.tenant_currency(view.reseller_id))


async def release_did(info: Info, number: str) -> DidResult:
    """Give a DID back to the operator (no more monthly cost from next month); refused
    while it is assigned to a client."""
    context = info.context
    actor = context.require_role("reseller")
    if len(number) > MAX_NUMBER:
        return invalid("number", f"at most {MAX_NUMBER} characters")
    try:
        view = await dids.release_did(context.services, actor, number)
    except domain.ServiceError as exc:
        return common_problem(exc)
    currency = await context.currency()
    return Did.from_domain(view, currency)
