"""Rating CDRs: one at a time (real time) or in batches (thousands per transaction).

Both paths give the same ratings and balances. A CDR is identified by (reseller, source,
call id): sent again, even concurrently, it is stored and charged once, and the first
result is returned (``duplicate=True``). CDRs that cannot be rated (unknown sub account,
no package, unroutable, invalid number, unknown DID) are stored as ``unrated`` with the
reason and post nothing. A negative duration or a malformed field is bad input:
:class:`InvalidInput`, and nothing of the request is written.

This module holds the use cases, their validation and their retries; the paths live in
:mod:`api.services.cdr_batch` (thousands of CDRs per transaction, CDR rows streamed to
the database while the next ones are priced) and :mod:`api.services.cdr_realtime` (one
CDR per transaction on a pooled driver connection, falling back to the session when a
cache is cold); their SQL lives in :mod:`api.store`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.exc import DBAPIError, IntegrityError

from api.domain.actor import Actor
from api.domain.errors import InvalidInput, NotFound, raise_all
from api.domain.limits import moment_problem
from api.domain.tenants import tenant_username
from api.domain.text import text_problem
from api.services.access import reseller_scope
from api.services.cdr_batch import ingest_batch
from api.services.cdr_realtime import rate_fast, rate_one
from api.services.cdr_views import result_view
from api.services.context import ServicesContext
from api.services.views import CdrInput, CdrResult, IngestSummary
from api.store.cdr_writes import DuplicateCdr
from api.store.db_errors import as_sqlalchemy_error, driver_errors, is_deadlock

__all__ = [
    "DEFAULT_BATCH",
    "DIRECTIONS",
    "MAX_DURATION",
    "RETRIES",
    "batch_problems",
    "cdr_problems",
    "get_cdr",
    "in_namespace",
    "ingest_cdrs",
    "rate_cdr",
    "result_view",
    "validate",
    "validate_all",
]

DIRECTIONS = frozenset({"outbound", "inbound"})
DEFAULT_BATCH = 20_000
MAX_DURATION = 7 * 24 * 3600
RETRIES = 3


async def rate_cdr(
    ctx: ServicesContext, actor: Actor, cdr: CdrInput, *, reseller_id: int | None = None
) -> CdrResult:
    """Rate and store one CDR in its own transaction; the same CDR again returns the first."""
    tenant = reseller_scope(actor, reseller_id)
    validate(cdr, "cdr")
    cdr = in_namespace(tenant, cdr)
    for attempt in range(RETRIES):
        try:
            fast = await rate_fast(ctx, tenant, cdr)
            if fast is not None:
                return fast
            async with ctx.unit_of_work() as uow:  # cold caches, a duplicate, no reseller
                return await rate_one(ctx, uow, tenant, cdr)
        except DuplicateCdr:
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
            if attempt == RETRIES - 1 or not is_deadlock(exc):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


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
    validate_all(cdrs)  # short names are resolved with the lines (``resolve_lines``)
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


def in_namespace(tenant: int, cdr: CdrInput) -> CdrInput:
    """The CDR naming its line by SIP username: a short name (``line-b``) is taken in the
    tenant's namespace (``100001_line-b``); a full one is kept (another tenant's line is
    never matched, its prefix is not the tenant's). For the real-time path, whose SQL
    looks the line up by name; the batch path resolves names with
    :func:`~api.services.call_lines.resolve_lines`."""
    username = tenant_username(tenant, cdr.sub_account)
    if username == cdr.sub_account:
        return cdr
    c = cdr  # built directly: ``dataclasses.replace`` costs ~4 µs a CDR
    return CdrInput(c.source, c.call_id, username, c.direction, c.number, c.started_at, c.duration)


def cdr_problems(cdr: CdrInput) -> list[tuple[str, str]]:
    """Every reason a CDR cannot be stored, as (field, message), ``[]`` when it can: the one
    rule for a CDR row, whether it came from GraphQL or from a CSV file."""
    problems: list[tuple[str, str]] = []
    duration = cdr.duration
    if isinstance(duration, bool) or not isinstance(duration, int):
        problems.append(("duration", "must be a whole number of seconds"))
    elif duration < 0:
        problems.append(("duration", f"must be ≥ 0 seconds, got {duration}"))
    elif duration > MAX_DURATION:
        problems.append(("duration", f"longer than {MAX_DURATION} seconds"))
    if cdr.direction not in DIRECTIONS:
        problems.append(("direction", "must be outbound or inbound"))
    for name, value, shortest, longest in (
        ("source", cdr.source, 1, 100),
        ("call_id", cdr.call_id, 1, 200),
        ("sub_account", cdr.sub_account, 0, 100),
        ("number", cdr.number, 0, 64),
    ):
        if not shortest <= len(value) <= longest:
            problems.append((name, f"must be {shortest}..{longest} characters"))
        elif problem := text_problem(value):
            problems.append((name, problem))
    started = cdr.started_at
    if not isinstance(started, datetime) or started.tzinfo is None:
        problems.append(("started_at", "must be a time with a UTC offset"))
    elif problem := moment_problem(started):
        problems.append(("started_at", problem))
    return problems


def validate(cdr: CdrInput, field: str) -> None:
    """Bad input that no rating can store: raise :class:`InvalidFields` with every problem,
    each named ``{field}.{column}``."""
    raise_all([(f"{field}.{name}", message) for name, message in cdr_problems(cdr)])


def validate_all(cdrs: Sequence[CdrInput]) -> None:
    """:func:`validate` every CDR and raise every problem at once (named ``cdrs[i].…``)."""
    raise_all([(f"cdrs[{i}].{name}", message) for i, name, message in batch_problems(cdrs)])


def batch_problems(cdrs: Sequence[CdrInput]) -> list[tuple[int, str, str]]:
    """:func:`cdr_problems` of every CDR as (index, field, message); the common all-good
    case in one tight loop (about 1 µs a CDR)."""
    directions = DIRECTIONS
    checked: set[datetime] = set()  # aware datetimes in range (most CDRs share a few)
    problems: list[tuple[int, str, str]] = []
    for i, c in enumerate(cdrs):
        d = c.duration
        texts = c.source + c.call_id + c.sub_account + c.number
        if (
            type(d) is not int
            or not 0 <= d <= MAX_DURATION
            or c.direction not in directions
            or not 0 < len(c.source) <= 100
            or not 0 < len(c.call_id) <= 200
            or len(c.sub_account) > 100
            or len(c.number) > 64
            or "\x00" in texts
            or (not texts.isascii() and text_problem(texts))
            or c.started_at not in checked
        ):
            found = cdr_problems(c)
            problems.extend((i, name, message) for name, message in found)
            if not found:
                if len(checked) > 10_000:
                    checked.clear()
                checked.add(c.started_at)
    return problems
