"""Switch tokens at the door of ``/switch/``: verified by the token service, remembered
for a few seconds so that a busy switch costs no token query per call."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from api.domain.errors import Unauthenticated
from api.events import CredentialRevoked, Event
from api.services.context import ServicesContext
from api.services.records import SwitchIdentity
from api.services.resellers import authenticate_switch_token
from api.services.secrets import token_hash

CACHE_SECONDS = 2.0
CACHE_ENTRIES = 1_000


class SwitchGate:
    """Verifies switch tokens; a verified one is remembered for ``cache_seconds``, keyed by
    its SHA-256. A revocation in this process (:class:`~api.events.CredentialRevoked`)
    empties the cache at once; one made by another process takes effect within
    ``cache_seconds``. Refusals are not remembered."""

    def __init__(
        self,
        services: ServicesContext,
        *,
        cache_seconds: float = CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = services
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._cache: OrderedDict[str, tuple[SwitchIdentity, float]] = OrderedDict()
        self._generation = 0

    async def verify(self, token: str | None) -> SwitchIdentity | None:
        """The switch of a live switch token, or ``None``."""
        if token is None:
            return None
        key = token_hash(token)
        cached = self._cache.get(key)
        if cached is not None and cached[1] > self._monotonic():
            return cached[0]
        generation = self._generation
        try:
            identity = await authenticate_switch_token(self.services, token)
        except Unauthenticated:
            self._cache.pop(key, None)
            return None
        if generation == self._generation and self._cache_seconds > 0:
            self._cache[key] = (identity, self._monotonic() + self._cache_seconds)
            self._cache.move_to_end(key)
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return identity

    def on_event(self, event: Event) -> None:
        """Bus listener: any revocation in this process forgets every token."""
        if isinstance(event, CredentialRevoked):
            self._generation += 1
            self._cache.clear()
