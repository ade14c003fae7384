"""Report results (SPEC 8) as GraphQL objects; money in the caller's currency."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry

from api.graphql.types.common import Money, utc
from api.reports import CdrRow, CdrTotals, FinancialReport, ProfitSummary, Traffic
from api.reports.financial import Balances
from api.reports.kinds import Movement


@strawberry.enum
class ProfitGroupBy(Enum):
    CLIENT = "client"
    COUNTRY = "country"
    DAY = "day"
    PACKAGE = "package"
    RESELLER = "reseller"


def _m(micros: int | None, currency: str) -> Money | None:
    return None if micros is None else Money.of(micros, currency)


@strawberry.type
class CdrReportRow:
    """One call; cost figures are null for a client."""

    id: int
    started_at: datetime
    client_id: int | None
    client_name: str
    sub_account: str
    direction: str
    number: str
    country: str
    status: str
    failure_reason: str
    duration: int
    billed_seconds: int
    sell: Money
    cost: Money | None
    profit: Money | None

    @classmethod
    def from_domain(cls, r: CdrRow, currency: str) -> CdrReportRow:
        return cls(
            id=r.id, started_at=utc(r.started_at), client_id=r.client_id,
            client_name=r.client_name, sub_account=r.sub_account, direction=r.direction,
            number=r.number, country=r.country, status=r.status,
            failure_reason=r.failure_reason, duration=r.duration,
            billed_seconds=r.billed_seconds, sell=Money.of(r.sell, currency),
            cost=_m(r.cost, currency), profit=_m(r.profit, currency),
        )  # fmt: skip


@strawberry.type
class CdrReportTotals:
    calls: int
    answered: int
    duration_seconds: int
    billed_seconds: int
    free_minutes_used: int
    sell: Money
    cost: Money | None
    profit: Money | None

    @classmethod
    def from_domain(cls, t: CdrTotals, currency: str) -> CdrReportTotals:
        return cls(
            calls=t.calls, answered=t.answered, duration_seconds=t.duration_seconds,
            billed_seconds=t.billed_seconds, free_minutes_used=t.free_minutes_used,
            sell=Money.of(t.sell, currency), cost=_m(t.cost, currency),
            profit=_m(t.profit, currency),
        )  # fmt: skip


@strawberry.type
class CdrReport:
    """A page of calls (at most 100) and the totals of the whole filter."""

    rows: list[CdrReportRow]
    next_cursor: str | None
    totals: CdrReportTotals


@strawberry.type
class TrafficFigures:
    calls: int
    answered: int
    duration_seconds: int
    billed_seconds: int
    sell: Money
    cost: Money
    profit: Money
    margin_percent: Decimal | None
    asr_percent: Decimal | None
    acd_seconds: Decimal | None

    @classmethod
    def from_domain(cls, t: Traffic, currency: str) -> TrafficFigures:
        return cls(
            calls=t.calls, answered=t.answered, duration_seconds=t.duration_seconds,
            billed_seconds=t.billed_seconds, sell=Money.of(t.sell, currency),
            cost=Money.of(t.cost, currency), profit=Money.of(t.profit, currency),
            margin_percent=t.margin_percent, asr_percent=t.asr_percent,
            acd_seconds=t.acd_seconds,
        )  # fmt: skip


@strawberry.type
class ProfitGroup:
    key: str
    label: str
    figures: TrafficFigures


@strawberry.type
class ProfitReport:
    group_by: ProfitGroupBy
    groups: list[ProfitGroup]
    total: TrafficFigures

    @classmethod
    def from_domain(cls, s: ProfitSummary, currency: str) -> ProfitReport:
        return cls(
            group_by=ProfitGroupBy(s.group_by.value),
            groups=[
                ProfitGroup(
                    key=line.key,
                    label=line.label,
                    figures=TrafficFigures.from_domain(line.traffic, currency),
                )
                for line in s.lines
            ],
            total=TrafficFigures.from_domain(s.total, currency),
        )


@strawberry.type
class BalanceMovements:
    """Opening balance, what moved it during the period, closing balance."""

    opening: Money
    payments_manual: Money
    payments_paypal: Money
    charges: Money
    package_fees: Money
    did_fees: Money
    calls: Money
    other: Money
    closing: Money

    @classmethod
    def from_domain(cls, b: Balances, currency: str) -> BalanceMovements:
        def m(micros: int) -> Money:
            return Money.of(micros, currency)

        moved = b.movements
        return cls(
            opening=m(b.opening), payments_manual=m(moved[Movement.PAYMENTS_MANUAL]),
            payments_paypal=m(moved[Movement.PAYMENTS_PAYPAL]),
            charges=m(moved[Movement.CHARGES]), package_fees=m(moved[Movement.PACKAGE_FEES]),
            did_fees=m(moved[Movement.DID_FEES]), calls=m(moved[Movement.CALLS]),
            other=m(moved[Movement.OTHER]), closing=m(b.closing),
        )  # fmt: skip


@strawberry.type
class ClientFinancials:
    client_id: int
    client_name: str
    balances: BalanceMovements


@strawberry.type
class ResellerFinancials:
    reseller_id: int
    reseller_name: str
    clients: list[ClientFinancials]
    clients_total: BalanceMovements
    with_operator: BalanceMovements | None
    paypal_fees: Money | None = strawberry.field(
        default=None, description="PayPal's fees on the period's PayPal payments (not for clients)."
    )


@strawberry.type
class FinancialReportResult:
    """Per reseller: its clients (not for the operator), their total, its own account."""

    first_day: date
    last_day: date
    resellers: list[ResellerFinancials]

    @classmethod
    def from_domain(cls, r: FinancialReport, currency: str) -> FinancialReportResult:
        def b(balances: Balances) -> BalanceMovements:
            return BalanceMovements.from_domain(balances, currency)

        return cls(
            first_day=r.period.first_day,
            last_day=r.period.last_day,
            resellers=[
                ResellerFinancials(
                    reseller_id=f.reseller_id,
                    reseller_name=f.reseller_name,
                    clients=[
                        ClientFinancials(
                            client_id=c.client_id, client_name=c.client_name, balances=b(c.balances)
                        )
                        for c in f.clients
                    ],
                    clients_total=b(f.clients_total),
                    with_operator=None if f.with_operator is None else b(f.with_operator),
                    paypal_fees=_m(f.paypal_fees, currency),
                )
                for f in r.resellers
            ],
        )
