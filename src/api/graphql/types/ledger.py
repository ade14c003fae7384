"""Payments and charges as posted, a client's ledger lines, statements, billing runs."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.graphql.loaders import LedgerLine as Line
from api.graphql.types.common import Money, utc
from api.services.records import BillingRun as BillingRunView
from api.services.records import MoneyMovement as MoneyMovementView
from api.store.tables import Statement as StatementRow


@strawberry.type
class MoneyMovement:
    """A payment or charge with the client's balance right after it."""

    transaction_id: int
    client_id: int
    kind: str
    amount: Money
    method: str
    description: str
    balance: Money
    created_at: datetime

    @classmethod
    def from_domain(cls, view: MoneyMovementView, currency: str) -> MoneyMovement:
        return cls(
            transaction_id=view.transaction_id,
            client_id=view.client_id,
            kind=view.kind,
            amount=Money.of(view.amount, currency),
            method=view.method,
            description=view.description,
            balance=Money.of(view.balance, currency),
            created_at=utc(view.created_at),
        )


@strawberry.type
class LedgerLine:
    """One transaction on a client's account (payment, charge, fee, calls): the signed
    change of its balance and the balance right after it."""

    transaction_id: int
    kind: str
    method: str
    description: str
    change: Money
    balance: Money
    created_at: datetime

    @classmethod
    def from_domain(cls, line: Line, currency: str) -> LedgerLine:
        return cls(
            transaction_id=line.transaction_id,
            kind=line.kind,
            method=line.method,
            description=line.description,
            change=Money.of(line.change, currency),
            balance=Money.of(line.balance, currency),
            created_at=utc(line.created_at),
        )


@strawberry.type
class Statement:
    """A billing period of one client: opening, movements, closing."""

    id: int
    period_start: date
    period_end: date
    opening: Money
    calls: Money
    fees: Money
    charges: Money
    payments: Money
    closing: Money
    created_at: datetime

    @classmethod
    def from_row(cls, row: StatementRow, currency: str) -> Statement:
        assert row.id is not None

        def m(micros: int) -> Money:
            return Money.of(micros, currency)

        return cls(
            id=row.id, period_start=row.period_start, period_end=row.period_end,
            opening=m(row.opening), calls=m(row.calls), fees=m(row.fees),
            charges=m(row.charges), payments=m(row.payments), closing=m(row.closing),
            created_at=utc(row.created_at),
        )  # fmt: skip


@strawberry.type
class BillingRun:
    """What a billing run did (zero everywhere when run again for the same day)."""

    on: date
    clients: int
    fees_posted: int
    statements: int
    did_costs_posted: int

    @classmethod
    def from_domain(cls, run: BillingRunView) -> BillingRun:
        return cls(
            on=run.on, clients=run.clients, fees_posted=run.fees_posted,
            statements=run.statements, did_costs_posted=run.did_costs_posted,
        )  # fmt: skip
