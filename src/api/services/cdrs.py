"""Rating CDRs: one at a time (real time) or in batches (thousands per transaction).

Both paths give the same ratings and balances. A CDR is identified by (reseller, source,
call id): sent again, even concurrently, it is stored and charged once, and the first
result is returned (``duplicate=True``). CDRs that cannot be rated (unknown sub account,
no package, unroutable, invalid number, unknown DID) are stored as ``unrated`` with the
reason and post nothing. A negative duration or a malformed field is bad input:
:class:`InvalidInput`, and nothing of the request is written.

Both paths write through the raw driver (:mod:`api.store.bulk`): the batch path inserts
CDR rows with one ``COPY`` (PostgreSQL) or one ``executemany`` (SQLite) and posts one
aggregated transaction per client, streaming CDR rows to the database while the next ones
are priced; the real-time path runs on a pooled driver connection outside the session
(:mod:`api.store.realtime`: two thread hops on SQLite, BEGIN + two statements + COMMIT
on PostgreSQL), reads everything it needs in one query and writes with as few statements
as the backend allows. It falls back to the session path when a cache is cold.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.balance_rules import flags_after
from api.domain.call_postings import call_transaction
from api.domain.errors import InvalidInput, NotFound
from api.domain.ledger import AccountKind, TenantAccounts, TransactionKind
from api.events import BalanceChanged, Event, LowBalance, SuspensionChanged
from api.services.access import reseller_scope
from api.services.call_lines import Line
from api.services.call_rating import (
    NO_DECK,
    NO_PACKAGE,
    UNKNOWN_DID,
    UNKNOWN_SUB_ACCOUNT,
    CallRater,
    make_bundle,
    rated_row,
    safe_digits,
)
from api.services.context import ServicesContext
from api.services.decks import deck_by_version
from api.services.packages import compiled_version
from api.services.views import CdrInput, CdrResult, IngestSummary
from api.store.bulk import (
    CDR_INSERT_COLUMNS,
    COL,
    TRANSACTION_ID,
    PostgresRaw,
    RawConnection,
    raw_connection,
)
from api.store.realtime import PostgresTransaction, realtime_transaction
from api.store.tables import Account, Cdr, Reseller
from api.store.unit_of_work import UnitOfWork
from ratelang.model import CompiledPackage, Deck, Direction
from ratelang.pricing import price
from ratelang.rating import Call, DidPrice, RatingError

DIRECTIONS = frozenset({"outbound", "inbound"})
DEFAULT_BATCH = 20_000
INSERT_CHUNK = 2_000  # CDR rows priced while the previous chunk is being written
MAX_DURATION = 7 * 24 * 3600
RETRIES = 3


async def rate_cdr(
    ctx: ServicesContext, actor: Actor, cdr: CdrInput, *, reseller_id: int | None = None
) -> CdrResult:
    """Rate and store one CDR in its own transaction; the same CDR again returns the first."""
    tenant = reseller_scope(actor, reseller_id)
    validate(cdr, "cdr")
    for attempt in range(RETRIES):
        try:
            fast = await _rate_fast(ctx, tenant, cdr)
            if fast is not None:
                return fast
            async with ctx.unit_of_work() as uow:  # cold caches, a duplicate, no reseller
                return await _rate_one(ctx, uow, tenant, cdr)
        except _Duplicate:
            async with ctx.unit_of_work() as uow:  # a concurrent twin was stored first
                found = await uow.cdrs.find(tenant, cdr.source, cdr.call_id)
                if found is None:
                    raise RuntimeError("CDR conflict without a stored twin") from None
                return result_view(found, duplicate=True)
        except IntegrityError:
            async with ctx.unit_of_work() as uow:
                found = await uow.cdrs.find(tenant, cdr.source, cdr.call_id)
            if found is not None:
                return result_view(found, duplicate=True)
            if attempt == RETRIES - 1:
                raise
        except DBAPIError as exc:
            if attempt == RETRIES - 1 or not _is_deadlock(exc):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


async def ingest_cdrs(
    ctx: ServicesContext,
    actor: Actor,
    cdrs: Sequence[CdrInput],
    *,
    reseller_id: int | None = None,
    batch_size: int = DEFAULT_BATCH,
) -> IngestSummary:
    """Rate and store many CDRs, ``batch_size`` per transaction, with one aggregated balance
    update per account per batch (accounts locked in id order). Every CDR is validated
    before anything is written; duplicates (stored before, or repeated in the input) are
    counted and skipped. A batch that loses a race with a concurrent twin is retried."""
    tenant = reseller_scope(actor, reseller_id)
    if batch_size < 1:
        raise InvalidInput("batch_size", "must be ≥ 1")
    validate_all(cdrs)
    totals = [0, 0, 0, 0, 0]  # rated, unrated, duplicates, sell, cost
    for start in range(0, len(cdrs), batch_size):
        batch = cdrs[start : start + batch_size]
        for attempt in range(RETRIES):
            try:
                async with ctx.unit_of_work() as uow:
                    counts = await _ingest_batch(ctx, uow, tenant, batch)
                break
            except IntegrityError:
                if attempt == RETRIES - 1:
                    raise
            except DBAPIError as exc:
                if attempt == RETRIES - 1 or not _is_deadlock(exc):
                    raise
        for i, value in enumerate(counts):
            totals[i] += value
    rated, unrated, duplicates, sell, cost = totals
    return IngestSummary(len(cdrs), rated, unrated, duplicates, sell, cost)


async def get_cdr(
    ctx: ServicesContext, actor: Actor, source: str, call_id: str, *, reseller_id: int | None = None
) -> CdrResult:
    """A stored CDR of the tenant by its source and call id."""
    tenant = reseller_scope(actor, reseller_id)
    async with ctx.unit_of_work() as uow:
        found = await uow.cdrs.find(tenant, source, call_id)
        if found is None:
            raise NotFound("CDR", f"{source}/{call_id}")
        return result_view(found)


def validate(cdr: CdrInput, field: str) -> None:
    """Bad input that no rating can store: raise :class:`InvalidInput`."""
    if isinstance(cdr.duration, bool) or not isinstance(cdr.duration, int):
        raise InvalidInput(f"{field}.duration", "must be a whole number of seconds")
    if cdr.duration < 0:
        raise InvalidInput(f"{field}.duration", f"must be ≥ 0 seconds, got {cdr.duration}")
    if cdr.duration > MAX_DURATION:
        raise InvalidInput(f"{field}.duration", f"longer than {MAX_DURATION} seconds")
    if cdr.direction not in DIRECTIONS:
        raise InvalidInput(f"{field}.direction", "must be outbound or inbound")
    if not cdr.source or len(cdr.source) > 100:
        raise InvalidInput(f"{field}.source", "must be 1..100 characters")
    if not cdr.call_id or len(cdr.call_id) > 200:
        raise InvalidInput(f"{field}.call_id", "must be 1..200 characters")
    if len(cdr.sub_account) > 100:
        raise InvalidInput(f"{field}.sub_account", "at most 100 characters")
    if len(cdr.number) > 64:
        raise InvalidInput(f"{field}.number", "at most 64 characters")
    if not isinstance(cdr.started_at, datetime) or cdr.started_at.tzinfo is None:
        raise InvalidInput(f"{field}.started_at", "must be a time with a UTC offset")


def validate_all(cdrs: Sequence[CdrInput]) -> None:
    """:func:`validate` every CDR; the common all-good case in one tight loop."""
    directions = DIRECTIONS
    checked: set[datetime] = set()  # aware datetimes seen (most CDRs share a few)
    for i, c in enumerate(cdrs):
        d = c.duration
        started = c.started_at
        if (
            type(d) is not int
            or not 0 <= d <= MAX_DURATION
            or c.direction not in directions
            or not 0 < len(c.source) <= 100
            or not 0 < len(c.call_id) <= 200
            or len(c.sub_account) > 100
            or len(c.number) > 64
        ):
            validate(c, f"cdrs[{i}]")
        if started not in checked:
            validate(c, f"cdrs[{i}]")
            if len(checked) > 10_000:
                checked.clear()
            checked.add(started)


class _Duplicate(Exception):
    """The CDR was stored by a concurrent twin: roll back and return the stored one."""


def _is_deadlock(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(
        getattr(exc.orig, "__cause__", None), "sqlstate", None
    )
    return code in {"40P01", "40001"}


# ---------------------------------------------------------------------------------------
# Batch path


async def _ingest_batch(
    ctx: ServicesContext, uow: UnitOfWork, tenant: int, batch: Sequence[CdrInput]
) -> tuple[int, int, int, int, int]:
    now = ctx.now()
    reseller = await _reseller(uow, tenant)  # also: CDR rows carry no foreign key to it
    raw = await raw_connection(uow.session)
    seen: set[tuple[str, str]] = set()
    unique: list[CdrInput] = []
    by_source: dict[str, list[str]] = {}
    for cdr in batch:
        key = (cdr.source, cdr.call_id)
        if key not in seen:
            seen.add(key)
            unique.append(cdr)
            by_source.setdefault(cdr.source, []).append(cdr.call_id)
    known: set[tuple[str, str]] = set()
    for source, call_ids in by_source.items():
        known.update((source, c) for c in await raw.known_call_ids(tenant, source, call_ids))
    fresh = [c for c in unique if (c.source, c.call_id) not in known] if known else unique
    duplicates = len(batch) - len(fresh)
    if not fresh:
        return 0, 0, duplicates, 0, 0
    rater = CallRater(ctx, uow, tenant, now, raw.when)
    await rater.prepare(fresh)
    # The ``calls`` transaction of every client that may be charged is inserted first, so
    # that CDR rows can be written while the next ones are priced (COPY streams them to
    # PostgreSQL; SQLite inserts a chunk in its thread while the next chunk is priced).
    # Transactions left without money are deleted before the commit.
    candidates = (
        sorted({ln.client_id for ln in rater.lines.values() if ln.attachment_id is not None})
        if rater.deck is not None
        else []
    )
    tx_ids = (
        await raw.insert_transactions(
            tenant, TransactionKind.CALLS.value, "calls (batch)", now, candidates
        )
        if candidates
        else {}
    )
    rate = rater.rate
    per_client: dict[int, list[int]] = {}
    totals = [0, 0, 0]  # rated, sell, cost

    def priced() -> Iterator[list[list[Any]]]:
        for begin in range(0, len(fresh), INSERT_CHUNK):
            chunk: list[list[Any]] = []
            rated = sell_sum = cost_sum = 0
            for cdr in fresh[begin : begin + INSERT_CHUNK]:
                row, client_id, sell, cost = rate(cdr)
                chunk.append(row)
                if row[10] == "rated":
                    rated += 1
                    if (sell or cost) and client_id is not None:
                        row[TRANSACTION_ID] = tx_ids[client_id]
                        sums = per_client.get(client_id)
                        if sums is None:
                            per_client[client_id] = [sell, cost]
                        else:
                            sums[0] += sell
                            sums[1] += cost
                        sell_sum += sell
                        cost_sum += cost
            totals[0] += rated
            totals[1] += sell_sum
            totals[2] += cost_sum
            yield chunk

    await raw.insert_cdr_chunks(priced())
    unused = [tx_ids[c] for c in candidates if c not in per_client]
    if unused:
        await raw.delete_transactions(unused)
    if per_client:
        await _post_calls(uow, raw, tenant, per_client, tx_ids, now, reseller)
    await raw.update_bundles(
        [(b.used, b.cycle_start, b.attachment_id) for b in rater.bundles.values() if b.changed]
    )
    rated, total_sell, total_cost = totals
    return rated, len(fresh) - rated, duplicates, total_sell, total_cost


async def _post_calls(
    uow: UnitOfWork,
    raw: RawConnection,
    tenant: int,
    per_client: dict[int, list[int]],
    tx_ids: dict[int, int],
    now: datetime,
    reseller: tuple[str, int],
) -> None:
    """The entries of each client's ``calls`` transaction (``tx_ids``, stored), balances
    moved once per account (ascending ids), the balance rules applied to each client
    charged."""
    clients = sorted(per_client)
    shared, client_accounts = await _account_ids(uow, tenant, clients)
    postings = {}
    totals: dict[int, int] = {}
    for client_id in clients:
        sell, cost = per_client[client_id]
        accounts = TenantAccounts(
            client=client_accounts[client_id],
            client_funding=shared[AccountKind.CLIENT_FUNDING],
            reseller_revenue=shared[AccountKind.RESELLER_REVENUE],
            reseller=shared[AccountKind.RESELLER],
            operator_revenue=shared[AccountKind.OPERATOR_REVENUE],
        )
        draft = call_transaction(
            accounts,
            sell=sell,
            cost=cost,
            reseller_id=tenant,
            client_id=client_id,
            kind=TransactionKind.CALLS,
        )
        postings[client_id] = draft.postings()
        for p in postings[client_id]:
            totals[p.account_id] = totals.get(p.account_id, 0) + p.amount
    balances = await raw.add_to_balances(totals)
    await raw.insert_entries(
        [
            (tx_ids[client_id], p.account_id, int(p.amount))
            for client_id in clients
            for p in postings[client_id]
        ]
    )
    charged = [c for c in clients if per_client[c][0]]
    if charged:
        await _apply_balance_rules(
            uow,
            raw,
            tenant,
            {c: balances[client_accounts[c]] for c in charged},
            now,
            reseller=reseller,
        )


async def _account_ids(
    uow: UnitOfWork, tenant: int, clients: Sequence[int]
) -> tuple[dict[AccountKind, int], dict[int, int]]:
    shared = await uow.accounts.reseller_account_ids(tenant)
    client_accounts: dict[int, int] = {}
    for start in range(0, len(clients), 5000):
        rows = await uow.session.execute(
            select(col(Account.client_id), col(Account.id)).where(
                col(Account.reseller_id) == tenant,
                col(Account.kind) == AccountKind.CLIENT.value,
                col(Account.client_id).in_(clients[start : start + 5000]),
            )
        )
        for client_id, account_id in rows:
            if client_id is not None and account_id is not None:
                client_accounts[client_id] = account_id
    return shared, client_accounts


async def _apply_balance_rules(
    uow: UnitOfWork,
    raw: RawConnection,
    tenant: int,
    balances: dict[int, int],
    at: datetime,
    *,
    known: tuple[Any, ...] | None = None,
    reseller: tuple[str, int] | None = None,
) -> None:
    """Suspension and low-balance flags of clients at their new balances, with the events
    (see :mod:`api.services.client_money`); read after the balance update (locks held)."""
    rows = [known] if known is not None else await raw.client_flags(sorted(balances))
    changes = _balance_rules(
        tenant, reseller or await _reseller(uow, tenant), rows, balances, at, uow.emit
    )
    await raw.set_client_flags(changes)


def _balance_rules(
    tenant: int,
    reseller: tuple[str, int],
    rows: Sequence[tuple[Any, ...]],
    balances: dict[int, int],
    at: datetime,
    emit: Callable[[Event], None],
) -> list[tuple[bool, bool, int]]:
    """The flag changes ((suspended, alerted, client id) rows) of clients (``rows`` of
    (id, balance type, own threshold, suspended, alerted)) at their new balances; the
    events go to ``emit``."""
    currency, default_threshold = reseller
    changes: list[tuple[bool, bool, int]] = []
    for client_id, balance_type, own_threshold, suspended, alerted in rows:
        balance = balances[client_id]
        threshold = own_threshold if own_threshold is not None else default_threshold
        flags = flags_after(
            balance_type,
            balance,
            threshold,
            suspended=bool(suspended),
            low_balance_alerted=bool(alerted),
        )
        if (flags.suspended, flags.low_balance_alerted) != (bool(suspended), bool(alerted)):
            changes.append((flags.suspended, flags.low_balance_alerted, client_id))
        emit(BalanceChanged(tenant, client_id, balance, currency, at))
        if flags.low_balance_alert:
            emit(LowBalance(tenant, client_id, balance, threshold, currency, at))
        if flags.suspension_changed:
            emit(SuspensionChanged(tenant, client_id, flags.suspended, at))
    return changes


async def _reseller(uow: UnitOfWork, tenant: int) -> tuple[str, int]:
    row = (
        await uow.session.execute(
            select(col(Reseller.currency), col(Reseller.low_balance_threshold)).where(
                col(Reseller.id) == tenant
            )
        )
    ).first()
    if row is None:
        raise NotFound("reseller", tenant)
    return str(row[0]), int(row[1])


# ---------------------------------------------------------------------------------------
# Real-time path: one query to read, as few statements as the backend allows to write


_RESOLVE_SQLITE = """
SELECT r.currency, r.low_balance_threshold,
  (SELECT version FROM deck_versions WHERE active = 1 LIMIT 1),
  (SELECT id FROM cdrs WHERE reseller_id = r.id AND source = ?2 AND call_id = ?3),
  sa.id, c.id, c.balance_type, c.billing_day, sa.package_id,
  cp.id, cp.cycle_start, cp.free_minutes_used, pv.id,
  d.id, d.client_id, d.per_minute_price, d.per_minute_cost,
  (SELECT id FROM accounts WHERE kind = 'client' AND reseller_id = r.id AND client_id = c.id),
  (SELECT id FROM accounts WHERE kind = 'reseller_revenue' AND reseller_id = r.id
     AND client_id IS NULL),
  (SELECT id FROM accounts WHERE kind = 'reseller' AND reseller_id = r.id
     AND client_id IS NULL),
  (SELECT id FROM accounts WHERE kind = 'operator_revenue' AND reseller_id = r.id
     AND client_id IS NULL),
  c.low_balance_threshold, c.suspended, c.low_balance_alerted,
  (SELECT balance FROM accounts WHERE kind = 'client' AND reseller_id = r.id
     AND client_id = c.id)
FROM resellers r
LEFT JOIN sub_accounts sa
  ON sa.reseller_id = r.id AND sa.username = ?4 AND sa.deleted_at IS NULL
LEFT JOIN clients c ON c.id = sa.client_id AND c.status = 'active'
LEFT JOIN client_packages cp ON cp.id = (
  SELECT max(x.id) FROM client_packages x
  JOIN packages p ON p.id = x.package_id
  JOIN package_versions v ON v.package_id = p.id AND v.version = p.latest_version
  WHERE x.client_id = c.id AND x.reseller_id = r.id AND x.detached_at IS NULL
    AND (sa.package_id IS NULL OR x.package_id = sa.package_id))
LEFT JOIN packages p ON p.id = cp.package_id
LEFT JOIN package_versions pv ON pv.package_id = p.id AND pv.version = p.latest_version
LEFT JOIN dids d ON d.number = ?5 AND d.client_id IS NOT NULL
WHERE r.id = ?1
"""

# PostgreSQL: the attachment is row-locked (free minutes are consumed atomically with the
# balance change); a lock cannot sit on the nullable side of an outer join, hence the CTEs.
_RESOLVE_POSTGRES = """
WITH line AS MATERIALIZED (
  SELECT sa.id AS sub_account_id, sa.package_id, c.id AS client_id, c.balance_type,
         c.billing_day
  FROM sub_accounts sa JOIN clients c ON c.id = sa.client_id AND c.status = 'active'
  WHERE sa.reseller_id = $1 AND sa.username = $4 AND sa.deleted_at IS NULL
), att AS MATERIALIZED (
  SELECT cp.id, cp.cycle_start, cp.free_minutes_used, v.id AS version_id
  FROM client_packages cp
  JOIN line ON cp.client_id = line.client_id
  JOIN packages p ON p.id = cp.package_id
  JOIN package_versions v ON v.package_id = p.id AND v.version = p.latest_version
  WHERE cp.reseller_id = $1 AND cp.detached_at IS NULL
    AND (line.package_id IS NULL OR cp.package_id = line.package_id)
  ORDER BY cp.id DESC LIMIT 1
  FOR UPDATE OF cp
)
SELECT r.currency, r.low_balance_threshold,
  (SELECT version FROM deck_versions WHERE active LIMIT 1),
  (SELECT id FROM cdrs WHERE reseller_id = r.id AND source = $2 AND call_id = $3),
  line.sub_account_id, line.client_id, line.balance_type, line.billing_day, line.package_id,
  att.id, att.cycle_start, att.free_minutes_used, att.version_id,
  d.id, d.client_id, d.per_minute_price, d.per_minute_cost,
  (SELECT id FROM accounts WHERE kind = 'client' AND reseller_id = r.id
     AND client_id = line.client_id),
  (SELECT id FROM accounts WHERE kind = 'reseller_revenue' AND reseller_id = r.id
     AND client_id IS NULL),
  (SELECT id FROM accounts WHERE kind = 'reseller' AND reseller_id = r.id
     AND client_id IS NULL),
  (SELECT id FROM accounts WHERE kind = 'operator_revenue' AND reseller_id = r.id
     AND client_id IS NULL),
  NULL, NULL, NULL, NULL
FROM resellers r
LEFT JOIN line ON true
LEFT JOIN att ON true
LEFT JOIN dids d ON d.number = $5 AND d.client_id IS NOT NULL
WHERE r.id = $1
"""


async def _rate_one(ctx: ServicesContext, uow: UnitOfWork, tenant: int, cdr: CdrInput) -> CdrResult:
    now = ctx.now()
    raw = await raw_connection(uow.session)
    postgres = raw.backend == "postgresql"
    digits = safe_digits(cdr.number)
    rows = await raw.fetch(
        _RESOLVE_POSTGRES if postgres else _RESOLVE_SQLITE,
        tenant,
        cdr.source,
        cdr.call_id,
        cdr.sub_account,
        digits or "",
    )
    if not rows:
        raise NotFound("reseller", tenant)
    (
        currency, default_threshold, deck_version, existing,
        sub_account_id, client_id, balance_type, billing_day, own_package,
        attachment_id, stored_cycle, stored_used, version_id,
        did_id, did_client, did_price, did_cost,
        client_account, revenue_account, reseller_account, operator_account,
        own_threshold, suspended, alerted, _balance,
    ) = rows[0]  # fmt: skip
    reseller = (str(currency), int(default_threshold))
    if existing is not None:
        found = await uow.session.get(Cdr, existing)
        assert found is not None
        return result_view(found, duplicate=True)
    rater = CallRater(ctx, uow, tenant, now, raw.when)
    row: list[Any]
    sell = cost = 0
    line: Line | None = None
    if sub_account_id is None or client_id is None:
        row = rater.unrated(cdr, None, None, UNKNOWN_SUB_ACCOUNT)
    else:
        line = Line(sub_account_id, client_id, balance_type, billing_day, False, own_package)
        if attachment_id is None or version_id is None:
            row = rater.unrated(cdr, line, None, NO_PACKAGE)
        elif deck_version is None:
            row = rater.unrated(cdr, line, None, NO_DECK)
        else:
            line.attachment_id, line.version_id = attachment_id, version_id
            line.cycle_start = (
                date.fromisoformat(stored_cycle) if isinstance(stored_cycle, str) else stored_cycle
            )
            line.free_minutes_used = stored_used
            did = (did_id, did_client, did_price, did_cost)
            row, sell, cost = await _price_one(
                ctx, uow, rater, cdr, line, digits, deck_version, did
            )
    money = bool(sell or cost) and row[10] == "rated"
    accounts = (client_account, revenue_account, reseller_account, operator_account)
    cdr_id, balance = await _write_one(
        raw, tenant, cdr, row, rater, accounts if money else None, sell, cost, now
    )
    if money and sell and client_id is not None and balance is not None:
        known = None if postgres else (client_id, balance_type, own_threshold, suspended, alerted)
        await _apply_balance_rules(
            uow, raw, tenant, {client_id: balance}, now, known=known, reseller=reseller
        )
    return _row_view(cdr_id, row)


async def _rate_fast(ctx: ServicesContext, tenant: int, cdr: CdrInput) -> CdrResult | None:
    """The real-time path on a pooled driver connection, without a session: ``None`` when
    it cannot finish alone (package or deck not cached yet, a stored duplicate, no such
    reseller); the caller then takes :func:`_rate_one`. Same reads, ratings and writes."""
    engine = ctx.sessionmaker.kw.get("bind")
    if not isinstance(engine, AsyncEngine):  # pragma: no cover - sessionmaker without engine
        return None
    now = ctx.now()
    digits = safe_digits(cdr.number)
    try:
        async with realtime_transaction(engine) as tx:
            postgres = isinstance(tx, PostgresTransaction)
            rows = await tx.begin_fetch(
                _RESOLVE_POSTGRES if postgres else _RESOLVE_SQLITE,
                tenant,
                cdr.source,
                cdr.call_id,
                cdr.sub_account,
                digits or "",
            )
            if not rows or rows[0][3] is not None:
                return None
            (
                currency, default_threshold, deck_version, _existing,
                sub_account_id, client_id, balance_type, billing_day, own_package,
                attachment_id, stored_cycle, stored_used, version_id,
                did_id, did_client, did_price, did_cost,
                client_account, revenue_account, reseller_account, operator_account,
                own_threshold, suspended, alerted, old_balance,
            ) = rows[0]  # fmt: skip
            rater = CallRater(ctx, None, tenant, now, tx.when)
            row: list[Any]
            sell = cost = 0
            if sub_account_id is None or client_id is None:
                row = rater.unrated(cdr, None, None, UNKNOWN_SUB_ACCOUNT)
            else:
                line = Line(
                    sub_account_id, client_id, balance_type, billing_day, False, own_package
                )
                if attachment_id is None or version_id is None:
                    row = rater.unrated(cdr, line, None, NO_PACKAGE)
                elif deck_version is None:
                    row = rater.unrated(cdr, line, None, NO_DECK)
                else:
                    package = ctx.packages.get(version_id)
                    deck = ctx.decks.get(deck_version)
                    if package is None or deck is None:
                        return None
                    line.attachment_id, line.version_id = attachment_id, version_id
                    line.cycle_start = (
                        date.fromisoformat(stored_cycle)
                        if isinstance(stored_cycle, str)
                        else stored_cycle
                    )
                    line.free_minutes_used = stored_used
                    did = (did_id, did_client, did_price, did_cost)
                    row, sell, cost = _price_with(rater, cdr, line, digits, package, deck, did)
            money = bool(sell or cost) and row[10] == "rated"
            accounts = (client_account, revenue_account, reseller_account, operator_account)
            bundles = [
                (b.used, b.cycle_start, b.attachment_id)
                for b in rater.bundles.values()
                if b.changed
            ]
            deltas = _call_deltas(tenant, row, accounts, sell, cost) if money else {}
            description = f"call {cdr.source}/{cdr.call_id}"[:500]
            events: list[Event] = []
            reseller = (str(currency), int(default_threshold))
            if isinstance(tx, PostgresTransaction):
                raw = PostgresRaw(tx.driver)
                cdr_id, balance = await _write_one_postgres(
                    raw, tenant, row, bundles, accounts if money else None, deltas, description, now
                )
                if money and sell and client_id is not None and balance is not None:
                    flags = await raw.client_flags([client_id])
                    changes = _balance_rules(
                        tenant, reseller, flags, {client_id: balance}, now, events.append
                    )
                    await raw.set_client_flags(changes)
                await tx.commit()
            else:
                changes = []
                expected = None
                if money and client_id is not None:
                    expected = int(old_balance) + deltas.get(client_account, 0)
                    if sell:
                        known = (client_id, balance_type, own_threshold, suspended, alerted)
                        changes = _balance_rules(
                            tenant, reseller, [known], {client_id: expected}, now, events.append
                        )
                work = _SqliteCallWrite(
                    tenant, client_id, description, tx.when(now), row, deltas, client_account,
                    expected, [(u, tx.date(c), a) for u, c, a in bundles], changes,
                )  # fmt: skip
                cdr_id = await tx.finish(work)
    except (sqlite3.Error, _asyncpg_error()) as exc:
        raise _translated(exc) from exc
    ctx.bus.publish_all(events)
    return _row_view(cdr_id, row)


def _call_deltas(
    tenant: int, row: Sequence[Any], accounts: tuple[int, int, int, int], sell: int, cost: int
) -> dict[int, int]:
    client_account, revenue, reseller, operator = accounts
    draft = call_transaction(
        TenantAccounts(client_account, 0, revenue, reseller, operator),
        sell=sell,
        cost=cost,
        reseller_id=tenant,
        client_id=row[COL["client_id"]],
    )
    return {p.account_id: int(p.amount) for p in draft.postings()}


class _SqliteCallWrite:
    """Every write of one real-time CDR, run in the SQLite thread (write lock held since
    the read): transaction, entries, balances (ascending ids), CDR, bundle, client flags."""

    __slots__ = (
        "bundles", "changes", "client_account", "client_id", "deltas", "description",
        "expected", "row", "tenant", "when",
    )  # fmt: skip

    def __init__(
        self,
        tenant: int,
        client_id: int | None,
        description: str,
        when: Any,
        row: list[Any],
        deltas: dict[int, int],
        client_account: int | None,
        expected: int | None,
        bundles: list[tuple[int, Any, int]],
        changes: list[tuple[bool, bool, int]],
    ) -> None:
        self.tenant, self.client_id, self.description, self.when = (
            tenant, client_id, description, when,
        )  # fmt: skip
        self.row, self.deltas, self.client_account, self.expected = (
            row, deltas, client_account, expected,
        )  # fmt: skip
        self.bundles, self.changes = bundles, changes

    def __call__(self, conn: sqlite3.Connection) -> int:
        row = self.row
        if self.deltas:
            tx_id = conn.execute(
                "INSERT INTO ledger_transactions "
                "(reseller_id, client_id, kind, method, description, key, created_at) "
                "VALUES (?, ?, 'call', '', ?, NULL, ?) RETURNING id",
                (self.tenant, self.client_id, self.description, self.when),
            ).fetchone()[0]
            row[TRANSACTION_ID] = tx_id
            ids = sorted(self.deltas)
            conn.executemany(
                "INSERT INTO ledger_entries (transaction_id, account_id, amount) VALUES (?, ?, ?)",
                [(tx_id, a, self.deltas[a]) for a in ids],
            )
            for account_id in ids:
                found = conn.execute(
                    "UPDATE accounts SET balance = balance + ? WHERE id = ? RETURNING balance",
                    (self.deltas[account_id], account_id),
                ).fetchone()
                if found is None:
                    raise LookupError(f"account {account_id} does not exist")
                if account_id == self.client_account and int(found[0]) != self.expected:
                    raise RuntimeError("client balance moved under the write lock")
        stored = conn.execute(_INSERT_CDR_SQLITE, row).fetchone()
        if stored is None:
            raise _Duplicate
        if self.bundles:
            conn.executemany(
                "UPDATE client_packages SET free_minutes_used = ?, cycle_start = ? WHERE id = ?",
                self.bundles,
            )
        if self.changes:
            conn.executemany(
                "UPDATE clients SET suspended = ?, low_balance_alerted = ? WHERE id = ?",
                self.changes,
            )
        return int(stored[0])


def _asyncpg_error() -> type[Exception]:
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - SQLite-only installs
        return sqlite3.Error
    error: type[Exception] = asyncpg.PostgresError
    return error


def _translated(exc: Exception) -> Exception:
    """A driver error as SQLAlchemy would raise it (the retry loop knows those)."""
    if isinstance(exc, sqlite3.IntegrityError) or getattr(exc, "sqlstate", None) == "23505":
        return IntegrityError("real-time CDR", None, exc)
    return DBAPIError("real-time CDR", None, exc)


async def _price_one(
    ctx: ServicesContext,
    uow: UnitOfWork,
    rater: CallRater,
    cdr: CdrInput,
    line: Line,
    digits: str | None,
    deck_version: str,
    did: tuple[Any, Any, Any, Any],
) -> tuple[list[Any], int, int]:
    assert line.version_id is not None
    package = ctx.packages.get(line.version_id) or await compiled_version(ctx, uow, line.version_id)
    deck = ctx.decks.get(deck_version) or await deck_by_version(ctx, uow, deck_version)
    if deck is None:
        return rater.unrated(cdr, line, None, NO_DECK), 0, 0
    return _price_with(rater, cdr, line, digits, package, deck, did)


def _price_with(
    rater: CallRater,
    cdr: CdrInput,
    line: Line,
    digits: str | None,
    package: CompiledPackage,
    deck: Deck,
    did: tuple[Any, Any, Any, Any],
) -> tuple[list[Any], int, int]:
    bundle = make_bundle(line, package, rater.now.date())
    rater.bundles[bundle.attachment_id] = bundle
    did_id, did_client, did_price, did_cost = did
    direction = Direction.OUTBOUND
    price_of_did = None
    on_net: frozenset[str] = frozenset()
    if cdr.direction == "inbound":
        direction = Direction.INBOUND
        if digits is not None:
            if did_id is None or did_client != line.client_id:
                return rater.unrated(cdr, line, None, UNKNOWN_DID), 0, 0
            price_of_did = DidPrice(int(did_price), int(did_cost))
    elif digits is not None and did_id is not None and package.on_net_free:
        on_net = frozenset((digits,))
    left = max(0, bundle.allowance - bundle.used)
    call = Call(cdr.number, cdr.duration, direction, left, on_net, price_of_did)
    try:
        r = price(call, package, deck)
    except RatingError as exc:
        reason = f"{exc.reason.value}: {exc.message}"[:500]
        kept_did = did_id if price_of_did is not None else None
        return rater.unrated(cdr, line, kept_did, reason), 0, 0
    if r.free_minutes_used:
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


async def _write_one(
    raw: RawConnection,
    tenant: int,
    cdr: CdrInput,
    row: list[Any],
    rater: CallRater,
    accounts: tuple[int, int, int, int] | None,
    sell: int,
    cost: int,
    now: datetime,
) -> tuple[int, int | None]:
    """Store the CDR row and, for a call with money, its ``call`` transaction and the
    balances; (CDR id, the client's new balance). A stored twin raises :class:`_Duplicate`."""
    bundles = [
        (b.used, b.cycle_start, b.attachment_id) for b in rater.bundles.values() if b.changed
    ]
    client_id = row[COL["client_id"]]
    deltas: dict[int, int] = {}
    if accounts is not None:
        client_account, revenue, reseller, operator = accounts
        draft = call_transaction(
            TenantAccounts(client_account, 0, revenue, reseller, operator),
            sell=sell,
            cost=cost,
            reseller_id=tenant,
            client_id=client_id,
        )
        deltas = {p.account_id: int(p.amount) for p in draft.postings()}
    description = f"call {cdr.source}/{cdr.call_id}"[:500]
    if raw.backend == "postgresql":
        return await _write_one_postgres(
            raw, tenant, row, bundles, accounts, deltas, description, now
        )
    balance = None
    if accounts is not None:
        created = await raw.fetch(
            "INSERT INTO ledger_transactions "
            "(reseller_id, client_id, kind, method, description, key, created_at) "
            "VALUES (?, ?, 'call', '', ?, NULL, ?) RETURNING id",
            tenant,
            client_id,
            description,
            raw.when(now),
        )
        tx_id = int(created[0][0])
        row[TRANSACTION_ID] = tx_id
        await raw.insert_entries([(tx_id, a, v) for a, v in sorted(deltas.items())])
        balance = (await raw.add_to_balances(deltas)).get(accounts[0])
    stored = await raw.fetch(_INSERT_CDR_SQLITE, *row)
    if not stored:
        raise _Duplicate
    await raw.update_bundles(bundles)
    return int(stored[0][0]), balance


async def _write_one_postgres(
    raw: RawConnection,
    tenant: int,
    row: list[Any],
    bundles: list[tuple[int, date, int]],
    accounts: tuple[int, int, int, int] | None,
    deltas: dict[int, int],
    description: str,
    now: datetime,
) -> tuple[int, int | None]:
    """One statement: transaction, entries, balances (locked in id order), CDR, bundle."""
    bundle = bundles[0] if bundles else None
    sql = _postgres_write_sql(accounts is not None, bundle is not None)
    args: list[Any] = []
    if accounts is not None:
        ids = sorted(deltas)
        args += (tenant, row[COL["client_id"]], description, now, ids, [deltas[a] for a in ids])
        args.append(accounts[0])
    args += (v for i, v in enumerate(row) if i != TRANSACTION_ID)
    if bundle is not None:
        args += bundle
    result = await raw.fetch(sql, *args)
    cdr_id, tx_id, balance = result[0]
    if cdr_id is None:
        raise _Duplicate
    row[TRANSACTION_ID] = tx_id
    return int(cdr_id), None if balance is None else int(balance)


_CDR_VALUE_COLUMNS = [c for c in CDR_INSERT_COLUMNS if c != "transaction_id"]
_INSERT_CDR_SQLITE = (
    f"INSERT INTO cdrs ({', '.join(CDR_INSERT_COLUMNS)}) "  # noqa: S608 (placeholders and column constants only)
    f"VALUES ({', '.join('?' * len(CDR_INSERT_COLUMNS))}) "
    "ON CONFLICT DO NOTHING RETURNING id"
)
_WRITE_SQL: dict[tuple[bool, bool], str] = {}


def _postgres_write_sql(money: bool, bundle: bool) -> str:
    key = (money, bundle)
    sql = _WRITE_SQL.get(key)
    if sql is not None:
        return sql
    n = 7 if money else 0
    values = []
    for name in CDR_INSERT_COLUMNS:
        if name == "transaction_id":
            values.append("(SELECT id FROM tx)" if money else "NULL")
        else:
            n += 1
            values.append(f"${n}")
    parts = []
    if money:
        parts += [
            "tx AS (INSERT INTO ledger_transactions "
            "(reseller_id, client_id, kind, method, description, key, created_at) "
            "VALUES ($1, $2, 'call', '', $3, NULL, $4) RETURNING id)",
            "d AS (SELECT * FROM unnest($5::bigint[], $6::bigint[]) AS d(id, delta))",
            "locked AS (SELECT id FROM accounts WHERE id = ANY($5::bigint[]) "
            "ORDER BY id FOR UPDATE)",
            "bal AS (UPDATE accounts a SET balance = a.balance + d.delta "
            "FROM locked JOIN d ON d.id = locked.id WHERE a.id = locked.id "
            "RETURNING a.id, a.balance)",
            "ent AS (INSERT INTO ledger_entries (transaction_id, account_id, amount) "
            "SELECT tx.id, d.id, d.delta FROM tx, d)",
        ]
    parts.append(
        f"cdr AS (INSERT INTO cdrs ({', '.join(CDR_INSERT_COLUMNS)}) "  # noqa: S608 (placeholders and column constants only)
        f"VALUES ({', '.join(values)}) ON CONFLICT DO NOTHING RETURNING id)"
    )
    if bundle:
        parts.append(
            f"bun AS (UPDATE client_packages SET free_minutes_used = ${n + 1}, "  # noqa: S608 (placeholders and column constants only)
            f"cycle_start = ${n + 2} WHERE id = ${n + 3})"
        )
    tail = (
        "SELECT (SELECT id FROM cdr), (SELECT id FROM tx), (SELECT balance FROM bal WHERE id = $7)"
        if money
        else "SELECT (SELECT id FROM cdr), NULL::bigint, NULL::bigint"
    )
    sql = _WRITE_SQL[key] = "WITH " + ",\n".join(parts) + "\n" + tail
    return sql


def _row_view(cdr_id: int, row: Sequence[Any]) -> CdrResult:
    return CdrResult(
        cdr_id,
        row[COL["source"]],
        row[COL["call_id"]],
        row[COL["status"]],
        row[COL["failure_reason"]],
        row[COL["client_id"]],
        row[COL["sub_account_id"]],
        row[COL["direction"]],
        row[COL["number"]],
        row[COL["duration"]],
        row[COL["billed_seconds"]],
        row[COL["charged_seconds"]],
        row[COL["sell_rate"]],
        row[COL["sell"]],
        row[COL["cost_rate"]],
        row[COL["cost"]],
        row[COL["profit"]],
        row[COL["rule_kind"]],
        row[COL["rule_text"]],
        row[COL["rule_line"]],
        row[COL["deck_prefix"]],
        row[COL["country"]],
        row[COL["route"]],
        row[COL["free_minutes_used"]],
        bool(row[COL["on_net"]]),
        row[COL["package_version_id"]],
        row[COL["deck_version"]],
        row[COL["transaction_id"]],
    )


def result_view(c: Cdr, *, duplicate: bool = False) -> CdrResult:
    if c.id is None:
        raise ValueError("the CDR is not stored")
    return CdrResult(
        c.id,
        c.source,
        c.call_id,
        c.status,
        c.failure_reason,
        c.client_id,
        c.sub_account_id,
        c.direction,
        c.number,
        c.duration,
        c.billed_seconds,
        c.charged_seconds,
        c.sell_rate,
        c.sell,
        c.cost_rate,
        c.cost,
        c.profit,
        c.rule_kind,
        c.rule_text,
        c.rule_line,
        c.deck_prefix,
        c.country,
        c.route,
        c.free_minutes_used,
        c.on_net,
        c.package_version_id,
        c.deck_version,
        c.transaction_id,
        duplicate,
    )
