"""The database schema as SQLModel tables.

Money columns are BIGINT micro-units (10**-6 of the reseller's currency) on every backend;
convert with ``int(...)`` at this boundary, never send a ``Decimal`` (asyncpg truncates).
Timestamps are stored in UTC (:class:`~api.store.utc.UtcDateTime`) and read back aware.
Every row that belongs to a reseller carries ``reseller_id``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.store.utc import UtcDateTime


def _money(default: int | None = 0, *, nullable: bool = False) -> int:
    # typed as int for callers; SQLModel receives a FieldInfo
    return Field(default=default, sa_type=BigInteger, nullable=nullable)  # type: ignore[no-any-return]


def _when(*, nullable: bool = False) -> datetime:
    return Field(  # type: ignore[no-any-return]
        default=None, sa_column=Column(UtcDateTime(), nullable=nullable)
    )


class Reseller(SQLModel, table=True):
    __tablename__ = "resellers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    currency: str = Field(max_length=3)
    status: str = Field(default="active", max_length=16)
    low_balance_threshold: int = _money(5_000_000)
    max_call_seconds: int = Field(default=4 * 3600)
    created_at: datetime = _when()
    email: str = Field(default="", max_length=320)
    phone: str = Field(default="", max_length=32)
    address: str = Field(default="", max_length=500)


class ApiToken(SQLModel, table=True):
    """An operator or reseller credential; only the SHA-256 of the token is kept."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(max_length=16)  # operator | reseller
    reseller_id: int | None = Field(default=None, foreign_key="resellers.id", index=True)
    name: str = Field(default="", max_length=200)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _when()
    revoked_at: datetime | None = _when(nullable=True)


class DeckVersion(SQLModel, table=True):
    """An imported operator deck; the CSV is kept whole so that any call can be re-rated."""

    __tablename__ = "deck_versions"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=32, unique=True)
    name: str = Field(default="", max_length=200)
    content: str = Field(sa_type=Text)
    row_count: int = 0
    active: bool = Field(default=False, index=True)
    imported_at: datetime = _when()


class Package(SQLModel, table=True):
    __tablename__ = "packages"
    __table_args__ = (UniqueConstraint("reseller_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int = Field(foreign_key="resellers.id", index=True)
    name: str = Field(max_length=200)
    latest_version: int = 0
    created_at: datetime = _when()


class PackageVersion(SQLModel, table=True):
    """One immutable publication of a package's rule source."""

    __tablename__ = "package_versions"
    __table_args__ = (UniqueConstraint("package_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    package_id: int = Field(foreign_key="packages.id", index=True)
    reseller_id: int = Field(foreign_key="resellers.id", index=True)
    version: int
    source: str = Field(sa_type=Text)
    file_name: str = Field(default="", max_length=200)
    checksum: str = Field(max_length=64)
    published_at: datetime = _when()


class Client(SQLModel, table=True):
    __tablename__ = "clients"
    __table_args__ = (UniqueConstraint("reseller_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int = Field(foreign_key="resellers.id", index=True)
    name: str = Field(max_length=200)
    company: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=320)
    phone: str = Field(default="", max_length=32)
    address: str = Field(default="", max_length=500)
    balance_type: str = Field(default="soft", max_length=8)  # soft | hard
    billing_day: int = Field(default=1)  # 1..28
    low_balance_threshold: int | None = _money(None, nullable=True)
    status: str = Field(default="active", max_length=16)  # active | closed
    suspended: bool = False
    low_balance_alerted: bool = False
    portal_username: str | None = Field(default=None, max_length=100, unique=True)
    portal_password_hash: str | None = Field(default=None, max_length=200)
    created_at: datetime = _when()
    closed_at: datetime | None = _when(nullable=True)


class ClientPackage(SQLModel, table=True):
    """A package attached to a client, with the free minutes used in the current cycle."""

    __tablename__ = "client_packages"

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int = Field(foreign_key="resellers.id", index=True)
    client_id: int = Field(foreign_key="clients.id", index=True)
    package_id: int = Field(foreign_key="packages.id", index=True)
    cycle_start: date
    free_minutes_used: int = 0
    attached_at: datetime = _when()
    detached_at: datetime | None = _when(nullable=True)


class SubAccount(SQLModel, table=True):
    """A SIP/IAX line of a client; the password is encrypted (the switch needs it back)."""

    __tablename__ = "sub_accounts"

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int = Field(foreign_key="resellers.id", index=True)
    client_id: int = Field(foreign_key="clients.id", index=True)
    username: str = Field(max_length=100, unique=True)
    password_encrypted: str = Field(max_length=500)
    package_id: int | None = Field(default=None, foreign_key="packages.id")
    created_at: datetime = _when()
    deleted_at: datetime | None = _when(nullable=True)


class Did(SQLModel, table=True):
    """A phone number of the operator's inventory, maybe taken by a reseller and assigned."""

    __tablename__ = "dids"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=16, unique=True)  # E.164 digits
    country: str = Field(default="", max_length=2)
    monthly_cost: int = _money()
    setup_cost: int = _money()
    per_minute_cost: int = _money()
    reseller_id: int | None = Field(default=None, foreign_key="resellers.id", index=True)
    client_id: int | None = Field(default=None, foreign_key="clients.id", index=True)
    monthly_price: int = _money()
    setup_price: int = _money()
    per_minute_price: int = _money()
    taken_at: datetime | None = _when(nullable=True)
    assigned_at: datetime | None = _when(nullable=True)


class Account(SQLModel, table=True):
    """A ledger account with its cached balance (= the sum of its entries at every commit)."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("kind", "reseller_id", "client_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    reseller_id: int | None = Field(default=None, foreign_key="resellers.id", index=True)
    client_id: int | None = Field(default=None, foreign_key="clients.id", index=True)
    currency: str = Field(max_length=3)
    balance: int = _money()


class LedgerTransaction(SQLModel, table=True):
    """One balanced movement of money; ``key`` makes a posting idempotent."""

    __tablename__ = "ledger_transactions"

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int | None = Field(default=None, foreign_key="resellers.id", index=True)
    client_id: int | None = Field(default=None, foreign_key="clients.id", index=True)
    kind: str = Field(max_length=32)
    method: str = Field(default="", max_length=16)
    description: str = Field(default="", max_length=500)
    key: str | None = Field(default=None, max_length=200, unique=True)
    created_at: datetime = _when()


class LedgerEntry(SQLModel, table=True):
    """A signed amount on one account; never updated or deleted."""

    __tablename__ = "ledger_entries"

    id: int | None = Field(default=None, primary_key=True)
    transaction_id: int = Field(foreign_key="ledger_transactions.id", index=True)
    account_id: int = Field(foreign_key="accounts.id", index=True)
    amount: int = _money()


class Cdr(SQLModel, table=True):
    """A call detail record with every figure of its rating (SPEC 3.8), or why it is unrated.

    No foreign keys, on purpose (measured: they cost the PostgreSQL ``COPY`` about two
    thirds of its speed, 46k → 131k rows/s, and SQLite's bulk insert 13%). Every id a CDR
    row carries is guaranteed by the only writer, :mod:`api.services.cdrs`: ``reseller_id``
    is the tenant, checked to exist before a batch is written; ``client_id``,
    ``sub_account_id``, ``package_version_id`` and ``did_id`` come from rows read in the same
    transaction (none of those tables ever deletes a row: clients close, sub accounts are
    soft-deleted, package versions are immutable, DIDs are released, not deleted);
    ``transaction_id`` is the ledger transaction inserted in the same transaction.
    The unique key makes ingest idempotent; the two ``(…, started_at, id)`` indexes serve
    the reports' keyset pagination per reseller and per client.
    """

    __tablename__ = "cdrs"
    __table_args__ = (
        UniqueConstraint("reseller_id", "source", "call_id"),
        Index("ix_cdrs_reseller_started_id", "reseller_id", "started_at", "id"),
        Index("ix_cdrs_client_started_id", "client_id", "started_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int
    client_id: int | None = None
    sub_account_id: int | None = None
    did_id: int | None = None
    source: str = Field(max_length=100)
    call_id: str = Field(max_length=200)
    direction: str = Field(max_length=8)
    number: str = Field(max_length=64)
    started_at: datetime = _when()
    duration: int
    status: str = Field(max_length=8)  # rated | unrated
    failure_reason: str = Field(default="", max_length=500)
    billed_seconds: int = 0
    cost_billed_seconds: int = 0
    charged_seconds: int = 0
    pulse: str = Field(default="", max_length=16)
    sell_rate: int = _money()
    sell: int = _money()
    connect_fee: int = _money()
    cost_rate: int = _money()
    cost: int = _money()
    profit: int = _money()
    rule_kind: str = Field(default="", max_length=16)
    rule_text: str = Field(default="", max_length=300)
    rule_line: int | None = None
    deck_prefix: str = Field(default="", max_length=16)
    country: str = Field(default="", max_length=2)
    description: str = Field(default="", max_length=200)
    route: str = Field(default="", max_length=8)
    free_minutes_used: int = 0
    on_net: bool = False
    package_version_id: int | None = None
    deck_version: str = Field(default="", max_length=32)
    transaction_id: int | None = None
    created_at: datetime = _when()


class Statement(SQLModel, table=True):
    """A client's statement for one billing period; one per client and period."""

    __tablename__ = "statements"
    __table_args__ = (UniqueConstraint("client_id", "period_start"),)

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int = Field(foreign_key="resellers.id", index=True)
    client_id: int = Field(foreign_key="clients.id")
    period_start: date
    period_end: date
    opening: int = _money()
    calls: int = _money()
    fees: int = _money()
    charges: int = _money()
    payments: int = _money()
    closing: int = _money()
    created_at: datetime = _when()


class PortalSession(SQLModel, table=True):
    """A client's portal login; only the SHA-256 of the session token is kept."""

    __tablename__ = "portal_sessions"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="clients.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _when()
    expires_at: datetime = _when()
    revoked_at: datetime | None = _when(nullable=True)


class IdempotencyKey(SQLModel, table=True):
    """A reseller's idempotency key of a payment or charge: the SHA-256 ``fingerprint`` of
    its arguments and what it answered (the ledger transaction, the balance after it).
    Written in the payment's own transaction; the unique key decides concurrent twins."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("reseller_id", "key"),
        Index("ix_idempotency_keys_reseller_created", "reseller_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int = Field(foreign_key="resellers.id")
    key: str = Field(max_length=128)
    fingerprint: str = Field(max_length=64)
    transaction_id: int = Field(foreign_key="ledger_transactions.id")
    balance: int = _money()
    created_at: datetime = _when()


class DailyBillingRun(SQLModel, table=True):
    """The automatic billing of one day: the row claims the day for one process at a time
    (unique ``day``); ``finished_at`` and the counts are set when the day is billed."""

    __tablename__ = "billing_runs"

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(unique=True)
    claimed_by: str = Field(max_length=100)
    claimed_at: datetime = _when()
    finished_at: datetime | None = _when(nullable=True)
    clients: int = 0
    fees_posted: int = 0
    statements: int = 0
    did_costs_posted: int = 0


class PaypalSettings(SQLModel, table=True):
    """A reseller's PayPal integration: receiver e-mail, offered amounts, live or sandbox."""

    __tablename__ = "paypal_settings"

    reseller_id: int = Field(foreign_key="resellers.id", primary_key=True)
    enabled: bool = False
    email: str = Field(default="", max_length=254)
    amounts: str = Field(default="", max_length=100)  # "10,20,50": whole currency units
    sandbox: bool = False
    updated_at: datetime = _when()


class PaypalIpnMessage(SQLModel, table=True):
    """One IPN message exactly as received (raw body), and what became of it."""

    __tablename__ = "paypal_ipn_messages"
    __table_args__ = (
        Index("ix_paypal_ipn_messages_due", "status", "next_attempt_at"),
        Index("ix_paypal_ipn_messages_reseller_id_id", "reseller_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int = Field(foreign_key="resellers.id")
    received_at: datetime = _when()
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    headers: str = Field(default="", sa_type=Text)  # JSON: the headers of interest
    status: str = Field(default="pending", max_length=16)
    reason: str = Field(default="", max_length=32)
    detail: str = Field(default="", max_length=200)
    txn_id: str = Field(default="", max_length=64)
    payment_status: str = Field(default="", max_length=32)
    client_id: int | None = Field(default=None, foreign_key="clients.id")
    attempts: int = 0
    next_attempt_at: datetime | None = _when(nullable=True)
    claimed_until: datetime | None = _when(nullable=True)
    processed_at: datetime | None = _when(nullable=True)


class PaypalPayment(SQLModel, table=True):
    """Money a PayPal message moved: a payment, its reversal (refund or chargeback) or the
    cancelled reversal. Unique per PayPal transaction and movement: a ``txn_id`` is
    credited once, whatever races."""

    __tablename__ = "paypal_payments"
    __table_args__ = (UniqueConstraint("reseller_id", "txn_id", "movement"),)

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int = Field(foreign_key="resellers.id")
    client_id: int = Field(foreign_key="clients.id", index=True)
    txn_id: str = Field(max_length=64)  # the payment's id (a reversal's parent_txn_id)
    movement: str = Field(max_length=16)  # credit | reverse | restore
    message_txn_id: str = Field(default="", max_length=64)
    amount: int = _money()  # signed, as it moved the client's balance
    fee: int = _money()  # PayPal's mc_fee, signed as PayPal sent it
    transaction_id: int = Field(foreign_key="ledger_transactions.id")
    message_id: int = Field(foreign_key="paypal_ipn_messages.id")
    created_at: datetime = _when()


class PortalSettingsRow(SQLModel, table=True):
    """A reseller's portal settings as one JSON document (see :mod:`api.domain.branding`);
    ``updated_at`` is its version (a change names the one it read)."""

    __tablename__ = "portal_settings"

    reseller_id: int = Field(foreign_key="resellers.id", primary_key=True)
    document: str = Field(sa_type=Text)
    updated_at: datetime = _when()


class BrandingImage(SQLModel, table=True):
    """A reseller's logo or login background, checked by decoding (PNG, JPEG or WebP)."""

    __tablename__ = "branding_images"
    __table_args__ = (UniqueConstraint("reseller_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int = Field(foreign_key="resellers.id", index=True)
    kind: str = Field(max_length=32)  # logo | login_background
    content_type: str = Field(max_length=32)
    data: bytes = Field(sa_type=LargeBinary)
    sha256: str = Field(max_length=64)
    width: int
    height: int
    updated_at: datetime = _when()


class MailOutbox(SQLModel, table=True):
    """An e-mail to send, written in the transaction of the event that caused it; its
    states are :class:`api.domain.mail.MailStatus`. The body is encrypted (a reset link
    is a credential) and wiped once the row is sent or failed."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int = Field(foreign_key="resellers.id", index=True)
    client_id: int | None = Field(default=None, foreign_key="clients.id", index=True)
    kind: str = Field(max_length=32)
    recipient: str = Field(max_length=320)
    from_name: str = Field(default="", max_length=100)
    reply_to: str = Field(default="", max_length=320)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=Text)  # encrypted JSON: {"text": ..., "html": ...}
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = _when(nullable=True)
    claimed_until: datetime | None = _when(nullable=True)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = _when()
    sent_at: datetime | None = _when(nullable=True)


class PasswordResetToken(SQLModel, table=True):
    """A single-use portal password reset; only the SHA-256 of the token is kept."""

    __tablename__ = "password_reset_tokens"

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int = Field(foreign_key="resellers.id", index=True)
    client_id: int = Field(foreign_key="clients.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _when()
    expires_at: datetime = _when()
    used_at: datetime | None = _when(nullable=True)


class PortalAccess(SQLModel, table=True):
    """How a reseller's clients reach its portal: a custom hostname (IDNA, lower case,
    unique on the platform), whether its one-time fee was posted, and the origins allowed
    to post the auto-connect form (one per line)."""

    __tablename__ = "portal_access"

    reseller_id: int = Field(foreign_key="resellers.id", primary_key=True)
    hostname: str | None = Field(default=None, max_length=253, unique=True)
    hostname_fee_posted: bool = False
    auto_connect_origins: str = Field(default="", sa_type=Text)
    updated_at: datetime = _when()


class PortalLoginLink(SQLModel, table=True):
    """A single-use auto-connect link for one client; only the SHA-256 of the token is kept."""

    __tablename__ = "portal_login_links"

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int = Field(foreign_key="resellers.id", index=True)
    client_id: int = Field(foreign_key="clients.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _when()
    expires_at: datetime = _when()
    used_at: datetime | None = _when(nullable=True)


class CallReservation(SQLModel, table=True):
    """Money (and free minutes) a hard client's authorized call holds until its CDR, a
    hangup notice or ``expires_at`` (see :mod:`api.domain.reservations`)."""

    __tablename__ = "call_reservations"
    __table_args__ = (UniqueConstraint("reseller_id", "call_id"),)

    id: int | None = Field(default=None, primary_key=True)
    reseller_id: int = Field(foreign_key="resellers.id")
    call_id: str = Field(max_length=200)
    client_id: int = Field(foreign_key="clients.id", index=True)
    seconds: int  # the duration granted
    amount: int = _money()  # the sell of the granted duration
    free_minutes: int = 0  # the free minutes the granted duration would use
    created_at: datetime = _when()
    expires_at: datetime = _when()
