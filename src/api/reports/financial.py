"""The financial report of a period, read from the ledger.

For each client account: the opening balance (every entry before the period), the
period's movements by column (payments by method, charges, package fees, DID fees, calls,
other) and the closing balance (every entry before the period's end), so that
``closing = opening + sum(movements)`` exactly. Amounts are signed as they move the
balance: payments are positive, charges, fees and calls negative. The same breakdown of
the reseller's own account gives what it owes the operator (call costs, DID and platform
fees) and what it paid it. A transaction belongs to the period by its ``created_at``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, FromClause, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.actor import Actor
from api.reports.kinds import AccountKind, Movement, movement_of
from api.reports.period import Period
from api.reports.schema import (
    accounts,
    clients,
    ledger_entries,
    ledger_transactions,
    paypal_payments,
    resellers,
)
from api.reports.scope import Scope, scope_of
from api.reports.sql import exact_int


@dataclass(frozen=True, slots=True)
class Balances:
    """Opening and closing balance of one or more accounts and what moved in between."""

    opening: int = 0
    movements: dict[Movement, int] = field(default_factory=lambda: dict.fromkeys(Movement, 0))
    closing: int = 0

    @property
    def payments(self) -> int:
        return self.movements[Movement.PAYMENTS_MANUAL] + self.movements[Movement.PAYMENTS_PAYPAL]

    def __add__(self, other: Balances) -> Balances:
        movements = {kind: self.movements[kind] + other.movements[kind] for kind in Movement}
        return Balances(self.opening + other.opening, movements, self.closing + other.closing)


@dataclass(frozen=True, slots=True)
class ClientStatement:
    client_id: int
    client_name: str
    balances: Balances


@dataclass(frozen=True, slots=True)
class ResellerFinancials:
    """A reseller's clients (none for the operator's view), their sum, and its own account
    with the operator (``None`` for a client's view). ``paypal_fees``: what PayPal kept of
    the period's PayPal payments (net of fees it returned with refunds; ``None`` for a
    client's view)."""

    reseller_id: int
    reseller_name: str
    clients: list[ClientStatement]
    clients_total: Balances
    with_operator: Balances | None
    paypal_fees: int | None = None


@dataclass(frozen=True, slots=True)
class FinancialReport:
    period: Period
    resellers: list[ResellerFinancials]


async def financial_report(
    session: AsyncSession, actor: Actor, period: Period, *, reseller_id: int | None = None
) -> FinancialReport:
    """The financial report ``actor`` may read: a client its own statement, a reseller its
    clients and its account with the operator, the operator every reseller's totals
    (or one reseller's, given ``reseller_id``)."""
    scope = scope_of(actor)
    owners = await _resellers(session, scope, reseller_id)
    client_names = await _clients(session, scope, reseller_id)
    client_balances = await _client_balances(session, period, scope, reseller_id)
    operator_balances = (
        await _reseller_account_balances(session, period, scope, reseller_id)
        if scope.sees_cost
        else {}
    )
    fees = await _paypal_fees(session, period, scope, reseller_id) if scope.sees_cost else {}
    statements: dict[int, list[ClientStatement]] = defaultdict(list)
    for (owner_id, client_id), name in client_names.items():
        balances = client_balances.get(client_id, Balances())
        statements[owner_id].append(ClientStatement(client_id, name, balances))
    report = []
    for owner_id, owner_name in owners.items():
        lines = statements[owner_id]
        total = sum((line.balances for line in lines), Balances())
        with_operator = operator_balances.get(owner_id, Balances()) if scope.sees_cost else None
        shown = [] if scope.reseller_id is None else lines
        paypal_fees = fees.get(owner_id, 0) if scope.sees_cost else None
        report.append(
            ResellerFinancials(owner_id, owner_name, shown, total, with_operator, paypal_fees)
        )
    return FinancialReport(period, report)


async def _resellers(
    session: AsyncSession, scope: Scope, reseller_id: int | None
) -> dict[int, str]:
    query = select(resellers.c.id, resellers.c.name).order_by(resellers.c.name, resellers.c.id)
    for wanted in (scope.reseller_id, reseller_id):
        if wanted is not None:
            query = query.where(resellers.c.id == wanted)
    return {row.id: row.name for row in (await session.execute(query)).all()}


async def _clients(
    session: AsyncSession, scope: Scope, reseller_id: int | None
) -> dict[tuple[int, int], str]:
    query = select(clients.c.reseller_id, clients.c.id, clients.c.name).order_by(
        clients.c.name, clients.c.id
    )
    query = query.where(*_client_conditions(scope, reseller_id))
    rows = (await session.execute(query)).all()
    return {(row.reseller_id, row.id): row.name for row in rows}


def _client_conditions(scope: Scope, reseller_id: int | None) -> list[ColumnElement[bool]]:
    wanted = [
        (clients.c.reseller_id, scope.reseller_id),
        (clients.c.id, scope.client_id),
        (clients.c.reseller_id, reseller_id),
    ]
    return [column == value for column, value in wanted if value is not None]


async def _client_balances(
    session: AsyncSession, period: Period, scope: Scope, reseller_id: int | None
) -> dict[int, Balances]:
    """Per client id, from its ``client`` account; scoped through ``clients.reseller_id``."""
    from_clause = _entries().join(clients, clients.c.id == accounts.c.client_id)
    conditions = [
        accounts.c.kind == AccountKind.CLIENT.value,
        *_client_conditions(scope, reseller_id),
    ]
    return await _balances(session, period, from_clause, accounts.c.client_id, conditions)


async def _reseller_account_balances(
    session: AsyncSession, period: Period, scope: Scope, reseller_id: int | None
) -> dict[int, Balances]:
    """Per reseller id, from its ``reseller`` account (its balance with the operator)."""
    conditions = [
        accounts.c.kind == AccountKind.RESELLER.value,
        accounts.c.client_id.is_(None),
    ]
    for wanted in (scope.reseller_id, reseller_id):
        if wanted is not None:
            conditions.append(accounts.c.reseller_id == wanted)
    return await _balances(session, period, _entries(), accounts.c.reseller_id, conditions)


async def _paypal_fees(
    session: AsyncSession, period: Period, scope: Scope, reseller_id: int | None
) -> dict[int, int]:
    """Per reseller id, the PayPal fees (``mc_fee``) recorded during the period."""
    fees = paypal_payments
    query = (
        select(fees.c.reseller_id, func.sum(fees.c.fee))
        .where(fees.c.created_at >= period.utc_start, fees.c.created_at < period.utc_end)
        .group_by(fees.c.reseller_id)
    )
    for wanted in (scope.reseller_id, reseller_id):
        if wanted is not None:
            query = query.where(fees.c.reseller_id == wanted)
    return {owner: exact_int(total) for owner, total in (await session.execute(query)).all()}


def _entries() -> FromClause:
    return ledger_entries.join(accounts, accounts.c.id == ledger_entries.c.account_id).join(
        ledger_transactions, ledger_transactions.c.id == ledger_entries.c.transaction_id
    )


async def _balances(
    session: AsyncSession,
    period: Period,
    from_clause: FromClause,
    owner: ColumnElement[Any],
    conditions: list[ColumnElement[bool]],
) -> dict[int, Balances]:
    """Sums grouped by owner, by before/within the period and by transaction kind and
    method; folded into :class:`Balances` columns in Python (a handful of rows per owner)."""
    created_at = ledger_transactions.c.created_at
    in_period = case((created_at >= period.utc_start, 1), else_=0).label("in_period")
    kind = case((created_at >= period.utc_start, ledger_transactions.c.kind), else_="")
    method = case((created_at >= period.utc_start, ledger_transactions.c.method), else_="")
    query = (
        select(owner, in_period, kind, method, func.sum(ledger_entries.c.amount))
        .select_from(from_clause)
        .where(*conditions, created_at < period.utc_end)
        .group_by(owner, in_period, kind, method)
    )
    openings: dict[int, int] = defaultdict(int)
    movements: dict[int, dict[Movement, int]] = defaultdict(lambda: dict.fromkeys(Movement, 0))
    for owner_id, within, kind_value, method_value, amount in (await session.execute(query)).all():
        if within:
            movements[owner_id][movement_of(kind_value, method_value)] += exact_int(amount)
        else:
            openings[owner_id] += exact_int(amount)
    return {
        owner_id: Balances(
            openings[owner_id],
            movements[owner_id],
            openings[owner_id] + sum(movements[owner_id].values()),
        )
        for owner_id in openings.keys() | movements.keys()
    }
