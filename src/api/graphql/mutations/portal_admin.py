"""A reseller sets a client's portal login (argon2id, hashed off the event loop)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry

from api.auth.passwords import MAX_PASSWORD_LENGTH
from api.domain import errors as domain
from api.domain import tenants
from api.graphql.context import Info
from api.graphql.errors import Conflict, InvalidInput, NotFound, common_problem, invalid
from api.services import portal_logins
from api.services.access import reseller_scope

MIN_PASSWORD = 10


@strawberry.type
class PortalLoginSet:
    """The client's new portal username (in its reseller's namespace, ``100001_alice``);
    its open portal sessions were ended."""

    client_id: int
    username: str
    sessions_ended: int

    @strawberry.field
    def short_name(self) -> str:
        """The name the reseller gave, without its tenant prefix (``alice``)."""
        return tenants.short_name(self.username)


PortalLoginResult = Annotated[
    PortalLoginSet | NotFound | InvalidInput | Conflict, strawberry.union("PortalLoginResult")
]


async def set_portal_login(
    info: Info, client_id: int, username: str, password: str
) -> PortalLoginResult:
    """Give a client its portal username and password (replacing any previous ones)."""
    context = info.context
    actor = context.acting_as("reseller", what="client", client_id=client_id)
    if isinstance(actor, NotFound):
        return actor
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD_LENGTH:
        return invalid("password", f"between {MIN_PASSWORD} and {MAX_PASSWORD_LENGTH} characters")
    try:  # before the costly hash
        portal_logins.portal_username(reseller_scope(actor), username)
    except domain.InvalidInput as exc:
        return invalid(exc.field, exc.detail)
    hashed = await asyncio.to_thread(context.authenticator.portal.passwords.hash, password)
    try:
        view = await portal_logins.set_portal_login(
            context.services, actor, client_id, username, hashed
        )
    except domain.ServiceError as exc:
        return common_problem(exc)
    return PortalLoginSet(
        client_id=view.client_id, username=view.username, sessions_ended=view.sessions_ended
    )
