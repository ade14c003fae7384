"""DIDs: the operator's costs, the reseller's prices (costs are hidden from clients)."""

from __future__ import annotations

import strawberry

from api.graphql.context import Info
from api.graphql.types.common import Money
from api.services.records import DidView


@strawberry.type
class Did:
    id: int
    number: str
    country: str
    reseller_id: int | None
    client_id: int | None
    monthly_price: Money
    setup_price: Money
    per_minute_price: Money
    _monthly_cost: strawberry.Private[Money]
    _setup_cost: strawberry.Private[Money]
    _per_minute_cost: strawberry.Private[Money]

    @strawberry.field
    def monthly_cost(self, info: Info) -> Money | None:
        """The operator's cost; null for clients."""
        return None if _is_client(info) else self._monthly_cost

    @strawberry.field
    def setup_cost(self, info: Info) -> Money | None:
        """The operator's setup cost; null for clients."""
        return None if _is_client(info) else self._setup_cost

    @strawberry.field
    def per_minute_cost(self, info: Info) -> Money | None:
        """The operator's per-minute cost; null for clients."""
        return None if _is_client(info) else self._per_minute_cost

    @classmethod
    def from_domain(cls, view: DidView, currency: str) -> Did:
        return cls(
            id=view.id,
            number=view.number,
            country=view.country,
            reseller_id=view.reseller_id,
            client_id=view.client_id,
            monthly_price=Money.of(view.monthly_price, currency),
            setup_price=Money.of(view.setup_price, currency),
            per_minute_price=Money.of(view.per_minute_price, currency),
            _monthly_cost=Money.of(view.monthly_cost, currency),
            _setup_cost=Money.of(view.setup_cost, currency),
            _per_minute_cost=Money.of(view.per_minute_cost, currency),
        )


def _is_client(info: Info) -> bool:
    actor = info.context.actor
    return actor is None or actor.role.value == "client"
