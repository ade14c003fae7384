"""The batch ingest path: thousands of CDRs in one unit of work.

CDR rows go in with one ``COPY`` (PostgreSQL) or one ``executemany`` (SQLite), streamed
to the database while the next ones are priced; one aggregated ``calls`` transaction is
posted per client and balances move once per account (ascending ids).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from api.domain.call_postings import call_transaction
from api.domain.ledger import AccountKind, TenantAccounts, TransactionKind
from api.services.cdrs.balance_rules import apply_balance_rules, reseller_terms
from api.services.cdrs.pricing import CallRater
from api.services.context import ServicesContext
from api.services.records import CdrInput
from api.store.cdrs.driver import RawConnection, raw_connection
from api.store.cdrs.row import CdrRow
from api.store.unit_of_work import UnitOfWork

INSERT_CHUNK = 256  # CDR rows priced between two looks at the writer (see insert_cdr_chunks)


async def ingest_batch(
    ctx: ServicesContext,
    uow: UnitOfWork,
    tenant: int,
    batch: Sequence[CdrInput],
    reasons: dict[str, int] | None = None,
) -> tuple[int, int, int, int, int]:
    """Rate and store one batch (validated) in ``uow``: (rated, unrated, duplicates, sell,
    cost). CDRs stored before or repeated in the batch are counted and skipped; ``reasons``
    counts the unrated ones by failure reason. The reservations of the new CDRs' calls are
    released, and a call that held one is charged for at most its granted seconds
    (:func:`api.domain.reservations.charged_duration`; the raw duration is stored)."""
    now = ctx.now()
    reseller = await reseller_terms(uow, tenant)  # also: CDR rows carry no foreign key to it
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
    # the calls' reservations end with their CDRs, in this transaction (one statement)
    rater.granted = await raw.release_reservations(tenant, [c.call_id for c in fresh])
    await rater.prepare(fresh)
    # The ``calls`` transaction of every client that may be charged is inserted first, so
    # that CDR rows can be written while the next ones are priced (COPY streams them to
    # PostgreSQL; SQLite inserts a chunk in its thread while the next chunk is priced).
    # Transactions left without money are deleted before the commit.
    # (a line without a package may still be charged for inbound calls to its DIDs)
    candidates = sorted({ln.client_id for ln in rater.all_lines()}) if rater.deck else []
    tx_ids = (
        await raw.insert_transactions(
            tenant, TransactionKind.CALLS.value, "calls (batch)", now, candidates
        )
        if candidates
        else {}
    )
    rater.transactions = tx_ids
    rate = rater.rate
    per_client: dict[int, list[int]] = {}
    totals = [0, 0, 0]  # rated, sell, cost

    def priced() -> Iterator[list[CdrRow]]:
        for begin in range(0, len(fresh), INSERT_CHUNK):
            chunk: list[CdrRow] = []
            rated = sell_sum = cost_sum = 0
            for cdr in fresh[begin : begin + INSERT_CHUNK]:
                row, client_id, sell, cost = rate(cdr)
                chunk.append(row)
                if row.status == "rated":
                    rated += 1
                    if (sell or cost) and client_id is not None:
                        sums = per_client.get(client_id)
                        if sums is None:
                            per_client[client_id] = [sell, cost]
                        else:
                            sums[0] += sell
                            sums[1] += cost
                        sell_sum += sell
                        cost_sum += cost
                elif reasons is not None:
                    reason = row.failure_reason
                    reasons[reason] = reasons.get(reason, 0) + 1
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
        await apply_balance_rules(
            uow,
            raw,
            tenant,
            {c: _moved(balances, totals, client_accounts[c]) for c in charged},
            now,
            reseller=reseller,
        )


def _moved(balances: dict[int, int], totals: dict[int, int], account: int) -> tuple[int, int]:
    """(previous, new) balance of ``account`` moved by ``totals``."""
    return balances[account] - totals[account], balances[account]


async def _account_ids(
    uow: UnitOfWork, tenant: int, clients: Sequence[int]
) -> tuple[dict[AccountKind, int], dict[int, int]]:
    shared = await uow.accounts.reseller_account_ids(tenant)
    return shared, await uow.accounts.client_account_ids_of(tenant, clients)
