"""One entry point: a request or a ``connection_init`` payload → the verified :class:`Actor`."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import HTTPConnection

from api.auth.portal import PortalAuth
from api.auth.tokens import SESSION_PREFIX, bearer
from api.domain.actor import Actor
from api.events import CredentialRevoked, Event
from api.services.secrets import token_hash

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


CACHE_SECONDS = 2.0
CACHE_ENTRIES = 10_000


class Authenticator:
    """Routes a token to the portal sessions or to the API-token service.

    Verified credentials are remembered for ``cache_seconds`` (keyed by the token's
    SHA-256), so that a busy client or a subscription re-checking before every event does
    not query the database each time. Any revocation inside this process
    (:class:`~api.events.CredentialRevoked` from the bus, or :meth:`forget`) empties the
    cache at once; a revocation made by another process takes effect within
    ``cache_seconds``. Refusals are never cached. Concurrent look-ups of one credential
    share a single database query (when the entry of a token held by a hundred
    subscriptions expires, the next event costs one query, not a hundred).
    """

    def __init__(
        self,
        portal: PortalAuth,
        verify_api_token: ApiTokenVerifier,
        *,
        cache_seconds: float = CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.portal = portal
        self.verify_api_token = verify_api_token
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._cache: OrderedDict[str, tuple[Actor, float]] = OrderedDict()
        self._pending: dict[str, asyncio.Future[Actor | None]] = {}
        self._generation = 0  # bumped by every revocation: in-flight look-ups are not cached

    async def actor_for_token(self, token: str | None) -> Actor | None:
        if token is None:
            return None
        key = token_hash(token)
        cached = self._cache.get(key)
        now = self._monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._look_up(key, token))
            pending.add_done_callback(_retrieve)
            self._pending[key] = pending
        return await asyncio.shield(pending)  # a cancelled caller leaves it to the others

    async def _look_up(self, key: str, token: str) -> Actor | None:
        generation = self._generation
        try:
            actor = await self._verify(token)
        finally:
            if self._pending.get(key) is asyncio.current_task():
                del self._pending[key]
        if actor is None:
            self._cache.pop(key, None)
        elif self._cache_seconds > 0 and generation == self._generation:
            # not cached when a revocation happened while the look-up was in flight
            self._cache[key] = (actor, self._monotonic() + self._cache_seconds)
            self._cache.move_to_end(key)
            if len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return actor

    async def _verify(self, token: str) -> Actor | None:
        if token.startswith(SESSION_PREFIX):
            return await self.portal.actor(token)
        return await self.verify_api_token(token)

    async def authenticate(self, source: HTTPConnection | Mapping[str, object]) -> Actor | None:
        """The caller of ``source``, or ``None`` when it carries no valid credential."""
        return await self.actor_for_token(credential(source))

    def forget(self, token: str | None = None) -> None:
        """Drop one cached credential, or all of them; look-ups in flight are neither
        cached nor shared with later callers (they may predate the revocation)."""
        self._generation += 1
        if token is None:
            self._cache.clear()
            self._pending.clear()
        else:
            self._cache.pop(token_hash(token), None)
            self._pending.pop(token_hash(token), None)

    def on_event(self, event: Event) -> None:
        """Bus listener: a revocation anywhere in this process empties the cache."""
        if isinstance(event, CredentialRevoked):
            self.forget()


def _retrieve(task: asyncio.Future[Actor | None]) -> None:
    """Mark a look-up's failure as seen (its callers, if any are left, re-raise it)."""
    if not task.cancelled():
        task.exception()


async def authenticate(
    source: HTTPConnection | Mapping[str, object], authenticator: Authenticator
) -> Actor | None:
    """Module-level form of :meth:`Authenticator.authenticate`."""
    return await authenticator.authenticate(source)
