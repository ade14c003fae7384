"""A client's portal login: its username and argon2id hash, set by its reseller.

Portal usernames are unique on the platform, each reseller in its own namespace: the
reseller gives ``alice`` and the client logs in as ``100001_alice``
(:func:`api.domain.tenants.tenant_username`), so a taken name is always one of the
reseller's own clients and nothing of another tenant is ever confirmed.

The caller hashes the password (``api.auth.passwords``, off the event loop) and passes
only the hash; this module never sees a password. Setting a login ends the client's open
portal sessions, so a changed password takes effect at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.errors import AlreadyExists, InvalidInput
from api.domain.tenants import short_name, short_name_limit, tenant_username
from api.events import CredentialRevoked
from api.services.access import reseller_scope
from api.services.context import ServicesContext
from api.services.tenancy import load_client
from api.store.tables import Client, PortalSession

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{2,99}")


@dataclass(frozen=True, slots=True)
class PortalLoginView:
    client_id: int
    username: str
    sessions_ended: int


def portal_username(tenant: int, name: str) -> str:
    """The login of the short name ``name`` in reseller ``tenant``'s namespace (a name given
    with the reseller's own prefix is already one): 3.. letters, digits, ``. _ @ + -``,
    starting with a letter or digit, at most 100 characters with the prefix."""
    full = tenant_username(tenant, name)
    longest = short_name_limit(tenant)
    if len(short_name(full)) > longest or not USERNAME.fullmatch(short_name(full)):
        raise InvalidInput("username", f"3..{longest} letters, digits, '.', '_', '@', '+' or '-'")
    return full


async def set_portal_login(
    ctx: ServicesContext, actor: Actor, client_id: int, username: str, password_hash: str
) -> PortalLoginView:
    """Give the tenant's active client the login ``username`` (a short name, put in the
    tenant's namespace) and ``password_hash`` (argon2id)."""
    tenant = reseller_scope(actor)
    username = portal_username(tenant, username)
    if not password_hash.startswith("$argon2id$") or len(password_hash) > 200:
        raise InvalidInput("password", "must be hashed with argon2id")
    try:
        async with ctx.unit_of_work() as uow:
            client = await load_client(uow, tenant, client_id, active=True)
            taken = await uow.session.scalar(
                select(col(Client.id)).where(
                    col(Client.portal_username) == username, col(Client.id) != client_id
                )
            )
            if taken is not None:
                raise AlreadyExists("portal username", username)
            client.portal_username = username
            client.portal_password_hash = password_hash
            ended = await uow.session.execute(
                update(PortalSession)
                .where(
                    col(PortalSession.client_id) == client_id,
                    col(PortalSession.revoked_at).is_(None),
                )
                .values(revoked_at=ctx.now())
                .execution_options(synchronize_session=False)
            )
            await uow.session.flush()
            uow.emit(CredentialRevoked(tenant, client_id, ctx.now()))
            return PortalLoginView(client_id, username, int(getattr(ended, "rowcount", 0) or 0))
    except IntegrityError:
        raise AlreadyExists("portal username", username) from None
