"""The use cases of the CDR road: rate one CDR, ingest many, find stored ones.

Both paths give the same ratings and balances. A CDR is identified by (reseller, source,
call id): sent again, even concurrently, it is stored and charged once, and the first
result is returned (``duplicate=True``). CDRs that cannot be rated (unknown sub account,
no package, unroutable, invalid number, unknown DID) are stored as ``unrated`` with the
reason and post nothing. A negative duration or a malformed field is bad input
(:mod:`api.services.cdrs.intake`), and nothing of the request is written.

This module holds the use cases and their retries; the paths live in
:mod:`api.services.cdrs.realtime` (one CDR per transaction) and
:mod:`api.services.cdrs.batch` (thousands of CDRs per transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.exc import DBAPIError, IntegrityError

from api.domain.actor import Actor
from api.domain.errors import InvalidInput, NotFound
from api.services.access import reseller_scope
from api.services.cdrs.balance_rules import reseller_terms
from api.services.cdrs.batch import ingest_batch
from api.services.cdrs.intake import in_namespace, validate, validate_all
from api.services.cdrs.realtime import CrossesThreshold, rate_call
from api.services.cdrs.results import result_view
from api.services.context import ServicesContext
from api.services.records import CdrInput, CdrResult, IngestSummary
from api.store.cdrs.writes import DuplicateCdr
from api.store.db_errors import as_sqlalchemy_error, driver_errors, is_deadlock

DEFAULT_BATCH = 20_000
RETRIES = 3


async def rate_cdr(
    ctx: ServicesContext, actor: Actor, cdr: CdrInput, *, reseller_id: int | None = None
) -> CdrResult:
    """Rate and store one CDR in its own transaction; the same CDR again returns the first.
    The call's reservation, if it holds one, is released in that transaction."""
    tenant = reseller_scope(actor, reseller_id)
    validate(cdr, "cdr")
    cdr = in_namespace(tenant, cdr)
    for attempt in range(RETRIES):
        try:
            try:
                return await rate_call(ctx, tenant, cdr)
            except CrossesThreshold:
                return await _rate_in_unit_of_work(ctx, tenant, cdr)
        except (DuplicateCdr, IntegrityError):  # stored before, or by a concurrent twin
            found = await _stored_twin(ctx, tenant, cdr)
            if found is not None:
                return found
            if attempt == RETRIES - 1:
                raise
        except DBAPIError as exc:
            if attempt == RETRIES - 1 or not is_deadlock(exc):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


async def _rate_in_unit_of_work(ctx: ServicesContext, tenant: int, cdr: CdrInput) -> CdrResult:
    """A call that takes its client across the low-balance threshold, rated as a batch of
    one in a unit of work, whose commit also queues the low-balance e-mail (the real-time
    writers write none; see :class:`~api.services.cdrs.realtime.CrossesThreshold`)."""
    try:
        async with ctx.unit_of_work() as uow:
            counts = await ingest_batch(ctx, uow, tenant, [cdr])
    except driver_errors() as exc:  # COPY and raw statements on PostgreSQL
        raise as_sqlalchemy_error(exc, "CDR") from exc
    duplicate = counts[2] > 0  # stored meanwhile by a concurrent twin
    found = await _stored_twin(ctx, tenant, cdr, duplicate=duplicate)
    if found is None:  # pragma: no cover - the batch stored it or found it stored
        raise LookupError(f"CDR {cdr.source}/{cdr.call_id} was not stored")
    return found


async def _stored_twin(
    ctx: ServicesContext, tenant: int, cdr: CdrInput, *, duplicate: bool = True
) -> CdrResult | None:
    """The stored CDR of the same (source, call id) in the tenant's currency, as a
    duplicate unless said otherwise."""
    async with ctx.read() as uow:
        found = await uow.cdrs.find(tenant, cdr.source, cdr.call_id)
        if found is None:
            return None
        currency, _ = await reseller_terms(uow, tenant)
        return result_view(found, duplicate=duplicate, currency=currency)


async def ingest_cdrs(
    ctx: ServicesContext,
    actor: Actor,
    cdrs: Sequence[CdrInput],
    *,
    reseller_id: int | None = None,
    batch_size: int = DEFAULT_BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Rate and store many CDRs, ``batch_size`` per transaction, with one aggregated balance
    update per account per batch (accounts locked in id order). Every CDR is validated
    before anything is written; duplicates (stored before, or repeated in the input) are
    counted and skipped. A batch that loses a race with a concurrent twin is retried.
    ``on_batch`` hears how many CDRs are committed after each batch: an error stops the
    ingest with those stored, and ingesting the same CDRs again skips them."""
    tenant = reseller_scope(actor, reseller_id)
    if batch_size < 1:
        raise InvalidInput("batch_size", "must be ≥ 1")
    validate_all(cdrs)
    totals = [0, 0, 0, 0, 0]  # rated, unrated, duplicates, sell, cost
    reasons: dict[str, int] = {}
    for start in range(0, len(cdrs), batch_size):
        batch = cdrs[start : start + batch_size]
        for attempt in range(RETRIES):
            try:
                batch_reasons: dict[str, int] = {}
                try:
                    async with ctx.unit_of_work() as uow:
                        counts = await ingest_batch(ctx, uow, tenant, batch, batch_reasons)
                except driver_errors() as exc:  # COPY and raw statements on PostgreSQL
                    raise as_sqlalchemy_error(exc, "CDR batch") from exc
                break
            except IntegrityError:
                if attempt == RETRIES - 1:
                    raise
            except DBAPIError as exc:
                if attempt == RETRIES - 1 or not is_deadlock(exc):
                    raise
        for i, value in enumerate(counts):
            totals[i] += value
        for reason, count in batch_reasons.items():
            reasons[reason] = reasons.get(reason, 0) + count
        if on_batch is not None:
            on_batch(start + len(batch))
    rated, unrated, duplicates, sell, cost = totals
    return IngestSummary(
        len(cdrs), rated, unrated, duplicates, sell, cost, tuple(sorted(reasons.items()))
    )


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


async def find_cdrs(
    ctx: ServicesContext,
    actor: Actor,
    keys: Sequence[tuple[str, str]],
    *,
    reseller_id: int | None = None,
) -> list[CdrResult | None]:
    """The tenant's stored CDR for each (source, call id) key, in order (``None`` where
    there is none): the ratings of a batch just submitted."""
    tenant = reseller_scope(actor, reseller_id)
    async with ctx.unit_of_work() as uow:
        found = await uow.cdrs.find_many(tenant, keys)
        return [None if (row := found.get(key)) is None else result_view(row) for key in keys]
