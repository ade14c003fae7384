"""SIP/IAX sub accounts: usernames unique platform-wide, each reseller in its own namespace
(``100001_line-b``, see :func:`api.domain.tenants.tenant_username`), passwords encrypted at
rest."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from api.domain.actor import Actor, Role
from api.domain.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from api.domain.tenants import short_name, short_name_limit, tenant_username
from api.services.access import client_filter, reseller_scope, tenant_of
from api.services.context import ServicesContext
from api.services.packages import latest_version
from api.services.records import SubAccountCreated, SubAccountView
from api.services.secrets import generate_password
from api.services.tenancy import load_client
from api.store.tables import ClientPackage, SubAccount
from api.store.unit_of_work import UnitOfWork

_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,99}")
MIN_PASSWORD = 8
MAX_PASSWORD = 128


async def create_sub_account(
    ctx: ServicesContext,
    actor: Actor,
    client_id: int,
    username: str,
    *,
    password: str | None = None,
    package_id: int | None = None,
) -> SubAccountCreated:
    """A new line for a client; a strong password is generated when none is given.

    ``username`` is the short name (``line-b``); the line's SIP username is it in the
    reseller's namespace (``100001_line-b``), so a taken name is always one of the
    reseller's own lines.

    The password is returned once here (and later only by :func:`reveal_password` to the
    reseller); it is stored encrypted. ``package_id`` links the line to one of the
    packages attached to the client (another package is :class:`InvalidInput`).
    """
    tenant = reseller_scope(actor)
    username = sip_username(tenant, username)
    password = _password(password)
    try:
        async with ctx.unit_of_work() as uow:
            await load_client(uow, tenant, client_id, active=True)
            if package_id is not None:
                await _check_attached(uow, tenant, client_id, package_id)
            taken = await uow.session.scalar(
                select(col(SubAccount.id)).where(col(SubAccount.username) == username)
            )
            if taken is not None:
                raise AlreadyExists("sub account", username)
            row = SubAccount(
                reseller_id=tenant,
                client_id=client_id,
                username=username,
                password_encrypted=ctx.cipher.encrypt(password),
                package_id=package_id,
                created_at=ctx.now(),
            )
            uow.session.add(row)
            await uow.session.flush()
            return SubAccountCreated(_view(row), password)
    except IntegrityError:
        raise AlreadyExists("sub account", username) from None


def sip_username(tenant: int, name: str) -> str:
    """The SIP username of the short name ``name`` of reseller ``tenant`` (a name given
    with the reseller's own prefix is already one); bad names are :class:`InvalidInput`."""
    full = tenant_username(tenant, name)
    longest = short_name_limit(tenant)
    if len(short_name(full)) > longest or not _USERNAME.fullmatch(short_name(full)):
        raise InvalidInput(
            "username",
            f"3..{longest} letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return full


async def set_sub_account_package(
    ctx: ServicesContext, actor: Actor, sub_account_id: int, package_id: int | None
) -> SubAccountView:
    """Link a line to another package attached to its client, or to none (its calls then
    use the client's most recently attached package). A package the client does not have
    attached is :class:`InvalidInput`: its calls could not be rated."""
    tenant = reseller_scope(actor)
    async with ctx.unit_of_work() as uow:
        row = await _load(uow, tenant, sub_account_id)
        if package_id is not None:
            await _check_attached(uow, tenant, row.client_id, package_id)
        row.package_id = package_id
        await uow.session.flush()
        return _view(row)


async def set_sub_account_password(
    ctx: ServicesContext, actor: Actor, sub_account_id: int, password: str | None = None
) -> SubAccountCreated:
    """Change a line's SIP password, or generate a new strong one when none is given; the
    new password is returned once (the old one stops working at once)."""
    tenant = reseller_scope(actor)
    password = _password(password)
    async with ctx.unit_of_work() as uow:
        row = await _load(uow, tenant, sub_account_id)
        row.password_encrypted = ctx.cipher.encrypt(password)
        await uow.session.flush()
        return SubAccountCreated(_view(row), password)


async def reveal_password(ctx: ServicesContext, actor: Actor, sub_account_id: int) -> str:
    """The line's SIP password (never logged): for its reseller; for its own client only
    while the reseller's portal shows SIP passwords (``show_sip_passwords``)."""
    if actor.role is Role.CLIENT:
        from api.services.branding import settings_of

        tenant = tenant_of(actor)
        async with ctx.read() as uow:
            settings, _ = await settings_of(uow, tenant)
            if not settings.show_sip_passwords:
                raise PermissionDenied("this portal does not show SIP passwords to clients")
            row = await _load(uow, tenant, sub_account_id)
            if row.client_id != actor.client_id:
                raise NotFound("sub account", sub_account_id)
            return ctx.cipher.decrypt(row.password_encrypted)
    tenant = reseller_scope(actor)
    async with ctx.unit_of_work() as uow:
        row = await _load(uow, tenant, sub_account_id)
        return ctx.cipher.decrypt(row.password_encrypted)


async def list_sub_accounts(
    ctx: ServicesContext, actor: Actor, client_id: int | None = None
) -> list[SubAccountView]:
    """The tenant's live lines (of one client when given; a client sees its own)."""
    tenant = tenant_of(actor)
    only = client_filter(actor, client_id)
    async with ctx.unit_of_work() as uow:
        query = select(SubAccount).where(
            col(SubAccount.reseller_id) == tenant,
            col(SubAccount.deleted_at).is_(None),
        )
        if only is not None:
            query = query.where(col(SubAccount.client_id) == only)
        rows = await uow.session.scalars(query.order_by(col(SubAccount.username)))
        return [_view(r) for r in rows]


async def delete_sub_account(
    ctx: ServicesContext, actor: Actor, sub_account_id: int
) -> SubAccountView:
    """Retire a line: a soft delete (``deleted_at``), so its CDRs keep pointing at it and
    the reports still name it. It disappears from lists, the switch can no longer use it
    (authorization says ``unknown_sub_account``, new CDRs are stored unrated) and its
    username stays reserved. Deleting it again is :class:`NotFound`."""
    tenant = reseller_scope(actor)
    async with ctx.unit_of_work() as uow:
        row = await _load(uow, tenant, sub_account_id)
        row.deleted_at = ctx.now()
        await uow.session.flush()
        return _view(row)


async def _check_attached(uow: UnitOfWork, tenant: int, client_id: int, package_id: int) -> None:
    """The package is the tenant's and attached to the client, else a clear error."""
    await latest_version(uow, tenant, package_id)
    attached = await uow.session.scalar(
        select(col(ClientPackage.id)).where(
            col(ClientPackage.client_id) == client_id,
            col(ClientPackage.package_id) == package_id,
            col(ClientPackage.detached_at).is_(None),
        )
    )
    if attached is None:
        raise InvalidInput(
            "package_id",
            f"package {package_id} is not attached to client {client_id}; attach it first",
        )


def _password(password: str | None) -> str:
    if password is None:
        return generate_password()
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput("password", f"must be {MIN_PASSWORD}..{MAX_PASSWORD} characters")
    return password


async def _load(uow: UnitOfWork, tenant: int, sub_account_id: int) -> SubAccount:
    row = (
        await uow.session.scalars(
            select(SubAccount).where(
                col(SubAccount.id) == sub_account_id,
                col(SubAccount.reseller_id) == tenant,
                col(SubAccount.deleted_at).is_(None),
            )
        )
    ).first()
    if row is None:
        raise NotFound("sub account", sub_account_id)
    return row


def _view(r: SubAccount) -> SubAccountView:
    assert r.id is not None
    return SubAccountView(r.id, r.client_id, r.username, r.package_id, r.created_at)
