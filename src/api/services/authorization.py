"""May a sub account's call to a number start, and for how long (SPEC 4)?"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.authorization import Authorization, RefusalReason, decide
from api.domain.cycles import cycle_start
from api.domain.free_minutes import current_bundle
from api.domain.ledger import AccountKind
from api.domain.reservations import Held, Hold, expires_at, held_by_others, spendable
from api.services.access import reseller_scope
from api.services.cdrs.lines import Line, client_dids, resolve_lines
from api.services.context import ServicesContext
from api.services.decks import active_deck
from api.services.packages import compiled_version
from api.services.tenancy import load_reseller
from api.store.reservations import ReservationRepository
from api.store.tables import Account
from api.store.unit_of_work import UnitOfWork
from ratelang.model import Direction
from ratelang.numbers import NumberError, normalize
from ratelang.pricing import max_affordable_seconds, price
from ratelang.rating import Call, RatingError, RatingFailure


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
    for, in whole pulse steps, capped likewise.

    With a ``call_id``, a hard client's authorization is a reservation
    (:mod:`api.domain.reservations`): its account row is locked, the live reservations
    of its other calls are taken off its balance and free minutes, and the granted
    duration's sell and free minutes are reserved for this call (replacing the call's
    earlier reservation, if any), in the same transaction; refused, the call's earlier
    reservation is released. Without one nothing is written (what a call could get now,
    the live reservations of the client's calls deducted).
    """
    tenant = reseller_scope(actor, reseller_id)
    async with ctx.unit_of_work() as uow:
        lines = await resolve_lines(uow, tenant, [sub_account], lock=False)
        line = lines.get(sub_account)
        if line is None:
            return Authorization.refuse(RefusalReason.UNKNOWN_SUB_ACCOUNT)
        hard = line.balance_type == "hard"
        store = ReservationRepository(uow.session)
        now = ctx.now()
        if hard and call_id is not None:  # serializes the client's authorizations
            balance = await store.lock_balance(line.client_id)
        else:
            balance = await _balance(uow, line.client_id)
        held = await store.held(line.client_id) if hard else []
        decision, hold = await _decide(ctx, uow, tenant, line, number, balance, held, now, call_id)
        if hard and call_id is not None and (hold is not None or held):
            until = expires_at(now, decision.max_seconds)
            await store.replace(tenant, line.client_id, call_id, hold, now, until)
        return decision


async def _decide(
    ctx: ServicesContext,
    uow: UnitOfWork,
    tenant: int,
    line: Line,
    number: str,
    balance: int,
    held: list[Held],
    now: datetime,
    call_id: str | None,
) -> tuple[Authorization, Hold | None]:
    """The decision for ``line``, and what it reserves (a hard client's allowed call
    with a call id): the live reservations of the client's other calls are off its
    balance and free minutes."""
    if line.version_id is None or line.cycle_start is None:
        return Authorization.refuse(RefusalReason.NO_PACKAGE), None
    if line.suspended:
        return Authorization.refuse(RefusalReason.SUSPENDED), None
    try:
        digits = normalize(number)
    except NumberError as exc:
        return Authorization.refuse(RefusalReason.INVALID_NUMBER, str(exc)), None
    deck = await active_deck(ctx, uow)
    if deck is None:
        return Authorization.refuse(RefusalReason.UNROUTABLE, "no active deck"), None
    package = await compiled_version(ctx, uow, line.version_id)
    reseller = await load_reseller(uow, tenant)
    cap = reseller.max_call_seconds
    bundle = current_bundle(
        package.free_minutes,
        line.free_minutes_used,
        line.cycle_start,
        cycle_start(line.billing_day, now.date()),
    )
    on_net = frozenset(await client_dids(uow, [digits])) if package.on_net_free else frozenset()
    held_money, held_minutes = held_by_others(held, now, call_id or "")
    budget, free_left = spendable(max(0, balance), bundle.left, held_money, held_minutes)
    try:
        affordable = max_affordable_seconds(digits, package, deck, budget, free_left, cap, on_net)
    except RatingError as exc:
        reason = (
            RefusalReason.INVALID_NUMBER
            if exc.reason is RatingFailure.INVALID_NUMBER
            else RefusalReason.UNROUTABLE
        )
        return Authorization.refuse(reason, exc.message), None
    decision = decide(
        balance_type=line.balance_type,
        suspended=line.suspended,
        cap_seconds=cap,
        affordable=affordable,
    )
    if not decision.allowed or line.balance_type != "hard" or call_id is None:
        return decision, None
    # the granted duration priced as the rating will price it
    seconds = decision.max_seconds
    rating = price(Call(number, seconds, Direction.OUTBOUND, free_left, on_net), package, deck)
    return decision, Hold(seconds, rating.sell, rating.free_minutes_used)


async def _balance(uow: UnitOfWork, client_id: int) -> int:
    balance = await uow.session.scalar(
        select(col(Account.balance)).where(
            col(Account.client_id) == client_id, col(Account.kind) == AccountKind.CLIENT
        )
    )
    return int(balance or 0)
