"""What the use cases take and return: plain frozen dataclasses (records), never ORM rows
or sessions.

Money is ``int`` micro-units (10**-6 of the currency named next to it); times are aware
UTC datetimes. Nothing here holds a password or a token hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from api.domain.errors import SourceProblem


@dataclass(frozen=True, slots=True)
class ResellerView:
    id: int
    name: str
    currency: str
    status: str
    low_balance_threshold: int
    max_call_seconds: int
    balance: int  # the reseller's own balance at the operator
    created_at: datetime
    email: str = ""
    phone: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new API token; ``token`` is shown once and never stored."""

    id: int
    token: str
    role: str
    reseller_id: int | None

    def __repr__(self) -> str:
        return f"IssuedToken(id={self.id}, role={self.role!r}, reseller_id={self.reseller_id})"


@dataclass(frozen=True, slots=True)
class SwitchIdentity:
    """A verified switch token: its id and name (the default source of its CDRs)."""

    token_id: int
    name: str


@dataclass(frozen=True, slots=True)
class ResellerCreated:
    reseller: ResellerView
    token: IssuedToken


@dataclass(frozen=True, slots=True)
class DeckVersionView:
    id: int
    version: str
    name: str
    row_count: int
    active: bool
    imported_at: datetime


@dataclass(frozen=True, slots=True)
class PackageVersionView:
    id: int
    package_id: int
    name: str
    version: int
    checksum: str
    file_name: str
    published_at: datetime


@dataclass(frozen=True, slots=True)
class Published:
    """The versions a rule file produced (unchanged packages keep their latest version)."""

    versions: tuple[PackageVersionView, ...]
    warnings: tuple[SourceProblem, ...]


@dataclass(frozen=True, slots=True)
class PackageView:
    id: int
    name: str
    latest_version: int
    setup_fee: int
    monthly_fee: int
    free_minutes: int
    currency: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ClientView:
    id: int
    reseller_id: int
    name: str
    company: str
    email: str
    phone: str
    address: str
    balance_type: str
    billing_day: int
    low_balance_threshold: int  # the effective one (client's own, else the reseller's)
    own_low_balance_threshold: int | None
    status: str
    suspended: bool
    balance: int
    currency: str
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class SubAccountView:
    """A SIP/IAX line; the password is never part of it (see ``reveal_password``)."""

    id: int
    client_id: int
    username: str
    package_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SubAccountCreated:
    """A new line and its password, returned once to the reseller that created it."""

    sub_account: SubAccountView
    password: str

    def __repr__(self) -> str:
        return f"SubAccountCreated(sub_account={self.sub_account!r}, password=<hidden>)"


@dataclass(frozen=True, slots=True)
class AttachmentView:
    id: int
    client_id: int
    package_id: int
    package_name: str
    cycle_start: date
    free_minutes: int
    free_minutes_used: int
    attached_at: datetime
    detached_at: datetime | None
    latest_version: int = 1
    """The package's newest version number (the one its calls are rated with)."""


@dataclass(frozen=True, slots=True)
class DidView:
    id: int
    number: str
    country: str
    monthly_cost: int
    setup_cost: int
    per_minute_cost: int
    reseller_id: int | None
    client_id: int | None
    monthly_price: int
    setup_price: int
    per_minute_price: int


@dataclass(frozen=True, slots=True)
class NewDid:
    """An operator inventory entry to add (costs in micro-units)."""

    number: str
    monthly_cost: int = 0
    setup_cost: int = 0
    per_minute_cost: int = 0
    country: str = ""


@dataclass(frozen=True, slots=True)
class MoneyMovement:
    """A payment or charge as posted, with the client's balance right after it."""

    transaction_id: int
    client_id: int
    kind: str
    amount: int
    method: str
    description: str
    balance: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CdrInput:
    """One call detail record as a switch sends it."""

    source: str
    call_id: str
    sub_account: str
    direction: str  # outbound | inbound
    number: str
    started_at: datetime
    duration: int


@dataclass(frozen=True, slots=True)
class CdrResult:
    """A stored CDR: rated with its figures, or unrated with ``failure_reason``."""

    id: int
    source: str
    call_id: str
    status: str  # rated | unrated
    failure_reason: str
    client_id: int | None
    sub_account_id: int | None
    direction: str
    number: str
    duration: int
    billed_seconds: int
    charged_seconds: int
    sell_rate: int
    sell: int
    cost_rate: int
    cost: int
    profit: int
    rule_kind: str
    rule_text: str
    rule_line: int | None
    deck_prefix: str
    country: str
    route: str
    free_minutes_used: int
    on_net: bool
    package_version_id: int | None
    deck_version: str
    transaction_id: int | None
    duplicate: bool = False  # true when this CDR had been stored before
    currency: str = ""  # the tenant's, when the use case read it anyway ("" otherwise)


@dataclass(frozen=True, slots=True)
class IngestSummary:
    """A batch of CDRs: how many were rated, unrated, or already stored, and the totals."""

    received: int
    rated: int
    unrated: int
    duplicates: int
    sell: int
    cost: int
    unrated_reasons: tuple[tuple[str, int], ...] = ()  # (failure reason, CDRs), by reason


@dataclass(frozen=True, slots=True)
class StatementView:
    id: int
    client_id: int
    period_start: date
    period_end: date
    opening: int
    calls: int
    fees: int
    charges: int
    payments: int
    closing: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BillingRun:
    """What one billing run for a date did (zero everywhere when run again)."""

    on: date
    clients: int
    fees_posted: int
    statements: int
    did_costs_posted: int


@dataclass(frozen=True, slots=True)
class TokenView:
    """An API token as listed: never the token, never its hash."""

    id: int
    role: str
    reseller_id: int | None
    name: str
    created_at: datetime
    revoked_at: datetime | None
