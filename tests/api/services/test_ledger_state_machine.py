"""A stateful property test of the money paths, on a real database (SQLite and PostgreSQL).

A hypothesis :class:`RuleBasedStateMachine` interleaves, through the public services only,
CDR rating (outbound, inbound to a DID, free-zone and on-net calls, unroutable and invalid
numbers, duplicates of an earlier ``(source, call_id)``), small CDR batches, payments
(some keyed, some repeated), charges with and without overdraft, attaching and detaching
the package, clock jumps and billing runs, for one soft and one hard client of reseller A;
reseller B's data must never move.

After every step it checks the ledger invariants in the database and a model: the
expected balance of each client (sum of what the services reported: sells, payments,
charges, fees), the hard-balance rule of :func:`api.domain.balance_rules.is_suspended`, the
free minutes of the current cycle, and that no CDR was ever posted twice.

The rules are synchronous; each machine (one per example) owns an event loop and a fresh
database, both closed in :meth:`LedgerMachine.teardown`.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text

from api.domain.actor import Actor
from api.domain.balance_rules import is_suspended
from api.domain.cycles import cycle_start, period_containing, previous_period
from api.domain.errors import InsufficientBalance, NotFound
from api.domain.free_minutes import minutes_needed
from api.events import EventBus
from api.services import (
    billing,
    cdrs,
    clients,
    decks,
    dids,
    packages,
    payments,
    resellers,
    sub_accounts,
)
from api.services.client_packages import attach_package, detach_package, list_attachments
from api.services.context import ServicesContext
from api.services.records import CdrInput, CdrResult, MoneyMovement, NewDid
from api.services.secrets import PasswordCipher
from tests.api.conftest import DECK, INVARIANT_SQL, RULES
from tests.conftest import (
    Database,
    _create_postgres,
    _create_sqlite,
    _drop_postgres,
    require_postgres,
)

T = TypeVar("T")

START = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
SOURCES = ("sw1", "sw2")
# Outbound destinations: (number, kind). Free zone = USA/Canada (RULES: free_zone usa_canada).
FREE_ZONE = ("+12025550100", "+15145550123")
PAID_ZONE = ("+442071234567", "+447700900123", "+525512345678")
UNROUTABLE = ("+861012345678",)
INVALID = ("call-me-maybe",)
DID_NUMBERS = {"soft": "+15145550100", "hard": "+15145550101", "other": "+15145550102"}
DID_PRICES = {  # (setup price, monthly price, per-minute price) to the client
    "soft": (500_000, 2_000_000, 5_000),
    "hard": (0, 1_500_000, 7_000),
    "other": (0, 1_000_000, 5_000),
}
WHO = st.sampled_from(["soft", "hard"])
AMOUNT = st.one_of(st.integers(1, 30_000_000), st.sampled_from([1, 999_999, 1_000_000]))
DURATION = st.one_of(st.integers(0, 900), st.sampled_from([0, 1, 59, 60, 61, 600, 601]))


@dataclass
class ClientModel:
    """What the machine expects of one client of reseller A."""

    id: int
    line: str
    balance_type: str
    billing_day: int
    did: str
    did_monthly: int
    balance: int = 0
    attachment: int | None = None
    fees: set[tuple[str, int, date]] = field(default_factory=set)  # fee keys posted
    statements: set[date] = field(default_factory=set)  # period starts
    free_cycle: date = date.min  # cycle of ``free_used``
    free_used: int = 0


@dataclass(frozen=True)
class Sent:
    """A CDR sent before and what the service answered the first time."""

    cdr: CdrInput
    status: str
    sell: int
    id: int


class LedgerMachine(RuleBasedStateMachine):
    """Soft and hard client of reseller A, one client of reseller B; see the module doc."""

    sent = Bundle("sent")
    keys = Bundle("payment_keys")

    backend: ClassVar[str] = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp = tempfile.TemporaryDirectory(prefix="pb-ledger-sm-")
        try:
            self.db: Database = self.run(self._create_database)
        except BaseException:
            self.loop.close()
            self.tmp.cleanup()
            raise
        self.now = START
        self.ctx = ServicesContext(
            self.db.sessionmaker, EventBus(), PasswordCipher("test-secret"), lambda: self.now
        )
        self.operator = Actor.operator()
        self.counter = 0
        self.clients: dict[str, ClientModel] = {}
        self.payments_by_key: dict[str, MoneyMovement] = {}
        self.other_snapshot: list[tuple[Any, ...]] = []

    # -- plumbing ------------------------------------------------------------------------

    def run(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        return self.loop.run_until_complete(make())

    async def _create_database(self) -> Database:
        if self.backend == "postgresql":
            return await _create_postgres()
        return await _create_sqlite(Path(self.tmp.name))

    def teardown(self) -> None:
        try:
            if self.backend == "postgresql":
                self.loop.run_until_complete(_drop_postgres(self.db))
            else:
                self.loop.run_until_complete(self.db.engine.dispose())
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
        finally:
            self.loop.close()
            self.tmp.cleanup()

    async def _rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        async with self.db.engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(text(sql), params)).fetchall()]

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        return self.run(lambda: self._rows(sql, **params))

    def call_id(self) -> str:
        self.counter += 1
        return f"c{self.counter}"

    # -- setup ---------------------------------------------------------------------------

    @initialize(
        soft_paid=st.integers(0, 40_000_000),
        # 16.5 units: exactly the setup, first month and DID fees (balance 0 after setup)
        hard_paid=st.one_of(st.just(16_500_000), st.integers(0, 40_000_000)),
    )
    def setup_world(self, soft_paid: int, hard_paid: int) -> None:
        self.run(lambda: self._setup(soft_paid, hard_paid))

    async def _setup(self, soft_paid: int, hard_paid: int) -> None:
        ctx, op = self.ctx, self.operator
        await decks.import_deck(ctx, op, DECK, name="test", activate=True)
        a = Actor.reseller((await resellers.create_reseller(ctx, op, "Acme", "USD")).reseller.id)
        b = Actor.reseller((await resellers.create_reseller(ctx, op, "Other", "USD")).reseller.id)
        self.a, self.b = a, b
        self.package = (
            (await packages.publish_package(ctx, a, RULES, file_name="a.rate"))
            .versions[0]
            .package_id
        )
        self.b_package = (
            (await packages.publish_package(ctx, b, RULES, file_name="b.rate"))
            .versions[0]
            .package_id
        )
        view = await packages.get_package(ctx, a, self.package)
        self.setup_fee, self.monthly_fee = view.setup_fee, view.monthly_fee
        self.free_minutes = view.free_minutes
        assert (self.setup_fee, self.monthly_fee, self.free_minutes) == (10_000_000, 5_000_000, 10)
        await dids.add_dids(ctx, op, [NewDid(n, 1_000_000, 0, 2_000) for n in DID_NUMBERS.values()])
        for who, actor in (("soft", a), ("hard", a), ("other", b)):
            await dids.take_did(ctx, actor, DID_NUMBERS[who])

        for who, kind, day, paid in (
            ("soft", "soft", 1, soft_paid),
            ("hard", "hard", 15, hard_paid),
        ):
            created = await clients.create_client(
                ctx, a, who.title(), balance_type=kind, billing_day=day
            )
            m = ClientModel(created.id, f"{who}-line", kind, day, DID_NUMBERS[who], 0)
            self.clients[who] = m
            if paid:
                moved = await payments.add_payment(ctx, a, m.id, paid)
                m.balance += paid
                assert moved.balance == m.balance
            await sub_accounts.create_sub_account(ctx, a, m.id, m.line)
            await self._attach(m)
            await self._assign_did(a, who, m)

        other = await clients.create_client(ctx, b, "Other", billing_day=15)
        await payments.add_payment(ctx, b, other.id, 25_000_000)
        await attach_package(ctx, b, other.id, self.b_package)
        await sub_accounts.create_sub_account(ctx, b, other.id, "other-line")
        await self._assign_did(b, "other", None, other.id)
        other_hard = await clients.create_client(ctx, b, "Other Hard", balance_type="hard")
        await cdrs.rate_cdr(
            ctx, b, CdrInput("sw1", "b1", "other-line", "outbound", FREE_ZONE[0], self.now, 700)
        )
        self.b_clients = (other.id, other_hard.id)
        self.other_line = "other-line"
        self.other_snapshot = await self._snapshot_other()

    async def _assign_did(
        self, actor: Actor, who: str, m: ClientModel | None, client_id: int | None = None
    ) -> None:
        setup, monthly, per_minute = DID_PRICES[who]
        target = m.id if m is not None else client_id
        assert target is not None
        await dids.assign_did(
            self.ctx,
            actor,
            DID_NUMBERS[who],
            target,
            monthly_price=monthly,
            per_minute_price=per_minute,
            setup_price=setup,
        )
        if m is not None:
            m.did_monthly = monthly
            m.balance -= setup + monthly
            m.fees.add(("did", 0, cycle_start(m.billing_day, self.now.date())))

    async def _attach(self, m: ClientModel) -> None:
        view = await attach_package(self.ctx, self.a, m.id, self.package)
        if m.attachment is not None:  # already attached: idempotent, nothing posted
            assert view.id == m.attachment
            return
        start = cycle_start(m.billing_day, self.now.date())
        assert (view.cycle_start, view.free_minutes_used) == (start, 0)
        m.attachment = view.id
        m.balance -= self.setup_fee + self.monthly_fee
        m.fees.add(("pkg", view.id, start))
        m.free_cycle, m.free_used = start, 0

    async def _snapshot_other(self) -> list[tuple[Any, ...]]:
        b = self.b.reseller_id
        return [
            *await self._rows(
                "SELECT a.id, a.balance, (SELECT COUNT(*) FROM ledger_entries e "
                "WHERE e.account_id = a.id) FROM accounts a WHERE a.reseller_id = :b ORDER BY a.id",
                b=b,
            ),
            *await self._rows(
                "SELECT id, suspended, status FROM clients WHERE reseller_id = :b ORDER BY id", b=b
            ),
            *await self._rows(
                "SELECT id, free_minutes_used, cycle_start, detached_at FROM client_packages "
                "WHERE reseller_id = :b ORDER BY id",
                b=b,
            ),
            *await self._rows(
                "SELECT COUNT(*), COALESCE(SUM(sell), 0) FROM cdrs WHERE reseller_id = :b", b=b
            ),
            *await self._rows("SELECT COUNT(*) FROM statements WHERE reseller_id = :b", b=b),
        ]

    # -- rating --------------------------------------------------------------------------

    def _free_left(self, m: ClientModel) -> int:
        current = cycle_start(m.billing_day, self.now.date())
        if m.free_cycle < current:
            m.free_cycle, m.free_used = current, 0
        return self.free_minutes - m.free_used

    def _expect(self, m: ClientModel | None, cdr: CdrInput) -> str:
        """The status (or failure reason prefix) the service must give a fresh ``cdr``."""
        if m is None:
            return "unknown_sub_account"
        if cdr.direction == "inbound":  # priced by the DID, with a package or without
            return "rated" if cdr.number == m.did else "unknown_did"
        if m.attachment is None:
            return "no_package"
        if cdr.number in INVALID:
            return "invalid_number"
        if cdr.number in UNROUTABLE:
            return "unroutable"
        return "rated"

    def _check_fresh(self, m: ClientModel | None, cdr: CdrInput, r: CdrResult) -> Sent:
        """Check a first rating of ``cdr`` against the model, and book its sell."""
        assert not r.duplicate, r
        assert (r.source, r.call_id, r.duration) == (cdr.source, cdr.call_id, cdr.duration)
        expected = self._expect(m, cdr)
        if expected == "rated":
            assert r.status == "rated", (cdr, r.failure_reason)
        else:
            assert r.status == "unrated", (cdr, r)
            assert r.failure_reason.startswith(expected), (expected, r.failure_reason)
            assert (r.sell, r.cost, r.transaction_id, r.free_minutes_used) == (0, 0, None, 0)
        assert r.sell >= 0
        assert r.cost >= 0
        if m is not None and r.status == "rated":
            assert r.client_id == m.id
            left = self._free_left(m)
            assert 0 <= r.free_minutes_used <= left, (r.free_minutes_used, left)
            on_net = cdr.direction == "outbound" and cdr.number in DID_NUMBERS.values()
            if on_net:
                assert (r.on_net, r.sell, r.cost, r.free_minutes_used) == (True, 0, 0, 0)
            elif cdr.direction == "outbound" and cdr.number in FREE_ZONE:
                assert r.free_minutes_used == min(left, minutes_needed(cdr.duration))
            elif cdr.direction == "outbound":
                assert r.free_minutes_used == 0  # outside the free zone
            if cdr.direction == "inbound":
                assert r.rule_kind == "did"
            m.free_used += r.free_minutes_used
            m.balance -= r.sell
        return Sent(cdr, r.status, r.sell, r.id)

    def _cdr(self, who: str, direction: str, number: str, duration: int, source: str) -> CdrInput:
        line = self.other_line if who == "other" else self.clients[who].line
        return CdrInput(source, self.call_id(), line, direction, number, self.now, duration)

    def _rate(self, who: str, cdr: CdrInput) -> Sent:
        result = self.run(lambda: cdrs.rate_cdr(self.ctx, self.a, cdr))
        return self._check_fresh(self.clients.get(who), cdr, result)

    @rule(
        target=sent,
        who=WHO,
        number=st.sampled_from(FREE_ZONE + PAID_ZONE + UNROUTABLE + INVALID),
        duration=DURATION,
        source=st.sampled_from(SOURCES),
    )
    def rate_outbound(self, who: str, number: str, duration: int, source: str) -> Sent:
        return self._rate(who, self._cdr(who, "outbound", number, duration, source))

    @rule(
        target=sent,
        who=WHO,
        to=st.sampled_from(sorted(DID_NUMBERS)),
        direction=st.sampled_from(["inbound", "outbound"]),
        duration=DURATION,
    )
    def rate_to_did(self, who: str, to: str, direction: str, duration: int) -> Sent:
        """Inbound to a DID (its own: rated; another's: unknown_did), or on-net outbound."""
        return self._rate(who, self._cdr(who, direction, DID_NUMBERS[to], duration, "sw1"))

    @rule(sent=sent, duration=DURATION)
    def resend_duplicate(self, sent: Sent, duration: int) -> None:
        """The same (source, call id) again, even with other fields: the first result."""
        again = CdrInput(
            sent.cdr.source,
            sent.cdr.call_id,
            sent.cdr.sub_account,
            sent.cdr.direction,
            sent.cdr.number,
            self.now,
            duration,
        )
        r = self.run(lambda: cdrs.rate_cdr(self.ctx, self.a, again))
        assert r.duplicate
        assert (r.id, r.status, r.sell, r.duration) == (
            sent.id,
            sent.status,
            sent.sell,
            sent.cdr.duration,
        )

    @rule(target=sent, sent=sent, who=WHO)
    def same_call_id_other_source(self, sent: Sent, who: str) -> Sent:
        """A call id seen before but from another source is a different CDR."""
        source = f"{sent.cdr.source}-{self.call_id()}"  # never used with any call id
        line = self.clients[who].line
        cdr = CdrInput(source, sent.cdr.call_id, line, "outbound", PAID_ZONE[0], self.now, 61)
        r = self.run(lambda: cdrs.rate_cdr(self.ctx, self.a, cdr))
        return self._check_fresh(self.clients[who], cdr, r)

    @rule(
        target=sent,
        who=WHO,
        picks=st.lists(
            st.tuples(
                st.sampled_from(["new", "repeat", "old"]),
                st.sampled_from(FREE_ZONE + PAID_ZONE + UNROUTABLE),
                DURATION,
                st.integers(0, 1000),
            ),
            min_size=1,
            max_size=6,
        ),
    )
    def ingest_batch(self, who: str, picks: list[tuple[str, str, int, int]]) -> Any:
        """A small batch: fresh CDRs, repeats inside the batch, and CDRs stored before."""
        m = self.clients[who]
        stored = self.rows("SELECT source, call_id FROM cdrs WHERE reseller_id = :a", a=self.a_id)
        batch: list[CdrInput] = []
        for kind, number, duration, index in picks:
            if kind == "repeat" and batch:
                batch.append(batch[index % len(batch)])
            elif kind == "old" and stored:
                source, call_id = stored[index % len(stored)]
                batch.append(CdrInput(source, call_id, m.line, "outbound", number, self.now, 5))
            else:
                batch.append(self._cdr(who, "outbound", number, duration, SOURCES[index % 2]))
        known = {(s, c) for s, c in stored}
        fresh: list[CdrInput] = []
        for c in batch:
            if (c.source, c.call_id) not in known:
                known.add((c.source, c.call_id))
                fresh.append(c)
        summary = self.run(lambda: cdrs.ingest_cdrs(self.ctx, self.a, batch))
        assert summary.received == len(batch)
        assert summary.duplicates == len(batch) - len(fresh)
        assert summary.rated + summary.unrated == len(fresh)
        results = [
            self.run(partial(cdrs.get_cdr, self.ctx, self.a, c.source, c.call_id)) for c in fresh
        ]
        before = m.balance
        out = [self._check_fresh(m, c, r) for c, r in zip(fresh, results, strict=True)]
        assert summary.sell == before - m.balance
        assert summary.rated == sum(s.status == "rated" for s in out)
        return multiple(*out)

    # -- money ---------------------------------------------------------------------------

    @property
    def a_id(self) -> int:
        assert self.a.reseller_id is not None
        return self.a.reseller_id

    @rule(target=keys, who=WHO, amount=AMOUNT, keyed=st.booleans())
    def pay(self, who: str, amount: int, keyed: bool) -> str:
        m = self.clients[who]
        key = f"pp-{self.call_id()}" if keyed else ""
        moved = self.run(
            lambda: payments.add_payment(self.ctx, self.a, m.id, amount, key=key or None)
        )
        m.balance += amount
        assert (moved.amount, moved.kind, moved.balance) == (amount, "payment", m.balance)
        if key:
            self.payments_by_key[key] = moved
        return key

    @rule(key=keys)
    def repeat_keyed_payment(self, key: str) -> None:
        """A payment with a key seen before returns the first one and posts nothing."""
        if not key:
            return
        first = self.payments_by_key[key]
        again = self.run(
            lambda: payments.add_payment(self.ctx, self.a, first.client_id, first.amount, key=key)
        )
        assert again.transaction_id == first.transaction_id

    @rule(who=WHO, level=st.sampled_from([0, 1]))
    def pay_up_to(self, who: str, level: int) -> None:
        """Pay up to exactly 0 (a hard client stays suspended) or 1 micro-unit (lifted)."""
        m = self.clients[who]
        if m.balance < level:
            self.pay(who, level - m.balance, False)

    @rule(who=WHO, amount=AMOUNT, overdraft=st.booleans())
    def charge(self, who: str, amount: int, overdraft: bool) -> None:
        m = self.clients[who]
        refused = not overdraft and m.balance_type == "hard" and m.balance - amount < 0
        try:
            moved = self.run(
                lambda: payments.add_charge(
                    self.ctx, self.a, m.id, amount, allow_overdraft=overdraft
                )
            )
        except InsufficientBalance:
            assert refused, (m.balance, amount)
            return
        assert not refused, ("overdraft allowed", m.balance, amount)
        m.balance -= amount
        assert (moved.amount, moved.kind, moved.balance) == (amount, "charge", m.balance)

    @rule(who=WHO, level=st.sampled_from([0, 1]), overdraft=st.booleans())
    def charge_down_to(self, who: str, level: int, overdraft: bool) -> None:
        """Charge down to exactly 0 (a hard client is suspended) or 1 micro-unit (it is not)."""
        m = self.clients[who]
        if m.balance > level:
            self.charge(who, m.balance - level, overdraft)

    # -- packages and billing ------------------------------------------------------------

    @rule(who=WHO)
    def attach(self, who: str) -> None:
        self.run(lambda: self._attach(self.clients[who]))

    @rule(who=WHO)
    def detach(self, who: str) -> None:
        m = self.clients[who]
        try:
            view = self.run(lambda: detach_package(self.ctx, self.a, m.id, self.package))
        except NotFound:
            assert m.attachment is None
            return
        assert view.id == m.attachment
        assert view.detached_at is not None
        m.attachment = None

    @rule(days=st.integers(1, 20))
    def advance_clock(self, days: int) -> None:
        self.now += timedelta(days=days)

    @rule(who=WHO, jump=st.booleans())
    def run_billing(self, who: str, jump: bool) -> None:
        """Bill ``who``'s cycle start (jumping first to its next billing day, or not)."""
        m = self.clients[who]
        if jump:
            day = self.now.date() + timedelta(days=1)
            while day.day != m.billing_day:
                day += timedelta(days=1)
            self.now = datetime.combine(day, self.now.timetz())
        on = cycle_start(m.billing_day, self.now.date())
        period = period_containing(m.billing_day, on)
        fees: list[tuple[tuple[str, int, date], int]] = []
        if m.attachment is not None:
            fees.append((("pkg", m.attachment, period.start), self.monthly_fee))
        if m.did_monthly:
            fees.append((("did", 0, period.start), m.did_monthly))
        due = [(k, amount) for k, amount in fees if k not in m.fees]
        statement = previous_period(period).start
        run = self.run(lambda: billing.run_billing(self.ctx, self.a, on))
        assert run.clients == 1  # the two clients have different billing days
        assert run.fees_posted == len(due), (run, due)
        assert run.statements == (statement not in m.statements)
        for k, amount in due:
            m.fees.add(k)
            m.balance -= amount
        m.statements.add(statement)

    # -- tenancy -------------------------------------------------------------------------

    @rule(target=sent, duration=DURATION)
    def cross_tenant_probe(self, duration: int) -> Sent:
        """Reseller A cannot reach B's client, package or line."""
        other = self.b_clients[0]
        ctx, a = self.ctx, self.a
        attempts: list[Callable[[], Coroutine[Any, Any, object]]] = [
            lambda: clients.get_client(ctx, a, other),
            lambda: payments.add_payment(ctx, a, other, 1),
            lambda: payments.add_charge(ctx, a, other, 1),
            lambda: attach_package(ctx, a, other, self.package),
            lambda: attach_package(ctx, a, self.clients["soft"].id, self.b_package),
            lambda: billing.list_statements(ctx, a, other),
        ]
        for attempt in attempts:
            with pytest.raises(NotFound):
                self.run(attempt)
        return self._rate("other", self._cdr("other", "outbound", FREE_ZONE[0], duration, "sw1"))

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def ledger_is_balanced_and_cached_balances_match(self) -> None:
        for problem, sql in INVARIANT_SQL.items():
            found = self.rows(sql)
            assert not found, f"{problem}: {found[:5]}"

    @invariant()
    def model_balances_match_the_services(self) -> None:
        for who, m in self.clients.items():
            view = self.run(partial(clients.get_client, self.ctx, self.a, m.id))
            assert view.balance == m.balance, (who, view.balance, m.balance)
            assert view.suspended == is_suspended(m.balance_type, m.balance), (who, view)
            if m.balance_type == "hard":
                assert view.suspended == (m.balance <= 0)
            else:
                assert not view.suspended

    @invariant()
    def suspension_follows_the_balance_rule_everywhere(self) -> None:
        found = self.rows(
            "SELECT c.id, c.balance_type, c.suspended, a.balance FROM clients c "
            "JOIN accounts a ON a.client_id = c.id AND a.kind = 'client'"
        )
        for client_id, balance_type, suspended, balance in found:
            assert bool(suspended) == is_suspended(balance_type, int(balance)), (
                client_id,
                balance_type,
                suspended,
                balance,
            )

    @invariant()
    def free_minutes_stay_within_the_bundle(self) -> None:
        found = self.rows("SELECT id, free_minutes_used FROM client_packages")
        for attachment_id, used in found:
            assert 0 <= used <= self.free_minutes, (attachment_id, used)
        for who, m in self.clients.items():
            views = self.run(partial(list_attachments, self.ctx, self.a, m.id))
            assert [v.id for v in views] == ([] if m.attachment is None else [m.attachment])
            if not views:
                continue
            current = cycle_start(m.billing_day, self.now.date())
            stored = views[0].free_minutes_used if views[0].cycle_start >= current else 0
            modelled = m.free_used if m.free_cycle >= current else 0
            assert stored == modelled, (who, views[0], m.free_cycle, m.free_used)

    @invariant()
    def no_cdr_is_stored_or_posted_twice(self) -> None:
        twice = self.rows(
            "SELECT reseller_id, source, call_id FROM cdrs "
            "GROUP BY reseller_id, source, call_id HAVING COUNT(*) > 1"
        )
        assert not twice, f"CDR stored twice: {twice[:5]}"
        posted_twice = self.rows(
            "SELECT t.description, COUNT(*) FROM ledger_transactions t "
            "WHERE t.kind = 'call' GROUP BY t.reseller_id, t.description HAVING COUNT(*) > 1"
        )
        assert not posted_twice, f"CDR posted twice: {posted_twice[:5]}"
        orphans = self.rows(
            "SELECT t.id FROM ledger_transactions t WHERE t.kind IN ('call', 'calls') "
            "AND NOT EXISTS (SELECT 1 FROM cdrs c WHERE c.transaction_id = t.id)"
        )
        assert not orphans, f"call postings without a CDR: {orphans[:5]}"
        # What the CDRs say each client owes equals what the ledger took from it.
        mismatch = self.rows(
            "SELECT a.client_id, "
            "(SELECT COALESCE(SUM(c.sell), 0) FROM cdrs c WHERE c.client_id = a.client_id), "
            "(SELECT COALESCE(-SUM(e.amount), 0) FROM ledger_entries e "
            " JOIN ledger_transactions t ON t.id = e.transaction_id "
            " WHERE e.account_id = a.id AND t.kind IN ('call', 'calls')) "
            "FROM accounts a WHERE a.kind = 'client'"
        )
        for client_id, by_cdrs, by_ledger in mismatch:
            assert int(by_cdrs) == int(by_ledger), (client_id, by_cdrs, by_ledger)

    @invariant()
    def statements_add_up(self) -> None:
        found = self.rows(
            "SELECT s.client_id, s.period_start, s.opening, s.calls, s.fees, s.charges, "
            "s.payments, s.closing FROM statements s WHERE s.reseller_id = :a",
            a=self.a_id,
        )
        for client_id, start, opening, calls, fees, charges, paid, closing in found:
            assert closing == opening + calls + fees + charges + paid, (client_id, start)

    @invariant()
    def other_reseller_is_untouched(self) -> None:
        assert self.run(self._snapshot_other) == self.other_snapshot


class SqliteLedgerMachine(LedgerMachine):
    backend = "sqlite"


class PostgresLedgerMachine(LedgerMachine):
    backend = "postgresql"


# Both backends together take ~10 s on 2 cores; a failing run then shrinks for minutes.
SETTINGS = settings(
    max_examples=12,
    stateful_step_count=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_ledger_state_machine_sqlite() -> None:
    run_state_machine_as_test(SqliteLedgerMachine, settings=SETTINGS)


@pytest.mark.postgres
def test_ledger_state_machine_postgresql() -> None:
    require_postgres()
    run_state_machine_as_test(PostgresLedgerMachine, settings=SETTINGS)
