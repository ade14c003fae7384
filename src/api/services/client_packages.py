"""Attaching packages to clients (setup and first monthly fee) and detaching them."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.cycles import cycle_start
from api.domain.errors import NotFound
from api.domain.ledger import TransactionKind
from api.services.access import client_filter, reseller_scope, tenant_of
from api.services.context import ServicesContext
from api.services.fees import post_client_fee
from api.services.packages import compiled_version, latest_version
from api.services.records import AttachmentView
from api.services.tenancy import load_client, load_reseller
from api.store.tables import ClientPackage, Package
from api.store.unit_of_work import UnitOfWork


async def attach_package(
    ctx: ServicesContext, actor: Actor, client_id: int, package_id: int
) -> AttachmentView:
    """Attach a package to a client and post its setup fee and first monthly fee.

    Idempotent: attaching a package that is already attached returns that attachment and
    posts nothing (fees are keyed by attachment and period).
    """
    tenant = reseller_scope(actor)
    now = ctx.now()
    async with ctx.unit_of_work() as uow:
        client = await load_client(uow, tenant, client_id, lock=True, active=True)
        package, version_id = await latest_version(uow, tenant, package_id)
        compiled = await compiled_version(ctx, uow, version_id)
        existing = await _active(uow, client_id, package_id)
        if existing is not None:
            return _view(existing, package.name, compiled.free_minutes, package.latest_version)
        start = cycle_start(client.billing_day, now.date())
        attachment = ClientPackage(
            reseller_id=tenant,
            client_id=client_id,
            package_id=package_id,
            cycle_start=start,
            free_minutes_used=0,
            attached_at=now,
        )
        uow.session.add(attachment)
        await uow.session.flush()
        assert attachment.id is not None
        reseller = await load_reseller(uow, tenant)
        await post_client_fee(
            uow,
            reseller,
            client_id,
            TransactionKind.SETUP_FEE,
            compiled.setup_fee,
            key=f"setup:{attachment.id}",
            description=f"setup fee: {package.name}",
            at=now,
        )
        await post_client_fee(
            uow,
            reseller,
            client_id,
            TransactionKind.MONTHLY_FEE,
            compiled.monthly_fee,
            key=monthly_fee_key(attachment.id, start),
            description=f"monthly fee: {package.name} from {start}",
            at=now,
        )
        return _view(attachment, package.name, compiled.free_minutes, package.latest_version)


async def detach_package(
    ctx: ServicesContext, actor: Actor, client_id: int, package_id: int
) -> AttachmentView:
    """Detach a package: no more monthly fees; its sub accounts can no longer call."""
    tenant = reseller_scope(actor)
    async with ctx.unit_of_work() as uow:
        await load_client(uow, tenant, client_id, lock=True)
        package, version_id = await latest_version(uow, tenant, package_id)
        compiled = await compiled_version(ctx, uow, version_id)
        attachment = await _active(uow, client_id, package_id)
        if attachment is None:
            raise NotFound("attachment of package", package_id)
        attachment.detached_at = ctx.now()
        await uow.session.flush()
        return _view(attachment, package.name, compiled.free_minutes, package.latest_version)


async def list_attachments(
    ctx: ServicesContext, actor: Actor, client_id: int, *, include_detached: bool = False
) -> list[AttachmentView]:
    """The packages attached to a client, oldest first."""
    tenant = tenant_of(actor)
    client_id = client_filter(actor, client_id) or client_id
    async with ctx.unit_of_work() as uow:
        await load_client(uow, tenant, client_id)
        query = (
            select(ClientPackage, col(Package.name), col(ClientPackage.package_id))
            .join(Package, col(Package.id) == col(ClientPackage.package_id))
            .where(
                col(ClientPackage.client_id) == client_id, col(ClientPackage.reseller_id) == tenant
            )
            .order_by(col(ClientPackage.id))
        )
        if not include_detached:
            query = query.where(col(ClientPackage.detached_at).is_(None))
        views = []
        for attachment, name, package_id in await uow.session.execute(query):
            _, version_id = await latest_version(uow, tenant, package_id)
            compiled = await compiled_version(ctx, uow, version_id)
            views.append(_view(attachment, name, compiled.free_minutes))
        return views


def monthly_fee_key(attachment_id: int, period_start: object) -> str:
    return f"monthly:{attachment_id}:{period_start}"


async def _active(uow: UnitOfWork, client_id: int, package_id: int) -> ClientPackage | None:
    return (
        await uow.session.scalars(
            select(ClientPackage).where(
                col(ClientPackage.client_id) == client_id,
                col(ClientPackage.package_id) == package_id,
                col(ClientPackage.detached_at).is_(None),
            )
        )
    ).first()


def _view(a: ClientPackage, name: str, free_minutes: int, latest: int = 1) -> AttachmentView:
    assert a.id is not None
    return AttachmentView(
        a.id,
        a.client_id,
        a.package_id,
        name,
        a.cycle_start,
        free_minutes,
        a.free_minutes_used,
        a.attached_at,
        a.detached_at,
        latest,
    )
