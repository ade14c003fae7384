"""Hand-written rows for the report tests: two resellers, their clients, calls and ledger.

Money is in micro-units. The reference period is February 2026 in America/New_York, i.e.
UTC ``[2026-02-01T05:00Z, 2026-03-01T05:00Z)``. Every expected figure in the tests is
computed by hand from the rows below (see the comments next to them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.actor import Actor
from api.reports.kinds import AccountKind, CdrStatus, Direction, PaymentMethod, TransactionKind
from api.reports.period import Period
from api.store.tables import (
    Account,
    Cdr,
    Client,
    LedgerEntry,
    LedgerTransaction,
    Package,
    PackageVersion,
    Reseller,
    SubAccount,
)
from tests.conftest import Database

NEW_YORK = ZoneInfo("America/New_York")
FEBRUARY_NY = Period(date(2026, 2, 1), date(2026, 2, 28), NEW_YORK)
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def utc(text: str) -> datetime:
    """``"2026-02-10T15:00"`` as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class World:
    """The ids of the hand-written rows and the actors that read them."""

    db: Database
    acme: int  # reseller A
    blue: int  # reseller B
    alice: int  # client of Acme
    bob: int  # client of Acme
    carol: int  # client of Blue
    alice_1: int  # sub accounts
    alice_2: int
    bob_1: int
    carol_1: int

    @property
    def acme_actor(self) -> Actor:
        return Actor.reseller(self.acme)

    @property
    def blue_actor(self) -> Actor:
        return Actor.reseller(self.blue)

    @property
    def alice_actor(self) -> Actor:
        return Actor.client(self.acme, self.alice)


async def add(session: AsyncSession, row: Any) -> int:
    session.add(row)
    await session.flush()
    assert row.id is not None
    return int(row.id)


def cdr(**fields: Any) -> Cdr:
    """A rated outbound CDR with zero money unless told otherwise."""
    defaults: dict[str, Any] = {
        "source": "switch-1",
        "direction": Direction.OUTBOUND.value,
        "status": CdrStatus.RATED.value,
        "created_at": CREATED,
    }
    return Cdr(**(defaults | fields))


async def post(
    session: AsyncSession,
    kind: TransactionKind | str,
    at: str,
    legs: Sequence[tuple[int, int]],
    *,
    method: str = "",
    reseller_id: int | None = None,
) -> int:
    """One balanced ledger transaction: ``legs`` are ``(account id, amount)``."""
    assert sum(amount for _, amount in legs) == 0
    transaction_id = await add(
        session,
        LedgerTransaction(
            kind=str(kind), method=method, created_at=utc(at), reseller_id=reseller_id
        ),
    )
    for account_id, amount in legs:
        session.add(
            LedgerEntry(transaction_id=transaction_id, account_id=account_id, amount=amount)
        )
        cached = update(Account).where(Account.id == account_id)  # type: ignore[arg-type]
        await session.execute(cached.values(balance=Account.balance + amount))
    await session.flush()
    return transaction_id


async def _account(session: AsyncSession, kind: AccountKind, reseller: int | None,
                   client: int | None = None) -> int:  # fmt: skip
    return await add(
        session, Account(kind=kind.value, reseller_id=reseller, client_id=client, currency="USD")
    )


async def _people(session: AsyncSession) -> tuple[int, ...]:
    acme = await add(session, Reseller(name="Acme Voice", currency="USD", created_at=CREATED))
    blue = await add(session, Reseller(name="Blue Tel", currency="USD", created_at=CREATED))
    alice = await add(session, Client(reseller_id=acme, name="Alice Co", created_at=CREATED))
    bob = await add(session, Client(reseller_id=acme, name="=Bob Ltd", created_at=CREATED))
    carol = await add(session, Client(reseller_id=blue, name="Carol", created_at=CREATED))
    subs = []
    for client, username in (
        (alice, "alice-1"),
        (alice, "alice-2"),
        (bob, "bob-1"),
        (carol, "carol-1"),
    ):
        reseller = blue if client == carol else acme
        sub = SubAccount(reseller_id=reseller, client_id=client, username=username,
                         password_encrypted="x", created_at=CREATED)  # fmt: skip
        subs.append(await add(session, sub))
    return (acme, blue, alice, bob, carol, *subs)


async def _packages(session: AsyncSession, acme: int, blue: int) -> tuple[int, int]:
    versions = []
    for reseller, name in ((acme, "Basic"), (blue, "Other")):
        package = await add(session, Package(reseller_id=reseller, name=name, created_at=CREATED))
        version = PackageVersion(package_id=package, reseller_id=reseller, version=1,
                                 source="", checksum="0", published_at=CREATED)  # fmt: skip
        versions.append(await add(session, version))
    return versions[0], versions[1]


async def _calls(session: AsyncSession, w: World, basic: int, other: int) -> None:
    gb = {"country": "GB", "description": "United Kingdom", "package_version_id": basic}
    rows = [
        # 1. Feb 10 (NY); 125 s billed 180 at 0.012 = 0.036; cost 0.008 → 0.024
        cdr(reseller_id=w.acme, client_id=w.alice, sub_account_id=w.alice_1, call_id="1",
            number="442071234567", started_at=utc("2026-02-10T15:00"), duration=125,
            billed_seconds=180, cost_billed_seconds=180, sell_rate=12_000, sell=36_000,
            cost_rate=8_000, cost=24_000, profit=12_000, rule_kind="prefix",
            rule_text="rate prefix 44 0.012", rule_line=7, **gb),
        # 2. 04:30Z on Mar 1 is 23:30 on Feb 28 in New York: inside February
        cdr(reseller_id=w.acme, client_id=w.alice, sub_account_id=w.alice_2, call_id="2",
            number="15145550000", country="CA", description="Canada", package_version_id=basic,
            started_at=utc("2026-03-01T04:30"), duration=60, billed_seconds=60,
            cost_billed_seconds=60, sell_rate=9_500, sell=9_500, cost_rate=5_000, cost=5_000,
            profit=4_500, rule_kind="usa_canada", rule_text="rate usa_canada 0.0095", rule_line=3),
        # 3. unanswered, Feb 10
        cdr(reseller_id=w.acme, client_id=w.alice, sub_account_id=w.alice_1, call_id="3",
            number="442071234567", started_at=utc("2026-02-10T16:00"), duration=0, **gb),
        # 4. inbound to a DID at the first instant of the period (Feb 1 00:00 in New York)
        cdr(reseller_id=w.acme, client_id=w.bob, sub_account_id=w.bob_1, call_id="4",
            direction=Direction.INBOUND.value, number="12125550100", country="US",
            description="United States", started_at=utc("2026-02-01T05:00"), duration=300,
            billed_seconds=300, cost_billed_seconds=300, sell_rate=10_000, sell=50_000,
            cost_rate=4_000, cost=20_000, profit=30_000, rule_kind="did"),
        # 5. Feb 15: 191 s covered by 4 free minutes; the reseller still pays the cost
        cdr(reseller_id=w.acme, client_id=w.bob, sub_account_id=w.bob_1, call_id="5",
            number="12125550199", country="US", description="United States",
            package_version_id=basic, started_at=utc("2026-02-15T12:00"), duration=191,
            cost_billed_seconds=240, sell_rate=9_500, cost_rate=5_000, cost=20_000,
            profit=-20_000, free_minutes_used=4, rule_kind="usa_canada"),
        # 6. Feb 20: unroutable, stored unrated
        cdr(reseller_id=w.acme, client_id=w.bob, sub_account_id=w.bob_1, call_id="6",
            number="999", status=CdrStatus.UNRATED.value, failure_reason="no route for 999",
            started_at=utc("2026-02-20T10:00"), duration=30),
        # 7. and 8. just outside February in New York (Jan 31 23:59:59 and Mar 1 00:00)
        cdr(reseller_id=w.acme, client_id=w.alice, sub_account_id=w.alice_1, call_id="7",
            number="442071234567", started_at=utc("2026-02-01T04:59:59"), duration=60,
            sell=100_000, cost=1_000, profit=99_000, **gb),
        cdr(reseller_id=w.acme, client_id=w.alice, sub_account_id=w.alice_1, call_id="8",
            number="442071234567", started_at=utc("2026-03-01T05:00"), duration=60,
            sell=200_000, cost=2_000, profit=198_000, **gb),
        # 9. the other reseller's call, same time as call 1
        cdr(reseller_id=w.blue, client_id=w.carol, sub_account_id=w.carol_1, call_id="9",
            number="442071234567", country="GB", description="United Kingdom",
            package_version_id=other, started_at=utc("2026-02-10T15:00"), duration=100,
            billed_seconds=120, sell=77_000, cost=50_000, profit=27_000),
    ]  # fmt: skip
    session.add_all(rows)
    await session.flush()


async def _ledger(session: AsyncSession, w: World) -> None:
    manual, paypal = PaymentMethod.MANUAL.value, PaymentMethod.PAYPAL.value
    alice = await _account(session, AccountKind.CLIENT, w.acme, w.alice)
    bob = await _account(session, AccountKind.CLIENT, w.acme, w.bob)
    carol = await _account(session, AccountKind.CLIENT, w.blue, w.carol)
    acme = await _account(session, AccountKind.RESELLER, w.acme)
    blue = await _account(session, AccountKind.RESELLER, w.blue)
    acme_revenue = await _account(session, AccountKind.RESELLER_REVENUE, w.acme)
    blue_revenue = await _account(session, AccountKind.RESELLER_REVENUE, w.blue)
    operator = await _account(session, AccountKind.OPERATOR_REVENUE, w.acme)
    blue_operator = await _account(session, AccountKind.OPERATOR_REVENUE, w.blue)
    payments = await _account(session, AccountKind.CLIENT_FUNDING, w.acme)
    blue_payments = await _account(session, AccountKind.CLIENT_FUNDING, w.blue)
    acme_funding = await _account(session, AccountKind.RESELLER_FUNDING, w.acme)
    T = TransactionKind  # noqa: N806
    # Alice: opening 20 - 4.99 = 15.01
    await post(
        session,
        T.PAYMENT,
        "2026-01-15T10:00",
        [(alice, 20_000_000), (payments, -20_000_000)],
        method=manual,
    )
    await post(
        session, T.MONTHLY_FEE, "2026-01-31T12:00", [(alice, -4_990_000), (acme_revenue, 4_990_000)]
    )
    # Alice in February
    await post(
        session,
        T.PAYMENT,
        "2026-02-01T05:00",
        [(alice, 5_000_000), (payments, -5_000_000)],
        method=manual,
    )
    await post(
        session,
        T.PAYMENT,
        "2026-02-05T09:00",
        [(alice, 10_000_000), (payments, -10_000_000)],
        method=paypal,
    )
    await post(
        session, T.SETUP_FEE, "2026-02-03T09:00", [(alice, -10_000_000), (acme_revenue, 10_000_000)]
    )
    await post(
        session, T.MONTHLY_FEE, "2026-02-03T09:00", [(alice, -4_990_000), (acme_revenue, 4_990_000)]
    )
    await post(
        session, T.DID_FEE, "2026-02-03T09:00", [(alice, -2_000_000), (acme_revenue, 2_000_000)]
    )
    await post(
        session, T.CHARGE, "2026-02-12T09:00", [(alice, -1_500_000), (acme_revenue, 1_500_000)]
    )
    await post(
        session,
        T.CALL,
        "2026-02-10T15:02",
        [(alice, -36_000), (acme_revenue, 36_000), (acme, -24_000), (operator, 24_000)],
    )
    await post(
        session,
        T.CALL,
        "2026-03-01T04:31",
        [(alice, -9_500), (acme_revenue, 9_500), (acme, -5_000), (operator, 5_000)],
    )
    await post(
        session, "adjustment", "2026-02-20T09:00", [(alice, 250_000), (acme_revenue, -250_000)]
    )
    # Alice after February (excluded): Mar 1 00:00 in New York
    await post(
        session,
        T.PAYMENT,
        "2026-03-01T05:00",
        [(alice, 100_000_000), (payments, -100_000_000)],
        method=manual,
    )
    # Bob: the inbound call and the free-minutes call (cost only)
    await post(
        session,
        T.CALL,
        "2026-02-01T05:05",
        [(bob, -50_000), (acme_revenue, 50_000), (acme, -20_000), (operator, 20_000)],
    )
    # a batch of calls (``calls``) holding only the free-minutes call's cost
    await post(session, T.CALLS, "2026-02-15T12:04", [(acme, -20_000), (operator, 20_000)])
    # Acme with the operator: opening 50, a DID's monthly cost 1 in February
    await post(
        session,
        T.RESELLER_PAYMENT,  # recorded without a method: counted as manual
        "2026-01-10T10:00",
        [(acme, 50_000_000), (acme_funding, -50_000_000)],
    )
    await post(session, T.DID_COST, "2026-02-02T10:00", [(acme, -1_000_000), (operator, 1_000_000)])
    # Blue and Carol
    await post(
        session,
        T.PAYMENT,
        "2026-02-09T10:00",
        [(carol, 7_000_000), (blue_payments, -7_000_000)],
        method=manual,
    )
    await post(
        session,
        T.CALL,
        "2026-02-10T15:02",
        [(carol, -77_000), (blue_revenue, 77_000), (blue, -50_000), (blue_operator, 50_000)],
    )


async def build_world(database: Database) -> World:
    """Insert the hand-written rows and commit them."""
    async with database.sessionmaker() as session, session.begin():
        acme, blue, alice, bob, carol, *subs = await _people(session)
        w = World(database, acme, blue, alice, bob, carol, *subs)
        basic, other = await _packages(session, acme, blue)
        await _calls(session, w, basic, other)
        await _ledger(session, w)
    return w
