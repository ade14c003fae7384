"""``pulsebill`` sub-commands run through ``api.cli.main`` against a temporary SQLite file.

Every command is checked for its output and exit code; bad input must end with a short
``error: ...`` on stderr (exit 1, or 2 for argparse usage errors) and never a traceback.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from api.cli import main
from api.domain.actor import Actor
from api.domain.errors import Unauthenticated
from api.events import EventBus
from api.services import clients, payments, resellers, sub_accounts
from api.services.client_packages import attach_package
from api.services.context import ServicesContext
from api.services.packages import publish_package
from api.services.secrets import PasswordCipher
from api.store.engine import create_engine, make_sessionmaker
from tests.api.conftest import DECK, RULES, START

T = TypeVar("T")

SECRET = "cli-test-secret"
CDR_HEADER = "source,call_id,sub_account,direction,number,start,duration\n"
LONDON_CALL = "sw1,c1,bob-line,outbound,+442071234567,2026-11-10T12:00:00+00:00,90\n"


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class Cli:
    """Runs ``pulsebill`` in-process on one SQLite file."""

    path: Path
    url: str
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *argv: str) -> Outcome:
        self.capsys.readouterr()
        code = main(list(argv))
        captured = self.capsys.readouterr()
        assert "Traceback" not in captured.err
        return Outcome(code, captured.out, captured.err)

    def usage_error(self, *argv: str) -> str:
        """Run a command that argparse refuses; return its stderr."""
        self.capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            main(list(argv))
        assert exit_info.value.code == 2
        err = self.capsys.readouterr().err
        assert "Traceback" not in err
        return err

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.path) as conn:
            return conn.execute(sql).fetchall()

    def write(self, name: str, text: str) -> Path:
        path = self.path.parent / name
        path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "cli.db"
    url = f"sqlite+aiosqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PULSEBILL_SECRET_KEY", SECRET)
    return Cli(path, url, capsys)


@pytest.fixture
def migrated(cli: Cli) -> Cli:
    done = cli("migrate")
    assert done.code == 0, done.err
    return cli


def with_services(url: str, job: Callable[[ServicesContext], Awaitable[T]]) -> T:
    """Run ``job(ctx)`` on the CLI's database with the tests' fixed clock."""

    async def run() -> T:
        engine = create_engine(url)
        try:
            ctx = ServicesContext(
                make_sessionmaker(engine), EventBus(), PasswordCipher(SECRET), lambda: START
            )
            return await job(ctx)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def create_reseller(cli: Cli, name: str = "Acme") -> tuple[int, int, str]:
    """``create-reseller``; returns the reseller id, the token id and the token."""
    done = cli("create-reseller", name, "--currency", "usd")
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    first = re.fullmatch(rf"reseller (\d+): {name} \(USD\)", lines[0])
    second = re.fullmatch(r"API token (\d+) \(shown once, keep it safe\):", lines[1])
    assert first is not None, done.out
    assert second is not None, done.out
    assert re.fullmatch(r"pb_[A-Za-z0-9_-]{43}", lines[2])
    assert len(lines) == 3
    return int(first.group(1)), int(second.group(1)), lines[2]


def client_with_a_line(cli: Cli, reseller_id: int) -> int:
    """A client billed on the 1st with package "Simple" (5.00 monthly) and line bob-line."""

    async def job(ctx: ServicesContext) -> int:
        reseller = Actor.reseller(reseller_id)
        published = await publish_package(ctx, reseller, RULES, file_name="t.rate")
        client = await clients.create_client(ctx, reseller, "Bob", billing_day=1)
        await payments.add_payment(ctx, reseller, client.id, 20_000_000, description="t")
        await attach_package(ctx, reseller, client.id, published.versions[0].package_id)
        await sub_accounts.create_sub_account(ctx, reseller, client.id, "bob-line")
        return client.id

    return with_services(cli.url, job)


# migrate


def test_migrate_creates_the_schema_and_is_repeatable(cli: Cli) -> None:
    first = cli("migrate")
    assert first.code == 0
    assert first.out == f"database at {cli.url} is up to date\n"
    assert first.err == ""
    tables = {name for (name,) in cli.rows("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"resellers", "api_tokens", "clients", "cdrs", "alembic_version"} <= tables
    assert len(cli.rows("SELECT version_num FROM alembic_version")) == 1
    again = cli("migrate")
    assert (again.code, again.out) == (0, first.out)


def test_migrate_failure_is_one_line(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("these are not the tables you are looking for\n" * 200)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{not_a_database}")
    done = cli("migrate")
    assert done.code == 1
    assert done.out == ""
    assert done.err.startswith("pulsebill migrate: failed: ")
    assert "file is not a database" in done.err
    assert done.err.count("\n") == 1


def test_migrate_hides_the_database_password(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    # port 1 on localhost refuses at once: the error message must not leak the password
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://bob:s3cret-pw@127.0.0.1:1/nodb")
    done = cli("migrate")
    assert done.code == 1
    assert done.err.startswith("pulsebill migrate: failed: ")
    assert "s3cret-pw" not in done.err + done.out


# import-deck


def test_import_deck_stores_and_activates(migrated: Cli) -> None:
    deck = migrated.write("deck.csv", DECK)
    done = migrated("import-deck", str(deck), "--activate")
    assert done.code == 0, done.err
    assert re.fullmatch(r"deck \S+: 5 rows \(active\)\n", done.out)
    assert migrated.rows("SELECT name, row_count, active FROM deck_versions") == [
        ("deck.csv", 5, 1)
    ]
    # the same content again is the same version, not a new row
    again = migrated("import-deck", str(deck), "--name", "renamed")
    assert again.code == 0
    assert again.out.split(":")[0] == done.out.split(":")[0]
    assert len(migrated.rows("SELECT id FROM deck_versions")) == 1


def test_import_deck_without_activate_is_inactive(migrated: Cli) -> None:
    done = migrated("import-deck", str(migrated.write("deck.csv", DECK)))
    assert done.code == 0
    assert done.out.endswith(": 5 rows (inactive)\n")


def test_import_deck_missing_file(migrated: Cli) -> None:
    done = migrated("import-deck", "does-not-exist.csv")
    assert done.code == 1
    assert done.out == ""
    assert done.err.startswith("error: ")
    assert "does-not-exist.csv" in done.err
    assert "No such file" in done.err


def test_import_deck_broken_rows_are_listed_with_line_numbers(migrated: Cli) -> None:
    broken = (
        "prefix,country,description,value_rate,premium_rate\n"
        "1,US,USA,0.0050,0.0080\n"
        "44,XX,Nowhere,0.0100,0.0150\n"
        "52,MX,Mexico,abc,0.0300\n"
    )
    done = migrated("import-deck", str(migrated.write("broken.csv", broken)), "--activate")
    assert done.code == 1
    assert done.out == ""
    lines = done.err.splitlines()
    assert lines[0] == "error: 2 problems in the deck; nothing was stored"
    assert lines[1].startswith("  line 3, country: ")
    assert "'XX'" in lines[1]
    assert lines[2].startswith("  line 4, value_rate: ")
    assert "'abc'" in lines[2]
    assert lines[3] == "refused by column: country 1, value_rate 1"
    assert migrated.rows("SELECT id FROM deck_versions") == []  # nothing stored


# create-reseller and revoke-token


def test_create_reseller_prints_the_token_once_and_stores_only_its_hash(migrated: Cli) -> None:
    reseller_id, token_id, token = create_reseller(migrated)
    stored = migrated.rows(
        f"SELECT role, reseller_id, token_hash FROM api_tokens WHERE id = {token_id}"
    )
    assert stored == [("reseller", reseller_id, hashlib.sha256(token.encode()).hexdigest())]
    for row in migrated.rows("SELECT * FROM api_tokens"):
        assert token not in str(row)
    assert token.encode() not in migrated.path.read_bytes()
    assert token[3:].encode() not in migrated.path.read_bytes()

    async def authenticate(ctx: ServicesContext) -> Actor:
        return await resellers.authenticate_token(ctx, token)

    assert with_services(migrated.url, authenticate) == Actor.reseller(reseller_id)


def test_create_reseller_twice_is_refused(migrated: Cli) -> None:
    create_reseller(migrated)
    done = migrated("create-reseller", "Acme", "--currency", "USD")
    assert done.code == 1
    assert done.out == ""
    assert done.err == "error: reseller Acme already exists\n"
    assert len(migrated.rows("SELECT id FROM resellers")) == 1
    assert len(migrated.rows("SELECT id FROM api_tokens")) == 1


def test_create_reseller_with_a_bad_currency(migrated: Cli) -> None:
    done = migrated("create-reseller", "Acme", "--currency", "dollars")
    assert done.code == 1
    assert done.err.startswith("error: currency: expected an ISO 4217 code")
    assert migrated.rows("SELECT id FROM resellers") == []


def test_create_reseller_needs_a_currency(migrated: Cli) -> None:
    err = migrated.usage_error("create-reseller", "Acme")
    assert "--currency" in err


def test_revoke_token_makes_it_unusable(migrated: Cli) -> None:
    _, token_id, token = create_reseller(migrated)
    done = migrated("revoke-token", str(token_id))
    assert (done.code, done.out, done.err) == (0, f"token {token_id} revoked\n", "")
    assert migrated.rows(
        f"SELECT revoked_at IS NOT NULL FROM api_tokens WHERE id = {token_id}"
    ) == [(1,)]

    async def authenticate(ctx: ServicesContext) -> None:
        await resellers.authenticate_token(ctx, token)

    with pytest.raises(Unauthenticated):
        with_services(migrated.url, authenticate)
    again = migrated("revoke-token", str(token_id))  # revoking twice is fine
    assert again.code == 0


def test_revoke_unknown_token(migrated: Cli) -> None:
    done = migrated("revoke-token", "999")
    assert done.code == 1
    assert done.err == "error: token 999 not found\n"


def test_revoke_token_needs_a_number(migrated: Cli) -> None:
    err = migrated.usage_error("revoke-token", "abc")
    assert "invalid int value: 'abc'" in err


# bill


def test_bill_posts_fees_and_statements_once(migrated: Cli) -> None:
    reseller_id, _, _ = create_reseller(migrated)
    client_with_a_line(migrated, reseller_id)
    first = migrated("bill", "--date", "2026-12-01")
    assert first.code == 0, first.err
    assert first.out == "2026-12-01: 1 clients, 1 fees, 1 statements, 0 DID costs\n"
    again = migrated("bill", "--date", "2026-12-01")
    assert again.out == "2026-12-01: 1 clients, 0 fees, 0 statements, 0 DID costs\n"
    assert len(migrated.rows("SELECT id FROM statements")) == 1


def test_bill_on_another_billing_day_touches_nobody(migrated: Cli) -> None:
    reseller_id, _, _ = create_reseller(migrated)
    client_with_a_line(migrated, reseller_id)
    done = migrated("bill", "--date", "2026-12-02")
    assert done.out == "2026-12-02: 0 clients, 0 fees, 0 statements, 0 DID costs\n"


@pytest.mark.parametrize("bad", ["2026-13-01", "tomorrow", "01/12/2026"])
def test_bill_with_a_bad_date(migrated: Cli, bad: str) -> None:
    err = migrated.usage_error("bill", "--date", bad)
    assert f"not a date (YYYY-MM-DD): '{bad}'" in err


def test_bill_needs_a_date(migrated: Cli) -> None:
    err = migrated.usage_error("bill")
    assert "--date" in err


# rate-cdrs


def test_rate_cdrs_rates_and_skips_duplicates(migrated: Cli) -> None:
    reseller_id, _, _ = create_reseller(migrated)
    deck = migrated("import-deck", str(migrated.write("deck.csv", DECK)), "--activate")
    assert deck.code == 0
    client_with_a_line(migrated, reseller_id)
    unknown_line = "sw1,c2,nobody,outbound,+442071234567,2026-11-10T12:05:00,30\n"
    cdrs = migrated.write("cdrs.csv", CDR_HEADER + LONDON_CALL + unknown_line)
    done = migrated("rate-cdrs", str(cdrs), "--reseller", str(reseller_id))
    assert done.code == 0, done.err
    # London: 0.0080 + 20% = 0.0096/min; 90 s billed as 120 s
    assert done.out == (
        "2 CDRs: 1 rated, 1 unrated, 0 duplicates; sell 0.0192, cost 0.016\n"
        "unrated by reason: unknown_sub_account 1\n"
    )
    assert done.err == "rating CDRs: 2/2\n"  # not a terminal: plain progress lines
    again = migrated("rate-cdrs", str(cdrs), "--reseller", str(reseller_id))
    assert again.out.startswith("2 CDRs: 0 rated, 0 unrated, 2 duplicates;")
    assert migrated.rows("SELECT call_id, status FROM cdrs ORDER BY call_id") == [
        ("c1", "rated"),
        ("c2", "unrated"),
    ]


def test_rate_cdrs_bad_row_names_its_line_and_stores_nothing(migrated: Cli) -> None:
    reseller_id, _, _ = create_reseller(migrated)
    bad = "sw1,c2,bob-line,outbound,+12025550100,yesterday,60\n"
    cdrs = migrated.write("cdrs.csv", CDR_HEADER + LONDON_CALL + bad)
    done = migrated("rate-cdrs", str(cdrs), "--reseller", str(reseller_id))
    assert done.code == 1
    assert done.out == ""
    assert done.err == (
        "error: 1 problem in cdrs.csv; nothing was rated\n"
        "  line 3, start: not an ISO 8601 time like 2026-11-10T12:00:00+00:00: 'yesterday'\n"
    )
    assert migrated.rows("SELECT id FROM cdrs") == []


def test_rate_cdrs_wrong_column_count(migrated: Cli) -> None:
    cdrs = migrated.write("cdrs.csv", CDR_HEADER + "sw1,c1,bob-line\n")
    done = migrated("rate-cdrs", str(cdrs), "--reseller", "1")
    assert done.code == 1
    assert done.err.splitlines()[1] == "  line 2, row: expected 7 columns, found 3"


def test_rate_cdrs_wrong_header(migrated: Cli) -> None:
    cdrs = migrated.write("cdrs.csv", "a,b,c\n")
    done = migrated("rate-cdrs", str(cdrs), "--reseller", "1")
    assert done.code == 1
    assert done.err.startswith("error: header: expected source,call_id,")


def test_rate_cdrs_missing_file(migrated: Cli) -> None:
    done = migrated("rate-cdrs", "nope.csv", "--reseller", "1")
    assert done.code == 1
    assert done.err.startswith("error: ")
    assert "nope.csv" in done.err


def test_rate_cdrs_needs_a_reseller(migrated: Cli) -> None:
    cdrs = migrated.write("cdrs.csv", CDR_HEADER)
    err = migrated.usage_error("rate-cdrs", str(cdrs))
    assert "--reseller" in err


# the parser itself


def test_unknown_command_is_a_usage_error(cli: Cli) -> None:
    err = cli.usage_error("frobnicate")
    assert "invalid choice: 'frobnicate'" in err


def test_a_command_is_required(cli: Cli) -> None:
    err = cli.usage_error()
    assert "required" in err


# bad input that once ended in a traceback


def test_import_deck_that_is_not_utf8(migrated: Cli) -> None:
    deck = migrated.path.parent / "latin1.csv"
    deck.write_bytes(b"\xff\xfeprefix,country\n")
    done = migrated("import-deck", str(deck))
    assert done.code == 1
    assert done.err.startswith("error: ")


def test_a_command_before_migrate_says_so(cli: Cli) -> None:
    done = cli("bill", "--date", "2026-12-01")
    assert done.code == 1
    assert "migrate" in done.err


def test_rate_cdrs_accepts_a_direction_in_upper_case(migrated: Cli) -> None:
    reseller_id, _, _ = create_reseller(migrated)
    assert migrated("import-deck", str(migrated.write("deck.csv", DECK)), "--activate").code == 0
    client_with_a_line(migrated, reseller_id)
    cdrs = migrated.write("cdrs.csv", CDR_HEADER + LONDON_CALL.replace("outbound", "OUTBOUND"))
    done = migrated("rate-cdrs", str(cdrs), "--reseller", str(reseller_id))
    assert done.code == 0, done.err
    assert done.out.startswith("1 CDRs: 1 rated, 0 unrated")
    assert migrated.rows("SELECT direction, status FROM cdrs") == [("outbound", "rated")]


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ("", "  line 1, row: the deck has no rows"),
        ("44,GB,UK,1000.5,0.01\n", "  line 2, value_rate: rate '1000.5' is over 1,000 per minute"),
    ],
)
def test_import_deck_refuses_an_empty_deck_and_absurd_rates(
    migrated: Cli, rows: str, problem: str
) -> None:
    header = "prefix,country,description,value_rate,premium_rate\n"
    done = migrated("import-deck", str(migrated.write("deck.csv", header + rows)))
    assert done.code == 1
    assert done.err.splitlines()[1] == problem
    assert migrated.rows("SELECT id FROM deck_versions") == []


# send-mail


def test_send_mail_without_smtp_keeps_the_emails_queued(migrated: Cli) -> None:
    done = migrated("send-mail")
    assert done.code == 2
    assert "SMTP is not configured" in done.err
    assert "stay queued" in done.err


def test_send_mail_delivers_the_queue_once(migrated: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.smtp_server import smtp_server

    reseller_id, _, _ = create_reseller(migrated)

    async def job(ctx: ServicesContext) -> None:
        reseller = Actor.reseller(reseller_id)
        client = await clients.create_client(ctx, reseller, "Eve", email="eve@example.com")
        await payments.add_payment(ctx, reseller, client.id, 6_000_000)
        await payments.add_charge(ctx, reseller, client.id, 2_000_000)  # 6.00 → 4.00

    with_services(migrated.url, job)
    for collector, port in smtp_server():
        monkeypatch.setenv("PULSEBILL_SMTP_URL", f"smtp://127.0.0.1:{port}?from=bill@acme.test")
        done = migrated("send-mail")
        assert done.code == 0, done.err
        assert done.out.strip() == "sent 1, to retry 0, failed 0"
        assert [m.rcpt_tos for m in collector.messages] == [["eve@example.com"]]
        again = migrated("send-mail")
        assert again.out.strip() == "sent 0, to retry 0, failed 0"
        assert len(collector.messages) == 1
    assert migrated.rows("SELECT status, attempts FROM mail_outbox") == [("sent", 1)]


def test_send_mail_with_a_bad_smtp_url_says_which_variable(
    migrated: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULSEBILL_SMTP_URL", "http://mail.example.com")
    done = migrated("send-mail")
    assert done.code == 1
    assert done.err.strip() == (
        "error: PULSEBILL_SMTP_URL: the scheme is smtp, smtp+starttls or smtps"
    )
