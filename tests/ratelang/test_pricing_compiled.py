"""Pricing with a package compiled from rules/basic.rate and the demo deck."""

from __future__ import annotations

from pathlib import Path

from ratelang.compile import compile_file, compile_source
from ratelang.deck import load_deck
from ratelang.model import RuleKind
from ratelang.pricing import price
from ratelang.rating import Call

ROOT = Path(__file__).parents[2]
DECK = load_deck(ROOT / "data" / "demo-deck.csv")
BASIC = compile_file(ROOT / "rules" / "basic.rate").package()


def test_london_prefix_rule_per_second() -> None:
    rating = price(Call("+44 20 7946 0958", 61), BASIC, DECK)
    assert (rating.rule.kind, rating.sell_rate, rating.billed_seconds) == (
        RuleKind.PREFIX,
        12_000,
        61,
    )
    assert rating.sell == 12_200
    assert rating.rule.line is not None


def test_usa_canada_rule_and_free_zone() -> None:
    rating = price(Call("+1 212 555 0100", 191, free_minutes_left=500), BASIC, DECK)
    assert (rating.rule.kind, rating.sell_rate) == (RuleKind.USA_CANADA, 9_500)
    assert (rating.free_minutes_used, rating.sell) == (4, 0)
    assert rating.cost > 0


def test_jamaica_falls_back_to_markup() -> None:
    rating = price(Call("+1 876 555 1234", 60), BASIC, DECK)
    assert rating.country == "JM"
    assert rating.rule.kind is RuleKind.MARKUP
    assert rating.rule.text == "markup 20% + 0.0000"
    assert rating.sell_rate == rating.cost_rate * 12 // 10


def test_the_markup_rule_points_at_the_markup_line() -> None:
    rating = price(Call("+49 30 1234567", 60), BASIC, DECK)
    assert rating.rule.kind is RuleKind.MARKUP
    lines = (ROOT / "rules" / "basic.rate").read_text(encoding="utf-8").splitlines()
    assert rating.rule.line is not None
    assert lines[rating.rule.line - 1].strip().startswith("markup 20%")


def test_without_a_markup_line_the_markup_rule_points_at_the_package() -> None:
    text = (
        'package "Bare" {\n  currency USD\n  route canada value\n  route international value\n}\n'
    )
    bare = compile_source(text, "bare.rate").package()
    rating = price(Call("+49 30 1234567", 60), bare, DECK)
    assert (rating.rule.kind, rating.rule.text, rating.rule.line) == (
        RuleKind.MARKUP,
        "markup 0% + 0.0000",
        1,
    )
