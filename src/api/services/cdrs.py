"""Rating CDRs: one at a time (real time) or in batches (thousands per transaction).

Both paths give the same ratings and balances. A CDR is identified by (reseller, source,
call id): sent again, even concurrently, it is stored and charged once, and the first
result is returned (``duplicate=True``). CDRs that cannot be rated (unknown sub account,
no package, unroutable, invalid number, unknown DID) are stored as ``unrated`` with the
reason and post nothing. A negative duration or a malformed field is bad input:
:class:`InvalidInput`, and nothing of the request is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from api.domain.actor import Actor
from api.domain.call_postings import call_transaction
from api.domain.errors import InvalidInput, NotFound
from api.domain.ledger import AccountKind, TenantAccounts, TransactionKind
from api.services.access import reseller_scope
from api.services.call_rating import CallRater
from api.services.client_money import after_balance_change
from api.services.context import ServicesContext
from api.services.views import CdrInput, CdrResult, IngestSummary
from api.store.ledger import post_many
from api.store.tables import Cdr, ClientPackage, Reseller
from api.store.unit_of_work import UnitOfWork

DIRECTIONS = frozenset({"outbound", "inbound"})
DEFAULT_BATCH = 5000
MAX_DURATION = 7 * 24 * 3600


async def rate_cdr(
    ctx: ServicesContext, actor: Actor, cdr: CdrInput, *, reseller_id: int | None = None
) -> CdrResult:
    """Rate and store one CDR in its own transaction; the same CDR again returns the first."""
    tenant = reseller_scope(actor, reseller_id)
    validate(cdr, "cdr")
    async with ctx.unit_of_work() as uow:
        found = await uow.cdrs.find(tenant, cdr.source, cdr.call_id)
        if found is not None:
            return result_view(found, duplicate=True)
    try:
        async with ctx.unit_of_work() as uow:
            return await _rate_one(ctx, uow, tenant, cdr)
    except IntegrityError:
        async with ctx.unit_of_work() as uow:  # a concurrent twin was stored first
            found = await uow.cdrs.find(tenant, cdr.source, cdr.call_id)
            if found is None:
                raise
            return result_view(found, duplicate=True)


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
    for i, cdr in enumerate(cdrs):
        validate(cdr, f"cdrs[{i}]")
    totals = [0, 0, 0, 0, 0]  # rated, unrated, duplicates, sell, cost
    for start in range(0, len(cdrs), batch_size):
        batch = cdrs[start : start + batch_size]
        for attempt in range(3):
            try:
                async with ctx.unit_of_work() as uow:
                    counts = await _ingest_batch(ctx, uow, tenant, batch)
                break
            except IntegrityError:
                if attempt == 2:
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


async def _rate_one(ctx: ServicesContext, uow: UnitOfWork, tenant: int, cdr: CdrInput) -> CdrResult:
    now = ctx.now()
    rater = CallRater(ctx, uow, tenant, now)
    await rater.prepare([cdr])
    rated = rater.rate(cdr)
    reseller = await uow.session.get(Reseller, tenant)
    if reseller is None:
        raise NotFound("reseller", tenant)
    balance: int | None = None
    if rated.client_id is not None and (rated.sell or rated.cost):
        accounts = await uow.accounts.tenant_accounts(tenant, rated.client_id)
        draft = call_transaction(
            accounts,
            sell=rated.sell,
            cost=rated.cost,
            reseller_id=tenant,
            client_id=rated.client_id,
            description=f"call {cdr.source}/{cdr.call_id}"[:500],
        )
        posted = await uow.ledger.post(draft, now)
        rated.row["transaction_id"] = posted.transaction_id
        balance = posted.balances.get(accounts.client)
    row = await uow.cdrs.add(Cdr(**rated.row))
    await _save_bundles(uow, rater)
    if balance is not None and rated.client_id is not None:
        await after_balance_change(
            uow,
            tenant,
            rated.client_id,
            balance,
            currency=reseller.currency,
            default_threshold=reseller.low_balance_threshold,
            at=now,
        )
    return result_view(row)


async def _ingest_batch(
    ctx: ServicesContext, uow: UnitOfWork, tenant: int, batch: Sequence[CdrInput]
) -> tuple[int, int, int, int, int]:
    now = ctx.now()
    reseller = await uow.session.get(Reseller, tenant)
    if reseller is None:
        raise NotFound("reseller", tenant)
    stored = await uow.cdrs.find_many(tenant, ((c.source, c.call_id) for c in batch))
    seen: set[tuple[str, str]] = set(stored)
    fresh: list[CdrInput] = []
    for cdr in batch:
        key = (cdr.source, cdr.call_id)
        if key not in seen:
            seen.add(key)
            fresh.append(cdr)
    duplicates = len(batch) - len(fresh)
    rater = CallRater(ctx, uow, tenant, now)
    await rater.prepare(fresh)
    calls = [rater.rate(cdr) for cdr in fresh]
    per_client: dict[int, list[int]] = {}
    for call in calls:
        if call.client_id is not None and (call.sell or call.cost):
            sums = per_client.setdefault(call.client_id, [0, 0])
            sums[0] += call.sell
            sums[1] += call.cost
    tx_ids = await _post_calls(uow, tenant, per_client, now)
    rows: list[dict[str, Any]] = []
    for call in calls:
        if call.client_id in tx_ids and (call.sell or call.cost):
            call.row["transaction_id"] = tx_ids[call.client_id][0]
        rows.append(call.row)
    await uow.cdrs.add_many(rows)
    await _save_bundles(uow, rater)
    for client_id in sorted(tx_ids):
        _, balance = tx_ids[client_id]
        if per_client[client_id][0]:
            await after_balance_change(
                uow,
                tenant,
                client_id,
                balance,
                currency=reseller.currency,
                default_threshold=reseller.low_balance_threshold,
                at=now,
            )
    rated = sum(1 for c in calls if c.row["status"] == "rated")
    sell = sum(c.sell for c in calls)
    cost = sum(c.cost for c in calls)
    return rated, len(calls) - rated, duplicates, sell, cost


async def _post_calls(
    uow: UnitOfWork, tenant: int, per_client: dict[int, list[int]], now: datetime
) -> dict[int, tuple[int, int]]:
    """One ``calls`` transaction per client; client id → (transaction id, new balance)."""
    if not per_client:
        return {}
    shared = await uow.accounts.reseller_account_ids(tenant)
    client_accounts = await uow.accounts.client_account_ids(tenant)
    clients = sorted(per_client)
    drafts = []
    for client_id in clients:
        sell, cost = per_client[client_id]
        accounts = TenantAccounts(
            client=client_accounts[client_id],
            client_funding=shared[AccountKind.CLIENT_FUNDING],
            reseller_revenue=shared[AccountKind.RESELLER_REVENUE],
            reseller=shared[AccountKind.RESELLER],
            operator_revenue=shared[AccountKind.OPERATOR_REVENUE],
        )
        drafts.append(
            call_transaction(
                accounts,
                sell=sell,
                cost=cost,
                reseller_id=tenant,
                client_id=client_id,
                kind=TransactionKind.CALLS,
                description="calls (batch)",
            )
        )
    ids, balances = await post_many(uow.session, drafts, now)
    return {
        c: (tx_id, balances.get(client_accounts[c], 0))
        for c, tx_id in zip(clients, ids, strict=True)
    }


async def _save_bundles(uow: UnitOfWork, rater: CallRater) -> None:
    changed = [b for b in rater.bundles.values() if b.changed]
    for bundle in changed:
        await uow.session.execute(
            update(ClientPackage)
            .where(ClientPackage.id == bundle.attachment_id)  # type: ignore[arg-type]
            .values(free_minutes_used=bundle.used, cycle_start=bundle.cycle_start)
            .execution_options(synchronize_session=False)
        )


def result_view(c: Cdr, *, duplicate: bool = False) -> CdrResult:
    assert c.id is not None
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
