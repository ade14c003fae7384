"""Client portal login and logout."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.auth.portal import LoginRefused
from api.graphql.context import Info
from api.graphql.errors import LoginFailed, Problem
from api.graphql.types.common import utc

MAX_PASSWORD_INPUT = 1024


@strawberry.type
class PortalSession:
    """A session token for ``Authorization: Bearer``; shown once."""

    token: str
    expires_at: datetime
    client_id: int


LoginResult = Annotated[PortalSession | LoginFailed, strawberry.union("LoginResult")]


@strawberry.type
class LoggedOut:
    ok: bool


async def login(info: Info, username: str, password: str) -> LoginResult:
    """Exchange a portal username and password for a session token."""
    portal = info.context.authenticator.portal
    outcome = await portal.login(username, password[: MAX_PASSWORD_INPUT + 1])
    if isinstance(outcome, LoginRefused):
        wait = int(outcome.retry_after + 0.999)
        if outcome.busy:
            message = "Too many logins at once; try later"
        elif wait:
            message = "Too many failed logins; try later"
        else:
            message = "Invalid username or password"
        return LoginFailed(message=message, retry_after_seconds=wait)
    assert outcome.actor.client_id is not None
    return PortalSession(
        token=outcome.token, expires_at=utc(outcome.expires_at), client_id=outcome.actor.client_id
    )


async def logout(info: Info) -> LoggedOut:
    """End the current portal session (API tokens are revoked from the command line)."""
    context = info.context
    context.require()
    token = context.token or ""
    done = token.startswith("pbs_") and await context.authenticator.portal.logout(token)
    context.authenticator.forget(token)
    return LoggedOut(ok=bool(done))


__all__ = ["LoggedOut", "LoginResult", "PortalSession", "Problem", "login", "logout"]
