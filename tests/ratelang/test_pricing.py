"""Hand-computed prices for each rule of SPEC section 3 (amounts in micro-units)."""

from __future__ import annotations

import pytest

from ratelang.model import Direction, Markup, Pulse, Route, RuleKind, ZoneKind
from ratelang.money import Rounding, RoundingMode
from ratelang.pricing import price
from ratelang.rating import Call, DidPrice, MatchedRule, RatingError, RatingFailure
from tests.ratelang.factories import (
    GB_MOBILE,
    GB_OTHER,
    JAMAICA,
    LONDON,
    MEXICO,
    MONTREAL,
    NEW_YORK,
    PARIS,
    STANDARD_DECK,
    deck,
    package,
    rule,
    zone,
)

PREFIX, COUNTRY, USA_CANADA = RuleKind.PREFIX, RuleKind.COUNTRY, RuleKind.USA_CANADA


def call(number: str, duration: int, **kwargs: object) -> Call:
    return Call(number, duration, **kwargs)  # type: ignore[arg-type]


# --- cost: deck lookup and routes -----------------------------------------------------------


def test_outbound_rating_fills_every_field() -> None:
    rating = price(call(LONDON, 61), package(), STANDARD_DECK)
    assert rating.number == "442079460958"
    assert rating.direction is Direction.OUTBOUND
    assert rating.duration == 61
    assert rating.deck_prefix == "4420"
    assert rating.country == "GB"
    assert rating.description == "GB 4420"
    assert rating.route is Route.PREMIUM  # international route
    assert rating.cost_rate == 12_000
    assert rating.billed_seconds == rating.cost_billed_seconds == rating.charged_seconds == 120
    assert rating.pulse == Pulse(60, 60)
    assert rating.cost == 24_000  # 0.012 × 120 / 60
    assert rating.sell_rate == 12_000  # markup 0% + 0
    assert rating.sell == 24_000
    assert rating.connect_fee == 0
    assert rating.profit == 0
    assert rating.free_minutes_used == 0
    assert rating.on_net is False
    assert rating.rule == MatchedRule(RuleKind.MARKUP, "markup 0% + 0.0000", 1)


@pytest.mark.parametrize(
    ("number", "canada", "international", "route", "cost_rate"),
    [
        (NEW_YORK, Route.VALUE, Route.PREMIUM, Route.VALUE, 5_000),
        (NEW_YORK, Route.PREMIUM, Route.VALUE, Route.PREMIUM, 8_000),
        (MONTREAL, Route.PREMIUM, Route.VALUE, Route.PREMIUM, 9_000),
        (JAMAICA, Route.PREMIUM, Route.VALUE, Route.VALUE, 100_000),  # JM is international
        (LONDON, Route.VALUE, Route.PREMIUM, Route.PREMIUM, 12_000),
        (LONDON, Route.PREMIUM, Route.VALUE, Route.VALUE, 8_000),
    ],
)
def test_canada_route_for_us_and_ca_international_route_otherwise(
    number: str, canada: Route, international: Route, route: Route, cost_rate: int
) -> None:
    pkg = package(canada_route=canada, international_route=international)
    rating = price(call(number, 60), pkg, STANDARD_DECK)
    assert (rating.route, rating.cost_rate, rating.cost) == (route, cost_rate, cost_rate)


def test_longest_deck_prefix_wins() -> None:
    assert price(call(GB_OTHER, 60), package(), STANDARD_DECK).deck_prefix == "44"
    assert price(call(GB_MOBILE, 60), package(), STANDARD_DECK).deck_prefix == "447"
    assert price(call(JAMAICA, 60), package(), STANDARD_DECK).country == "JM"
    assert price(call(MONTREAL, 60), package(), STANDARD_DECK).country == "CA"


# --- sell rate: precedence ------------------------------------------------------------------

RULES = [
    rule(PREFIX, "44", 40_000, line=11),
    rule(PREFIX, "4420", 20_000, line=12),
    rule(COUNTRY, "GB", 30_000, line=13),
    rule(COUNTRY, "MX", 35_000, line=14),
    rule(USA_CANADA, "", 4_000, line=15),
]
PRECEDENCE = package(rules=RULES, markup=Markup(50_000_000, 0))


@pytest.mark.parametrize(
    ("number", "sell_rate", "kind", "line"),
    [
        (LONDON, 20_000, PREFIX, 12),  # longest prefix rule: 4420 beats 44
        (GB_OTHER, 40_000, PREFIX, 11),  # a prefix rule beats the country rule
        (MEXICO, 35_000, COUNTRY, 14),
        (NEW_YORK, 4_000, USA_CANADA, 15),
        (MONTREAL, 4_000, USA_CANADA, 15),
        (JAMAICA, 225_000, RuleKind.MARKUP, 1),  # not US/CA: 0.15 × 1.5
        (PARIS, 68_400, RuleKind.MARKUP, 1),  # 0.0456 × 1.5
    ],
)
def test_sell_rate_precedence(number: str, sell_rate: int, kind: RuleKind, line: int) -> None:
    rating = price(call(number, 60), PRECEDENCE, STANDARD_DECK)
    assert (rating.sell_rate, rating.rule.kind, rating.rule.line) == (sell_rate, kind, line)
    assert rating.sell == sell_rate  # one minute


def test_country_rule_beats_usa_canada_rule() -> None:
    pkg = package(rules=[rule(COUNTRY, "CA", 7_000), rule(USA_CANADA, "", 4_000)])
    assert price(call(MONTREAL, 60), pkg, STANDARD_DECK).sell_rate == 7_000
    assert price(call(NEW_YORK, 60), pkg, STANDARD_DECK).sell_rate == 4_000


def test_prefix_1_hides_country_jm() -> None:
    pkg = package(rules=[rule(PREFIX, "1", 9_000), rule(COUNTRY, "JM", 200_000)])
    rating = price(call(JAMAICA, 60), pkg, STANDARD_DECK)
    assert (rating.sell_rate, rating.rule.kind) == (9_000, PREFIX)


def test_matched_rule_explains_itself() -> None:
    rating = price(call(LONDON, 60), PRECEDENCE, STANDARD_DECK)
    assert rating.rule == MatchedRule(PREFIX, "rate prefix 4420 0.0200", 12)


def test_markup_20_percent_of_one_cent_is_exactly_0_012() -> None:
    one_cent = deck([("49", "DE", "0.0050", "0.0100")])
    pkg = package(markup=Markup(20_000_000, 0))
    rating = price(call("+49 30 1234567", 60), pkg, one_cent)
    assert rating.sell_rate == 12_000
    assert rating.sell == 12_000
    assert rating.rule.text == "markup 20% + 0.0000"


def test_markup_adds_fixed_before_percent() -> None:
    one_cent = deck([("49", "DE", "0.0050", "0.0100")])
    pkg = package(markup=Markup(12_500_000, 1_000))  # (0.01 + 0.001) × 1.125
    rating = price(call("+49 30 1234567", 60), pkg, one_cent)
    assert rating.sell_rate == 12_375
    assert rating.rule.text == "markup 12.5% + 0.0010"


def test_rule_with_its_own_markup() -> None:
    pkg = package(rules=[rule(COUNTRY, "GB", markup=Markup(15_000_000, 0))])
    rating = price(call(LONDON, 60), pkg, STANDARD_DECK)
    assert rating.sell_rate == 13_800  # 0.012 × 1.15
    assert rating.rule.kind is COUNTRY


# --- pulse ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pulse", "duration", "billed", "sell"),
    [
        (Pulse(60, 60), 0, 0, 0),
        (Pulse(60, 60), 1, 60, 15_000),
        (Pulse(60, 60), 60, 60, 15_000),
        (Pulse(60, 60), 61, 120, 30_000),
        (Pulse(30, 6), 1, 30, 7_500),
        (Pulse(30, 6), 30, 30, 7_500),
        (Pulse(30, 6), 31, 36, 9_000),
        (Pulse(30, 6), 37, 42, 10_500),
        (Pulse(1, 1), 61, 61, 15_300),  # 0.01525 rounded half up to 0.0153
    ],
)
def test_package_pulse(pulse: Pulse, duration: int, billed: int, sell: int) -> None:
    rating = price(call(GB_OTHER, duration), package(pulse=pulse), STANDARD_DECK)
    assert rating.billed_seconds == rating.charged_seconds == rating.cost_billed_seconds == billed
    assert rating.sell == sell  # 0.015 per minute


def test_rule_pulse_overrides_package_pulse() -> None:
    pkg = package(rules=[rule(PREFIX, "4420", 12_000, pulse=Pulse(1, 1))])
    rating = price(call(LONDON, 61), pkg, STANDARD_DECK)
    assert (rating.billed_seconds, rating.sell, rating.pulse) == (61, 12_200, Pulse(1, 1))
    assert rating.cost_billed_seconds == 61  # no deck pulse: the cost uses the sell pulse
    assert rating.cost == 12_200


def test_deck_pulse_column_sets_the_cost_pulse() -> None:
    rating = price(call(GB_MOBILE, 31), package(), STANDARD_DECK)  # deck 447: pulse 30/6
    assert rating.billed_seconds == 60
    assert rating.cost_billed_seconds == 36
    assert rating.cost == 42_000  # 0.07 × 36 / 60
    assert rating.sell == 70_000  # 0.07 × 60 / 60
    paris = price(call(PARIS, 61), package(), STANDARD_DECK)  # deck 33: pulse 1
    assert (paris.cost_billed_seconds, paris.cost) == (61, 46_400)  # 0.0456 × 61/60 = 0.04636


# --- rounding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rounding", "rate", "expected"),
    [
        # 30 s at 0.0001/min is exactly 0.00005: a tie at 4 digits
        (Rounding(4, RoundingMode.HALF_UP), 100, 100),
        (Rounding(4, RoundingMode.UP), 100, 100),
        (Rounding(4, RoundingMode.DOWN), 100, 0),
        (Rounding(4, RoundingMode.HALF_EVEN), 100, 0),
        # 30 s at 0.0003/min is 0.00015: the tie goes to the even 0.0002
        (Rounding(4, RoundingMode.HALF_EVEN), 300, 200),
        (Rounding(4, RoundingMode.DOWN), 300, 100),
        # 30 s at 0.0130/min is 0.0065
        (Rounding(2, RoundingMode.HALF_UP), 13_000, 10_000),
        (Rounding(2, RoundingMode.UP), 13_000, 10_000),
        (Rounding(2, RoundingMode.DOWN), 13_000, 0),
        (Rounding(2, RoundingMode.HALF_EVEN), 13_000, 10_000),  # 0.0065 is above the tie
        (Rounding(6, RoundingMode.DOWN), 13_000, 6_500),
    ],
)
def test_rounding_modes_apply_to_the_sell_once(
    rounding: Rounding, rate: int, expected: int
) -> None:
    pkg = package(rules=[rule(COUNTRY, "GB", rate)], pulse=Pulse(1, 1), rounding=rounding)
    rating = price(call(LONDON, 30), pkg, STANDARD_DECK)
    assert rating.sell == expected


def test_cost_is_always_rounded_to_4_digits_half_up() -> None:
    tiny = deck([("49", "DE", "0.000100", "0.000100", "1")])
    pkg = package(pulse=Pulse(1, 1), rounding=Rounding(2, RoundingMode.DOWN))
    rating = price(call("+49 30 1234567", 30), pkg, tiny)
    assert rating.cost == 100  # 0.00005 half up at 4 digits
    assert rating.sell == 0  # 0.00005 down at 2 digits


# --- connect fee and grace ------------------------------------------------------------------


def test_connect_fee_is_added_to_a_charged_call() -> None:
    pkg = package(connect_fee=50_000)
    rating = price(call(LONDON, 60), pkg, STANDARD_DECK)
    assert (rating.connect_fee, rating.sell) == (50_000, 62_000)


def test_no_connect_fee_for_an_unanswered_call() -> None:
    rating = price(call(LONDON, 0), package(connect_fee=50_000), STANDARD_DECK)
    assert (rating.connect_fee, rating.sell, rating.cost) == (0, 0, 0)


def test_grace_calls_cost_the_client_nothing_but_the_reseller_pays() -> None:
    pkg = package(
        grace_seconds=5, connect_fee=50_000, free_minutes=10, zones=[zone(ZoneKind.USA_CANADA)]
    )
    rating = price(call(NEW_YORK, 5, free_minutes_left=10), pkg, STANDARD_DECK)
    assert (rating.charged_seconds, rating.sell, rating.connect_fee) == (0, 0, 0)
    assert rating.free_minutes_used == 0
    assert rating.billed_seconds == 60
    assert rating.cost == 5_000


def test_a_call_just_over_grace_is_charged_in_full() -> None:
    pkg = package(grace_seconds=5, connect_fee=50_000)
    rating = price(call(LONDON, 6), pkg, STANDARD_DECK)
    assert (rating.charged_seconds, rating.sell) == (60, 62_000)


# --- on-net ---------------------------------------------------------------------------------

PLATFORM_DIDS = frozenset({"12125550100", "15145550100", "18765551234", "442079460958"})


@pytest.mark.parametrize("number", [NEW_YORK, MONTREAL])
def test_on_net_us_and_ca_calls_are_free(number: str) -> None:
    pkg = package(on_net_free=True, connect_fee=50_000, zones=[zone(ZoneKind.USA_CANADA)])
    rating = price(
        call(number, 600, on_net_numbers=PLATFORM_DIDS, free_minutes_left=100), pkg, STANDARD_DECK
    )
    assert rating.on_net is True
    assert (rating.sell, rating.cost, rating.sell_rate, rating.cost_rate) == (0, 0, 0, 0)
    assert (rating.charged_seconds, rating.free_minutes_used, rating.connect_fee) == (0, 0, 0)
    assert rating.rule == MatchedRule(RuleKind.ON_NET, "on_net free", None)
    assert rating.billed_seconds == 600


@pytest.mark.parametrize(
    ("number", "on_net_free", "dids"),
    [
        (NEW_YORK, False, PLATFORM_DIDS),  # package without on_net free
        (JAMAICA, True, PLATFORM_DIDS),  # NANP but not US/CA
        (LONDON, True, PLATFORM_DIDS),  # not NANP
        (NEW_YORK, True, frozenset({"12125550199"})),  # not a platform DID
    ],
)
def test_not_on_net(number: str, on_net_free: bool, dids: frozenset[str]) -> None:
    pkg = package(on_net_free=on_net_free)
    rating = price(call(number, 60, on_net_numbers=dids), pkg, STANDARD_DECK)
    assert rating.on_net is False
    assert rating.sell > 0
    assert rating.cost > 0


# --- free minutes ---------------------------------------------------------------------------

USA_CANADA_FREE = package(free_minutes=500, zones=[zone(ZoneKind.USA_CANADA)], connect_fee=10_000)


def test_a_3_11_call_uses_4_free_minutes() -> None:
    rating = price(call(NEW_YORK, 191, free_minutes_left=10), USA_CANADA_FREE, STANDARD_DECK)
    assert rating.free_minutes_used == 4
    assert (rating.charged_seconds, rating.sell, rating.connect_fee) == (0, 0, 0)
    assert rating.billed_seconds == 240
    assert rating.cost == 20_000  # the reseller still pays 0.005 × 4


def test_partial_bundle_charges_the_uncovered_seconds() -> None:
    rating = price(call(NEW_YORK, 190, free_minutes_left=2), USA_CANADA_FREE, STANDARD_DECK)
    assert rating.free_minutes_used == 2
    assert rating.charged_seconds == 120  # 70 uncovered seconds, pulse 60
    assert rating.sell == 10_000 + 10_000  # 0.005 × 2 + connect
    assert rating.cost == 20_000  # the whole call: 240 s


def test_partial_bundle_uses_the_pulse_for_the_uncovered_part() -> None:
    pkg = package(pulse=Pulse(30, 6), zones=[zone(ZoneKind.USA_CANADA)])
    rating = price(call(NEW_YORK, 130, free_minutes_left=2), pkg, STANDARD_DECK)
    assert (rating.free_minutes_used, rating.charged_seconds) == (2, 30)  # 10 s → 30
    assert rating.sell == 2_500


@pytest.mark.parametrize("left", [0, -3])
def test_an_empty_bundle_uses_nothing(left: int) -> None:
    rating = price(call(NEW_YORK, 190, free_minutes_left=left), USA_CANADA_FREE, STANDARD_DECK)
    assert (rating.free_minutes_used, rating.charged_seconds) == (0, 240)


@pytest.mark.parametrize(
    ("zones", "number", "eligible"),
    [
        ([zone(ZoneKind.COUNTRY, "MX")], MEXICO, True),
        ([zone(ZoneKind.COUNTRY, "MX")], LONDON, False),
        ([zone(ZoneKind.PREFIX, "4420")], LONDON, True),
        ([zone(ZoneKind.PREFIX, "4420")], GB_OTHER, False),
        ([zone(ZoneKind.USA_CANADA)], MONTREAL, True),
        ([zone(ZoneKind.USA_CANADA)], JAMAICA, False),
        ([], NEW_YORK, False),
    ],
)
def test_free_zones(zones: list[object], number: str, eligible: bool) -> None:
    pkg = package(zones=zones)  # type: ignore[arg-type]
    rating = price(call(number, 100, free_minutes_left=5), pkg, STANDARD_DECK)
    assert rating.free_minutes_used == (2 if eligible else 0)
    assert (rating.charged_seconds == 0) is eligible


def test_free_minutes_do_not_change_the_rule_or_rates() -> None:
    rating = price(call(NEW_YORK, 60, free_minutes_left=5), USA_CANADA_FREE, STANDARD_DECK)
    assert (rating.sell_rate, rating.cost_rate, rating.rule.kind) == (5_000, 5_000, RuleKind.MARKUP)


# --- inbound --------------------------------------------------------------------------------

DID = DidPrice(sell_rate=10_000, cost_rate=4_000)


def test_inbound_call_is_priced_by_the_did() -> None:
    pkg = package(rules=[rule(COUNTRY, "GB", 99_000)], connect_fee=1_000)
    rating = price(call(LONDON, 61, direction=Direction.INBOUND, did=DID), pkg, STANDARD_DECK)
    assert rating.direction is Direction.INBOUND
    assert (rating.sell_rate, rating.cost_rate) == (10_000, 4_000)
    assert (rating.billed_seconds, rating.cost_billed_seconds, rating.charged_seconds) == (
        120,
        120,
        120,
    )
    assert (rating.sell, rating.cost) == (21_000, 8_000)
    assert rating.rule == MatchedRule(RuleKind.DID, "did", None)
    assert (rating.country, rating.deck_prefix, rating.route) == ("GB", "4420", None)


def test_inbound_uses_the_package_pulse_even_with_a_deck_pulse() -> None:
    rating = price(
        call(GB_MOBILE, 31, direction=Direction.INBOUND, did=DID), package(), STANDARD_DECK
    )
    assert (rating.billed_seconds, rating.cost_billed_seconds) == (60, 60)


def test_inbound_to_a_number_outside_the_deck() -> None:
    rating = price(
        call("+81 3 1234 5678", 60, direction=Direction.INBOUND, did=DID), package(), STANDARD_DECK
    )
    assert (rating.country, rating.description, rating.deck_prefix) == (None, "", None)
    assert rating.sell == 10_000


def test_inbound_calls_use_free_minutes_without_zones() -> None:
    inbound = call(LONDON, 190, direction=Direction.INBOUND, did=DID, free_minutes_left=2)
    rating = price(inbound, package(), STANDARD_DECK)
    assert (rating.free_minutes_used, rating.charged_seconds, rating.sell) == (2, 120, 20_000)
    assert rating.cost == 16_000


def test_inbound_without_did_price() -> None:
    with pytest.raises(RatingError) as caught:
        price(call(LONDON, 60, direction=Direction.INBOUND), package(), STANDARD_DECK)
    assert caught.value.reason is RatingFailure.NO_DID_PRICE


# --- failures -------------------------------------------------------------------------------


def test_unroutable_number() -> None:
    with pytest.raises(RatingError, match=r"no deck entry for \+81312345678") as caught:
        price(call("+81 3 1234 5678", 60), package(), STANDARD_DECK)
    assert caught.value.reason is RatingFailure.UNROUTABLE


@pytest.mark.parametrize("number", ["abc", "", "+44 1", "020 7946 0958", "+44 20 7946 0958 ext 2"])
def test_invalid_number(number: str) -> None:
    with pytest.raises(RatingError, match="not a telephone number") as caught:
        price(call(number, 60), package(), STANDARD_DECK)
    assert caught.value.reason is RatingFailure.INVALID_NUMBER


def test_negative_duration() -> None:
    with pytest.raises(RatingError) as caught:
        price(call(LONDON, -1), package(), STANDARD_DECK)
    assert caught.value.reason is RatingFailure.INVALID_DURATION
