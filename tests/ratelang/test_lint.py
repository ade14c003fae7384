"""Warnings: shadowed and redundant rules, and deck-aware warnings."""

from __future__ import annotations

from ratelang.compile import compile_source
from ratelang.model import Deck

from .conftest import package


def warned(*lines: str, deck: Deck | None = None) -> list[str]:
    return [w.message for w in compile_source(package(*lines), "t.rate", deck).warnings]


def test_prefix_rule_on_a_calling_code_hides_country_rules() -> None:
    assert warned("rate prefix 1 0.01", "rate country JM 0.2") == [
        "'rate country JM 0.2' never applies: "
        "'rate prefix 1 0.01' (line 6) matches every number of JM"
    ]


def test_prefix_rule_hides_usa_canada_when_it_covers_both() -> None:
    assert warned("rate prefix 1 0.01", "rate usa_canada 0.02") == [
        "'rate usa_canada 0.02' never applies: 'rate prefix 1 0.01' (line 6) matches every number "
        "of US; 'rate prefix 1 0.01' (line 6) matches every number of CA"
    ]


def test_country_rules_for_us_and_ca_hide_usa_canada() -> None:
    (message,) = warned("rate usa_canada 0.02", "rate country US 0.01", "rate country CA 0.01")
    assert message.startswith(
        "'rate usa_canada 0.02' never applies: 'rate country US 0.01' (line 7)"
    )


def test_partial_overrides_are_not_shadowing() -> None:
    assert (
        warned(
            "rate prefix 1876 0.01",
            "rate country JM 0.2",
            "rate country US 0.1",
            "rate usa_canada 0.02",
        )
        == []
    )
    assert warned("rate prefix 4420 0.01", "rate country GB 0.2", "rate prefix 44201 0.01") == []


def test_redundant_free_zones() -> None:
    assert warned(
        "free_minutes 10", "free_zone prefix 44", "free_zone prefix 4420", "free_zone country GB"
    ) == [
        "'free_zone prefix 4420' is redundant: 'free_zone prefix 44' (line 7) covers it",
        "'free_zone country GB' is redundant: 'free_zone prefix 44' (line 7) covers it",
    ]
    assert warned("free_minutes 10", "free_zone usa_canada", "free_zone country CA") == [
        "'free_zone country CA' is redundant: 'free_zone usa_canada' (line 7) covers it"
    ]


def test_free_zone_without_free_minutes() -> None:
    assert warned("free_zone country MX") == ["free zones have no effect without 'free_minutes'"]


def test_rate_below_deck_cost(small_deck: Deck) -> None:
    (message,) = warned("rate country GB 0.013", deck=small_deck)
    assert message == (
        "rate 0.013000 is below the deck's cost 0.040000 (premium route) for prefix 447 "
        "(GB, United Kingdom - Mobile) and 1 more"
    )


def test_below_cost_counts_only_what_the_rule_prices(small_deck: Deck) -> None:
    # 447 has its own rule, so the country rule only prices 44 and 4420 (0.015 and 0.012).
    assert warned("rate country GB 0.015", "rate prefix 447 0.05", deck=small_deck) == []


def test_prefix_rule_below_the_cost_of_its_parent_deck_row(small_deck: Deck) -> None:
    (message,) = warned("rate prefix 4412 0.001", deck=small_deck)
    assert "cost 0.015000 (premium route) for prefix 44 " in message


def test_usa_canada_below_cost_uses_the_canada_route(small_deck: Deck) -> None:
    (message,) = warned("rate usa_canada 0.0045", deck=small_deck)
    assert message.startswith(
        "rate 0.004500 is below the deck's cost 0.005000 (value route) for prefix 1204"
    )


def test_rules_and_zones_matching_nothing_in_the_deck(small_deck: Deck) -> None:
    assert warned(
        "free_minutes 1",
        "rate country DE 0.1",
        "rate prefix 81 0.1",
        "free_zone prefix 82",
        deck=small_deck,
    ) == [
        "'rate country DE 0.1' matches no destination in the deck",
        "'rate prefix 81 0.1' matches no destination in the deck",
        "'free_zone prefix 82' matches no destination in the deck",
    ]


def test_deck_shows_a_country_hidden_by_several_prefix_rules(small_deck: Deck) -> None:
    (message,) = warned(
        "rate prefix 52 0.1", "rate prefix 521 0.2", "rate country MX 0.3", deck=small_deck
    )
    assert message.startswith("'rate country MX 0.3' never applies: 'rate prefix 52 0.1' (line 6)")


def test_deck_warnings_need_a_deck() -> None:
    assert warned("rate country DE 0.0001") == []
