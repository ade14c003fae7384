"""Resellers (tenants) as the operator and the reseller itself see them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.types.common import Money, utc
from api.services.records import IssuedToken, ResellerView


@strawberry.type
class Reseller:
    id: int
    name: str
    currency: str
    status: str
    low_balance_threshold: Money
    max_call_seconds: int
    balance: Money  # the reseller's own balance at the operator
    created_at: datetime
    email: str
    phone: str
    address: str

    @classmethod
    def from_domain(cls, view: ResellerView) -> Reseller:
        return cls(
            id=view.id,
            name=view.name,
            currency=view.currency,
            status=view.status,
            low_balance_threshold=Money.of(view.low_balance_threshold, view.currency),
            max_call_seconds=view.max_call_seconds,
            balance=Money.of(view.balance, view.currency),
            created_at=utc(view.created_at),
            email=view.email,
            phone=view.phone,
            address=view.address,
        )


@strawberry.type
class ApiToken:
    """A new API token; ``token`` is shown once and never stored."""

    id: int
    token: str
    role: str
    reseller_id: int | None

    @classmethod
    def from_domain(cls, view: IssuedToken) -> ApiToken:
        return cls(id=view.id, token=view.token, role=view.role, reseller_id=view.reseller_id)
