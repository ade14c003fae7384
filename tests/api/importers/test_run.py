"""Importing the sample files on SQLite and PostgreSQL: what is rated, unrated, refused;
a second run counts duplicates; an import interrupted after its first committed chunk,
then run again, ends exactly like one clean import."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlmodel import col

from api.importers import asterisk, freeswitch
from api.importers.run import Summary, import_read
from api.services.cdrs import find_cdrs
from api.services.records import CdrResult
from api.store.tables import Cdr
from tests.api.conftest import World, allow_cdr_inserts, make_world, refuse_cdr_inserts
from tests.api.importers.helpers import SAMPLES, ledger, sample_world, stored_cdrs
from tests.conftest import Database


async def results(world: World, source: str, call_ids: list[str]) -> dict[str, CdrResult]:
    found = await find_cdrs(
        world.ctx, world.reseller, [(source, c) for c in call_ids], reseller_id=world.reseller_id
    )
    assert all(f is not None for f in found), found
    return {c: f for c, f in zip(call_ids, found, strict=True) if f is not None}


async def test_the_asterisk_sample_imports_its_good_lines(world: World) -> None:
    lines = await sample_world(world)
    read = asterisk.read_master_csv(SAMPLES / "Master.csv", source="pbx1")
    done = await import_read(world.ctx, read, world.reseller_id, batch_size=3)
    assert (done.received, done.rated, done.unrated, done.duplicates) == (8, 6, 1, 1)
    assert done.unrated_reasons == (("unknown_sub_account", 1),)
    found = await results(
        world, "pbx1", [f"17943{n}" for n in ("08400.1", "08520.2", "08700.3", "08760.4",
                                              "08820.5", "08940.6", "09180.9")]
    )  # fmt: skip
    alice, bob, alice_no_answer, bob_busy, did_call, carol, alice_latin1 = found.values()
    assert (alice.client_id, alice.duration, alice.sell) == (lines["alice"], 60, 9_600)
    assert (bob.client_id, bob.duration, bob.free_minutes_used, bob.sell) == (
        lines["bob"], 125, 3, 0,
    )  # fmt: skip
    for unanswered in (alice_no_answer, bob_busy):
        assert (unanswered.status, unanswered.duration, unanswered.sell) == ("rated", 0, 0)
    assert (did_call.direction, did_call.client_id, did_call.rule_kind) == (
        "inbound", lines["bob"], "did",
    )  # fmt: skip
    assert did_call.sub_account_id is None
    assert (carol.status, carol.failure_reason) == ("unrated", "unknown_sub_account")
    assert alice_latin1.duration == 90  # a Latin-1 byte in clid does no harm
    summary = Summary("Master.csv", read, done)
    assert summary.refused == 6
    assert summary.lines()[:2] == [
        "Master.csv: 14 records read: 6 rated, 1 unrated, 1 duplicates, 6 refused",
        "unanswered: 2 (stored for ASR, not charged)",
    ]
    assert summary.lines()[-7:] == [
        "refused (nothing of them was written):",
        "  line 7: billsec: not a whole number of seconds: 'abc'",
        "  line 8: start: not a time like 2026-11-10 12:00:00: '2026-13-45 99:00:00'",
        "  line 9: not a CSV record (unexpected end of data)",
        "  line 10: expected 16 to 21 columns (cdr_csv), found 5",
        "  line 12: accountcode: not UTF-8 text",
        "  line 14: disposition: 'MAYBE' is none of ANSWERED, NO ANSWER, BUSY, FAILED, CONGESTION",
    ]
    again = await import_read(
        world.ctx, asterisk.read_master_csv(SAMPLES / "Master.csv", source="pbx1"),
        world.reseller_id,
    )  # fmt: skip
    assert (again.rated, again.unrated, again.duplicates, again.sell) == (0, 0, 8, 0)


async def test_start_times_follow_the_time_zone(world: World) -> None:
    await sample_world(world, did=False)
    paris = ZoneInfo("Europe/Paris")
    read = asterisk.read_master_csv(SAMPLES / "Master.csv", source="paris", zone=paris)
    await import_read(world.ctx, read, world.reseller_id)
    async with world.ctx.read() as uow:
        started = await uow.session.scalar(
            select(Cdr.started_at).where(col(Cdr.call_id) == "1794308400.1")
        )
    assert started is not None
    utc = started.replace(tzinfo=UTC) if started.tzinfo is None else started.astimezone(UTC)
    assert utc == datetime(2026, 11, 10, 10, 0, tzinfo=UTC)  # 11:00 in Paris (UTC+1)


async def test_the_freeswitch_samples_import(world: World) -> None:
    lines = await sample_world(world)
    read = freeswitch.read_json_cdrs(SAMPLES / "freeswitch", source="fs1")
    assert (read.read, read.skipped, len(read.refused)) == (6, 1, 2)
    done = await import_read(world.ctx, read, world.reseller_id)
    assert (done.received, done.rated, done.unrated, done.duplicates) == (3, 3, 0, 0)
    found = await results(
        world, "fs1", [f"0b6a8d1e-{str(n) * 4}-4000-8000-00000000000{n}" for n in (1, 3, 4)]
    )
    alice, did_call, bob_no_answer = found.values()
    assert (alice.client_id, alice.duration, alice.sell) == (lines["alice"], 60, 9_600)
    assert (did_call.direction, did_call.client_id, did_call.number) == (
        "inbound", lines["bob"], "15145550100",
    )  # fmt: skip
    assert (bob_no_answer.client_id, bob_no_answer.duration) == (lines["bob"], 0)
    per_line = freeswitch.read_json_cdrs(SAMPLES / "freeswitch-lines.json", source="fs1")
    done = await import_read(world.ctx, per_line, world.reseller_id)
    assert (done.received, done.rated, done.duplicates) == (3, 2, 1)


async def test_an_interrupted_import_resumes_to_the_same_books_as_one_clean_import(
    world: World, database: Database, tmp_path: Path
) -> None:
    chunk = 2
    # the sample without its DID call (a DID belongs to one reseller only)
    sample = (SAMPLES / "Master.csv").read_bytes().splitlines(keepends=True)
    path = tmp_path / "Master.csv"
    path.write_bytes(b"".join(line for line in sample if b'"from-pstn"' not in line))
    clean = await make_world(world.ctx, name="Clean")
    await sample_world(clean, did=False)
    await sample_world(world, did=False)
    once = await import_read(  # the same chunks: a chunk posts one entry per account
        clean.ctx, asterisk.read_master_csv(path, source="pbx1"), clean.reseller_id,
        batch_size=chunk,
    )  # fmt: skip
    assert (once.rated, once.unrated, once.duplicates) == (5, 1, 1)
    # a real database failure on the second chunk (lines 3 and 4): the first stays
    await refuse_cdr_inserts(database, "1794308700.3")
    committed: list[int] = []
    with pytest.raises(Exception, match="refused"):
        await import_read(
            world.ctx, asterisk.read_master_csv(path, source="pbx1"), world.reseller_id,
            batch_size=chunk, on_batch=committed.append,
        )  # fmt: skip
    assert committed == [2]
    assert len(await stored_cdrs(database, world.reseller_id)) == 2
    await allow_cdr_inserts(database)
    rerun = await import_read(
        world.ctx, asterisk.read_master_csv(path, source="pbx1"), world.reseller_id,
        batch_size=chunk,
    )  # fmt: skip
    assert (rerun.received, rerun.rated, rerun.unrated, rerun.duplicates) == (7, 3, 1, 3)
    assert await stored_cdrs(database, world.reseller_id) == await stored_cdrs(
        database, clean.reseller_id
    )
    assert await ledger(database, world.reseller_id) == await ledger(database, clean.reseller_id)
    assert [row[2] for row in await ledger(database, world.reseller_id)] != [0] * 4
