"""Operator deck CSV: parsing, every validation error with its line, versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from ratelang.deck import DeckError, DeckProblem, load_deck, parse_deck
from ratelang.model import Pulse

HEADER = "prefix,country,description,value_rate,premium_rate\n"
GOOD = HEADER + "44,GB,United Kingdom,0.0100,0.0150\n4420,GB,London,0.008,0.012\n"


def problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(DeckError) as caught:
        parse_deck(text)
    return [(p.line, p.column) for p in caught.value.problems]


def test_parses_rows_into_entries() -> None:
    deck = parse_deck(GOOD, source="ops.csv")
    assert len(deck.entries) == 2
    london = deck.lookup("442079460958")
    assert london is not None
    assert (london.prefix, london.country, london.description) == ("4420", "GB", "London")
    assert (london.value_rate, london.premium_rate, london.pulse, london.line) == (
        8_000,
        12_000,
        None,
        3,
    )
    assert deck.source == "ops.csv"
    assert deck.lookup("33123456789") is None


def test_pulse_column() -> None:
    text = (
        HEADER.rstrip("\n") + ",pulse\n"
        "44,GB,UK,0.01,0.02,60\n447,GB,UK mobile,0.05,0.07,30/6\n33,FR,France,0.01,0.02,1\n"
        "49,DE,Germany,0.01,0.02,\n"
    )
    deck = parse_deck(text)
    pulses = {prefix: entry.pulse for prefix, entry in deck.entries.items()}
    assert pulses == {"33": Pulse(1, 1), "44": Pulse(60, 60), "447": Pulse(30, 6), "49": None}


def test_quoted_descriptions_blank_lines_spaces_and_bom() -> None:
    text = "\ufeff" + HEADER + '\n 1876 , JM ,"Jamaica, mobile", 0.10 , 0.15 \n\n'
    entry = parse_deck(text).lookup("18765551234")
    assert entry is not None
    assert (entry.prefix, entry.country, entry.description, entry.line) == (
        "1876",
        "JM",
        "Jamaica, mobile",
        3,
    )


def test_header_names_are_case_insensitive() -> None:
    assert len(parse_deck(HEADER.upper() + "44,GB,UK,0.01,0.02\n").entries) == 1


def test_header_only_is_an_empty_deck() -> None:
    assert len(parse_deck(HEADER).entries) == 0


def test_version_identifies_the_content() -> None:
    version = parse_deck(GOOD).version
    assert len(version) == 16
    assert int(version, 16) >= 0
    assert parse_deck(GOOD).version == version
    assert parse_deck(GOOD.replace("0.0150", "0.0151")).version != version


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("4a,GB,UK,0.01,0.02", "prefix", "prefix must be digits"),
        (",GB,UK,0.01,0.02", "prefix", "prefix must be digits"),
        ("+44,GB,UK,0.01,0.02", "prefix", "prefix must be digits"),
        ("1234567890123456,GB,UK,0.01,0.02", "prefix", "longer than 15 digits"),
        ("044,GB,UK,0.01,0.02", "prefix", "must not start with 0"),
        ("49,UK,UK,0.01,0.02", "country", "unknown country 'UK'"),
        ("49,gb,UK,0.01,0.02", "country", "unknown country 'gb'"),
        ("49,,UK,0.01,0.02", "country", "unknown country"),
        ("49,GB,UK,abc,0.02", "value_rate", "malformed rate 'abc'"),
        ("49,GB,UK,0.01,0.0000001", "premium_rate", "malformed rate"),
        ("49,GB,UK,0.01,1e-3", "premium_rate", "malformed rate"),
        ("49,GB,UK,-0.01,0.02", "value_rate", "negative rate"),
        ("49,GB,UK,0.01", "row", "expected 5 columns"),
        ("49,GB,UK,0.01,0.02,60", "row", "found 6"),
    ],
)
def test_each_bad_row_is_reported_with_line_and_column(row: str, column: str, message: str) -> None:
    text = GOOD + row + "\n"
    with pytest.raises(DeckError) as caught:
        parse_deck(text, source="ops.csv")
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (4, column)
    assert message in problem.message
    assert f"line 4, {column}: " in str(caught.value)
    assert str(caught.value).startswith("ops.csv: 1 problem in the deck")


def test_bad_pulse() -> None:
    text = HEADER.rstrip("\n") + ",pulse\n44,GB,UK,0.01,0.02,0\n33,FR,F,0.01,0.02,30/x\n"
    assert problems(text) == [(2, "pulse"), (3, "pulse")]


def test_duplicate_prefix_names_the_first_line() -> None:
    with pytest.raises(DeckError) as caught:
        parse_deck(GOOD + "49,DE,Germany,0.01,0.02\n44,GB,again,0.01,0.02\n")
    (problem,) = caught.value.problems
    assert problem == DeckProblem(5, "prefix", "duplicate prefix 44 (first on line 2)")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("", 1),
        ("\n\n", 1),
        ("prefix,country,description,value_rate\n44,GB,UK,0.01\n", 1),
        ("\nprefix,country,value_rate,description,premium_rate\n", 2),
        ("44,GB,UK,0.01,0.02\n", 1),  # no header row
    ],
)
def test_missing_or_wrong_header(text: str, line: int) -> None:
    assert problems(text) == [(line, "header")]


def test_every_problem_is_collected() -> None:
    text = HEADER + "4a,GB,UK,0.01,0.02\n44,XX,UK,bad,-1\n44,GB,UK,0.01,0.02\n44,GB,UK,0.01,0.02\n"
    assert problems(text) == [
        (2, "prefix"),
        (3, "country"),
        (3, "value_rate"),
        (3, "premium_rate"),
        (4, "prefix"),  # duplicate of line 3, whose prefix was valid
        (5, "prefix"),
    ]


def test_message_shows_the_first_problems_only() -> None:
    text = HEADER + "".join(f"{n}x,GB,UK,0.01,0.02\n" for n in range(1, 31))
    with pytest.raises(DeckError) as caught:
        parse_deck(text)
    message = str(caught.value)
    assert len(caught.value.problems) == 30
    assert "30 problems" in message
    assert "line 21, prefix" in message
    assert "line 22, prefix" not in message
    assert "… and 10 more" in message


def test_load_deck_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "deck.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    deck = load_deck(path)
    assert deck.source == str(path)
    assert deck.version == parse_deck(GOOD).version
    assert len(deck.entries) == 2


def test_load_deck_reports_the_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "44,GB,UK,0.01\n")
    with pytest.raises(DeckError, match=r"bad\.csv: 1 problem"):
        load_deck(path)


def test_repository_demo_deck_loads() -> None:
    path = Path(__file__).parents[2] / "data" / "demo-deck.csv"
    deck = load_deck(path)
    assert len(deck.entries) > 400
    jamaica = deck.lookup("18765551234")
    assert jamaica is not None
    assert jamaica.country == "JM"
    london = deck.lookup("442079460958")
    assert london is not None
    assert london.country == "GB"
    for _, entry in deck.entries.items():
        assert 0 < entry.value_rate < entry.premium_rate


def test_absurd_rates_and_unusual_digits_are_refused() -> None:
    text = (
        HEADER
        + "44,GB,UK,1000.000001,0.02\n"  # over 1,000 per minute
        + "33,FR,France,1000,1000\n"  # the bound itself is fine
        + "49,DE,Germany,٠.٠١,0.02\n"  # Arabic-Indic digits
        + "39,IT,Italy,0.01\n,0.02\n"  # a row split in two: both lines miss columns
        + "34,ES,Spain,1_0,0.02\n"
    )
    assert problems(text) == [(2, "value_rate"), (4, "value_rate"), (5, "row"), (6, "row"),
                              (7, "value_rate")]  # fmt: skip


def test_a_nul_character_is_refused_on_its_line() -> None:
    assert problems(HEADER + "44,GB,U\x00K,0.01,0.02\n") == [(2, "row")]
