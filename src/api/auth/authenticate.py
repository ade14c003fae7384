"""One entry point: a request or a ``connection_init`` payload → the verified :class:`Actor`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from api.auth.portal import PortalAuth
from api.auth.tokens import SESSION_PREFIX, bearer
from api.domain.actor import Actor

ApiTokenVerifier = Callable[[str], Awaitable[Actor | None]]
"""Checks an operator or reseller API token (the token service); ``None`` when refused."""

CONNECTION_PARAM_KEYS = ("authorization", "Authorization", "token")


def credential(source: HTTPConnection | Mapping[str, object]) -> str | None:
    """The bearer token of an HTTP request or of a websocket ``connection_init`` payload."""
    if isinstance(source, HTTPConnection):
        return bearer(source.headers.get("authorization"))
    for key in CONNECTION_PARAM_KEYS:
        value = source.get(key)
        if isinstance(value, str):
            return bearer(value)
    return None


@dataclass(frozen=True, slots=True)
class Authenticator:
    """Routes a token to the portal sessions or to the API-token service."""

    portal: PortalAuth
    verify_api_token: ApiTokenVerifier

    async def actor_for_token(self, token: str | None) -> Actor | None:
        if token is None:
            return None
        if token.startswith(SESSION_PREFIX):
            return await self.portal.actor(token)
        return await self.verify_api_token(token)

    async def authenticate(self, source: HTTPConnection | Mapping[str, object]) -> Actor | None:
        """The caller of ``source``, or ``None`` when it carries no valid credential."""
        return await self.actor_for_token(credential(source))


async def authenticate(
    source: HTTPConnection | Mapping[str, object], authenticator: Authenticator
) -> Actor | None:
    """Module-level form of :meth:`Authenticator.authenticate`."""
    return await authenticator.authenticate(source)
