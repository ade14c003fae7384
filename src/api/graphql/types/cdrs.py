"""Rated (or unrated) calls, with every figure that explains the price."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.context import Info
from api.graphql.loaders import CdrLine
from api.graphql.types.common import Money, utc


@strawberry.type
class MatchedRule:
    kind: str
    text: str
    line: int | None


@strawberry.type
class Cdr:
    id: int
    source: str
    call_id: str
    status: str
    failure_reason: str
    client_id: int | None
    sub_account_id: int | None
    direction: str
    number: str
    started_at: datetime
    duration: int
    billed_seconds: int
    charged_seconds: int
    sell_rate: Money
    sell: Money
    rule: MatchedRule
    deck_prefix: str
    country: str
    route: str
    free_minutes_used: int
    on_net: bool
    _cost: strawberry.Private[Money]
    _cost_rate: strawberry.Private[Money]
    _profit: strawberry.Private[Money]

    @strawberry.field
    def cost(self, info: Info) -> Money | None:
        """What the operator charged the reseller; null for clients."""
        return None if _is_client(info) else self._cost

    @strawberry.field
    def cost_rate(self, info: Info) -> Money | None:
        """The operator's rate; null for clients."""
        return None if _is_client(info) else self._cost_rate

    @strawberry.field
    def profit(self, info: Info) -> Money | None:
        """The reseller's profit; null for clients."""
        return None if _is_client(info) else self._profit

    @classmethod
    def from_row(cls, row: CdrLine, currency: str) -> Cdr:
        """From a row of :data:`~api.graphql.loaders.CDR_COLUMNS`."""
        return cls(
            id=row.id,
            source=row.source,
            call_id=row.call_id,
            status=row.status,
            failure_reason=row.failure_reason,
            client_id=row.client_id,
            sub_account_id=row.sub_account_id,
            direction=row.direction,
            number=row.number,
            started_at=utc(row.started_at),
            duration=row.duration,
            billed_seconds=row.billed_seconds,
            charged_seconds=row.charged_seconds,
            sell_rate=Money.of(row.sell_rate, currency),
            sell=Money.of(row.sell, currency),
            rule=MatchedRule(kind=row.rule_kind, text=row.rule_text, line=row.rule_line),
            deck_prefix=row.deck_prefix,
            country=row.country,
            route=row.route,
            free_minutes_used=row.free_minutes_used,
            on_net=row.on_net,
            _cost=Money.of(row.cost, currency),
            _cost_rate=Money.of(row.cost_rate, currency),
            _profit=Money.of(row.profit, currency),
        )


def _is_client(info: Info) -> bool:
    actor = info.context.actor
    return actor is None or actor.role.value == "client"
