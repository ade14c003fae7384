"""May a sub account's call to a number start, and for how long (SPEC 4)?

One read and, for a hard client's call with a call id, one write of its reservation, on
a pooled driver connection (as the real-time CDR path: :mod:`api.store.cdrs.pooled`):
SQLite ``BEGIN IMMEDIATE`` and the read in one hop, the write and ``COMMIT`` in a second
(the write lock serializes a client's authorizations); PostgreSQL an autocommit read,
then for a reservation ``BEGIN``, the client's account row locked (``FOR UPDATE``), what
the reservation depends on read again (a statement of its own, whose snapshot sees what
the lock's previous holder committed), the write, ``COMMIT``. The compiled package
and the deck come from the process caches (loaded outside the transaction when cold).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine

from api.domain.actor import Actor
from api.domain.authorization import Authorization, RefusalReason, decide
from api.domain.cycles import cycle_start
from api.domain.free_minutes import current_bundle
from api.domain.reservations import Held, Hold, expires_at, held_by_others, spendable
from api.domain.tenants import tenant_username
from api.services.access import reseller_scope
from api.services.cdrs.realtime import ColdCache, load_rating_inputs
from api.services.context import ServicesContext
from api.store.authorizations import (
    HELD_POSTGRES,
    LOCK_POSTGRES,
    READ_POSTGRES,
    READ_SQLITE,
    RESERVE_POSTGRES,
    UNRESERVE_POSTGRES,
    AuthorizationRead,
    holds,
    read_row,
    reserve_sqlite,
)
from api.store.cdrs.pooled import PostgresTransaction, realtime_transaction
from api.store.db_errors import as_sqlalchemy_error, driver_errors
from ratelang.model import Direction
from ratelang.numbers import NumberError, normalize
from ratelang.pricing import max_affordable_seconds, price
from ratelang.rating import Call, RatingError, RatingFailure

LOADS = 3
"""Rounds of loading a cold package version or deck before giving up."""

Outcome = tuple[Authorization, Hold | None, list[Held]]
"""The decision, what it reserves (a hard client's allowed call with a call id), and the
client's stored reservations (a hard client's; ``[]`` otherwise)."""


async def authorize(
    ctx: ServicesContext,
    actor: Actor,
    sub_account: str,
    number: str,
    *,
    reseller_id: int | None = None,
    call_id: str | None = None,
) -> Authorization:
    """Allowed with the longest duration, or refused with a reason.

    Reasons: ``unknown_sub_account``, ``no_package``, ``suspended``, ``invalid_number``,
    ``unroutable``, ``insufficient_balance``. A soft client gets the reseller's cap
    (``max_call_seconds``); a hard client what its balance and remaining free minutes pay
    for, in whole pulse steps, capped likewise, the live reservations of its calls
    deducted (:mod:`api.domain.reservations`).

    With a ``call_id``, a hard client's authorization is a reservation: the client's
    authorizations are serialized (account row locked), and the granted duration's sell
    and free minutes are reserved for this call (replacing the call's earlier
    reservation, if any) in the same transaction; refused, the call's earlier
    reservation is released. Without one nothing is written.
    """
    tenant = reseller_scope(actor, reseller_id)
    username = tenant_username(tenant, sub_account)
    for _ in range(LOADS):
        try:
            return await _authorize_pooled(ctx, tenant, username, number, call_id)
        except ColdCache as cold:
            await load_rating_inputs(ctx, cold.version_id, cold.deck_version)
    raise RuntimeError("the package version or the deck of a call could not be loaded")


async def _authorize_pooled(
    ctx: ServicesContext, tenant: int, username: str, number: str, call_id: str | None
) -> Authorization:
    engine = ctx.sessionmaker.kw.get("bind")
    if not isinstance(engine, AsyncEngine):  # pragma: no cover - sessionmaker without engine
        raise TypeError("the services' sessionmaker is bound to no AsyncEngine")
    now = ctx.now()
    try:
        digits: str | None = normalize(number)
        bad_number = ""
    except NumberError as exc:
        digits, bad_number = None, str(exc)
    check = partial(_outcome, ctx, number, digits, bad_number, now, call_id)
    try:
        async with realtime_transaction(engine) as tx:
            if isinstance(tx, PostgresTransaction):
                read = read_row(await tx.fetch(READ_POSTGRES, tenant, username, digits or ""))
            elif call_id is None:
                read = read_row(await tx.fetch(READ_SQLITE, tenant, username, digits or ""))
            else:  # BEGIN IMMEDIATE: what is read stays exact until the commit
                read = read_row(await tx.begin_fetch(READ_SQLITE, tenant, username, digits or ""))
            decision, hold, held = check(read)
            if read is None or call_id is None or read.client_id is None:
                return decision
            if hold is None and not held:
                return decision  # nothing to reserve, nothing to release
            client_id = read.client_id
            until = expires_at(now, decision.max_seconds)
            if isinstance(tx, PostgresTransaction):
                locked = await tx.begin_fetch(LOCK_POSTGRES, client_id)
                if not locked:  # pragma: no cover - a client always has its account
                    return decision
                balance = locked[0][0]
                used, held_json = (await tx.fetch(HELD_POSTGRES, client_id, read.attachment_id))[0]
                fresh = read._replace(balance=balance, stored_used=used, held=held_json)
                decision, hold, held = check(fresh)
                if hold is not None:
                    await tx.fetch(
                        RESERVE_POSTGRES, tenant, call_id, client_id, hold.seconds,
                        int(hold.amount), hold.free_minutes, now, until,
                    )  # fmt: skip
                elif held:
                    await tx.fetch(UNRESERVE_POSTGRES, tenant, call_id, client_id, now)
                await tx.commit()
            else:
                await tx.finish(
                    partial(
                        reserve_sqlite, reseller_id=tenant, call_id=call_id,
                        client_id=client_id, hold=hold, now=tx.when(now), until=tx.when(until),
                    )
                )  # fmt: skip
            return decision
    except driver_errors() as exc:
        raise as_sqlalchemy_error(exc, "call authorization") from exc


def _outcome(
    ctx: ServicesContext,
    number: str,
    digits: str | None,
    bad_number: str,
    now: datetime,
    call_id: str | None,
    read: AuthorizationRead | None,
) -> Outcome:
    """The decision on what was read; :class:`ColdCache` when the package version or the
    deck is not in the process caches yet."""
    if read is None or read.sub_account_id is None or read.client_id is None:
        return Authorization.refuse(RefusalReason.UNKNOWN_SUB_ACCOUNT), None, []
    hard = read.balance_type == "hard"
    held = holds(read.held) if hard else []
    cycle = read.cycle()
    if read.version_id is None or cycle is None or read.billing_day is None:
        return Authorization.refuse(RefusalReason.NO_PACKAGE), None, held
    if read.suspended:
        return Authorization.refuse(RefusalReason.SUSPENDED), None, held
    if digits is None:
        return Authorization.refuse(RefusalReason.INVALID_NUMBER, bad_number), None, held
    if read.deck_version is None:
        return Authorization.refuse(RefusalReason.UNROUTABLE, "no active deck"), None, held
    package = ctx.packages.get(read.version_id)
    deck = ctx.decks.get(read.deck_version)
    if package is None or deck is None:
        raise ColdCache(read.version_id, read.deck_version)
    cap = read.max_call_seconds
    bundle = current_bundle(
        package.free_minutes, int(read.stored_used or 0), cycle,
        cycle_start(read.billing_day, now.date()),
    )  # fmt: skip
    on_net = frozenset({digits}) if read.on_net and package.on_net_free else frozenset()
    held_money, held_minutes = held_by_others(held, now, call_id or "")
    balance = max(0, int(read.balance or 0))
    budget, free_left = spendable(balance, bundle.left, held_money, held_minutes)
    try:
        affordable = max_affordable_seconds(digits, package, deck, budget, free_left, cap, on_net)
    except RatingError as exc:
        reason = (
            RefusalReason.INVALID_NUMBER
            if exc.reason is RatingFailure.INVALID_NUMBER
            else RefusalReason.UNROUTABLE
        )
        return Authorization.refuse(reason, exc.message), None, held
    decision = decide(
        balance_type=str(read.balance_type),
        suspended=bool(read.suspended),
        cap_seconds=cap,
        affordable=affordable,
    )
    if not decision.allowed or not hard or call_id is None:
        return decision, None, held
    # the granted duration priced as the rating will price it
    seconds = decision.max_seconds
    rating = price(Call(number, seconds, Direction.OUTBOUND, free_left, on_net), package, deck)
    return decision, Hold(seconds, rating.sell, rating.free_minutes_used), held
