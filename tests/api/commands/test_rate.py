"""``pulsebill rate-cdrs`` on SQLite and PostgreSQL (its work, :func:`rate_file`, on the
tests' services context): every row checked before anything is written, errors by file
line, a database failure mid-way that leaves a resumable import, the documented example."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.commands.rate import rate_file
from api.services import clients
from api.services.context import ServicesContext
from api.services.demo import load_demo
from api.store.tables import Cdr
from tests.api.conftest import START, World, allow_cdr_inserts, refuse_cdr_inserts
from tests.conftest import Database

ROOT = Path(__file__).resolve().parents[3]
HEADER = "source,call_id,sub_account,direction,number,start,duration\n"


def row(call_id: str, line: str = "bob-line", *, start: str = "", duration: str = "60") -> str:
    when = start or START.isoformat()
    return f"sw1,{call_id},{line},outbound,+442071234567,{when},{duration}\n"


async def stored(ctx: ServicesContext) -> int:
    async with ctx.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Cdr)) or 0)


async def test_bad_rows_are_all_reported_by_line_and_nothing_is_written(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await world.client("Bob", paid=10_000_000)
    body = (
        row("ok-1")
        + row("nul\x00id")  # line 3: PostgreSQL would refuse it
        + row("late", start="9999-12-31T23:59:59-14:00")  # line 4: no UTC form
        + row("under", duration="1_000")  # line 5
        + row("arabic", duration="٦٠")  # line 6
        + "sw1,sideways,bob-line,SIDEWAYS,+442071234567,2026-11-10T12:00:00,60\n"  # line 7
        + row("both\x00", duration="-1")  # line 8: every problem of a row
        + row("ok-2")
    )
    path = tmp_path / "cdrs.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    assert await rate_file(world.ctx, path, world.reseller_id) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "error: 7 problems in cdrs.csv; nothing was rated"
    assert [line.split(":")[0].strip() for line in err[1:]] == [
        "line 3, call_id", "line 4, start", "line 5, duration", "line 6, duration",
        "line 7, direction", "line 8, duration", "line 8, call_id",
    ]  # fmt: skip
    assert await stored(world.ctx) == 0


async def test_a_field_of_200000_characters_is_a_clear_error(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cdrs.csv"
    path.write_text(HEADER + row("ok") + row("x" * 200_000), encoding="utf-8")
    assert await rate_file(world.ctx, path, world.reseller_id) == 1
    err = capsys.readouterr().err
    assert "line 3, row: unreadable CSV: field larger than field limit" in err
    assert "Traceback" not in err
    assert await stored(world.ctx) == 0


async def test_a_database_failure_mid_way_stops_in_one_line_and_a_rerun_resumes(
    world: World, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client_id, _ = await world.client("Bob", paid=10_000_000)
    path = tmp_path / "cdrs.csv"
    path.write_text(HEADER + "".join(row(f"c{i}") for i in range(5)) + row("boom"))
    await refuse_cdr_inserts(database, "boom")  # a real database refusal, past every check
    before = await _balance(world, client_id)
    assert await rate_file(world.ctx, path, world.reseller_id, batch_size=3) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[:-1] == ["rating CDRs: 3/6"]  # progress, then one line
    assert err[-1].startswith("error: the database refused a write (")
    assert "chunk from line 5; the 3 CDRs before it are stored" in err[-1]
    assert await stored(world.ctx) == 3
    balance_after_first_batch = await _balance(world, client_id)
    await allow_cdr_inserts(database)
    assert await rate_file(world.ctx, path, world.reseller_id, batch_size=3) == 0
    out = capsys.readouterr().out
    assert out.startswith("6 CDRs: 3 rated, 0 unrated, 3 duplicates;")
    assert await stored(world.ctx) == 6
    three_calls = before - balance_after_first_batch
    assert three_calls > 0
    assert await _balance(world, client_id) == before - 2 * three_calls  # each charged once


async def test_the_documented_example_file_imports_into_the_demo(
    ctx: ServicesContext, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = await load_demo(ctx, ROOT / "rules", ROOT / "data" / "demo-deck.csv")
    example = ROOT / "docs" / "examples" / "cdrs.csv"
    assert await rate_file(ctx, example, demo.reseller_id) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "6 CDRs: 5 rated, 1 unrated, 0 duplicates; sell 0.0502, cost 0.0853",
        "unrated by reason: unknown_sub_account 1",
    ]
    assert err.splitlines()[-1] == "rating CDRs: 6/6"  # plain lines: not a terminal
    assert await rate_file(ctx, example, demo.reseller_id) == 0
    assert capsys.readouterr().out.startswith("6 CDRs: 0 rated, 0 unrated, 6 duplicates;")


async def _balance(world: World, client_id: int) -> int:
    return (await clients.get_client(world.ctx, world.reseller, client_id)).balance
