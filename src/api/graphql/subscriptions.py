"""Live events over graphql-transport-ws: balance changes, low balance, suspension.

Each subscription listens on the bus topic of the caller's tenant (and one client when
given, or always for a client caller). Before every event the credential is verified
again, so a revoked API token or an ended portal session stops receiving at once.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import TypeVar

import strawberry

from api.domain.actor import Actor, Role
from api.domain.errors import ServiceError
from api.events import BalanceChanged, Event, LowBalance, SuspensionChanged
from api.graphql.context import Context, Info
from api.graphql.errors import NotAuthenticated, PublicError
from api.graphql.types.common import Money, utc
from api.services import clients

E = TypeVar("E", BalanceChanged, LowBalance, SuspensionChanged)


@strawberry.type
class BalanceChangedEvent:
    client_id: int
    balance: Money
    at: datetime


@strawberry.type
class LowBalanceEvent:
    """A client's balance crossed its threshold downwards (once per crossing)."""

    client_id: int
    balance: Money
    threshold: Money
    at: datetime


@strawberry.type
class SuspensionChangedEvent:
    client_id: int
    suspended: bool
    at: datetime


async def _topic(context: Context, client_id: int | None) -> tuple[int, int | None]:
    """The (tenant, client) the caller may watch; a foreign client id is not found."""
    actor = context.require()
    if actor.role is Role.OPERATOR or actor.reseller_id is None:
        raise PublicError("Subscriptions are for resellers and clients")
    if actor.role is Role.CLIENT:
        if client_id is not None and client_id != actor.client_id:
            raise PublicError("client not found")
        return actor.reseller_id, actor.client_id
    if client_id is not None:
        try:
            await clients.get_client(context.services, actor, client_id)
        except ServiceError:
            raise PublicError("client not found") from None
    return actor.reseller_id, client_id


async def _events(info: Info, client_id: int | None, kind: type[E]) -> AsyncGenerator[E, None]:
    context = info.context
    tenant, client = await _topic(context, client_id)
    actor = context.require()
    async with context.bus.subscribe(tenant, client) as events:
        async for event in events:
            if isinstance(event, kind):
                await _still_allowed(context, actor)
                yield event


async def _still_allowed(context: Context, actor: Actor) -> None:
    if await context.authenticator.actor_for_token(context.token) != actor:
        raise NotAuthenticated


async def balance_changed(
    info: Info, client_id: int | None = None
) -> AsyncGenerator[BalanceChangedEvent, None]:
    """Every committed balance change of one client, or of all the reseller's clients."""
    async for e in _events(info, client_id, BalanceChanged):
        yield BalanceChangedEvent(
            client_id=e.client_id, balance=Money.of(e.balance, e.currency), at=utc(e.at)
        )


async def low_balance(
    info: Info, client_id: int | None = None
) -> AsyncGenerator[LowBalanceEvent, None]:
    async for e in _events(info, client_id, LowBalance):
        yield LowBalanceEvent(
            client_id=e.client_id,
            balance=Money.of(e.balance, e.currency),
            threshold=Money.of(e.threshold, e.currency),
            at=utc(e.at),
        )


async def suspension_changed(
    info: Info, client_id: int | None = None
) -> AsyncGenerator[SuspensionChangedEvent, None]:
    async for e in _events(info, client_id, SuspensionChanged):
        yield SuspensionChangedEvent(client_id=e.client_id, suspended=e.suspended, at=utc(e.at))


__all__ = ["Event", "balance_changed", "low_balance", "suspension_changed"]
