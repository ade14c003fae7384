"""May a sub account's call to a number start, and for how long (SPEC 4)?"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.authorization import Authorization, RefusalReason, decide
from api.domain.cycles import cycle_start
from api.domain.free_minutes import current_bundle
from api.domain.ledger import AccountKind
from api.services.access import reseller_scope
from api.services.cdrs.lines import client_dids, resolve_lines
from api.services.context import ServicesContext
from api.services.decks import active_deck
from api.services.packages import compiled_version
from api.services.tenancy import load_reseller
from api.store.tables import Account
from ratelang.numbers import NumberError, normalize
from ratelang.pricing import max_affordable_seconds
from ratelang.rating import RatingError, RatingFailure


async def authorize(
    ctx: ServicesContext,
    actor: Actor,
    sub_account: str,
    number: str,
    *,
    reseller_id: int | None = None,
) -> Authorization:
    """Allowed with the longest duration, or refused with a reason.

    Reasons: ``unknown_sub_account``, ``no_package``, ``suspended``, ``invalid_number``,
    ``unroutable``, ``insufficient_balance``. A soft client gets the reseller's cap
    (``max_call_seconds``); a hard client what its balance and remaining free minutes pay
    for, in whole pulse steps, capped likewise. Reads only; nothing is written.
    """
    tenant = reseller_scope(actor, reseller_id)
    async with ctx.unit_of_work() as uow:
        lines = await resolve_lines(uow, tenant, [sub_account], lock=False)
        line = lines.get(sub_account)
        if line is None:
            return Authorization.refuse(RefusalReason.UNKNOWN_SUB_ACCOUNT)
        if line.version_id is None or line.cycle_start is None:
            return Authorization.refuse(RefusalReason.NO_PACKAGE)
        if line.suspended:
            return Authorization.refuse(RefusalReason.SUSPENDED)
        try:
            digits = normalize(number)
        except NumberError as exc:
            return Authorization.refuse(RefusalReason.INVALID_NUMBER, str(exc))
        deck = await active_deck(ctx, uow)
        if deck is None:
            return Authorization.refuse(RefusalReason.UNROUTABLE, "no active deck")
        package = await compiled_version(ctx, uow, line.version_id)
        reseller = await load_reseller(uow, tenant)
        cap = reseller.max_call_seconds
        bundle = current_bundle(
            package.free_minutes,
            line.free_minutes_used,
            line.cycle_start,
            cycle_start(line.billing_day, ctx.now().date()),
        )
        on_net = frozenset(await client_dids(uow, [digits])) if package.on_net_free else frozenset()
        balance = await uow.session.scalar(
            select(col(Account.balance)).where(
                col(Account.client_id) == line.client_id, col(Account.kind) == AccountKind.CLIENT
            )
        )
        try:
            affordable = max_affordable_seconds(
                digits, package, deck, max(0, int(balance or 0)), bundle.left, cap, on_net
            )
        except RatingError as exc:
            reason = (
                RefusalReason.INVALID_NUMBER
                if exc.reason is RatingFailure.INVALID_NUMBER
                else RefusalReason.UNROUTABLE
            )
            return Authorization.refuse(reason, exc.message)
        return decide(
            balance_type=line.balance_type,
            suspended=line.suspended,
            cap_seconds=cap,
            affordable=affordable,
        )
