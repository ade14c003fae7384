"""The per-request context and the typed ``Info`` alias every resolver uses.

Over HTTP a context is built per request (so are its DataLoaders and its one reader
transaction, :class:`~api.graphql.request_reads.RequestReads`, lazily; the view closes it when the
request ends). Over a websocket strawberry builds one context per *connection*: it
therefore holds only the sessionmaker, the bus and the verified credential — never a
session or loaders; the :class:`~api.graphql.hardening.SubscriptionsOnlyOverWebSocket`
extension refuses queries and mutations there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection
from strawberry.types import Info as StrawberryInfo

from api.auth.authenticate import Authenticator
from api.domain.actor import Actor, Role
from api.events import EventBus
from api.graphql.errors import Forbidden, NotAuthenticated, NotFound, not_found

PLATFORM_CURRENCY = "USD"
"""The operator's currency: its deck costs and the unowned DID inventory are in it."""

if TYPE_CHECKING:
    from api.graphql.loaders import Loaders
    from api.graphql.request_reads import RequestReads
    from api.services.context import ServicesContext


@dataclass
class Context:
    """What resolvers may use: the caller, the services, the bus and (HTTP only) loaders."""

    sessionmaker: async_sessionmaker[AsyncSession]
    bus: EventBus
    services: ServicesContext
    authenticator: Authenticator
    connection: HTTPConnection
    actor: Actor | None = None
    token: str | None = None  # the verified credential, re-checked per subscription event
    websocket: bool = False
    connection_params: dict[str, Any] | None = None
    database_unavailable: bool = False  # set when a resolver could not reach the database
    _loaders: Loaders | None = field(default=None, repr=False)
    _reads: RequestReads | None = field(default=None, repr=False)
    _currencies: dict[int, str] | None = field(default=None, repr=False)

    @property
    def loaders(self) -> Loaders:
        """This request's DataLoaders (built on first use; never for a websocket)."""
        if self._loaders is None:
            from api.graphql.loaders import Loaders

            self._loaders = Loaders(self.reads, self.require())
        return self._loaders

    @property
    def reads(self) -> RequestReads:
        """This request's one reader transaction (opened on first use; never for a
        websocket, whose context lives as long as the connection)."""
        if self.websocket:
            raise RuntimeError("DataLoaders and request reads are per HTTP request")
        if self._reads is None:
            from api.graphql.request_reads import RequestReads, engine_of

            self._reads = RequestReads(engine_of(self.sessionmaker))
        return self._reads

    async def close(self) -> None:
        """End the request's reader transaction, if one was opened (called by the view)."""
        reads, self._reads = self._reads, None
        if reads is not None:
            await reads.close()

    def require(self) -> Actor:
        """The verified caller, or a clean ``Not authenticated`` error."""
        if self.actor is None:
            raise NotAuthenticated
        return self.actor

    def require_role(self, *roles: str) -> Actor:
        actor = self.require()
        if actor.role not in roles:
            raise Forbidden
        return actor

    def acting_as(
        self, *roles: str, what: str, client_id: int | None = None, named: bool = True
    ) -> Actor | NotFound:
        """The caller when it has one of ``roles``. A client that ``named`` an id other than
        its own client id gets ``NotFound`` (ids it may not see are never confirmed);
        every other refusal is ``Forbidden``."""
        actor = self.require()
        if actor.role in roles:
            return actor
        if actor.role is Role.CLIENT and named and client_id != actor.client_id:
            return not_found(what)
        raise Forbidden

    async def currency(self) -> str:
        """The caller's tenant currency (the platform's, USD, for the operator)."""
        return await self.tenant_currency(self.require().reseller_id)

    async def tenant_currency(self, reseller_id: int | None) -> str:
        """The currency of reseller ``reseller_id`` (remembered for this request), or the
        platform's for ``None`` (the operator, unowned DID inventory)."""
        if reseller_id is None:
            return PLATFORM_CURRENCY
        if self._currencies is None:
            self._currencies = {}
        currency = self._currencies.get(reseller_id)
        if currency is None:
            from api.services.resellers import get_reseller

            view = await get_reseller(self.services, Actor.reseller(reseller_id))
            currency = self._currencies[reseller_id] = view.currency
        return currency


Info: TypeAlias = StrawberryInfo[Context, None]
