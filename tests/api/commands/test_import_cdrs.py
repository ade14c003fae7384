"""``pulsebill import-cdrs`` through ``api.cli.main`` on a SQLite file: the summary, the
exit codes (0 all imported, 1 some refused, 2 bad invocation), no traceback for bad
files, and a run killed mid-way (a real process, SIGKILL) that a rerun completes to the
same books as one clean import."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api.domain.actor import Actor
from api.services import clients, payments, sub_accounts
from api.services.client_packages import attach_package
from api.services.context import ServicesContext
from api.services.packages import publish_package
from tests.api.commands.test_cli import SECRET, Cli, create_reseller, with_services
from tests.api.conftest import DECK, RULES
from tests.api.importers.helpers import SAMPLES, master_line

ROOT = Path(__file__).resolve().parents[3]


def reseller_with_lines(cli: Cli, name: str = "Acme") -> int:
    """A reseller with the deck, package "Simple", and lines alice and bob; its id."""
    reseller_id, _, _ = create_reseller(cli, name)
    if not cli.rows("SELECT id FROM deck_versions"):
        assert cli("import-deck", str(cli.write("deck.csv", DECK)), "--activate").code == 0

    async def job(ctx: ServicesContext) -> None:
        reseller = Actor.reseller(reseller_id)
        published = await publish_package(ctx, reseller, RULES, file_name="t.rate")
        for line in ("alice", "bob"):
            client = await clients.create_client(ctx, reseller, line.title(), billing_day=1)
            await payments.add_payment(ctx, reseller, client.id, 20_000_000, description="t")
            await attach_package(ctx, reseller, client.id, published.versions[0].package_id)
            await sub_accounts.create_sub_account(ctx, reseller, client.id, line)

    with_services(cli.url, job)
    return reseller_id


def books(cli: Cli, reseller_id: int) -> list[tuple[object, ...]]:
    """The reseller's CDR figures and account balances (entries per chunk may differ)."""
    cdrs = cli.rows(
        "SELECT call_id, status, duration, billed_seconds, sell, cost FROM cdrs "
        f"WHERE reseller_id = {reseller_id} ORDER BY call_id"
    )
    accounts = cli.rows(
        "SELECT a.kind, COALESCE(c.name, ''), a.balance, "
        "(SELECT COALESCE(SUM(amount), 0) FROM ledger_entries e WHERE e.account_id = a.id) "
        f"FROM accounts a LEFT JOIN clients c ON c.id = a.client_id WHERE a.reseller_id = "
        f"{reseller_id} ORDER BY 1, 2"
    )
    return cdrs + accounts


def test_help_states_the_exit_codes(cli: Cli) -> None:
    with pytest.raises(SystemExit):
        cli("import-cdrs", "--help")
    out = cli.capsys.readouterr().out
    assert "exit status: 0 when every record was imported" in " ".join(out.split())
    assert "2 for a bad invocation" in " ".join(out.split())


def test_the_asterisk_sample_imports_and_lists_the_refused_lines(migrated: Cli) -> None:
    reseller_id = reseller_with_lines(migrated)
    master = SAMPLES / "Master.csv"
    argv = ("import-cdrs", "--format", "asterisk-csv", str(master), "--reseller", str(reseller_id))
    done = migrated(*argv, "--source", "pbx1")
    assert done.code == 1  # some lines refused
    out = done.out.splitlines()
    assert out[0] == "Master.csv: 14 records read: 5 rated, 2 unrated, 1 duplicates, 6 refused"
    assert out[1] == "unanswered: 2 (stored for ASR, not charged)"
    assert out[3] == "unrated by reason: unknown_did 1, unknown_sub_account 1"
    assert out[4] == "refused (nothing of them was written):"
    assert out[5] == "  line 7: billsec: not a whole number of seconds: 'abc'"
    assert len(out) == 11
    assert done.err.splitlines() == [
        "importing CDRs: 8/8",  # not a terminal: plain progress lines
        "error: 6 records refused (listed above); the others are imported",
    ]
    assert migrated.rows("SELECT COUNT(*), COUNT(DISTINCT call_id) FROM cdrs") == [(7, 7)]
    again = migrated(*argv, "--source", "pbx1")
    assert again.out.startswith("Master.csv: 14 records read: 0 rated, 0 unrated, 8 duplicates")
    other_source = migrated(*argv, "--source", "pbx2", "--batch-size", "3")
    assert other_source.out.startswith("Master.csv: 14 records read: 5 rated, 2 unrated")
    assert other_source.err.splitlines()[:3] == [
        "importing CDRs: 3/8", "importing CDRs: 6/8", "importing CDRs: 8/8",
    ]  # fmt: skip


def test_a_clean_file_exits_0_and_folders_of_json_work(migrated: Cli) -> None:
    reseller_id = reseller_with_lines(migrated)
    clean = migrated.write("Master.csv", master_line(account="alice") + master_line(dst="1514"))
    done = migrated(
        "import-cdrs", "--format", "asterisk-csv", str(clean), "--reseller", str(reseller_id)
    )
    assert done.code == 0, done.err
    assert done.out.splitlines()[0] == (
        "Master.csv: 2 records read: 1 rated, 1 unrated, 0 duplicates, 0 refused"
    )
    assert migrated.rows("SELECT source FROM cdrs LIMIT 1") == [("asterisk",)]
    folder = migrated(
        "import-cdrs", "--format", "freeswitch-json", str(SAMPLES / "freeswitch"),
        "--reseller", str(reseller_id),
    )  # fmt: skip
    assert folder.code == 1
    assert folder.out.splitlines()[0] == (
        "freeswitch: 6 records read: 2 rated, 1 unrated, 0 duplicates, 2 refused, "
        "1 skipped (B legs)"
    )
    assert "  broken.cdr.json: JSON syntax error at line 6, column 5" in folder.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "asterisk-csv", "nope.csv"), "error: nope.csv: no such file or folder"),
        (("--format", "asterisk-csv", "."), "error: .: a folder (asterisk-csv reads one file)"),
        (
            ("--format", "asterisk-csv", "Master.csv", "--timezone", "Mars/Olympus"),
            "error: --timezone: unknown time zone 'Mars/Olympus'",
        ),
        (
            ("--format", "asterisk-csv", "Master.csv", "--csv-options", "logeverything"),
            "error: --csv-options: unknown logeverything",
        ),
        (
            ("--format", "freeswitch-json", "Master.csv", "--timezone", "Europe/Paris"),
            "error: --timezone and --csv-options apply to asterisk-csv only",
        ),
        (("--format", "asterisk-csv", "Master.csv", "--reseller", "99"), "error: no reseller 99"),
        (
            ("--format", "asterisk-csv", "Master.csv", "--source", ""),
            "error: --source must be 1..100 printable characters",
        ),
    ],
)
def test_bad_invocations_exit_2(migrated: Cli, args: tuple[str, ...], message: str) -> None:
    migrated.write("Master.csv", master_line())
    argv = ["import-cdrs", *args]
    if "--reseller" not in argv:
        argv += ["--reseller", "1"]
    done = migrated(*argv)
    assert done.code == 2
    assert done.err.startswith(message), done.err
    assert done.err.count("\n") == 1
    assert migrated.rows("SELECT id FROM cdrs") == []


def test_bad_files_are_reported_never_raised(migrated: Cli) -> None:
    reseller_id = reseller_with_lines(migrated)
    for name, data in [
        ("empty.csv", b""),
        ("binary.csv", bytes(range(256)) * 4),
        ("latin1.csv", master_line(account="al\xe9").encode("latin-1")),
    ]:
        path = migrated.path.parent / name
        path.write_bytes(data)
        done = migrated(
            "import-cdrs", "--format", "asterisk-csv", str(path), "--reseller", str(reseller_id)
        )
        assert done.code == (0 if name == "empty.csv" else 1), done.err
        assert done.out.startswith(f"{name}: ")
    for name, data in [("empty.json", b""), ("broken.json", b'{"variables": {\n')]:
        path = migrated.path.parent / name
        path.write_bytes(data)
        done = migrated(
            "import-cdrs", "--format", "freeswitch-json", str(path), "--reseller", str(reseller_id)
        )
        assert done.code == 1
        assert "line 1: JSON syntax error at column" in done.out or "empty" in done.out
    assert migrated.rows("SELECT id FROM cdrs") == []


def test_a_killed_import_resumes_without_charging_twice(migrated: Cli) -> None:
    killed, clean = reseller_with_lines(migrated, "Killed"), reseller_with_lines(migrated, "Clean")
    rows = 6_000
    master = migrated.write(
        "Master.csv",
        "".join(
            master_line(
                account=("alice", "bob")[i % 2],
                dst=("442071234567", "15145551234", "525512345678")[i % 3],
                billsec=str(i % 200),
                start=f"2026-11-10 {8 + i // 3600:02}:{i // 60 % 60:02}:{i % 60:02}",
                extra=(f"1794300000.{i}",),
            )
            for i in range(rows)
        ),
    )
    argv = ["import-cdrs", "--format", "asterisk-csv", str(master), "--batch-size", "25"]
    env = os.environ | {"PYTHONPATH": str(ROOT / "src"), "PULSEBILL_SECRET_KEY": SECRET}
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "api.cli", *argv, "--reseller", str(killed)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        stored = _wait_for_cdrs(migrated.path, 50, process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    stored = migrated.rows("SELECT COUNT(*) FROM cdrs")[0][0]
    assert isinstance(stored, int)
    assert 50 <= stored < rows
    assert stored % 25 == 0  # whole chunks only
    rerun = migrated(*argv, "--reseller", str(killed))
    assert rerun.code == 0, rerun.err
    assert f"{rows} records read: " in rerun.out
    assert f", {stored} duplicates, 0 refused" in rerun.out.splitlines()[0]
    once = migrated(*argv, "--reseller", str(clean))
    assert once.code == 0
    assert ", 0 duplicates" in once.out.splitlines()[0]
    assert books(migrated, killed) == books(migrated, clean)
    assert migrated.rows(f"SELECT COUNT(*) FROM cdrs WHERE reseller_id = {killed}") == [(rows,)]


def _wait_for_cdrs(db: Path, count: int, process: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the import ended before it could be killed"
        try:
            with sqlite3.connect(db, timeout=0.1) as conn:
                found = int(conn.execute("SELECT COUNT(*) FROM cdrs").fetchone()[0])
        except sqlite3.OperationalError:
            found = 0
        if found >= count:
            return found
        time.sleep(0.005)
    raise AssertionError("no CDR committed within 60 s")
