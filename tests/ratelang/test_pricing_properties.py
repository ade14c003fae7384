"""Properties of pricing, checked against Decimal and naive oracles."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal, localcontext

from hypothesis import given
from hypothesis import strategies as st

from ratelang.model import Markup, Pulse, RuleKind, ZoneKind
from ratelang.money import MICRO, Rounding, RoundingMode, round_ratio
from ratelang.pricing import price
from ratelang.rating import Call
from tests.ratelang.factories import STANDARD_DECK, deck, package, rule, zone

NUMBERS = {
    "442079460958": ("GB", True),  # London
    "441632960123": ("GB", False),
    "447700900123": ("GB", False),
    "12125550100": ("US", True),
    "15145550100": ("CA", True),
    "18765551234": ("JM", True),
    "525512345678": ("MX", False),
    "33123456789": ("FR", False),
}
pulses = st.builds(Pulse, st.integers(1, 120), st.integers(1, 60))
roundings = st.builds(Rounding, st.integers(0, 6), st.sampled_from(list(RoundingMode)))
DECIMAL_MODES = {
    RoundingMode.HALF_UP: ROUND_HALF_UP,
    RoundingMode.UP: ROUND_UP,
    RoundingMode.DOWN: ROUND_DOWN,
    RoundingMode.HALF_EVEN: ROUND_HALF_EVEN,
}


@st.composite
def packages(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    return package(
        rules=[rule(RuleKind.USA_CANADA, "", draw(st.integers(0, 1_000_000)), pulse=draw(pulses))],
        pulse=draw(pulses),
        rounding=draw(roundings),
        connect_fee=draw(st.sampled_from([0, 1, 50_000])),
        grace_seconds=draw(st.sampled_from([0, 3, 59])),
        zones=[zone(ZoneKind.USA_CANADA)] if draw(st.booleans()) else [],
    )


@given(pulse=pulses, duration=st.integers(0, 20_000))
def test_billed_seconds_cover_the_call_on_the_pulse_grid(pulse: Pulse, duration: int) -> None:
    pkg = package(rules=[rule(RuleKind.COUNTRY, "GB", 10_000, pulse=pulse)])
    rating = price(Call("441632960123", duration), pkg, STANDARD_DECK)
    billed = rating.billed_seconds
    assert billed >= duration
    assert billed == 0 or (billed >= pulse.first and (billed - pulse.first) % pulse.step == 0)
    assert billed - duration < max(pulse.first, pulse.step)
    assert (billed == 0) is (duration == 0)


@given(
    pkg=packages(),
    durations=st.lists(st.integers(0, 5_000), min_size=2, max_size=2),
    left=st.integers(-2, 100),
)
def test_sell_never_decreases_with_the_duration(pkg, durations: list[int], left: int) -> None:  # type: ignore[no-untyped-def]
    short, long = sorted(durations)
    sell_short = price(Call("12125550100", short, free_minutes_left=left), pkg, STANDARD_DECK).sell
    sell_long = price(Call("12125550100", long, free_minutes_left=left), pkg, STANDARD_DECK).sell
    assert sell_short <= sell_long


@given(pkg=packages(), duration=st.integers(0, 5_000), left=st.integers(-5, 100))
def test_free_minutes_used_are_bounded(pkg, duration: int, left: int) -> None:  # type: ignore[no-untyped-def]
    rating = price(Call("12125550100", duration, free_minutes_left=left), pkg, STANDARD_DECK)
    used = rating.free_minutes_used
    assert 0 <= used <= max(left, 0)
    assert used <= -(-duration // 60)
    if pkg.zone_usa_canada is None:
        assert used == 0
    assert rating.charged_seconds <= rating.billed_seconds


@given(
    cost=st.integers(0, 10 * MICRO),
    percent=st.integers(0, 500 * MICRO),
    fixed=st.integers(0, MICRO),
)
def test_markup_is_exact(cost: int, percent: int, fixed: int) -> None:
    text = f"{Decimal(cost) / MICRO:.6f}"
    one_deck = deck([("49", "DE", text, text)])
    rating = price(Call("49301234567", 60), package(markup=Markup(percent, fixed)), one_deck)
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(cost + fixed) * (1 + Decimal(percent) / MICRO / 100)
        expected = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert rating.sell_rate == expected


PREFIX_POOL = ["1", "12", "1212", "15", "1876", "4", "44", "4420", "447", "52", "3"]
COUNTRY_POOL = ["US", "CA", "JM", "GB", "MX", "FR"]


@given(
    prefixes=st.sets(st.sampled_from(PREFIX_POOL)),
    countries=st.sets(st.sampled_from(COUNTRY_POOL)),
    usa_canada=st.booleans(),
    number=st.sampled_from(sorted(NUMBERS)),
)
def test_precedence_for_random_rule_sets(
    prefixes: set[str], countries: set[str], usa_canada: bool, number: str
) -> None:
    rules = [rule(RuleKind.PREFIX, p, 1_000 + len(p)) for p in prefixes]
    rules += [rule(RuleKind.COUNTRY, c, 2_000 + COUNTRY_POOL.index(c)) for c in countries]
    if usa_canada:
        rules.append(rule(RuleKind.USA_CANADA, "", 3_000))
    rating = price(Call(number, 60), package(rules=rules, markup=Markup(0, 7)), STANDARD_DECK)
    country = NUMBERS[number][0]
    matching = [p for p in prefixes if number.startswith(p)]
    if matching:
        expected = (RuleKind.PREFIX, 1_000 + len(max(matching, key=len)))
    elif country in countries:
        expected = (RuleKind.COUNTRY, 2_000 + COUNTRY_POOL.index(country))
    elif usa_canada and country in {"US", "CA"}:
        expected = (RuleKind.USA_CANADA, 3_000)
    else:
        expected = (RuleKind.MARKUP, rating.cost_rate + 7)
    assert (rating.rule.kind, rating.sell_rate) == expected


@given(
    numerator=st.integers(-(10**15), 10**15),
    denominator=st.integers(1, 10**4),
    rounding=roundings,
)
def test_round_ratio_matches_decimal_quantize(
    numerator: int, denominator: int, rounding: Rounding
) -> None:
    with localcontext() as ctx:
        ctx.prec = 80
        exact = Decimal(numerator) / Decimal(denominator) / MICRO
        quantum = Decimal(1).scaleb(-rounding.digits)
        expected = exact.quantize(quantum, rounding=DECIMAL_MODES[rounding.mode]) * MICRO
    assert round_ratio(numerator, denominator, rounding) == int(expected)
