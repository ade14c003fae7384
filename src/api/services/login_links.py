"""Auto-connect by link: the reseller's server asks for a single-use portal URL for one of
its clients (when its own user clicks "my account"); the link logs that client in once.

The token is random (256 bits) and valid :data:`LINK_TTL`; only its SHA-256 is stored.
Redeeming marks it used in one guarded update, so of two concurrent uses one wins.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.errors import Conflict
from api.services.access import reseller_scope
from api.services.context import ServicesContext
from api.services.portal_access import portal_base
from api.services.secrets import token_hash
from api.services.tenancy import load_client
from api.store.tables import Client, PortalAccess, PortalLoginLink, Reseller

LINK_TTL = timedelta(minutes=2)
MAX_TOKEN = 100


@dataclass(frozen=True, slots=True)
class LoginLink:
    """The URL to send the client's browser to (shown once) and when it stops working."""

    url: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"LoginLink(url=<hidden>, expires_at={self.expires_at!r})"


async def create_login_link(ctx: ServicesContext, actor: Actor, client_id: int) -> LoginLink:
    """A single-use login URL for the reseller's active client (with a portal login)."""
    tenant = reseller_scope(actor)
    now = ctx.now()
    token = secrets.token_urlsafe(32)
    async with ctx.unit_of_work() as uow:
        client = await load_client(uow, tenant, client_id, active=True)
        if client.portal_username is None:
            raise Conflict(f"client {client_id} has no portal login")
        hostname = await uow.session.scalar(
            select(col(PortalAccess.hostname)).where(col(PortalAccess.reseller_id) == tenant)
        )
        uow.session.add(
            PortalLoginLink(
                reseller_id=tenant,
                client_id=client_id,
                token_hash=token_hash(token),
                created_at=now,
                expires_at=now + LINK_TTL,
            )
        )
        await uow.session.flush()
    return LoginLink(f"{portal_base(ctx, tenant, hostname)}/link?token={token}", now + LINK_TTL)


async def redeem_login_link(ctx: ServicesContext, tenant: int, token: str) -> int | None:
    """The client the link logs in (marking it used), or ``None``: unknown, used, expired,
    another portal's, or its client or reseller no longer active."""
    if not token or len(token) > MAX_TOKEN:
        return None
    now = ctx.now()
    digest = token_hash(token)
    async with ctx.unit_of_work() as uow:
        used = await uow.session.execute(
            update(PortalLoginLink)
            .where(
                col(PortalLoginLink.token_hash) == digest,
                col(PortalLoginLink.reseller_id) == tenant,
                col(PortalLoginLink.used_at).is_(None),
                col(PortalLoginLink.expires_at) > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(used, "rowcount", 0) or 0) != 1:
            return None
        client_id = await uow.session.scalar(
            select(col(Client.id))
            .join(PortalLoginLink, col(PortalLoginLink.client_id) == col(Client.id))
            .join(Reseller, col(Reseller.id) == col(Client.reseller_id))
            .where(
                col(PortalLoginLink.token_hash) == digest,
                col(Client.status) == "active",
                col(Reseller.status) == "active",
            )
        )
    return None if client_id is None else int(client_id)
