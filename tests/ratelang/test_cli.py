"""The ``ratelang`` command line, through main(argv): output, exit codes, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ratelang.cli import main

from .conftest import BROKEN, RULES, SMALL_DECK, package

BASIC = str(RULES / "basic.rate")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def test_check_ok(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "check", BASIC, str(RULES / "wholesale-per-second.rate"))
    assert status == 0
    assert f"{BASIC}: ok ('Basic')" in out
    assert "'Wholesale A-Z', 'Wholesale Premium'" in out
    assert err == ""


def test_check_fails_when_one_file_fails(capsys: pytest.CaptureFixture[str]) -> None:
    broken = str(BROKEN / "misspelt-directive.rate")
    status, out, err = run(capsys, "check", BASIC, broken)
    assert status == 1
    assert "ok ('Basic')" in out
    assert f"{broken}:7:5: error: unknown directive 'markp'" in err
    assert "hint: did you mean 'markup'?" in err
    assert f"{broken}: 1 error" in err


def test_check_with_deck_prints_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "check", "--deck", str(SMALL_DECK), BASIC)
    assert status == 0
    assert "1 warning" in out
    assert (
        "warning: rate 0.035000 is below the deck's cost 0.050000 (premium route) for prefix 521"
        in err
    )


def test_check_missing_file_and_bad_deck(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, err = run(capsys, "check", str(tmp_path / "nope.rate"))
    assert status == 1
    assert "No such file or directory" in err
    deck = tmp_path / "deck.csv"
    deck.write_text(
        "prefix,country,description,value_rate,premium_rate\n44,GB,UK,-1,0.1\n", encoding="utf-8"
    )
    status, _, err = run(capsys, "check", "--deck", str(deck), BASIC)
    assert status == 1
    assert "line 2" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "frobnicate")[0] == 2
    assert run(capsys, "check")[0] == 2
    status, _, err = run(
        capsys, "price", BASIC, "--deck", str(SMALL_DECK), "--to", "44", "--duration", "-5"
    )
    assert status == 2
    assert "not a whole number" in err


def test_compile_json_has_money_as_strings(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "compile", BASIC, "--json")
    assert status == 0
    (pkg,) = json.loads(out)["packages"]
    assert pkg["settings"]["fee_monthly"] == "4.990000"
    assert pkg["prefix_rules"]["4420"]["rate"] == "0.012000"
    assert pkg["country_rules"]["GB"]["markup"] == {"percent": "15", "fixed": "0.000000"}


def test_compile_text(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "compile", BASIC)
    assert status == 0
    assert "package 'Basic' (line 4)" in out
    assert "  markup: 20% + 0.000000" in out
    assert "rate prefix 4420 0.012 pulse 1  (line 19)" in out


def test_compile_errors_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "compile", str(BROKEN / "negative-rate.rate"))
    assert status == 1
    assert out == ""
    assert "error: negative rate -0.01" in err


PRICE = ("price", BASIC, "--deck", str(SMALL_DECK))


def test_price_outbound_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, *PRICE, "--to", "+44 20 7946 0958", "--duration", "125", "--json")
    assert status == 0
    data = json.loads(out)
    assert data["number"] == "442079460958"
    assert data["rule"] == {
        "kind": "prefix",
        "text": "rate prefix 4420 0.012 pulse 1",
        "line": 19,
        "file": BASIC,
    }
    assert (data["billed_seconds"], data["pulse"], data["sell_rate"]) == (125, "1", "0.012000")
    assert data["sell"] == "0.0250"  # 0.012 × 125 / 60 = 0.025
    assert (data["deck_prefix"], data["country"], data["route"]) == ("4420", "GB", "premium")
    assert data["versions"]["deck"]


def test_price_text_shows_the_rule_and_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, *PRICE, "--to", "+52 55 1234 5678", "--duration", "61")
    assert status == 0
    assert f"rule          country: rate country MX 0.035 ({BASIC}:17)" in out
    assert "sell          0.0700 USD" in out  # 120 s billed at 0.035 / min


def test_price_inbound_needs_did_prices(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(
        capsys, *PRICE, "--to", "+1 204 555 0100", "--duration", "60", "--direction", "inbound"
    )
    assert status == 2
    assert "--did-sell and --did-cost" in err
    status, out, _ = run(
        capsys, *PRICE, "--to", "+1 204 555 0100", "--duration", "60", "--direction", "inbound",
        "--did-sell", "0.01", "--did-cost", "0.004", "--json",
    )  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert (data["sell_rate"], data["cost_rate"], data["rule"]["kind"]) == (
        "0.010000",
        "0.004000",
        "did",
    )


def test_price_on_net_and_free_minutes(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys,
        *PRICE,
        "--to",
        "12045550100",
        "--duration",
        "30",
        "--on-net",
        "+1 204 555 0100",
        "--json",
    )
    assert status == 0
    assert json.loads(out)["on_net"] is True
    status, out, _ = run(
        capsys,
        *PRICE,
        "--to",
        "12045550100",
        "--duration",
        "191",
        "--free-minutes-left",
        "2",
        "--json",
    )
    data = json.loads(out)
    assert (data["free_minutes_used"], data["charged_seconds"]) == (2, 120)


def test_price_errors_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, *PRICE, "--to", "not a number", "--duration", "10")
    assert status == 1
    assert err.startswith("ratelang: error:")
    status, _, err = run(capsys, *PRICE, "--to", "+81 3 1234 5678", "--duration", "10")
    assert status == 1
    assert err.startswith("ratelang: error:")


def test_price_package_choice(capsys: pytest.CaptureFixture[str]) -> None:
    wholesale = str(RULES / "wholesale-per-second.rate")
    args = (
        "price",
        wholesale,
        "--deck",
        str(SMALL_DECK),
        "--to",
        "+33 1 23 45 67 89",
        "--duration",
        "7",
    )
    assert run(capsys, *args)[0] == 2
    assert run(capsys, *args, "--package", "Nope")[0] == 2
    status, out, _ = run(capsys, *args, "--package", "Wholesale A-Z", "--json")
    assert status == 0
    assert json.loads(out)["rule"]["text"] == "rate prefix 33 markup 3%"


def test_price_with_broken_rules_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rules = tmp_path / "p.rate"
    rules.write_text(package("rate country ZZ 1"), encoding="utf-8")
    status, _, err = run(
        capsys, "price", str(rules), "--deck", str(SMALL_DECK), "--to", "44", "--duration", "1"
    )
    assert status == 1
    assert "unknown country 'ZZ'" in err


@pytest.mark.parametrize(
    ("text", "why"),
    [("", "it is empty"), ("\n  \n", "it is empty"), ("# soon\n", "only comments and blank lines")],
)
def test_a_file_without_packages_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, why: str
) -> None:
    rules = tmp_path / "empty.rate"
    rules.write_text(text, encoding="utf-8")
    expected = (
        f"{rules}:1:1: error: the file declares no package ({why})\n"
        '  hint: a package starts with a line such as: package "Basic" {\n'
    )
    assert run(capsys, "check", str(rules)) == (1, "", expected + f"{rules}: 1 error\n")
    assert run(capsys, "compile", str(rules)) == (1, "", expected)
    price = ("price", str(rules), "--deck", str(SMALL_DECK), "--to", "44", "--duration", "1")
    assert run(capsys, *price) == (1, "", expected)


def test_check_reports_the_errors_a_syntax_error_used_to_hide(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = tmp_path / "p.rate"
    rules.write_text(package("markp 20%", "round 4 half-up", "rate country gb 0.01"))
    status, out, err = run(capsys, "check", str(rules))
    assert (status, out) == (1, "")
    heads = [line for line in err.splitlines() if ": error: " in line]
    assert heads == [
        f"{rules}:6:5: error: unknown directive 'markp'",
        f"{rules}:7:13: error: unexpected 'half-up'",
        f"{rules}:8:18: error: unknown country 'gb'",
    ]
    assert err.endswith(f"{rules}: 3 errors\n")
    assert "did you mean 'markup'?" in err


def test_price_names_the_markup_line(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("price", BASIC, "--deck", str(SMALL_DECK), "--to", "+33 1 23 45 67 89")
    status, out, _ = run(capsys, *args, "--duration", "60")
    assert status == 0
    assert f"markup: markup 20% + 0.0000 ({BASIC}:6)" in out
