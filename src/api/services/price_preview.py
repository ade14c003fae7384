"""What would a call cost? The full rating of one call, priced and not stored (SPEC 3).

Uses the package's latest compiled version and the active deck, exactly as a CDR would
be rated now; inbound calls need one of the reseller's DIDs (its per-minute prices).
Nothing is written. An unpriceable call is a result (:class:`Unpriceable`), like a
refused authorization; a malformed number or duration is :class:`InvalidInput`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.errors import InvalidInput
from api.services.access import reseller_scope
from api.services.cdrs.lines import client_dids
from api.services.context import ServicesContext
from api.services.decks import active_deck
from api.services.packages import compiled_version, latest_version
from api.store.tables import Did
from ratelang.model import Direction
from ratelang.numbers import NumberError, normalize
from ratelang.pricing import price
from ratelang.rating import Call, DidPrice, Rating, RatingError, RatingFailure

MAX_DURATION = 7 * 24 * 3600
MAX_FREE_MINUTES = 1_000_000


@dataclass(frozen=True, slots=True)
class PricePreview:
    """The rating (micro-units) and the versions it was computed with."""

    package_id: int
    package_version: int
    deck_version: str
    currency: str
    rating: Rating
    package_version_id: int = 0  # the version's row id


@dataclass(frozen=True, slots=True)
class Unpriceable:
    """Why the call has no price: ``unroutable``, ``no_deck`` or ``unknown_did``."""

    reason: str
    message: str


async def preview_price(
    ctx: ServicesContext,
    actor: Actor,
    package_id: int,
    number: str,
    duration: int,
    *,
    direction: str = "outbound",
    free_minutes_left: int = 0,
    reseller_id: int | None = None,
) -> PricePreview | Unpriceable:
    """Price one call with the tenant's package ``package_id``; reads only."""
    tenant = reseller_scope(actor, reseller_id)
    _check(number, duration, direction, free_minutes_left)
    try:
        digits = normalize(number)
    except NumberError as exc:
        raise InvalidInput("number", str(exc)) from None
    async with ctx.unit_of_work() as uow:
        package_row, version_id = await latest_version(uow, tenant, package_id)
        package = await compiled_version(ctx, uow, version_id)
        deck = await active_deck(ctx, uow)
        if deck is None:
            return Unpriceable("no_deck", "no active deck")
        did_price = None
        if direction == "inbound":
            did = await uow.session.scalar(
                select(Did).where(col(Did.number) == digits, col(Did.reseller_id) == tenant)
            )
            if did is None:
                return Unpriceable("unknown_did", f"{digits} is not one of your DIDs")
            did_price = DidPrice(did.per_minute_price, did.per_minute_cost)
        on_net = frozenset(await client_dids(uow, [digits])) if package.on_net_free else frozenset()
    call = Call(digits, duration, Direction(direction), free_minutes_left, on_net, did_price)
    try:
        rating = price(call, package, deck)
    except RatingError as exc:
        if exc.reason is RatingFailure.INVALID_NUMBER:
            raise InvalidInput("number", exc.message) from None
        return Unpriceable(exc.reason.value, exc.message)
    assert package_row.id is not None
    return PricePreview(
        package_row.id, package_row.latest_version, deck.version, package.currency, rating,
        version_id,
    )  # fmt: skip


def _check(number: str, duration: int, direction: str, free_minutes_left: int) -> None:
    if not number.strip() or len(number) > 64:
        raise InvalidInput("number", "1..64 characters")
    if not 0 <= duration <= MAX_DURATION:
        raise InvalidInput("duration", f"0..{MAX_DURATION} seconds")
    if direction not in ("outbound", "inbound"):
        raise InvalidInput("direction", "outbound or inbound")
    if not 0 <= free_minutes_left <= MAX_FREE_MINUTES:
        raise InvalidInput("freeMinutesLeft", f"0..{MAX_FREE_MINUTES}")
