"""The billing cycle for a date: monthly fees, free-minute reset, statements (SPEC 5).

For every active client whose billing day is the date's day: post the monthly fee of each
attached package and of each assigned DID for the period starting that day, reset the free
minutes, and write the statement of the period that just ended. On the 1st of a month,
resellers are charged the monthly cost of the DIDs they hold. Every fee has a ledger key
and a statement is unique per client and period: running it twice posts nothing twice.
Fees of a cycle are dated midnight UTC of its first day.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from api.domain.actor import Actor, Role
from api.domain.cycles import Period, midnight_utc, period_containing, previous_period
from api.domain.errors import NotFound
from api.domain.ledger import AccountKind, TransactionKind
from api.domain.statements import compute_statement
from api.services.access import client_filter, reseller_scope, tenant_of
from api.services.client_packages import monthly_fee_key
from api.services.context import ServicesContext
from api.services.dids import did_cost_key, did_fee_key
from api.services.fees import post_client_fee, post_reseller_cost
from api.services.packages import compiled_version
from api.services.records import BillingRun, StatementView
from api.services.tenancy import load_client, load_reseller
from api.store.package_versions import latest_version_of
from api.store.tables import (
    Account,
    Client,
    ClientPackage,
    Did,
    LedgerEntry,
    LedgerTransaction,
    Package,
    PackageVersion,
    Reseller,
    Statement,
)
from api.store.unit_of_work import UnitOfWork


async def run_billing(
    ctx: ServicesContext, actor: Actor, on: date, *, reseller_id: int | None = None
) -> BillingRun:
    """Bill the clients whose cycle starts ``on`` (the operator: of every reseller)."""
    if actor.role is Role.OPERATOR and reseller_id is None:
        async with ctx.unit_of_work() as uow:
            tenants = list(
                await uow.session.scalars(select(col(Reseller.id)).order_by(col(Reseller.id)))
            )
    else:
        tenants = [reseller_scope(actor, reseller_id)]
    totals = BillingRun(on, 0, 0, 0, 0)
    for tenant in tenants:
        if tenant is None:
            continue
        run = await _bill_tenant(ctx, tenant, on)
        totals = BillingRun(
            on,
            totals.clients + run.clients,
            totals.fees_posted + run.fees_posted,
            totals.statements + run.statements,
            totals.did_costs_posted + run.did_costs_posted,
        )
    return totals


async def list_statements(
    ctx: ServicesContext, actor: Actor, client_id: int
) -> list[StatementView]:
    """A client's statements, newest first (a client actor reads only its own)."""
    tenant = tenant_of(actor)
    client_id = client_filter(actor, client_id) or client_id
    async with ctx.unit_of_work() as uow:
        await load_client(uow, tenant, client_id)
        rows = await uow.session.scalars(
            select(Statement)
            .where(col(Statement.client_id) == client_id, col(Statement.reseller_id) == tenant)
            .order_by(col(Statement.period_start).desc())
        )
        return [_view(s) for s in rows]


async def _bill_tenant(ctx: ServicesContext, tenant: int, on: date) -> BillingRun:
    async with ctx.unit_of_work() as uow:
        client_ids = list(
            await uow.session.scalars(
                select(col(Client.id))
                .where(
                    col(Client.reseller_id) == tenant,
                    col(Client.status) == "active",
                    col(Client.billing_day) == on.day,
                )
                .order_by(col(Client.id))
            )
        )
    fees = statements = 0
    for client_id in client_ids:
        if client_id is None:
            continue
        for attempt in range(2):
            try:
                async with ctx.unit_of_work() as uow:
                    posted, stated = await _bill_client(ctx, uow, tenant, client_id, on)
                break
            except IntegrityError:  # a concurrent run did it first
                posted, stated = 0, 0
                if attempt:
                    raise
        fees += posted
        statements += stated
    did_costs = 0
    if on.day == 1:
        async with ctx.unit_of_work() as uow:
            did_costs = await _charge_did_costs(uow, tenant, on)
    return BillingRun(on, len(client_ids), fees, statements, did_costs)


async def _bill_client(
    ctx: ServicesContext, uow: UnitOfWork, tenant: int, client_id: int, on: date
) -> tuple[int, int]:
    client = await load_client(uow, tenant, client_id, lock=True)
    reseller = await load_reseller(uow, tenant)
    period = period_containing(client.billing_day, on)
    at = midnight_utc(on)
    stated = await _write_statement(uow, tenant, client_id, previous_period(period), ctx.now())
    posted = 0
    attachments = await uow.session.execute(
        select(ClientPackage, col(Package.name), col(PackageVersion.id))
        .join(Package, col(Package.id) == col(ClientPackage.package_id))
        .join(
            PackageVersion,
            latest_version_of(),
        )
        .where(
            col(ClientPackage.client_id) == client_id,
            col(ClientPackage.detached_at).is_(None),
        )
        .order_by(col(ClientPackage.id))
        .with_for_update(of=ClientPackage)
    )
    for attachment, name, version_id in attachments:
        assert attachment.id is not None
        assert version_id is not None
        package = await compiled_version(ctx, uow, version_id)
        if attachment.cycle_start < period.start:
            attachment.cycle_start = period.start
            attachment.free_minutes_used = 0
        posted += await post_client_fee(
            uow,
            reseller,
            client_id,
            TransactionKind.MONTHLY_FEE,
            package.monthly_fee,
            key=monthly_fee_key(attachment.id, period.start),
            description=f"monthly fee: {name} from {period.start}",
            at=at,
        )
    dids = await uow.session.scalars(
        select(Did).where(col(Did.client_id) == client_id).order_by(col(Did.number))
    )
    for did in dids:
        assert did.id is not None
        posted += await post_client_fee(
            uow,
            reseller,
            client_id,
            TransactionKind.DID_FEE,
            did.monthly_price,
            key=did_fee_key(did.id, client_id, period.start),
            description=f"DID +{did.number} monthly from {period.start}",
            at=at,
        )
    await uow.session.flush()
    return posted, stated


async def _write_statement(
    uow: UnitOfWork, tenant: int, client_id: int, period: Period, now: datetime
) -> int:
    exists = await uow.session.scalar(
        select(col(Statement.id)).where(
            col(Statement.client_id) == client_id, col(Statement.period_start) == period.start
        )
    )
    if exists is not None:
        return 0
    account_id = await uow.session.scalar(
        select(col(Account.id)).where(
            col(Account.client_id) == client_id, col(Account.kind) == AccountKind.CLIENT
        )
    )
    if account_id is None:
        raise NotFound("account of client", client_id)
    start, end = period.bounds_utc()
    opening = await uow.session.scalar(
        select(func.coalesce(func.sum(col(LedgerEntry.amount)), 0))
        .join(LedgerTransaction, col(LedgerTransaction.id) == col(LedgerEntry.transaction_id))
        .where(col(LedgerEntry.account_id) == account_id, col(LedgerTransaction.created_at) < start)
    )
    movements = await uow.session.execute(
        select(col(LedgerTransaction.kind), func.sum(col(LedgerEntry.amount)))
        .join(LedgerTransaction, col(LedgerTransaction.id) == col(LedgerEntry.transaction_id))
        .where(
            col(LedgerEntry.account_id) == account_id,
            col(LedgerTransaction.created_at) >= start,
            col(LedgerTransaction.created_at) < end,
        )
        .group_by(col(LedgerTransaction.kind))
    )
    figures = compute_statement(int(opening or 0), ((k, int(v)) for k, v in movements))
    uow.session.add(
        Statement(
            reseller_id=tenant,
            client_id=client_id,
            period_start=period.start,
            period_end=period.end,
            opening=figures.opening,
            calls=figures.calls,
            fees=figures.fees,
            charges=figures.charges,
            payments=figures.payments,
            closing=figures.closing,
            created_at=now,
        )
    )
    await uow.session.flush()
    return 1


async def _charge_did_costs(uow: UnitOfWork, tenant: int, on: date) -> int:
    dids = await uow.session.scalars(
        select(Did).where(col(Did.reseller_id) == tenant).order_by(col(Did.number))
    )
    posted = 0
    for did in dids:
        assert did.id is not None
        posted += await post_reseller_cost(
            uow,
            tenant,
            did.monthly_cost,
            key=did_cost_key(did.id, tenant, on),
            description=f"DID +{did.number} monthly {on:%Y-%m}",
            at=midnight_utc(on),
        )
    return posted


def _view(s: Statement) -> StatementView:
    assert s.id is not None
    return StatementView(
        s.id,
        s.client_id,
        s.period_start,
        s.period_end,
        s.opening,
        s.calls,
        s.fees,
        s.charges,
        s.payments,
        s.closing,
        s.created_at,
    )
