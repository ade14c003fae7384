"""How clients reach a reseller's portal: its URL, a custom hostname (with the operator's
one-time fee), the origins allowed to post the auto-connect form, and host → tenant.

The first time a reseller sets a hostname, the fee (``ServicesContext.hostname_fee``) is
posted from the reseller's account to the operator in the same transaction; changing or
removing the hostname later costs nothing (the ledger key makes the fee once-only).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.branding import PortalSettings, effective, shows_images
from api.domain.errors import AlreadyExists
from api.domain.hostnames import check_hostname, check_origins
from api.domain.images import ImageKind
from api.domain.ledger import AccountKind, TransactionDraft, TransactionKind
from api.domain.tenants import reseller_code
from api.services.access import reseller_scope, tenant_of
from api.services.branding import settings_of
from api.services.context import ServicesContext
from api.services.tenancy import load_reseller
from api.store.tables import BrandingImage, PaypalSettings, PortalAccess, Reseller
from api.store.unit_of_work import UnitOfWork

HOST_CACHE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class AccessView:
    """A reseller's portal address, hostname, auto-connect origins and form snippet."""

    reseller_id: int
    code: str
    portal_url: str
    hostname: str | None
    hostname_fee_posted: bool
    auto_connect_origins: tuple[str, ...]
    auto_connect_snippet: str


def platform_host(ctx: ServicesContext) -> str:
    """The host of the platform's public URL (lower case, without port)."""
    return (urlsplit(ctx.public_url).hostname or "").lower()


def portal_base(ctx: ServicesContext, tenant: int, hostname: str | None) -> str:
    """The tenant's portal URL: its hostname when it has one, else ``/p/<code>``."""
    scheme = urlsplit(ctx.public_url).scheme or "http"
    if hostname:
        return f"{scheme}://{hostname}"
    return f"{ctx.public_url.rstrip('/')}/p/{reseller_code(tenant)}"


def auto_connect_snippet(base: str) -> str:
    """The HTML form a reseller pastes into its own site (its fields keep their names)."""
    action = escape(f"{base}/connect", quote=True)
    return (
        f'<form method="post" action="{action}">\n'
        '  <input name="username" autocomplete="username">\n'
        '  <input name="password" type="password" autocomplete="current-password">\n'
        '  <button type="submit">My account</button>\n'
        "</form>"
    )


async def get_access(
    ctx: ServicesContext, actor: Actor, *, reseller_id: int | None = None
) -> AccessView:
    """The reseller's access settings (the operator names ``reseller_id``)."""
    tenant = tenant_of(actor, reseller_id)
    async with ctx.read() as uow:
        row = await uow.session.get(PortalAccess, tenant)
        return _view(ctx, tenant, row)


async def set_hostname(ctx: ServicesContext, actor: Actor, hostname: str | None) -> AccessView:
    """Set (or remove, with ``None`` or empty) the reseller's portal hostname."""
    tenant = reseller_scope(actor)
    name = (
        check_hostname(hostname, platform_host=platform_host(ctx))
        if hostname and hostname.strip()
        else None
    )
    now = ctx.now()
    try:
        async with ctx.unit_of_work() as uow:
            reseller = await load_reseller(uow, tenant)
            if name is not None:
                taken = await uow.session.scalar(
                    select(col(PortalAccess.reseller_id)).where(
                        col(PortalAccess.hostname) == name,
                        col(PortalAccess.reseller_id) != tenant,
                    )
                )
                if taken is not None:
                    raise AlreadyExists("hostname", name)
            row = await _row(uow, tenant, now)
            row.hostname = name
            row.updated_at = now
            if name is not None and not row.hostname_fee_posted:
                await _post_fee(uow, reseller, ctx.hostname_fee, now)
                row.hostname_fee_posted = True
            await uow.session.flush()
            view = _view(ctx, tenant, row)
    except IntegrityError:
        raise AlreadyExists("hostname", name or "") from None
    host_cache(ctx).clear()
    return view


async def set_auto_connect_origins(
    ctx: ServicesContext, actor: Actor, origins: list[str]
) -> AccessView:
    """Replace the origins allowed to post the auto-connect form."""
    tenant = reseller_scope(actor)
    checked = check_origins(origins)
    now = ctx.now()
    async with ctx.unit_of_work() as uow:
        await load_reseller(uow, tenant)
        row = await _row(uow, tenant, now)
        row.auto_connect_origins = "\n".join(checked)
        row.updated_at = now
        await uow.session.flush()
        return _view(ctx, tenant, row)


async def allowed_origins(ctx: ServicesContext, tenant: int) -> tuple[str, ...]:
    async with ctx.read() as uow:
        row = await uow.session.get(PortalAccess, tenant)
        return _origins(row)


class HostCache:
    """Host → tenant (or ``None``) for ``HOST_CACHE_SECONDS``; emptied on every change
    made through the same services context (another process's change takes effect
    within that time)."""

    def __init__(self, seconds: float = HOST_CACHE_SECONDS, size: int = 10_000) -> None:
        self.seconds = seconds
        self.size = size
        self._items: dict[str, tuple[int | None, float]] = {}

    def get(self, host: str) -> tuple[bool, int | None]:
        item = self._items.get(host)
        if item is None or item[1] < time.monotonic():
            return False, None
        return True, item[0]

    def put(self, host: str, tenant: int | None) -> None:
        if len(self._items) >= self.size:
            self._items.clear()
        self._items[host] = (tenant, time.monotonic() + self.seconds)

    def clear(self) -> None:
        self._items.clear()


_HOSTS: WeakKeyDictionary[ServicesContext, HostCache] = WeakKeyDictionary()


def host_cache(ctx: ServicesContext) -> HostCache:
    """The host cache of ``ctx`` (one per running app, so apps never share answers)."""
    cache = _HOSTS.get(ctx)
    if cache is None:
        cache = _HOSTS[ctx] = HostCache()
    return cache


async def tenant_for_host(ctx: ServicesContext, host: str) -> int | None:
    """The active reseller whose portal hostname is ``host`` (cached), else ``None``."""
    host = host.lower().rstrip(".")
    cache = host_cache(ctx)
    found, tenant = cache.get(host)
    if found:
        return tenant
    async with ctx.read() as uow:
        tenant = await uow.session.scalar(
            select(col(PortalAccess.reseller_id))
            .join(Reseller, col(Reseller.id) == col(PortalAccess.reseller_id))
            .where(col(PortalAccess.hostname) == host, col(Reseller.status) == "active")
        )
    cache.put(host, None if tenant is None else int(tenant))
    return None if tenant is None else int(tenant)


async def _row(uow: UnitOfWork, tenant: int, now: datetime) -> PortalAccess:
    row = (
        await uow.session.scalars(
            select(PortalAccess).where(col(PortalAccess.reseller_id) == tenant).with_for_update()
        )
    ).first()
    if row is None:
        row = PortalAccess(reseller_id=tenant, updated_at=now)
        uow.session.add(row)
    return row


async def _post_fee(uow: UnitOfWork, reseller: Reseller, amount: int, now: datetime) -> None:
    assert reseller.id is not None
    key = f"hostname-fee:{reseller.id}"
    if amount <= 0 or await uow.ledger.key_exists(key):
        return
    ids = await uow.accounts.reseller_account_ids(reseller.id)
    draft = TransactionDraft(
        TransactionKind.HOSTNAME_FEE,
        reseller.id,
        None,
        description="portal hostname (one-time fee)",
        key=key,
    )
    draft.move(amount, debit=ids[AccountKind.RESELLER], credit=ids[AccountKind.OPERATOR_REVENUE])
    await uow.ledger.post(draft, now)


def _origins(row: PortalAccess | None) -> tuple[str, ...]:
    if row is None or not row.auto_connect_origins:
        return ()
    return tuple(o for o in row.auto_connect_origins.split("\n") if o)


def _view(ctx: ServicesContext, tenant: int, row: PortalAccess | None) -> AccessView:
    hostname = None if row is None else row.hostname
    base = portal_base(ctx, tenant, hostname)
    return AccessView(
        tenant,
        reseller_code(tenant),
        base + "/",
        hostname,
        False if row is None else row.hostname_fee_posted,
        _origins(row),
        auto_connect_snippet(base),
    )


@dataclass(frozen=True, slots=True)
class PortalBrand:
    """What every portal page needs of its reseller: name, currency, the effective
    settings (classic limits applied) and which images it has."""

    reseller_id: int
    reseller_name: str
    currency: str
    settings: PortalSettings
    has_logo: bool
    has_login_background: bool
    paypal_ready: bool = False  # PayPal set up (on, with a receiver e-mail)


async def portal_brand(ctx: ServicesContext, tenant: int) -> PortalBrand | None:
    """The active reseller ``tenant``'s portal, or ``None`` (no such active reseller)."""
    async with ctx.read() as uow:
        reseller = await uow.session.get(Reseller, tenant)
        if reseller is None or reseller.status != "active":
            return None
        name, currency = reseller.name, reseller.currency
        settings, _ = await settings_of(uow, tenant)
        kinds = set(
            await uow.session.scalars(
                select(col(BrandingImage.kind)).where(col(BrandingImage.reseller_id) == tenant)
            )
        )
        paypal = await uow.session.get(PaypalSettings, tenant)
        paypal_ready = paypal is not None and paypal.enabled and bool(paypal.email)
    applied = effective(settings)
    images = shows_images(settings)
    return PortalBrand(
        tenant,
        name,
        currency,
        applied,
        images and ImageKind.LOGO.value in kinds,
        images and ImageKind.LOGIN_BACKGROUND.value in kinds,
        paypal_ready,
    )
