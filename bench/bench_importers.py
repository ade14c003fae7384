"""Import an Asterisk ``Master.csv`` and FreeSWITCH JSON lines with ``import-cdrs``' work,
beside ``rate-cdrs`` on the same CDRs in the same run, on SQLite; print CDRs/s and ratios.

    .venv/bin/python bench/bench_importers.py [--rows 20000] [--batch-size 20000]

Both paths start from a file and end with every CDR committed: the importer reads and
maps the cdr_csv lines (:func:`api.importers.asterisk.read_master_csv`), screens and
ingests them (:func:`api.importers.run.import_read`); ``rate-cdrs`` reads its own CSV of
the same calls (:func:`api.commands.rate.rate_file`). Each goes to its own reseller (same
deck, package and lines) in one SQLite file; the reading alone is timed too. Figures are
printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import SQLModel

import api.store.tables  # noqa: F401
from api.commands.rate import rate_file, read_cdrs
from api.domain.actor import Actor
from api.events import EventBus
from api.importers.asterisk import read_master_csv
from api.importers.freeswitch import read_json_cdrs
from api.importers.run import import_read
from api.services import clients, decks, packages, payments, resellers, sub_accounts
from api.services.client_packages import attach_package
from api.services.context import ServicesContext
from api.services.secrets import PasswordCipher
from api.store.engine import create_engine, make_sessionmaker

DECK = """prefix,country,description,value_rate,premium_rate
1,US,USA,0.0050,0.0080
44,GB,United Kingdom,0.0100,0.0150
4420,GB,United Kingdom - London,0.0080,0.0120
52,MX,Mexico,0.0200,0.0300
"""
RULES = """package "Bench" {
    currency USD
    markup 20% + 0.0000
    pulse 60
    route canada value
    route international value
    free_minutes 100
    free_zone usa_canada
}
"""
LINES = [f"line{i}" for i in range(50)]
NUMBERS = ["442071234567", "12125550100", "525512345678", "441312345678"]


async def reseller(ctx: ServicesContext, name: str) -> int:
    created = await resellers.create_reseller(ctx, Actor.operator(), name, "USD")
    actor = Actor.reseller(created.reseller.id)
    published = await packages.publish_package(ctx, actor, RULES, file_name="b.rate")
    for i, line in enumerate(LINES):
        client = await clients.create_client(ctx, actor, f"Client {i}", balance_type="soft")
        await payments.add_payment(ctx, actor, client.id, 100_000_000, description="b")
        await attach_package(ctx, actor, client.id, published.versions[0].package_id)
        await sub_accounts.create_sub_account(ctx, actor, client.id, line)
    return created.reseller.id


def write_files(folder: Path, rows: int, day: datetime) -> tuple[Path, Path]:
    """The same calls as a cdr_csv Master.csv (loguniqueid) and as a rate-cdrs CSV."""
    master, plain = [], ["source,call_id,sub_account,direction,number,start,duration\n"]
    for i in range(rows):
        line, number = LINES[i % len(LINES)], NUMBERS[i % len(NUMBERS)]
        start = day + timedelta(seconds=i)
        billsec = i % 300
        disposition = "ANSWERED" if billsec else "NO ANSWER"
        stamp = start.strftime("%Y-%m-%d %H:%M:%S")
        master.append(
            f'"{line}","1001","{number}","from-internal","""L"" <1001>","PJSIP/{line}-{i:08x}",'
            f'"PJSIP/trunk-{i:08x}","Dial","PJSIP/{number}@trunk","{stamp}","{stamp}",'
            f'"{stamp}",{billsec + 3},{billsec},"{disposition}","DOCUMENTATION","b.{i}"\n'
        )
        plain.append(f"asterisk,b.{i},{line},outbound,{number},{start.isoformat()},{billsec}\n")
    (folder / "Master.csv").write_text("".join(master))
    (folder / "cdrs.csv").write_text("".join(plain))
    return folder / "Master.csv", folder / "cdrs.csv"


def write_json_lines(folder: Path, rows: int, day: datetime) -> Path:
    """The same calls as FreeSWITCH mod_json_cdr records, one per line (URL-encoded)."""
    out = []
    for i in range(rows):
        line, number = LINES[i % len(LINES)], NUMBERS[i % len(NUMBERS)]
        start = int((day + timedelta(seconds=i)).timestamp())
        variables = {
            "direction": "inbound", "uuid": f"fs-{i}", "sip_from_user": line,
            "sip_from_uri": f"{line}%40pbx.example", "start_epoch": str(start),
            "start_uepoch": str(start * 10**6), "billsec": str(i % 300),
            "hangup_cause": "NORMAL_CLEARING", "channel_name": f"sofia/internal/{line}%40pbx",
        }  # fmt: skip
        profile = {"username": line, "destination_number": number, "context": "default"}
        flow = [{"profile_index": "1", "caller_profile": profile}]
        out.append(json.dumps({"variables": variables, "callflow": flow}) + "\n")
    (folder / "cdrs.json").write_text("".join(out))
    return folder / "cdrs.json"


async def main(rows: int, batch_size: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = create_engine(f"sqlite+aiosqlite:///{folder / 'bench.db'}")
        async with engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
        now = datetime.now(UTC)
        ctx = ServicesContext(
            make_sessionmaker(engine), EventBus(), PasswordCipher("bench"), lambda: now
        )
        await decks.import_deck(ctx, Actor.operator(), DECK, name="bench", activate=True)
        importer, rater = await reseller(ctx, "Importer"), await reseller(ctx, "Rater")
        json_importer = await reseller(ctx, "JsonImporter")
        day = (now - timedelta(days=1)).replace(hour=0)
        master, plain = write_files(folder, rows, day)
        json_lines = write_json_lines(folder, rows, day)

        t = time.perf_counter()
        read_cdrs(plain)
        parse_plain = time.perf_counter() - t
        t = time.perf_counter()
        read_master_csv(master, source="asterisk")
        parse_master = time.perf_counter() - t

        t = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert await rate_file(ctx, plain, rater, batch_size=batch_size) == 0
        rate_seconds = time.perf_counter() - t
        t = time.perf_counter()
        read = read_master_csv(master, source="asterisk")
        done = await import_read(ctx, read, importer, batch_size=batch_size)
        import_seconds = time.perf_counter() - t
        assert done.rated == rows, done
        t = time.perf_counter()
        parsed = read_json_cdrs(json_lines, source="freeswitch")
        parse_json = time.perf_counter() - t
        done = await import_read(ctx, parsed, json_importer, batch_size=batch_size)
        json_seconds = time.perf_counter() - t
        assert done.rated == rows, done
        await engine.dispose()
    print(f"{rows:,} CDRs on SQLite, {batch_size:,} a transaction")
    print(f"  read Master.csv (cdr_csv)      {rows / parse_master:>10,.0f} rows/s")
    print(f"  read FreeSWITCH JSON lines     {rows / parse_json:>10,.0f} rows/s")
    print(f"  read rate-cdrs CSV             {rows / parse_plain:>10,.0f} rows/s")
    print(f"  import-cdrs asterisk-csv       {rows / import_seconds:>10,.0f} CDRs/s")
    print(f"  rate-cdrs (same CDRs)          {rows / rate_seconds:>10,.0f} CDRs/s")
    print(f"  import-cdrs freeswitch-json    {rows / json_seconds:>10,.0f} CDRs/s")
    print(f"  ratio asterisk-csv / rate-cdrs {rate_seconds / import_seconds:>10.2f}")
    print(f"  ratio freeswitch / rate-cdrs   {rate_seconds / json_seconds:>10.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=20_000)
    options = parser.parse_args()
    asyncio.run(main(options.rows, options.batch_size))
