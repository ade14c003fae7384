"""A client's portal login: its username and argon2id hash, set by its reseller.

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


def check_username(username: str) -> str:
    """A login name: 3..100 letters, digits, ``. _ @ + -``, starting with a letter or digit."""
    if not USERNAME.fullmatch(username):
        raise InvalidInput("username", "3..100 letters, digits, '.', '_', '@', '+' or '-'")
    return username


async def set_portal_login(
    ctx: ServicesContext, actor: Actor, client_id: int, username: str, password_hash: str
) -> PortalLoginView:
    """Give the tenant's active client ``username`` and ``password_hash`` (argon2id)."""
    tenant = reseller_scope(actor)
    check_username(username)
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
