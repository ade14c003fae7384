"""What a client's portal session reads: its own record, calls, DIDs and report, as types
that have no cost field at all.

A client must never learn what its reseller pays: no cost or cost rate, no profit, and
nothing a cost can be worked out from (the matched rule, whose text says e.g.
``markup 20% + 0.0000``, the deck prefix, the route, the deck version). The staff types
(:class:`~api.graphql.types.cdrs.Cdr`, :class:`~api.graphql.types.dids.Did`, the report
rows) carry those; a client reaches only the types of this module (and cost-free shared
ones: sub accounts, attached packages, ledger lines, statements), through the root fields
of :mod:`api.graphql.client_surface`. ``tests/api/graphql/test_client_surface.py`` walks
every type a client can reach and compares it with an allow-list.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.context import Info
from api.graphql.loaders import CdrLine
from api.graphql.types.clients import (
    BalanceType,
    Client,
    ClientPackage,
    SubAccount,
    cdrs_of,
    ledger_lines,
    packages_of,
    statements_of,
    sub_accounts_of,
)
from api.graphql.types.common import (
    DEFAULT_PAGE,
    Connection,
    Money,
    Page,
    paginate,
    utc,
)
from api.graphql.types.ledger import LedgerLine, Statement
from api.reports import CdrRow, CdrTotals
from api.store.tables import Did as DidRow


@strawberry.type
class MyCdr:
    """One of the client's calls: what it was charged, never what it cost its reseller."""

    id: int
    call_id: str
    status: str
    failure_reason: str
    sub_account_id: int | None
    direction: str
    number: str
    started_at: datetime
    duration: int
    billed_seconds: int
    charged_seconds: int
    sell_rate: Money
    sell: Money
    country: str
    free_minutes_used: int
    on_net: bool

    @classmethod
    def from_row(cls, row: CdrLine, currency: str) -> MyCdr:
        """From a CDR row (only the columns the selection reads are set, see
        :func:`~api.graphql.types.cdrs.columns_read`; the others stay None, never read)."""
        return cls(
            id=row.id, call_id=row.call_id, status=row.status,
            failure_reason=row.failure_reason, sub_account_id=row.sub_account_id,
            direction=row.direction, number=row.number,
            started_at=None if row.started_at is None else utc(row.started_at),  # type: ignore[arg-type]
            duration=row.duration, billed_seconds=row.billed_seconds,
            charged_seconds=row.charged_seconds,
            sell_rate=_money(row.sell_rate, currency), sell=_money(row.sell, currency),
            country=row.country, free_minutes_used=row.free_minutes_used, on_net=row.on_net,
        )  # fmt: skip


@strawberry.type
class MyDid:
    """A DID assigned to the client, with the prices its reseller set."""

    id: int
    number: str
    country: str
    monthly_price: Money
    setup_price: Money
    per_minute_price: Money

    @classmethod
    def from_row(cls, row: DidRow, currency: str) -> MyDid:
        assert row.id is not None
        return cls(
            id=row.id, number=row.number, country=row.country,
            monthly_price=Money.of(row.monthly_price, currency),
            setup_price=Money.of(row.setup_price, currency),
            per_minute_price=Money.of(row.per_minute_price, currency),
        )  # fmt: skip


@strawberry.type
class MyClient:
    """The calling client: its balance, lines, packages, DIDs, calls and statements."""

    id: int
    name: str
    company: str
    email: str
    phone: str
    address: str
    balance_type: BalanceType
    billing_day: int
    low_balance_threshold: Money
    status: str
    suspended: bool
    balance: Money
    created_at: datetime
    closed_at: datetime | None
    currency: strawberry.Private[str]

    @classmethod
    def of(cls, client: Client) -> MyClient:
        return cls(
            id=client.id, name=client.name, company=client.company, email=client.email,
            phone=client.phone, address=client.address, balance_type=client.balance_type,
            billing_day=client.billing_day, low_balance_threshold=client.low_balance_threshold,
            status=client.status, suspended=client.suspended, balance=client.balance,
            created_at=client.created_at, closed_at=client.closed_at, currency=client.currency,
        )  # fmt: skip

    @strawberry.field
    async def packages(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[ClientPackage]:
        """Attached packages in the order they were attached, at most 100 per page."""
        return await packages_of(info, self.id, first, after)

    @strawberry.field
    async def sub_accounts(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[SubAccount]:
        """Lines by id, at most 100 per page."""
        return await sub_accounts_of(info, self.id, first, after)

    @strawberry.field
    async def dids(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[MyDid]:
        """Assigned DIDs by id, at most 100 per page."""
        page = Page.of(first, after)
        rows = await info.context.loaders.dids.load(self.id)
        return paginate([MyDid.from_row(r, self.currency) for r in rows], page, lambda d: d.id)

    @strawberry.field
    async def cdrs(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[MyCdr]:
        """Newest first, at most 100 per page."""
        return await cdrs_of(info, self.id, self.currency, first, after, MyCdr.from_row)

    @strawberry.field
    async def transactions(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[LedgerLine]:
        """Payments, charges, fees and calls on the balance, newest first."""
        return await ledger_lines(info, self.id, self.currency, first, after)

    @strawberry.field
    async def statements(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[Statement]:
        """Billing statements, newest period first."""
        return await statements_of(info, self.id, self.currency, first, after)


@strawberry.type
class MyCdrReportRow:
    """One of the client's calls in the report."""

    id: int
    started_at: datetime
    sub_account: str
    direction: str
    number: str
    country: str
    status: str
    failure_reason: str
    duration: int
    billed_seconds: int
    sell: Money

    @classmethod
    def from_domain(cls, r: CdrRow, currency: str) -> MyCdrReportRow:
        return cls(
            id=r.id, started_at=utc(r.started_at), sub_account=r.sub_account,
            direction=r.direction, number=r.number, country=r.country, status=r.status,
            failure_reason=r.failure_reason, duration=r.duration,
            billed_seconds=r.billed_seconds, sell=Money.of(r.sell, currency),
        )  # fmt: skip


@strawberry.type
class MyCdrReportTotals:
    calls: int
    answered: int
    duration_seconds: int
    billed_seconds: int
    free_minutes_used: int
    sell: Money

    @classmethod
    def from_domain(cls, t: CdrTotals, currency: str) -> MyCdrReportTotals:
        return cls(
            calls=t.calls, answered=t.answered, duration_seconds=t.duration_seconds,
            billed_seconds=t.billed_seconds, free_minutes_used=t.free_minutes_used,
            sell=Money.of(t.sell, currency),
        )  # fmt: skip


@strawberry.type
class MyCdrReport:
    """A page of the client's calls (at most 100) and the totals of the whole filter."""

    rows: list[MyCdrReportRow]
    next_cursor: str | None
    totals: MyCdrReportTotals


def _money(micros: int | None, currency: str) -> Money:
    return Money.of(micros, currency) if micros is not None else None  # type: ignore[return-value]
