"""The memoised destinations of a Pricer (what price() uses) against the separate lookups."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from ratelang.model import (
    NANP_COUNTRIES,
    CompiledPackage,
    Deck,
    DeckEntry,
    Markup,
    Pulse,
    RuleKind,
    ZoneKind,
)
from ratelang.numbers import normalize
from ratelang.pricing import (
    PRICERS_KEPT,
    Destination,
    Pricer,
    _in_free_zone,
    _sell_rate,
    price,
    pricer,
)
from ratelang.rating import Call, Rating, RatingError, RatingFailure
from ratelang.types import Digits
from tests.ratelang.factories import deck, package, rule, zone

T = TypeVar("T")

ALPHABET = "123"  # few digits, so that deck, rule and zone prefixes nest a lot
COUNTRIES = ["US", "CA", "GB", "FR"]
PULSES = ["", "1", "30/6", "60"]

prefixes = st.text(ALPHABET, min_size=1, max_size=8)
numbers = st.text(ALPHABET, min_size=8, max_size=12)


def separate(pkg: CompiledPackage, dk: Deck, digits: Digits) -> tuple[object, ...]:
    """The destination as the separate longest-prefix lookups give it (the original path)."""
    entry = dk.lookup(digits)
    if entry is None:
        raise RatingError(RatingFailure.UNROUTABLE, f"no deck entry for +{digits}")
    country = entry.country
    nanp = country in NANP_COUNTRIES
    route = pkg.canada_route if nanp else pkg.international_route
    cost_rate = entry.rate(route)
    sell_rate, pulse, matched = _sell_rate(pkg, digits, country, nanp, cost_rate)
    eligible = _in_free_zone(pkg, digits, country, nanp)
    return entry, country, nanp, route, cost_rate, sell_rate, pulse, matched, eligible


def random_deck(rng: random.Random, count: int) -> Deck:
    chosen = {"".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 8))) for _ in range(count)}
    return deck(
        (
            p,
            rng.choice(COUNTRIES),
            f"0.{rng.randint(0, 9999):04d}",
            f"0.{rng.randint(0, 9999):04d}",
            rng.choice(PULSES),
        )
        for p in sorted(chosen)
    )


def random_package(rng: random.Random, count: int) -> CompiledPackage:
    rule_prefixes = {
        "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 10))) for _ in range(count)
    }
    rules = [
        rule(RuleKind.PREFIX, p, rng.randint(0, 90_000), pulse=rng.choice([None, Pulse(30, 6)]))
        if rng.random() < 0.5
        else rule(RuleKind.PREFIX, p, markup=Markup(rng.randint(0, 50) * 1_000_000, 0))
        for p in sorted(rule_prefixes)
    ]
    rules += [
        rule(RuleKind.COUNTRY, c, rng.randint(0, 90_000)) for c in COUNTRIES if rng.random() < 0.5
    ]
    if rng.random() < 0.5:
        rules.append(rule(RuleKind.USA_CANADA, "", 9_500))
    zone_prefixes = {
        "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 10))) for _ in range(count // 4)
    }
    zones = [zone(ZoneKind.PREFIX, p) for p in sorted(zone_prefixes)]
    zones += [zone(ZoneKind.COUNTRY, c) for c in COUNTRIES if rng.random() < 0.3]
    return package(rules=rules, zones=zones, markup=Markup(20_000_000, 0))


def outcome(function: Callable[..., T], *args: object) -> T | tuple[RatingFailure, str]:
    """``function(*args)``, or the reason and message of the RatingError it raises."""
    try:
        return function(*args)
    except RatingError as exc:
        return exc.reason, exc.message


def destination(index: Pricer, digits: Digits) -> tuple[object, ...]:
    found = index.destination(digits)
    assert isinstance(found, Destination)
    return (
        found.entry, found.country, found.nanp, found.route, found.cost_rate, found.sell_rate,
        found.pulse, found.rule, found.eligible,
    )  # fmt: skip


def check(pkg: CompiledPackage, dk: Deck, digits: Digits, index: Pricer | None = None) -> None:
    """A pricer (a fresh one, or ``index`` with its memo) agrees with the separate lookups."""
    index = index or Pricer(pkg, dk)
    expected = outcome(separate, pkg, dk, digits)
    if isinstance(expected, tuple) and len(expected) == 2:
        assert expected[0] is RatingFailure.UNROUTABLE
    assert outcome(destination, index, digits) == expected
    assert outcome(destination, index, digits) == expected  # memoised


@settings(max_examples=300)
@given(
    deck_prefixes=st.sets(prefixes, min_size=1, max_size=25),
    rule_prefixes=st.sets(prefixes, max_size=25),
    zone_prefixes=st.sets(prefixes, max_size=8),
    number_list=st.lists(numbers, min_size=1, max_size=20),
)
def test_index_equals_separate_lookups(
    deck_prefixes: set[str],
    rule_prefixes: set[str],
    zone_prefixes: set[str],
    number_list: list[str],
) -> None:
    dk = deck(
        (p, COUNTRIES[i % len(COUNTRIES)], f"0.{i:04d}", f"0.{i + 7:04d}", PULSES[i % 4])
        for i, p in enumerate(sorted(deck_prefixes))
    )
    pkg = package(
        rules=[rule(RuleKind.PREFIX, p, 1_000 + i) for i, p in enumerate(sorted(rule_prefixes))]
        + [rule(RuleKind.COUNTRY, "GB", 5)],
        zones=[zone(ZoneKind.PREFIX, p) for p in sorted(zone_prefixes)],
        markup=Markup(0, 7),
    )
    index = Pricer(pkg, dk)
    for digits in number_list:
        check(pkg, dk, digits)
        check(pkg, dk, digits, index)  # the memo filled by earlier numbers changes nothing


def test_index_equals_separate_lookups_on_a_large_random_deck() -> None:
    rng = random.Random(7)
    dk = random_deck(rng, 3_000)
    pkg = random_package(rng, 600)
    index = Pricer(pkg, dk)
    for _ in range(20_000):
        check(pkg, dk, "".join(rng.choice(ALPHABET) for _ in range(rng.randint(8, 12))), index)


def test_price_equals_the_per_number_pricer_on_random_calls() -> None:
    rng = random.Random(11)
    dk = random_deck(rng, 1_000)
    pkg = random_package(rng, 300)
    batch = Pricer(pkg, dk)
    for _ in range(3_000):
        number = "3" + "".join(rng.choice(ALPHABET) for _ in range(rng.randint(7, 11)))
        digits = normalize(number)
        duration, left = rng.randint(0, 900), rng.randint(0, 3)
        expected = outcome(batch.price, number, digits, duration, left, False)
        call = Call(number, duration, free_minutes_left=left)
        assert outcome(price, call, pkg, dk) == expected


def test_many_packages_and_decks_alternating() -> None:
    rng = random.Random(3)
    decks = [random_deck(rng, 200) for _ in range(3)]
    packages = [random_package(rng, 50) for _ in range(PRICERS_KEPT + 3)]
    calls = ["".join(rng.choice(ALPHABET) for _ in range(11)) for _ in range(40)]
    for _ in range(2):
        for pkg in packages:
            for dk in decks:
                for digits in calls:
                    expected = outcome(separate, pkg, dk, digits)
                    rating = outcome(price, Call(digits, 61), pkg, dk)
                    if isinstance(rating, Rating):
                        entry, _, _, route, cost_rate, sell_rate, pulse, matched, _ = expected
                        assert isinstance(entry, DeckEntry)
                        assert (rating.deck_prefix, rating.route, rating.cost_rate) == (
                            entry.prefix,
                            route,
                            cost_rate,
                        )
                        assert (rating.sell_rate, rating.pulse, rating.rule) == (
                            sell_rate,
                            pulse,
                            matched,
                        )
                    else:
                        assert rating == expected


def test_one_pricer_per_package_and_deck() -> None:
    dk = deck([("44", "GB", "0.0100", "0.0150")])
    pkg = package(rules=[rule(RuleKind.PREFIX, "44", 1_000)])
    assert pricer(pkg, dk) is pricer(pkg, dk)
    assert pricer(pkg, deck([("44", "GB", "0.0100", "0.0150")])) is not pricer(pkg, dk)


def test_a_new_package_with_a_reused_id_gets_its_own_index() -> None:
    dk = deck([("44", "GB", "0.0100", "0.0150")])
    first = price(Call("442079460958", 60), package(rules=[rule(RuleKind.PREFIX, "44", 1_000)]), dk)
    second = price(
        Call("442079460958", 60), package(rules=[rule(RuleKind.PREFIX, "44", 2_000)]), dk
    )
    assert (first.sell_rate, second.sell_rate) == (1_000, 2_000)
