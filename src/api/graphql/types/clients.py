"""Clients with their balance, packages, sub accounts, DIDs and CDRs (batched per request)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Protocol, TypeVar

import strawberry

from api.domain import tenants
from api.domain.balance_rules import effective_threshold
from api.graphql.context import Info
from api.graphql.loaders import AttachedPackage, CdrLine, CdrPageKey
from api.graphql.request_reads import AnyRow
from api.graphql.types.cdrs import Cdr, columns_read
from api.graphql.types.common import (
    DEFAULT_PAGE,
    Connection,
    Money,
    Page,
    connection,
    paginate,
    paginate_desc,
    utc,
)
from api.graphql.types.dids import Did
from api.graphql.types.ledger import LedgerLine, Statement
from api.services.records import ClientView, DidView
from api.store.tables import Did as DidRow
from api.store.tables import SubAccount as SubAccountRow


@strawberry.enum
class BalanceType(Enum):
    SOFT = "soft"
    HARD = "hard"


@strawberry.type
class ClientPackage:
    """A package attached to a client (its newest version applies)."""

    package_id: int
    name: str
    latest_version: int
    free_minutes_used: int
    attached_at: datetime
    attachment_id: strawberry.Private[int]

    @classmethod
    def from_domain(cls, row: AttachedPackage) -> ClientPackage:
        return cls(
            package_id=row.package_id,
            name=row.name,
            latest_version=row.latest_version,
            free_minutes_used=row.free_minutes_used,
            attached_at=utc(row.attached_at),
            attachment_id=row.attachment_id,
        )


@strawberry.type
class SubAccount:
    """A SIP/IAX line; ``username`` is its SIP username, unique on the platform
    (``100001_line-b``); its password is readable through ``sipPassword`` (reseller)."""

    id: int
    client_id: int
    username: str
    package_id: int | None
    created_at: datetime

    @strawberry.field
    def short_name(self) -> str:
        """The name the reseller gave, without its tenant prefix (``line-b``)."""
        return tenants.short_name(self.username)

    @classmethod
    def from_row(cls, row: SubAccountRow) -> SubAccount:
        assert row.id is not None
        return cls(
            id=row.id,
            client_id=row.client_id,
            username=row.username,
            package_id=row.package_id,
            created_at=utc(row.created_at),
        )


@strawberry.type
class Client:
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
    def from_domain(cls, view: ClientView) -> Client:
        return cls(
            id=view.id,
            name=view.name,
            company=view.company,
            email=view.email,
            phone=view.phone,
            address=view.address,
            balance_type=BalanceType(view.balance_type),
            billing_day=view.billing_day,
            low_balance_threshold=Money.of(view.low_balance_threshold, view.currency),
            status=view.status,
            suspended=view.suspended,
            balance=Money.of(view.balance, view.currency),
            created_at=utc(view.created_at),
            closed_at=None if view.closed_at is None else utc(view.closed_at),
            currency=view.currency,
        )

    @classmethod
    def from_row(cls, row: AnyRow) -> Client:
        """From a row of :data:`~api.store.read_models.CLIENT_VIEW_COLUMNS`."""
        currency = row.currency
        threshold = effective_threshold(row.low_balance_threshold, row.default_threshold)
        return cls(
            id=row.id,
            name=row.name,
            company=row.company,
            email=row.email,
            phone=row.phone,
            address=row.address,
            balance_type=BalanceType(row.balance_type),
            billing_day=row.billing_day,
            low_balance_threshold=Money.of(threshold, currency),
            status=row.status,
            suspended=row.suspended,
            balance=Money.of(int(row.balance), currency),
            created_at=utc(row.created_at),
            closed_at=None if row.closed_at is None else utc(row.closed_at),
            currency=currency,
        )

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
    ) -> Connection[Did]:
        """Assigned DIDs by id, at most 100 per page."""
        page = Page.of(first, after)
        rows = await info.context.loaders.dids.load(self.id)
        items = [Did.from_domain(_did_view(r), self.currency) for r in rows]
        return paginate(items, page, lambda d: d.id)

    @strawberry.field
    async def cdrs(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[Cdr]:
        """Newest first, at most 100 per page."""
        return await cdrs_of(info, self.id, self.currency, first, after, Cdr.from_row)

    @strawberry.field
    async def transactions(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[LedgerLine]:
        """Payments, charges, fees and calls on this client's balance, newest first."""
        return await ledger_lines(info, self.id, self.currency, first, after)

    @strawberry.field
    async def statements(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[Statement]:
        """Billing statements, newest period first."""
        return await statements_of(info, self.id, self.currency, first, after)


def _did_view(row: DidRow) -> DidView:
    assert row.id is not None
    return DidView(
        row.id, row.number, row.country, row.monthly_cost, row.setup_cost, row.per_minute_cost,
        row.reseller_id, row.client_id, row.monthly_price, row.setup_price, row.per_minute_price,
    )  # fmt: skip


async def packages_of(
    info: Info, client_id: int, first: int, after: str | None
) -> Connection[ClientPackage]:
    """A page of the client's attached packages, in attachment order (staff and client
    types alike)."""
    page = Page.of(first, after)
    rows = await info.context.loaders.packages.load(client_id)
    items = [ClientPackage.from_domain(r) for r in rows]
    return paginate(items, page, lambda p: p.attachment_id)


async def sub_accounts_of(
    info: Info, client_id: int, first: int, after: str | None
) -> Connection[SubAccount]:
    """A page of the client's lines by id."""
    page = Page.of(first, after)
    rows = await info.context.loaders.sub_accounts.load(client_id)
    return paginate([SubAccount.from_row(r) for r in rows], page, lambda s: s.id)


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


CdrT = TypeVar("CdrT", bound=_HasId)


async def cdrs_of(
    info: Info,
    client_id: int,
    currency: str,
    first: int,
    after: str | None,
    make: Callable[[CdrLine, str], CdrT],
) -> Connection[CdrT]:
    """A page of the client's CDRs, newest first, each made by ``make`` (the staff's
    :class:`Cdr` or the client's cost-free ``MyCdr``); only the columns the selection
    reads are fetched."""
    page = Page.of(first, after)
    key = CdrPageKey(client_id, page.limit, page.after_key, columns_read(info))
    rows = await info.context.loaders.cdrs.load(key)
    items = [make(r, currency) for r in rows]
    return connection(items, page, lambda c: c.id, fetched_extra=True)


async def ledger_lines(
    info: Info, client_id: int, currency: str, first: int, after: str | None
) -> Connection[LedgerLine]:
    """A page of the client's ledger lines, newest first (staff and client types alike)."""
    page = Page.of(first, after)
    key = CdrPageKey(client_id, page.limit, page.after_key)
    rows = await info.context.loaders.transactions.load(key)
    items = [LedgerLine.from_domain(r, currency) for r in rows]
    return connection(items, page, lambda t: t.transaction_id, fetched_extra=True)


async def statements_of(
    info: Info, client_id: int, currency: str, first: int, after: str | None
) -> Connection[Statement]:
    """A page of the client's statements, newest period first."""
    page = Page.of(first, after)
    rows = await info.context.loaders.statements.load(client_id)
    items = [Statement.from_row(r, currency) for r in rows]
    return paginate_desc(items, page, lambda s: s.id)
