"""Clients of a reseller: create, change, read with balances, close."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.addresses import email_problem
from api.domain.balance_rules import BalanceType, effective_threshold, is_suspended
from api.domain.cycles import check_billing_day
from api.domain.errors import AlreadyExists, NotFound, StillAttached, raise_all
from api.domain.ledger import AccountKind
from api.domain.limits import amount_problem
from api.events import CredentialRevoked, SuspensionChanged
from api.services.access import client_filter, reseller_scope, tenant_of
from api.services.context import ServicesContext
from api.services.records import ClientView
from api.services.tenancy import load_client
from api.store.tables import Account, Client, ClientPackage, Did, Package, Reseller
from api.store.unit_of_work import UnitOfWork

MAX_TEXT = 500
"""The longest company, e-mail, phone or address."""

UNSET: Any = object()
"""Marks an argument of :func:`update_client` that is not to be changed."""


async def create_client(
    ctx: ServicesContext,
    actor: Actor,
    name: str,
    *,
    balance_type: str = "soft",
    billing_day: int = 1,
    low_balance_threshold: int | None = None,
    company: str = "",
    email: str = "",
    phone: str = "",
    address: str = "",
    reseller_id: int | None = None,
) -> ClientView:
    """A new client (balance 0, in the reseller's currency). Names are unique per reseller.

    A hard client starts suspended (its balance is 0) until its first payment.
    """
    tenant = reseller_scope(actor, reseller_id)
    raise_all(
        _problems(
            name=name, balance_type=balance_type, billing_day=billing_day,
            low_balance_threshold=low_balance_threshold, company=company, email=email,
            phone=phone, address=address,
        )
    )  # fmt: skip
    name = name.strip()
    kind = BalanceType(balance_type).value
    now = ctx.now()
    try:
        async with ctx.unit_of_work() as uow:
            reseller = await uow.session.get(Reseller, tenant)
            if reseller is None:
                raise NotFound("reseller", tenant)
            taken = await uow.session.scalar(
                select(col(Client.id)).where(
                    col(Client.reseller_id) == tenant, col(Client.name) == name
                )
            )
            if taken is not None:
                raise AlreadyExists("client", name)
            client = Client(
                reseller_id=tenant,
                name=name,
                company=company,
                email=email,
                phone=phone,
                address=address,
                balance_type=kind,
                billing_day=billing_day,
                low_balance_threshold=low_balance_threshold,
                suspended=is_suspended(kind, 0),
                created_at=now,
            )
            uow.session.add(client)
            await uow.session.flush()
            assert client.id is not None
            await uow.accounts.create_client_account(tenant, client.id, reseller.currency)
            return await _load_view(uow, tenant, client.id)
    except IntegrityError:
        raise AlreadyExists("client", name) from None


async def update_client(
    ctx: ServicesContext,
    actor: Actor,
    client_id: int,
    *,
    name: str | None = None,
    balance_type: str | None = None,
    billing_day: int | None = None,
    low_balance_threshold: int | None = UNSET,
    company: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    address: str | None = None,
) -> ClientView:
    """Change the given fields (``None`` keeps a field; a threshold of ``None`` clears it).

    Switching soft↔hard re-evaluates the suspension at the current balance.
    """
    tenant = reseller_scope(actor)
    threshold = None if low_balance_threshold is UNSET else low_balance_threshold
    raise_all(
        _problems(
            name=name, balance_type=balance_type, billing_day=billing_day,
            low_balance_threshold=threshold, company=company, email=email, phone=phone,
            address=address,
        )
    )  # fmt: skip
    async with ctx.unit_of_work() as uow:
        client = await load_client(uow, tenant, client_id, lock=True)
        if name is not None:
            client.name = name.strip()
        if billing_day is not None:
            client.billing_day = billing_day
        if low_balance_threshold is not UNSET:
            client.low_balance_threshold = low_balance_threshold
        for field, value in (
            ("company", company),
            ("email", email),
            ("phone", phone),
            ("address", address),
        ):
            if value is not None:
                setattr(client, field, value)
        if balance_type is not None:
            client.balance_type = BalanceType(balance_type).value
            balance = await _balance(uow, client_id)
            suspended = is_suspended(client.balance_type, balance)
            if suspended != client.suspended:
                client.suspended = suspended
                uow.emit(SuspensionChanged(tenant, client_id, suspended, ctx.now()))
        try:
            await uow.session.flush()
        except IntegrityError:
            raise AlreadyExists("client", name) from None
        return await _load_view(uow, tenant, client_id)


async def get_client(ctx: ServicesContext, actor: Actor, client_id: int) -> ClientView:
    """One client with its balance (a client actor reads only itself)."""
    tenant = tenant_of(actor)
    own = client_filter(actor, client_id)
    async with ctx.read() as uow:
        return await _load_view(uow, tenant, own if own is not None else client_id)


async def list_clients(
    ctx: ServicesContext, actor: Actor, *, include_closed: bool = False
) -> list[ClientView]:
    """The reseller's clients with their balances, by name."""
    tenant = tenant_of(actor)
    only = client_filter(actor, None)
    async with ctx.read() as uow:
        query = _view_query(tenant).order_by(col(Client.name))
        if only is not None:
            query = query.where(col(Client.id) == only)
        if not include_closed:  # active ones, and signups waiting for approval
            query = query.where(col(Client.status) != "closed")
        rows = await uow.session.execute(query)
        return [_view(*row) for row in rows]


async def close_client(ctx: ServicesContext, actor: Actor, client_id: int) -> ClientView:
    """Close (delete) a client; refused with :class:`StillAttached` naming its packages and
    DIDs. The ledger, the CDRs and the statements are kept."""
    tenant = reseller_scope(actor)
    async with ctx.unit_of_work() as uow:
        client = await load_client(uow, tenant, client_id, lock=True)
        if client.status == "closed":
            return await _load_view(uow, tenant, client_id)
        packages = await uow.session.scalars(
            select(col(Package.name))
            .join(ClientPackage, col(ClientPackage.package_id) == col(Package.id))
            .where(
                col(ClientPackage.client_id) == client_id, col(ClientPackage.detached_at).is_(None)
            )
            .order_by(col(Package.name))
        )
        dids = await uow.session.scalars(
            select(col(Did.number)).where(col(Did.client_id) == client_id).order_by(col(Did.number))
        )
        attached = [f"package {n}" for n in packages] + [f"DID +{n}" for n in dids]
        if attached:
            raise StillAttached(attached)
        client.status = "closed"
        client.closed_at = ctx.now()
        uow.emit(CredentialRevoked(tenant, client_id, client.closed_at))
        client.portal_username = None
        await uow.session.flush()
        return await _load_view(uow, tenant, client_id)


async def _balance(uow: UnitOfWork, client_id: int) -> int:
    value = await uow.session.scalar(
        select(col(Account.balance)).where(
            col(Account.client_id) == client_id, col(Account.kind) == AccountKind.CLIENT
        )
    )
    return int(value or 0)


def _view_query(tenant: int) -> Select[Client, int, str, int]:
    return (
        select(
            Client,
            col(Account.balance),
            col(Reseller.currency),
            col(Reseller.low_balance_threshold),
        )
        .join(
            Account,
            (col(Account.client_id) == col(Client.id)) & (col(Account.kind) == AccountKind.CLIENT),
        )
        .join(Reseller, col(Reseller.id) == col(Client.reseller_id))
        .where(col(Client.reseller_id) == tenant)
    )


async def _load_view(uow: UnitOfWork, tenant: int, client_id: int) -> ClientView:
    row = (
        await uow.session.execute(
            _view_query(tenant)
            .where(col(Client.id) == client_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        raise NotFound("client", client_id)
    return _view(*row)


def _view(c: Client, balance: int, currency: str, default_threshold: int) -> ClientView:
    assert c.id is not None
    threshold = c.low_balance_threshold
    return ClientView(
        c.id,
        c.reseller_id,
        c.name,
        c.company,
        c.email,
        c.phone,
        c.address,
        c.balance_type,
        c.billing_day,
        effective_threshold(threshold, default_threshold),
        threshold,
        c.status,
        c.suspended,
        int(balance),
        currency,
        c.created_at,
        c.closed_at,
    )


def _problems(
    *,
    name: str | None,
    balance_type: str | None,
    billing_day: int | None,
    low_balance_threshold: int | None,
    company: str | None,
    email: str | None,
    phone: str | None,
    address: str | None,
) -> list[tuple[str, str]]:
    """Every problem of a client's fields (``None``: not given), all at once."""
    problems: list[tuple[str, str]] = []
    if name is not None and not 0 < len(name.strip()) <= 200:
        problems.append(("name", "must be 1..200 characters"))
    if balance_type is not None and balance_type not in {kind.value for kind in BalanceType}:
        problems.append(("balance_type", f"must be soft or hard, got {balance_type!r}"))
    if billing_day is not None:
        try:
            check_billing_day(billing_day)
        except ValueError as exc:
            problems.append(("billing_day", str(exc)))
    if low_balance_threshold is not None:
        if low_balance_threshold < 0:
            problems.append(("low_balance_threshold", "must not be negative"))
        elif problem := amount_problem(low_balance_threshold):
            problems.append(("low_balance_threshold", problem))
    for field, text in (("company", company), ("email", email), ("phone", phone),
                        ("address", address)):  # fmt: skip
        if text is not None and len(text) > MAX_TEXT:
            problems.append((field, f"at most {MAX_TEXT} characters"))
    if email is not None and len(email) <= MAX_TEXT and (problem := email_problem(email)):
        problems.append(("email", problem))
    return problems
