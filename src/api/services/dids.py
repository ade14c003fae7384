"""DIDs: the operator's inventory, taken by resellers, assigned to clients with prices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from api.domain.actor import Actor, Role
from api.domain.cycles import cycle_start
from api.domain.errors import AlreadyExists, Conflict, InvalidInput, NotFound
from api.domain.ledger import TransactionKind
from api.services.access import client_filter, require_operator, reseller_scope, tenant_of
from api.services.context import ServicesContext
from api.services.fees import post_client_fee, post_reseller_cost
from api.services.records import DidView, NewDid
from api.services.tenancy import load_client, load_reseller
from api.store.tables import Did
from api.store.unit_of_work import UnitOfWork
from ratelang.countries import is_country
from ratelang.numbers import NumberError, country_of, normalize


async def add_dids(ctx: ServicesContext, actor: Actor, dids: Sequence[NewDid]) -> list[DidView]:
    """Operator: add numbers to the inventory (all or none; a number already there fails)."""
    require_operator(actor)
    rows = []
    for i, new in enumerate(dids):
        number = _number(new.number, f"dids[{i}].number")
        if min(new.monthly_cost, new.setup_cost, new.per_minute_cost) < 0:
            raise InvalidInput(f"dids[{i}]", "costs must not be negative")
        if new.country and not is_country(new.country):
            raise InvalidInput(f"dids[{i}].country", f"unknown country {new.country!r}")
        rows.append(
            Did(
                number=number,
                country=new.country or country_of(number),
                monthly_cost=int(new.monthly_cost),
                setup_cost=int(new.setup_cost),
                per_minute_cost=int(new.per_minute_cost),
            )
        )
    try:
        async with ctx.unit_of_work() as uow:
            numbers = [r.number for r in rows]
            taken = await uow.session.scalars(
                select(col(Did.number)).where(col(Did.number).in_(numbers))
            )
            first = taken.first()
            if first is not None:
                raise AlreadyExists("DID", f"+{first}")
            uow.session.add_all(rows)
            await uow.session.flush()
            return [_view(r) for r in rows]
    except IntegrityError:
        raise AlreadyExists("DID", "in this list") from None


async def list_dids(
    ctx: ServicesContext, actor: Actor, *, available: bool = False
) -> list[DidView]:
    """``available``: the inventory not yet taken (anyone may look). Otherwise: the
    operator sees every DID, a reseller its own, a client those assigned to it."""
    async with ctx.unit_of_work() as uow:
        query = select(Did).order_by(col(Did.number))
        if available:
            query = query.where(col(Did.reseller_id).is_(None))
        elif actor.role is not Role.OPERATOR:
            query = query.where(col(Did.reseller_id) == tenant_of(actor))
            only = client_filter(actor, None)
            if only is not None:
                query = query.where(col(Did.client_id) == only)
        rows = await uow.session.scalars(query)
        views = [_view(r) for r in rows]
        if available and actor.role is not Role.OPERATOR:
            return views
        return views


async def take_did(ctx: ServicesContext, actor: Actor, number: str) -> DidView:
    """A reseller takes a DID of the inventory: posts its setup cost and first month."""
    tenant = reseller_scope(actor)
    digits = _number(number, "number")
    now = ctx.now()
    async with ctx.unit_of_work() as uow:
        did = await _lock(uow, digits)
        if did is None or (did.reseller_id is not None and did.reseller_id != tenant):
            raise NotFound("DID", f"+{digits}")
        if did.reseller_id == tenant:
            return _view(did)
        await load_reseller(uow, tenant)
        did.reseller_id = tenant
        did.taken_at = now
        await uow.session.flush()
        assert did.id is not None
        await post_reseller_cost(
            uow,
            tenant,
            did.setup_cost,
            key=f"did-setup-cost:{did.id}:{tenant}:{now.date()}",
            description=f"DID +{digits} setup",
            at=now,
        )
        await post_reseller_cost(
            uow,
            tenant,
            did.monthly_cost,
            key=did_cost_key(did.id, tenant, now),
            description=f"DID +{digits} monthly {now:%Y-%m}",
            at=now,
        )
        return _view(did)


async def assign_did(
    ctx: ServicesContext,
    actor: Actor,
    number: str,
    client_id: int,
    *,
    monthly_price: int,
    per_minute_price: int,
    setup_price: int = 0,
) -> DidView:
    """Assign one of the reseller's DIDs to its client with the reseller's prices; posts
    the setup price and the first monthly price to the client."""
    tenant = reseller_scope(actor)
    digits = _number(number, "number")
    if min(monthly_price, per_minute_price, setup_price) < 0:
        raise InvalidInput("price", "prices must not be negative")
    now = ctx.now()
    async with ctx.unit_of_work() as uow:
        client = await load_client(uow, tenant, client_id, lock=True, active=True)
        did = await _lock(uow, digits)
        if did is not None and did.reseller_id is None:
            raise Conflict(f"DID +{digits} is not yours yet: take it first (takeDid)")
        if did is None or did.reseller_id != tenant:
            raise NotFound("DID", f"+{digits}")
        if did.client_id is not None:
            raise Conflict(f"DID +{digits} is already assigned to a client")
        await assign_to_client(
            uow, tenant, did, client_id, client.billing_day, now,
            setup=setup_price, monthly=monthly_price, per_minute=per_minute_price,
        )  # fmt: skip
        return _view(did)


async def assign_to_client(
    uow: UnitOfWork,
    tenant: int,
    did: Did,
    client_id: int,
    billing_day: int,
    now: datetime,
    *,
    setup: int,
    monthly: int,
    per_minute: int,
) -> None:
    """Give the locked, free ``did`` of the tenant to its client at these prices and post
    the setup price and the first month to the client, in ``uow`` (whoever asked: the
    reseller's ``assignDid`` or the client's own order from the portal)."""
    did.client_id = client_id
    did.setup_price, did.monthly_price, did.per_minute_price = setup, monthly, per_minute
    did.assigned_at = now
    await uow.session.flush()
    assert did.id is not None
    reseller = await load_reseller(uow, tenant)
    start = cycle_start(billing_day, now.date())
    await post_client_fee(
        uow,
        reseller,
        client_id,
        TransactionKind.DID_FEE,
        setup,
        key=f"did-setup:{did.id}:{client_id}:{now.isoformat()}",
        description=f"DID +{did.number} setup",
        at=now,
    )
    await post_client_fee(
        uow,
        reseller,
        client_id,
        TransactionKind.DID_FEE,
        monthly,
        key=did_fee_key(did.id, client_id, start),
        description=f"DID +{did.number} monthly from {start}",
        at=now,
    )


async def unassign_did(ctx: ServicesContext, actor: Actor, number: str) -> DidView:
    """Take a DID back from its client; the reseller keeps it (and keeps paying for it).

    No more monthly fees for the client from its next cycle; the month already posted is
    not refunded (a refund is a charge correction the reseller can post). Calls to the
    number are no longer on-net, and inbound CDRs to it are unrated (``unknown_did``).
    """
    tenant = reseller_scope(actor)
    digits = _number(number, "number")
    async with ctx.unit_of_work() as uow:
        did = await _owned(uow, tenant, digits)
        if did.client_id is None:
            raise Conflict(f"DID +{digits} is not assigned to a client")
        did.client_id = None
        did.assigned_at = None
        did.monthly_price = did.setup_price = did.per_minute_price = 0
        await uow.session.flush()
        return _view(did)


async def reprice_did(
    ctx: ServicesContext,
    actor: Actor,
    number: str,
    *,
    monthly_price: int | None = None,
    per_minute_price: int | None = None,
) -> DidView:
    """Change the reseller's prices of an assigned DID (``None`` keeps one).

    The per-minute price rates inbound calls from now on (calls already rated keep their
    price); the monthly price applies from the client's next cycle (the fee of the current
    cycle was posted at its start and is not adjusted).
    """
    tenant = reseller_scope(actor)
    digits = _number(number, "number")
    for field, value in (("monthly_price", monthly_price), ("per_minute_price", per_minute_price)):
        if value is not None and value < 0:
            raise InvalidInput(field, "must not be negative")
    async with ctx.unit_of_work() as uow:
        did = await _owned(uow, tenant, digits)
        if did.client_id is None:
            raise Conflict(f"DID +{digits} is not assigned to a client: assign it with its prices")
        if monthly_price is not None:
            did.monthly_price = int(monthly_price)
        if per_minute_price is not None:
            did.per_minute_price = int(per_minute_price)
        await uow.session.flush()
        return _view(did)


async def release_did(ctx: ServicesContext, actor: Actor, number: str) -> DidView:
    """Give a DID back to the operator's inventory: no more monthly cost for the reseller
    from the next month (the month already posted is not refunded). A DID assigned to a
    client is refused (:class:`Conflict`) until it is unassigned."""
    tenant = reseller_scope(actor)
    digits = _number(number, "number")
    async with ctx.unit_of_work() as uow:
        did = await _owned(uow, tenant, digits)
        if did.client_id is not None:
            raise Conflict(f"DID +{digits} is assigned to a client: unassign it first")
        did.reseller_id = None
        did.taken_at = None
        did.monthly_price = did.setup_price = did.per_minute_price = 0
        await uow.session.flush()
        return _view(did)


def did_fee_key(did_id: int, client_id: int, period_start: object) -> str:
    return f"did-fee:{did_id}:{client_id}:{period_start}"


def did_cost_key(did_id: int, reseller_id: int, on: datetime | object) -> str:
    month = f"{on:%Y-%m}" if isinstance(on, datetime) else str(on)[:7]
    return f"did-cost:{did_id}:{reseller_id}:{month}"


async def _lock(uow: UnitOfWork, digits: str) -> Did | None:
    return (
        await uow.session.scalars(
            select(Did)
            .where(col(Did.number) == digits)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()


async def _owned(uow: UnitOfWork, tenant: int, digits: str) -> Did:
    """The tenant's DID, row-locked; another's or an untaken one is :class:`NotFound`."""
    did = await _lock(uow, digits)
    if did is None or did.reseller_id != tenant:
        raise NotFound("DID", f"+{digits}")
    return did


def _number(text: str, field: str) -> str:
    try:
        return normalize(text)
    except NumberError as exc:
        raise InvalidInput(field, str(exc)) from None


def _view(d: Did) -> DidView:
    assert d.id is not None
    return DidView(
        d.id,
        d.number,
        d.country,
        d.monthly_cost,
        d.setup_cost,
        d.per_minute_cost,
        d.reseller_id,
        d.client_id,
        d.monthly_price,
        d.setup_price,
        d.per_minute_price,
    )
