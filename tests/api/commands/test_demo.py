"""``pulsebill demo`` runs from any folder (its deck and rules ship in the package) and
prints the URL of the configured port."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.commands.demo import demo_token, graphql_url
from api.settings import Settings
from ratelang.compile import compile_file
from tests.api.commands.test_cli import SECRET, Cli

ROOT = Path(__file__).parents[3]


def test_demo_runs_outside_the_repository_and_names_the_configured_port(
    migrated: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not (Path.cwd() / "data").exists()  # the cli fixture works in a temporary folder
    monkeypatch.setenv("PULSEBILL_PORT", "9123")
    done = migrated("demo")
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert re.fullmatch(r"demo data ready: reseller 1, deck [0-9a-f]+,", lines[0])
    expected = {p.name for f in (ROOT / "rules").glob("*.rate") for p in compile_file(f).packages}
    assert lines[1] == f"  {len(expected)} packages, 2 clients"
    assert lines[2] == f"demo reseller API token: {demo_token(SECRET, 'reseller')}"
    assert lines[3] == f"demo operator API token: {demo_token(SECRET, 'operator')}"
    assert lines[4] == 'send it as "Authorization: Bearer <token>" to http://127.0.0.1:9123/graphql'
    switch = demo_token(SECRET, "switch")
    assert lines[5] == f"demo switch token (the /switch/ endpoints only): {switch}"
    assert migrated.rows("SELECT role, reseller_id FROM api_tokens WHERE name = 'demo switch'") == [
        ("switch", None)
    ]
    rows = migrated.rows("SELECT row_count FROM deck_versions")
    shipped = (ROOT / "src/api/demo_data/demo-deck.csv").read_text().count("\n") - 1
    assert rows == [(shipped,)]
    assert {name for (name,) in migrated.rows("SELECT name FROM packages")} == expected
    again = migrated("demo")  # idempotent: nothing added
    assert again.out == done.out
    assert len(migrated.rows("SELECT id FROM deck_versions")) == 1


def test_demo_with_other_files(migrated: Cli) -> None:
    missing = migrated("demo", "--deck", "nowhere.csv")
    assert missing.code == 1
    assert "nowhere.csv" in missing.err


def test_the_repository_deck_is_the_shipped_one() -> None:
    linked = ROOT / "data" / "demo-deck.csv"
    assert linked.resolve() == (ROOT / "src/api/demo_data/demo-deck.csv").resolve()
    assert (ROOT / "src/api/demo_data/rules").resolve() == (ROOT / "rules").resolve()


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000/graphql"),
        ("0.0.0.0", "http://127.0.0.1:8000/graphql"),  # noqa: S104
        ("billing.example", "http://billing.example:8000/graphql"),
        ("::1", "http://[::1]:8000/graphql"),
    ],
)
def test_graphql_url(host: str, url: str) -> None:
    assert graphql_url(Settings(host=host)) == url
