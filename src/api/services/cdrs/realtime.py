"""The real-time path: one CDR per transaction, one query to read, as few statements as
the backend allows to write, on a pooled driver connection outside the session
(:mod:`api.store.cdrs.pooled`).

The compiled package and the deck come from the process caches (``ctx.packages``,
``ctx.decks``, keyed by immutable version). When the read names one that is not cached
yet (the first CDR of a version after a restart), the transaction is rolled back,
:func:`load_rating_inputs` loads them outside any write transaction, and the CDR is rated
again: there is no second writer for a cold cache. A stored twin raises
:class:`~api.store.cdrs.writes.DuplicateCdr`; no such reseller is :class:`NotFound`.

PostgreSQL, two round trips: an unlocked read (autocommit), the pricing, then one guarded
autocommit statement (:func:`~api.store.cdrs.writes.guarded_write_postgres`) that locks
what the pricing assumed (the attachment's free minutes, the accounts, the client's
balance and flags), checks that nothing moved and writes everything, the client's new
flags included. When something moved (a concurrent call or payment of the same client)
it wrote nothing, and the CDR is rated again in an explicit transaction that locks the
attachment with its read (``BEGIN``, read, write, flags, ``COMMIT``). A stored twin is
found by the CDR insert (a unique violation undoes the whole statement).
SQLite: ``BEGIN IMMEDIATE`` and the read in one hop to the connection's thread, every
write and ``COMMIT`` in a second one. Events are published after the commit only. A call
that crosses the client's low-balance threshold raises :class:`CrossesThreshold` with
nothing written: the use case rates it as a batch of one in a unit of work, whose commit
queues the low-balance e-mail in the same transaction. A call that holds a reservation
(the read says so) is charged for at most its granted seconds, and the reservation is
deleted with the CDR's writes: SQLite in the same hop; PostgreSQL on the locked path,
whose transaction holds the read, the writes and the release.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncEngine

from api.domain.call_postings import call_transaction
from api.domain.errors import NotFound
from api.domain.ledger import TenantAccounts
from api.domain.reservations import charged_duration
from api.events import Event, LowBalance
from api.services.cdrs.balance_rules import balance_rules
from api.services.cdrs.lines import Line
from api.services.cdrs.pricing import (
    NO_DECK,
    NO_PACKAGE,
    UNKNOWN_DID,
    UNKNOWN_SUB_ACCOUNT,
    CallRater,
    by_did,
    did_only_package,
    make_bundle,
    rated_row,
    safe_digits,
)
from api.services.cdrs.results import row_view
from api.services.context import ServicesContext
from api.services.decks import deck_by_version
from api.services.packages import compiled_version
from api.services.records import CdrInput, CdrResult
from api.store.cdrs.driver import PostgresRaw
from api.store.cdrs.pooled import PostgresTransaction, SqliteTransaction, realtime_transaction
from api.store.cdrs.resolve import ResolvedCall, resolve_call
from api.store.cdrs.row import CdrRow
from api.store.cdrs.writes import (
    RELEASE_POSTGRES,
    DuplicateCdr,
    Guard,
    SqliteCallWrite,
    guarded_write_postgres,
    write_call_postgres,
)
from api.store.db_errors import as_sqlalchemy_error, driver_errors
from ratelang.model import CompiledPackage, Deck, Direction
from ratelang.pricing import price
from ratelang.rating import Call, DidPrice, RatingError

Accounts = tuple[int, int, int, int]  # client, reseller revenue, reseller, operator revenue
Priced = tuple[CallRater, CdrRow, int, int]  # rater, CDR row, sell, cost
LOADS = 3
"""Rounds of :func:`load_rating_inputs` before a CDR gives up (a publish can make the
cache cold again between a load and the next read)."""


class CrossesThreshold(Exception):
    """The call takes its client across the low-balance threshold: nothing was written
    (its e-mail must be queued in the call's own transaction, which these writers do not
    write)."""


class ColdCache(Exception):
    """The read names a package version or a deck not cached yet: nothing was written."""

    def __init__(self, version_id: int | None, deck_version: str) -> None:
        super().__init__(version_id, deck_version)
        self.version_id = version_id
        self.deck_version = deck_version


async def rate_call(ctx: ServicesContext, tenant: int, cdr: CdrInput) -> CdrResult:
    """Rate and store one CDR in one transaction on a pooled driver connection, loading
    a package version or deck not cached yet before (see :class:`ColdCache`)."""
    for _ in range(LOADS):
        try:
            return await _rate_pooled(ctx, tenant, cdr)
        except ColdCache as cold:
            await load_rating_inputs(ctx, cold.version_id, cold.deck_version)
    raise RuntimeError("the package version or the deck of a CDR could not be loaded")


async def load_rating_inputs(
    ctx: ServicesContext, version_id: int | None, deck_version: str
) -> None:
    """Compile the package version and parse the deck into the process caches, in a read
    transaction of their own (nothing locked)."""
    async with ctx.read() as uow:
        if version_id is not None:
            await compiled_version(ctx, uow, version_id)
        if await deck_by_version(ctx, uow, deck_version) is None:
            raise LookupError(f"deck version {deck_version!r} is not stored")


async def _rate_pooled(ctx: ServicesContext, tenant: int, cdr: CdrInput) -> CdrResult:
    engine = ctx.sessionmaker.kw.get("bind")
    if not isinstance(engine, AsyncEngine):  # pragma: no cover - sessionmaker without engine
        raise TypeError("the services' sessionmaker is bound to no AsyncEngine")
    now = ctx.now()
    digits = safe_digits(cdr.number)
    events: list[Event] = []
    try:
        async with realtime_transaction(engine) as tx:
            if isinstance(tx, PostgresTransaction):
                written = await _postgres_guarded(ctx, tx, tenant, cdr, now, digits, events)
                if written is False:  # something moved: again, under locks
                    events.clear()
                    written = await _postgres_locked(ctx, tx, tenant, cdr, now, digits, events)
            else:
                written = await _sqlite(ctx, tx, tenant, cdr, now, digits, events)
    except driver_errors() as exc:
        raise as_sqlalchemy_error(exc, "real-time CDR") from exc
    ctx.bus.publish_all(events)  # committed
    return written


def _priced(
    ctx: ServicesContext,
    tenant: int,
    now: datetime,
    when: Any,
    cdr: CdrInput,
    call: ResolvedCall,
    digits: str | None,
) -> Priced:
    """The CDR row of ``call`` with its sell and cost; :class:`ColdCache` when the package
    or the deck is not cached yet."""
    rater = CallRater(ctx, None, tenant, now, when)
    line = _line(call, cdr)
    if line is None:
        return rater, rater.unrated(cdr, None, None, _no_line(cdr)), 0, 0
    packaged = _attach_package(line, call)
    if not packaged and cdr.direction != "inbound":
        return rater, rater.unrated(cdr, line, None, NO_PACKAGE), 0, 0
    if call.deck_version is None:
        return rater, rater.unrated(cdr, line, None, NO_DECK), 0, 0
    package = ctx.packages.get(call.version_id) if call.version_id is not None else None
    deck = ctx.decks.get(call.deck_version)
    if (packaged and package is None) or deck is None:
        raise ColdCache(call.version_id if packaged else None, call.deck_version)
    row, sell, cost = _price_with(
        rater, cdr, line, digits, package or did_only_package(), deck, call
    )
    return rater, row, sell, cost


async def _postgres_guarded(
    ctx: ServicesContext,
    tx: PostgresTransaction,
    tenant: int,
    cdr: CdrInput,
    now: datetime,
    digits: str | None,
    events: list[Event],
) -> CdrResult | Literal[False]:
    """The unlocked read and the guarded write (two round trips, each its own implicit
    transaction); ``False``: something moved, nothing was written."""
    call = await resolve_call(
        tx.fetch, True, tenant, cdr.source, cdr.call_id, cdr.sub_account, digits or "",
        unlocked=True, by_did=by_did(cdr),
    )  # fmt: skip
    if call is None:
        raise NotFound("reseller", tenant)
    if call.reserved is not None:
        return False  # the locked path releases the reservation in its transaction
    rater, row, sell, cost = _priced(ctx, tenant, now, tx.when, cdr, call, digits)
    accounts, deltas = _postings(tenant, call, row, sell, cost)
    bundle_guard = None
    if rater.bundles:
        if call.attachment_id is None or call.stored_cycle is None or call.stored_used is None:
            return False  # pragma: no cover - a bundle comes from the attachment read
        stored_cycle = call.stored_cycle
        if isinstance(stored_cycle, str):  # pragma: no cover - asyncpg returns dates
            stored_cycle = date.fromisoformat(stored_cycle)
        bundle_guard = (call.attachment_id, stored_cycle, int(call.stored_used))
    bundles = _changed_bundles(rater)
    client_guard = None
    new_flags = None
    client_id = call.client_id
    if accounts is not None and sell and client_id is not None:
        if call.balance is None or call.balance_type is None:
            return False  # the client's account is missing: the locked path says so
        expected = int(call.balance) + deltas.get(call.ledger_accounts()[0], 0)
        known = (client_id, call.balance_type, call.own_threshold, call.suspended, call.alerted)
        reseller = (str(call.currency), int(call.default_threshold))
        changes = balance_rules(
            tenant, reseller, [known], {client_id: (int(call.balance), expected)}, now,
            events.append,
        )  # fmt: skip
        if _alerts(events):
            raise CrossesThreshold
        new_flags = (changes[0][0], changes[0][1]) if changes else None
        client_guard = (
            int(call.balance), str(call.balance_type), call.own_threshold,
            bool(call.suspended), bool(call.alerted),
        )  # fmt: skip
    written = await guarded_write_postgres(
        tx.fetch, tenant, row, Guard(bundle_guard, client_guard), bundles[0] if bundles else None,
        _client_account(accounts), deltas, new_flags, _description(cdr), now,
    )  # fmt: skip
    if not written.ok or written.cdr_id is None:
        return False
    row = row._replace(transaction_id=written.transaction_id)
    return row_view(written.cdr_id, row, str(call.currency))


async def _postgres_locked(
    ctx: ServicesContext,
    tx: PostgresTransaction,
    tenant: int,
    cdr: CdrInput,
    now: datetime,
    digits: str | None,
    events: list[Event],
) -> CdrResult:
    """``BEGIN``, the read locking the attachment, the write, the client's flags (read
    after the balance update, under its lock), ``COMMIT``."""
    call = await resolve_call(
        tx.begin_fetch, True, tenant, cdr.source, cdr.call_id, cdr.sub_account, digits or "",
        by_did=by_did(cdr),
    )  # fmt: skip
    if call is None:
        raise NotFound("reseller", tenant)
    rater, row, sell, cost = _priced(ctx, tenant, now, tx.when, cdr, call, digits)
    accounts, deltas = _postings(tenant, call, row, sell, cost)
    raw = PostgresRaw(tx.driver)
    cdr_id, tx_id, balance = await write_call_postgres(
        raw.fetch, tenant, row, _changed_bundles(rater), _client_account(accounts), deltas,
        _description(cdr), now,
    )  # fmt: skip
    client_id = call.client_id
    if accounts is not None and sell and client_id is not None and balance is not None:
        reseller = (str(call.currency), int(call.default_threshold))
        flags = await raw.client_flags([client_id])
        previous = balance - deltas.get(_client_account(accounts) or 0, 0)
        changes = balance_rules(
            tenant, reseller, flags, {client_id: (previous, balance)}, now, events.append
        )
        if _alerts(events):
            raise CrossesThreshold
        await raw.set_client_flags(changes)
    if call.reserved is not None:
        await raw.fetch(RELEASE_POSTGRES, tenant, cdr.call_id)
    await tx.commit()
    return row_view(cdr_id, row._replace(transaction_id=tx_id), str(call.currency))


async def _sqlite(
    ctx: ServicesContext,
    tx: SqliteTransaction,
    tenant: int,
    cdr: CdrInput,
    now: datetime,
    digits: str | None,
    events: list[Event],
) -> CdrResult:
    """``BEGIN IMMEDIATE`` and the read in one hop; every write and ``COMMIT`` in one."""
    call = await resolve_call(
        tx.begin_fetch, False, tenant, cdr.source, cdr.call_id, cdr.sub_account, digits or "",
        by_did=by_did(cdr),
    )  # fmt: skip
    if call is None:
        raise NotFound("reseller", tenant)
    if call.existing is not None:
        raise DuplicateCdr
    rater, row, sell, cost = _priced(ctx, tenant, now, tx.when, cdr, call, digits)
    accounts, deltas = _postings(tenant, call, row, sell, cost)
    bundles = _changed_bundles(rater)
    client_id = call.client_id
    changes: list[tuple[bool, bool, int]] = []
    expected = None
    if accounts is not None and client_id is not None:  # a call with money
        if call.balance is None:
            raise LookupError(f"the account of client {client_id} is missing")
        expected = int(call.balance) + deltas.get(accounts[0], 0)
        if sell:
            reseller = (str(call.currency), int(call.default_threshold))
            known = (client_id, call.balance_type, call.own_threshold, call.suspended, call.alerted)
            changes = balance_rules(
                tenant, reseller, [known], {client_id: (int(call.balance), expected)}, now,
                events.append,
            )  # fmt: skip
            if _alerts(events):
                raise CrossesThreshold
    work = SqliteCallWrite(
        tenant, client_id, _description(cdr), tx.when(now), row, deltas, call.client_account,
        expected, [(u, tx.date(c), a) for u, c, a in bundles], changes,
        None if call.reserved is None else cdr.call_id,
    )  # fmt: skip
    written = await tx.finish(work)
    row = row._replace(transaction_id=written.transaction_id)
    return row_view(written.cdr_id, row, str(call.currency))


def _line(call: ResolvedCall, cdr: CdrInput) -> Line | None:
    """The live sub account's line (or the DID's client's, for a CDR that names only the
    DID), without its attachment; ``None``: no such sub account (or DID)."""
    if (
        (call.sub_account_id is None and not by_did(cdr))
        or call.client_id is None
        or call.balance_type is None
        or call.billing_day is None
    ):
        return None
    return Line(
        call.sub_account_id, call.client_id, call.balance_type, call.billing_day, False,
        call.own_package,
    )  # fmt: skip


def _no_line(cdr: CdrInput) -> str:
    return UNKNOWN_DID if by_did(cdr) else UNKNOWN_SUB_ACCOUNT


def _attach_package(line: Line, call: ResolvedCall) -> bool:
    """Give the line the attachment the query found; ``False``: the line has no package
    (only inbound calls to its DIDs can then be rated)."""
    attachment, version = call.attachment_id, call.version_id
    cycle, used = call.stored_cycle, call.stored_used
    if attachment is None or version is None or cycle is None or used is None:
        return False
    _attach(line, attachment, version, cycle, used)
    return True


def _attach(
    line: Line, attachment_id: int, version_id: int, stored_cycle: date | str, stored_used: int
) -> None:
    """Give the line its attachment (SQLite returns the cycle start as text)."""
    line.attachment_id, line.version_id = attachment_id, version_id
    line.cycle_start = (
        date.fromisoformat(stored_cycle) if isinstance(stored_cycle, str) else stored_cycle
    )
    line.free_minutes_used = stored_used


def _changed_bundles(rater: CallRater) -> list[tuple[int, date, int]]:
    return [(b.used, b.cycle_start, b.attachment_id) for b in rater.bundles.values() if b.changed]


def _description(cdr: CdrInput) -> str:
    return f"call {cdr.source}/{cdr.call_id}"[:500]


def _alerts(events: list[Event]) -> bool:
    """A low-balance crossing: its e-mail must be queued in the call's transaction, which
    a unit of work does (a rare case, so the fast paths yield: :class:`CrossesThreshold`)."""
    return any(isinstance(e, LowBalance) for e in events)


def _client_account(accounts: Accounts | None) -> int | None:
    return None if accounts is None else accounts[0]


def _postings(
    tenant: int, call: ResolvedCall, row: CdrRow, sell: int, cost: int
) -> tuple[Accounts | None, dict[int, int]]:
    """The call's ledger accounts (None: no money moves) and its amounts by account."""
    money = bool(sell or cost) and row.status == "rated"
    accounts = call.ledger_accounts() if money else None
    return accounts, _call_deltas(tenant, row, accounts, sell, cost)


def _call_deltas(
    tenant: int, row: CdrRow, accounts: Accounts | None, sell: int, cost: int
) -> dict[int, int]:
    """Account id → amount of the call's ``call`` transaction; none without money."""
    if accounts is None or row.client_id is None:
        return {}
    client_account, revenue, reseller, operator = accounts
    draft = call_transaction(
        TenantAccounts(client_account, 0, revenue, reseller, operator),
        sell=sell,
        cost=cost,
        reseller_id=tenant,
        client_id=row.client_id,
    )
    return {p.account_id: int(p.amount) for p in draft.postings()}


def _price_with(
    rater: CallRater,
    cdr: CdrInput,
    line: Line,
    digits: str | None,
    package: CompiledPackage,
    deck: Deck,
    call: ResolvedCall,
) -> tuple[CdrRow, int, int]:
    bundle = None
    if line.attachment_id is not None:
        bundle = make_bundle(line, package, rater.now.date())
        rater.bundles[bundle.attachment_id] = bundle
    did_id = call.did_id
    direction = Direction.OUTBOUND
    price_of_did = None
    on_net: frozenset[str] = frozenset()
    if cdr.direction == "inbound":
        direction = Direction.INBOUND
        if digits is not None:
            if (
                did_id is None
                or call.did_client != line.client_id
                or call.did_price is None
                or call.did_cost is None
            ):
                return rater.unrated(cdr, line, None, UNKNOWN_DID), 0, 0
            price_of_did = DidPrice(int(call.did_price), int(call.did_cost))
    elif digits is not None and did_id is not None and package.on_net_free:
        on_net = frozenset((digits,))
    left = 0 if bundle is None else max(0, bundle.allowance - bundle.used)
    duration = charged_duration(cdr.duration, call.reserved)  # the row keeps the switch's
    priced_call = Call(cdr.number, duration, direction, left, on_net, price_of_did)
    try:
        r = price(priced_call, package, deck)
    except RatingError as exc:
        reason = f"{exc.reason.value}: {exc.message}"[:500]
        kept_did = did_id if price_of_did is not None else None
        return rater.unrated(cdr, line, kept_did, reason), 0, 0
    if r.free_minutes_used and bundle is not None:
        bundle.used += r.free_minutes_used
        bundle.changed = True
    row = rated_row(
        rater.tenant,
        cdr,
        line,
        did_id if price_of_did is not None else None,
        r,
        deck.version,
        rater.when,
        rater.now,
    )
    return row, r.sell, r.cost
