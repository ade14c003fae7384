"""Payments and charges as posted."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.types.common import Money, utc
from api.services.views import MoneyMovement as MoneyMovementView


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
