"""A reseller ready for the sample files: lines ``alice`` and ``bob`` (no ``carol``), and
the DID 15145550100 assigned to Bob's client."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from api.services import dids
from api.services.records import NewDid
from tests.api.conftest import World
from tests.conftest import Database

SAMPLES = Path(__file__).parent / "samples"
DID = "+15145550100"


def master_line(
    *,
    account: str = "",
    dst: str = "442071234567",
    context: str = "from-internal",
    channel: str = "PJSIP/alice-00000001",
    start: str = "2026-11-10 11:00:00",
    billsec: str = "60",
    disposition: str = "ANSWERED",
    extra: tuple[str, ...] = (),
) -> str:
    """One ``Master.csv`` line as cdr_csv writes it (strings quoted, numbers bare, an
    empty answer time bare)."""
    strings = [account, "1001", dst, context, '"Alice" <1001>', channel, "", "Dial", "x"]
    head = ",".join('"' + s.replace('"', '""') + '"' for s in strings)
    tail = ",".join('"' + s + '"' for s in (disposition, "DOCUMENTATION", *extra))
    return f'{head},"{start}",,"2026-11-10 11:01:05",65,{billsec},{tail}\n'


async def sample_world(world: World, *, did: bool = True) -> dict[str, int]:
    """Clients Alice (line ``alice``) and Bob (line ``bob``, and the DID); their ids."""
    alice, _ = await world.client("Alice", paid=10_000_000, username="alice")
    bob, _ = await world.client("Bob", paid=10_000_000, username="bob")
    if not did:
        return {"alice": alice, "bob": bob}
    await dids.add_dids(world.ctx, world.operator, [NewDid(DID, 1_000_000, 0, 2_000)])
    await dids.take_did(world.ctx, world.reseller, DID)
    await dids.assign_did(
        world.ctx, world.reseller, DID, bob, monthly_price=2_000_000, per_minute_price=5_000
    )
    return {"alice": alice, "bob": bob}


async def stored_cdrs(database: Database, reseller_id: int) -> list[tuple[object, ...]]:
    """Every CDR of the reseller with its figures, by call id."""
    async with database.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT call_id, status, failure_reason, direction, number, duration, "
                "billed_seconds, sell, cost, free_minutes_used FROM cdrs "
                "WHERE reseller_id = :r ORDER BY call_id"
            ),
            {"r": reseller_id},
        )
        return [tuple(row) for row in rows]


async def ledger(database: Database, reseller_id: int) -> list[tuple[object, ...]]:
    """The reseller's accounts (by kind and client name): balance and number of entries."""
    async with database.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT a.kind, COALESCE(c.name, ''), a.balance, COUNT(e.id) FROM accounts a "
                "LEFT JOIN clients c ON c.id = a.client_id "
                "LEFT JOIN ledger_entries e ON e.account_id = a.id "
                "WHERE a.reseller_id = :r GROUP BY a.kind, c.name, a.balance "
                "ORDER BY a.kind, COALESCE(c.name, '')"
            ),
            {"r": reseller_id},
        )
        return [tuple(row) for row in rows]
