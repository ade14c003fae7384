"""A client orders a DID of its reseller's inventory at the reseller's DID-access prices.

Only while the reseller's portal offers the ``order_dids`` service. The setup price and
the first month are posted at once; a hard client whose balance does not cover both is
refused (:class:`InsufficientBalance`) and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.balance_rules import BalanceType
from api.domain.branding import PortalService, PortalSettings, effective
from api.domain.errors import InsufficientBalance, NotFound, PermissionDenied
from api.domain.ledger import AccountKind
from api.services.branding import settings_of
from api.services.context import ServicesContext
from api.services.dids import assign_to_client
from api.services.portal_reads import own_client
from api.services.tenancy import load_client
from api.store.tables import Account, Did
from api.store.unit_of_work import UnitOfWork
from ratelang.numbers import NumberError, normalize


@dataclass(frozen=True, slots=True)
class DidOffer:
    """What ordering DIDs costs a client (the reseller's prices) and the numbers on offer."""

    setup_price: int
    monthly_price: int
    per_minute_price: int
    numbers: tuple[tuple[str, str], ...]  # (E.164 digits, country)


@dataclass(frozen=True, slots=True)
class OrderedDid:
    number: str
    setup_price: int
    monthly_price: int
    per_minute_price: int


async def did_offer(ctx: ServicesContext, actor: Actor) -> DidOffer:
    """The prices and the reseller's unassigned numbers (the service must be on)."""
    tenant, _ = own_client(actor)
    async with ctx.read() as uow:
        settings = await _ordering_settings(uow, tenant)
        rows = await uow.session.execute(
            select(col(Did.number), col(Did.country))
            .where(col(Did.reseller_id) == tenant, col(Did.client_id).is_(None))
            .order_by(col(Did.number))
            .limit(200)
        )
        numbers = tuple((str(n), str(c)) for n, c in rows)
    return DidOffer(
        settings.did_setup_price, settings.did_monthly_price, settings.did_per_minute_price, numbers
    )


async def order_did(ctx: ServicesContext, actor: Actor, number: str) -> OrderedDid:
    """Assign the reseller's free DID ``number`` to the calling client at the portal's
    prices; posts the setup price and the first month."""
    tenant, client_id = own_client(actor)
    try:
        digits = normalize(number)
    except NumberError:
        raise NotFound("DID", number) from None
    now = ctx.now()
    async with ctx.unit_of_work() as uow:
        settings = await _ordering_settings(uow, tenant)
        client = await load_client(uow, tenant, client_id, lock=True, active=True)
        did = (
            await uow.session.scalars(
                select(Did)
                .where(col(Did.number) == digits)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).first()
        if did is None or did.reseller_id != tenant or did.client_id is not None:
            raise NotFound("DID", f"+{digits}")
        due = settings.did_setup_price + settings.did_monthly_price
        if client.balance_type == BalanceType.HARD.value:
            balance = int(
                await uow.session.scalar(
                    select(col(Account.balance)).where(
                        col(Account.client_id) == client_id,
                        col(Account.kind) == AccountKind.CLIENT.value,
                    )
                )
                or 0
            )
            if balance < due:
                raise InsufficientBalance(balance, due)
        await assign_to_client(
            uow, tenant, did, client_id, client.billing_day, now,
            setup=settings.did_setup_price, monthly=settings.did_monthly_price,
            per_minute=settings.did_per_minute_price,
        )  # fmt: skip
        return OrderedDid(digits, did.setup_price, did.monthly_price, did.per_minute_price)


async def client_numbers(ctx: ServicesContext, actor: Actor) -> list[OrderedDid]:
    """The calling client's DIDs with its prices (never the reseller's costs)."""
    tenant, client_id = own_client(actor)
    async with ctx.read() as uow:
        rows = await uow.session.execute(
            select(
                col(Did.number),
                col(Did.setup_price),
                col(Did.monthly_price),
                col(Did.per_minute_price),
            )
            .where(col(Did.reseller_id) == tenant, col(Did.client_id) == client_id)
            .order_by(col(Did.number))
        )
        return [OrderedDid(str(n), int(s), int(m), int(p)) for n, s, m, p in rows]


async def _ordering_settings(uow: UnitOfWork, tenant: int) -> PortalSettings:
    settings, _ = await settings_of(uow, tenant)
    applied = effective(settings)
    if PortalService.ORDER_DIDS not in applied.services:
        raise PermissionDenied("this portal does not offer DID orders")
    return applied
