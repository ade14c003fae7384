"""What a client reads in its portal: its calls, its ledger lines, its last days' usage.

Sell side only: the views here carry no cost, cost rate, profit, rule text, deck prefix or
route, so no page built from them can show one. Every read is limited to the actor's own
client (a client actor only; another client's id is never taken from outside).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlmodel import col

from api.auth.clock import aware
from api.domain.actor import Actor, Role
from api.domain.errors import PermissionDenied
from api.domain.ledger import AccountKind
from api.services.context import ServicesContext
from api.store.tables import Account, Cdr, LedgerEntry, LedgerTransaction

MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class ClientCall:
    """One call as its client sees it: what it was charged, never what it cost."""

    id: int
    started_at: datetime
    direction: str
    number: str
    country: str
    description: str
    duration: int
    charged_seconds: int
    sell_rate: int
    sell: int
    free_minutes_used: int
    status: str


CLIENT_CALL_COLUMNS = (
    "id",
    "started_at",
    "direction",
    "number",
    "country",
    "description",
    "duration",
    "charged_seconds",
    "sell_rate",
    "sell",
    "free_minutes_used",
    "status",
)


@dataclass(frozen=True, slots=True)
class ClientLedgerLine:
    """One movement of the client's balance and the balance right after it."""

    transaction_id: int
    kind: str
    method: str
    description: str
    change: int
    balance: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DailyUsage:
    day: date
    calls: int
    sell: int


def own_client(actor: Actor) -> tuple[int, int]:
    """(tenant, client) of a client actor; anyone else is refused."""
    if actor.role is not Role.CLIENT or actor.reseller_id is None or actor.client_id is None:
        raise PermissionDenied("only a client reads its portal")
    return actor.reseller_id, actor.client_id


async def client_calls(
    ctx: ServicesContext, actor: Actor, *, limit: int = 50, before_id: int | None = None
) -> list[ClientCall]:
    """The client's calls, newest first by start time (``limit`` at most 200); the next
    page starts after the call ``before_id`` of this page (keyset on start time and id,
    served by the ``(client_id, started_at, id)`` index)."""
    tenant, client_id = own_client(actor)
    limit = max(1, min(limit, MAX_PAGE))
    mine = (col(Cdr.reseller_id) == tenant, col(Cdr.client_id) == client_id)
    query = (
        select(*(getattr(Cdr, name) for name in CLIENT_CALL_COLUMNS))
        .where(*mine)
        .order_by(col(Cdr.started_at).desc(), col(Cdr.id).desc())
        .limit(limit)
    )
    if before_id is not None:
        started = select(col(Cdr.started_at)).where(col(Cdr.id) == before_id, *mine)
        pivot = started.scalar_subquery()
        query = query.where(
            or_(
                col(Cdr.started_at) < pivot,
                and_(col(Cdr.started_at) == pivot, col(Cdr.id) < before_id),
            )
        )
    async with ctx.read() as uow:
        rows = (await uow.session.execute(query)).all()
    return [_call(row) for row in rows]


def _call(row: Sequence[object]) -> ClientCall:
    values = dict(zip(CLIENT_CALL_COLUMNS, row, strict=True))
    return ClientCall(**values)  # type: ignore[arg-type]


async def client_ledger(
    ctx: ServicesContext, actor: Actor, *, limit: int = 50, before_id: int | None = None
) -> list[ClientLedgerLine]:
    """Payments, charges, fees and calls on the client's balance, newest first, each with
    the balance right after it."""
    tenant, client_id = own_client(actor)
    limit = max(1, min(limit, MAX_PAGE))
    async with ctx.read() as uow:
        account = (
            await uow.session.execute(
                select(col(Account.id), col(Account.balance)).where(
                    col(Account.reseller_id) == tenant,
                    col(Account.client_id) == client_id,
                    col(Account.kind) == AccountKind.CLIENT.value,
                )
            )
        ).first()
        if account is None:
            return []
        account_id, balance = int(account[0] or 0), int(account[1])
        per_tx: Select[*tuple[Any, ...]] = (
            select(
                col(LedgerEntry.transaction_id).label("tx"),
                func.sum(col(LedgerEntry.amount)).label("change"),
            )
            .where(col(LedgerEntry.account_id) == account_id)
            .group_by(col(LedgerEntry.transaction_id))
        )
        if before_id is not None:
            newer = await uow.session.scalar(
                select(func.coalesce(func.sum(col(LedgerEntry.amount)), 0)).where(
                    col(LedgerEntry.account_id) == account_id,
                    col(LedgerEntry.transaction_id) >= before_id,
                )
            )
            balance -= int(newer or 0)
            per_tx = per_tx.where(col(LedgerEntry.transaction_id) < before_id)
        sub = per_tx.subquery()
        rows = (
            await uow.session.execute(
                select(
                    sub.c.tx,
                    col(LedgerTransaction.kind),
                    col(LedgerTransaction.method),
                    col(LedgerTransaction.description),
                    sub.c.change,
                    col(LedgerTransaction.created_at),
                )
                .join(LedgerTransaction, col(LedgerTransaction.id) == sub.c.tx)
                .order_by(sub.c.tx.desc())
                .limit(limit)
            )
        ).all()
    lines = []
    for tx, kind, method, description, change, at in rows:
        lines.append(ClientLedgerLine(int(tx), kind, method, description, int(change), balance, at))
        balance -= int(change)
    return lines


async def daily_usage(ctx: ServicesContext, actor: Actor, *, days: int = 30) -> list[DailyUsage]:
    """The client's calls and spend per UTC day over the last ``days`` days (today
    included), one entry per day, oldest first (days without calls are zero)."""
    tenant, client_id = own_client(actor)
    today = ctx.now().date()
    first = today - timedelta(days=days - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=ctx.now().tzinfo)
    async with ctx.read() as uow:
        rows = (
            await uow.session.execute(
                select(col(Cdr.started_at), col(Cdr.sell)).where(
                    col(Cdr.reseller_id) == tenant,
                    col(Cdr.client_id) == client_id,
                    col(Cdr.started_at) >= since,
                )
            )
        ).all()
    calls: dict[date, int] = {}
    sell: dict[date, int] = {}
    for started, amount in rows:
        day = _utc_day(started)
        calls[day] = calls.get(day, 0) + 1
        sell[day] = sell.get(day, 0) + int(amount)
    return [
        DailyUsage(d, calls.get(d, 0), sell.get(d, 0))
        for d in (first + timedelta(days=i) for i in range(days))
    ]


def _utc_day(at: datetime) -> date:
    return aware(at).date()
