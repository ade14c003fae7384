"""Pricing: one call, a compiled package and the operator's deck to an explained :class:`Rating`.

The rules, in the order they apply (SPEC section 3; all money in integer micro-units):

1. A negative duration is ``INVALID_DURATION``; the number is normalised with
   :func:`ratelang.numbers.normalize`, a bad one is ``INVALID_NUMBER``.
2. Outbound: the longest deck prefix gives country, description and cost rate for the
   package's route (Canada route for US/CA, International route otherwise); no deck entry
   is ``UNROUTABLE``.
3. Sell rate, first match: longest ``prefix`` rule, ``country`` rule, ``usa_canada`` rule
   (US/CA only), else the package markup ``(cost + fixed) × (1 + percent/100)``.
4. Sell pulse: the rule's pulse, else the package's. Cost pulse: the deck row's ``pulse``
   column, else the sell pulse.
5. Cost: ``cost_rate × cost_billed_seconds / 60`` rounded to 4 digits half up (the
   operator's rule, whatever the package declares), for the whole call, always.
6. On-net (``on_net free``, outbound, number is a platform DID, country US/CA): sell,
   cost and both rates are 0, no free minutes used.
7. Grace: a call of at most ``grace`` seconds (grace > 0) charges the client nothing and
   uses no free minutes.
8. Free minutes, for inbound calls and outbound calls into a free zone: the call needs
   ``ceil(duration / 60)`` minutes; ``min(needed, left)`` are used; the uncovered
   ``duration - used × 60`` seconds are charged as a call of that length.
9. Sell: ``sell_rate × charged_seconds / 60`` rounded once as the package declares, plus
   the connect fee when some part of the call is charged.
10. Inbound: the DID's sell and cost rates with the package pulse; deck data (country,
    description, prefix) when the deck knows the number; rule kind ``did``.
"""

from __future__ import annotations

import threading
from collections.abc import Set
from functools import lru_cache
from typing import NamedTuple

from ratelang.model import (
    NANP_COUNTRIES,
    CompiledPackage,
    Deck,
    DeckEntry,
    Direction,
    Pulse,
    RateRule,
    Route,
    RuleKind,
)
from ratelang.money import DEFAULT_ROUNDING, format_micros, round_ratio
from ratelang.numbers import NumberError, normalize
from ratelang.rating import Call, MatchedRule, Rating, RatingError, RatingFailure
from ratelang.types import CountryCode, Digits, Micros

__all__ = ["Pricer", "max_affordable_seconds", "price", "pricer"]

_ON_NET_RULE = MatchedRule(RuleKind.ON_NET, "on_net free", None)
_DID_RULE = MatchedRule(RuleKind.DID, "did", None)
_OUTBOUND = Direction.OUTBOUND  # a global lookup is cheaper than an enum member lookup
_INBOUND = Direction.INBOUND
COST_ROUNDING = DEFAULT_ROUNDING
"""The operator's rule for a call's cost (rule 5), whatever the package declares."""


def price(call: Call, package: CompiledPackage, deck: Deck) -> Rating:
    """Price ``call`` with ``package`` and ``deck``; raises :class:`RatingError`.

    ``pricer(package, deck).price_call(call)``: the destinations come from the memo of
    the package and deck's :class:`Pricer`, built by the first call that uses them.
    """
    last = _last
    if last is None or last.package is not package or last.deck is not deck:
        last = pricer(package, deck)
    return last.price_call(call)


def max_affordable_seconds(
    number: str,
    package: CompiledPackage,
    deck: Deck,
    budget: Micros,
    free_minutes_left: int,
    cap_seconds: int,
    on_net_numbers: Set[Digits] = frozenset(),
) -> int:
    """The longest outbound call to ``number`` whose client charge fits ``budget``.

    A duration is affordable when its charge (rules 3 to 9, with ``free_minutes_left``)
    is 0 or at most ``budget``. Returns ``cap_seconds`` when a call of that length is
    affordable (on-net, zero rate, inside the free minutes, or simply cheap enough);
    otherwise the longest affordable pulse boundary ``first + k × step`` below the cap,
    or 0 when not even the first block is affordable. The charge never decreases with
    the duration, so a binary search over ``k`` finds it. Raises :class:`RatingError`
    for an invalid or unroutable number and ``ValueError`` for a negative cap.
    """
    if cap_seconds < 0:
        raise ValueError(f"cap_seconds must be ≥ 0, got {cap_seconds}")
    try:
        digits = normalize(number)
    except NumberError as exc:
        raise RatingError(RatingFailure.INVALID_NUMBER, str(exc)) from None
    dest = pricer(package, deck).destination(digits)
    if package.on_net_free and dest.nanp and digits in on_net_numbers:
        return cap_seconds
    sell_rate, pulse, eligible = dest.sell_rate, dest.pulse, dest.eligible

    def affordable(duration: int) -> bool:
        charged, _ = _charged(
            package, pulse, duration, pulse.billed(duration), eligible, free_minutes_left
        )
        return not charged or _charge(package, sell_rate, charged) <= allowed

    allowed = max(budget, 0)  # a free call is affordable on any budget

    if affordable(cap_seconds):
        return cap_seconds
    first, step = pulse.first, pulse.step
    if cap_seconds < first or not affordable(first):
        return 0
    low, high = 0, (cap_seconds - first) // step  # first + low × step is affordable
    while low < high:
        middle = (low + high + 1) // 2
        if affordable(first + middle * step):
            low = middle
        else:
            high = middle - 1
    return first + low * step


def _charge(package: CompiledPackage, sell_rate: Micros, charged: int) -> Micros:
    """Rule 9: what the client pays for ``charged`` seconds (> 0) at ``sell_rate``."""
    return round_ratio(sell_rate * charged, 60, package.rounding) + package.connect_fee


def _sell_rate(
    package: CompiledPackage, digits: Digits, country: CountryCode, nanp: bool, cost_rate: Micros
) -> tuple[Micros, Pulse, MatchedRule]:
    """Rule 3 and 4: the sell rate, the sell pulse and the rule that set them."""
    match = package.prefix_rules.longest_match(digits)
    rule: RateRule | None
    if match is not None:
        rule = match[1]
    else:
        rule = package.country_rules.get(country)
        if rule is None and nanp:
            rule = package.usa_canada_rule
    if rule is None:
        markup = package.markup
        line = (package.markup_source or package.source).line  # the package's default: its line
        matched = _markup_rule(markup.percent_micros, markup.fixed_micros, line or None)
        return markup.apply(cost_rate), package.pulse, matched
    matched = MatchedRule(rule.kind, rule.text, rule.source.line)
    return rule.sell_rate(cost_rate), rule.pulse or package.pulse, matched


@lru_cache(maxsize=256)
def _markup_rule(percent_micros: int, fixed_micros: Micros, line: int | None) -> MatchedRule:
    """``markup 20% + 0.0000``: the package markup as a matched rule."""
    text = f"markup {format_micros(percent_micros, 0)}% + {format_micros(fixed_micros, 4)}"
    return MatchedRule(RuleKind.MARKUP, text, line)


def _in_free_zone(
    package: CompiledPackage, digits: Digits, country: CountryCode, nanp: bool
) -> bool:
    """Rule 8: whether an outbound call's destination is in one of the free zones."""
    return (
        (nanp and package.zone_usa_canada is not None)
        or country in package.zone_countries
        or (bool(package.zone_prefixes) and package.zone_prefixes.longest_match(digits) is not None)
    )


def _charged(
    package: CompiledPackage, pulse: Pulse, duration: int, billed: int, eligible: bool, left: int
) -> tuple[int, int]:
    """Rules 7 and 8: (seconds the client pays, free minutes used)."""
    grace = package.grace_seconds
    if grace > 0 and duration <= grace:
        return 0, 0
    if not eligible:
        return billed, 0
    needed = -(-duration // 60)
    used = min(needed, left) if left > 0 else 0
    if used == needed:
        return 0, used
    return pulse.billed(duration - used * 60), used


class Destination(NamedTuple):
    """What pricing an outbound call needs that depends only on where it goes (rules 2 to
    4 and the free zone of rule 8)."""

    entry: DeckEntry
    country: CountryCode
    nanp: bool
    route: Route
    cost_rate: Micros
    sell_rate: Micros
    pulse: Pulse
    rule: MatchedRule
    eligible: bool  # in a free zone: free minutes apply


class Pricer:
    """Pricing with one package and one deck: :func:`price` and the batch path use it.

    A destination's pricing depends on three longest matches: the deck entry, the prefix
    rule and the free-zone prefix. Let ``D`` be the deck's longest prefix of a number. A
    rule or zone prefix of the number longer than ``D`` has ``D`` as its own longest deck
    prefix, so grouping those prefixes by their deck prefix (``longer``: the lengths,
    longest first) finds ``P``, the longest prefix of the number among the deck, rule and
    zone prefixes, from ``D`` with a probe per such length (usually none). The three
    longest matches of ``P`` are those of the number, so the destination of ``P``
    (:meth:`_compute`) is memoised by ``P`` and is the number's destination.

    Building costs one deck lookup per rule and zone prefix (about 10 ms for 10,000
    rules); destinations are then computed on first use, at most one per deck, rule and
    zone prefix (the memo never outgrows the tables). Package and deck are immutable, so
    nothing is ever invalidated.
    """

    __slots__ = ("_extra", "_longer", "_lookup", "_memo", "_numbers", "deck", "package")

    NUMBERS_KEPT = 32_768
    """Numbers whose destination :meth:`price` (the batch path, where numbers repeat) also
    memoises by number; the memo is emptied when full (about 4 MB at most)."""

    def __init__(self, package: CompiledPackage, deck: Deck) -> None:
        self.package = package
        self.deck = deck
        lookup = self._lookup = deck.entries.longest_match
        longer: dict[Digits, set[int]] = {}
        extra: set[Digits] = set()
        for table in (package.prefix_rules.as_mapping(), package.zone_prefixes.as_mapping()):
            for prefix in table:
                match = lookup(prefix)
                if match is not None and len(prefix) > len(match[0]):
                    longer.setdefault(match[0], set()).add(len(prefix))
                    extra.add(prefix)
        self._longer = {d: tuple(sorted(lengths, reverse=True)) for d, lengths in longer.items()}
        self._extra = frozenset(extra)
        self._memo: dict[Digits, Destination] = {}
        self._numbers: dict[Digits, Destination] = {}

    def price_call(self, call: Call) -> Rating:
        """:func:`price` of ``call``; raises :class:`RatingError`."""
        duration = call.duration
        if duration < 0:
            raise RatingError(
                RatingFailure.INVALID_DURATION, f"duration must be ≥ 0 seconds, got {duration}"
            )
        try:
            digits = normalize(call.number)
        except NumberError as exc:
            raise RatingError(RatingFailure.INVALID_NUMBER, str(exc)) from None
        if call.direction is _INBOUND:
            return _price_inbound(call, digits, self.package, self.deck)
        on_net = digits in call.on_net_numbers
        dest = self.destination(digits)
        return self._outbound(dest, digits, duration, call.free_minutes_left, on_net)

    def price(
        self,
        number: str,
        digits: Digits | None,
        duration: int,
        free_minutes_left: int,
        on_net: bool,
    ) -> Rating:
        """An outbound call to ``number`` (``digits``: its normalised form, ``None`` if it is
        invalid); ``on_net``: the number is a platform DID. Raises :class:`RatingError`.
        The batch path: the destination is also memoised by number."""
        if digits is None or duration < 0:
            return self.price_call(Call(number, duration, Direction.OUTBOUND, free_minutes_left))
        dest = self._numbers.get(digits)
        if dest is None:
            dest = self.destination(digits)
            if len(self._numbers) >= self.NUMBERS_KEPT:
                self._numbers.clear()
            self._numbers[digits] = dest
        return self._outbound(dest, digits, duration, free_minutes_left, on_net)

    def _outbound(
        self, dest: Destination, digits: Digits, duration: int, left: int, on_net: bool
    ) -> Rating:
        """Rules 5 to 9: an outbound call of ``duration`` ≥ 0 seconds to ``digits``, whose
        destination is ``dest``, the client having ``left`` free minutes; ``on_net``: the
        number is a platform DID."""
        entry, country, nanp, route, cost_rate, sell_rate, pulse, rule, eligible = dest
        package = self.package
        if on_net and nanp and package.on_net_free:  # rule 6
            pulse = package.pulse
            return Rating(
                digits, _OUTBOUND, duration, pulse.billed(duration),
                (entry.pulse or pulse).billed(duration), 0, pulse, 0, 0, 0, 0, 0, _ON_NET_RULE,
                entry.prefix, country, entry.description, route, 0, True,
            )  # fmt: skip
        billed = pulse.billed(duration)
        cost_pulse = entry.pulse
        cost_billed = billed if cost_pulse is None else cost_pulse.billed(duration)
        cost = round_ratio(cost_rate * cost_billed, 60, COST_ROUNDING)
        grace = package.grace_seconds
        if grace > 0 and duration <= grace:
            charged = used = 0
        elif eligible:
            charged, used = _charged(package, pulse, duration, billed, eligible, left)
        else:
            charged, used = billed, 0
        if charged:
            connect = package.connect_fee
            sell = round_ratio(sell_rate * charged, 60, package.rounding) + connect
        else:
            connect = sell = 0
        return Rating(
            digits, _OUTBOUND, duration, billed, cost_billed, charged, pulse,
            sell_rate, sell, connect, cost_rate, cost, rule,
            entry.prefix, country, entry.description, route, used, False,
        )  # fmt: skip

    def destination(self, digits: Digits) -> Destination:
        """The destination of ``digits``; raises ``UNROUTABLE`` without a deck entry."""
        match = self._lookup(digits)
        if match is None:
            raise RatingError(RatingFailure.UNROUTABLE, f"no deck entry for +{digits}")
        key = match[0]
        lengths = self._longer.get(key)
        if lengths is not None:
            extra = self._extra
            for length in lengths:
                candidate = digits[:length]
                if candidate in extra:
                    key = candidate
                    break
        dest = self._memo.get(key)
        if dest is None:
            dest = self._memo[key] = self._compute(key, match[1])
        return dest

    def _compute(self, prefix: Digits, entry: DeckEntry) -> Destination:
        """Rules 2 to 4 and the free zone of rule 8 for ``prefix`` (whose deck entry is
        ``entry``), as the separate lookups give them."""
        package = self.package
        country = entry.country
        nanp = country in NANP_COUNTRIES
        route = package.canada_route if nanp else package.international_route
        cost_rate = entry.rate(route)
        sell_rate, pulse, rule = _sell_rate(package, prefix, country, nanp, cost_rate)
        eligible = _in_free_zone(package, prefix, country, nanp)
        return Destination(entry, country, nanp, route, cost_rate, sell_rate, pulse, rule, eligible)


def _price_inbound(call: Call, digits: Digits, package: CompiledPackage, deck: Deck) -> Rating:
    """Rule 10: a call to one of the client's DIDs, priced by the DID."""
    did = call.did
    if did is None:
        raise RatingError(RatingFailure.NO_DID_PRICE, f"inbound call to +{digits} has no DID price")
    duration = call.duration
    entry = deck.lookup(digits)
    pulse = package.pulse
    billed = pulse.billed(duration)
    cost = round_ratio(did.cost_rate * billed, 60, COST_ROUNDING)
    charged, used = _charged(package, pulse, duration, billed, True, call.free_minutes_left)
    connect = package.connect_fee if charged else 0
    sell = _charge(package, did.sell_rate, charged) if charged else 0
    return Rating(
        digits, Direction.INBOUND, duration, billed, billed, charged, pulse,
        did.sell_rate, sell, connect, did.cost_rate, cost, _DID_RULE,
        None if entry is None else entry.prefix,
        None if entry is None else entry.country,
        "" if entry is None else entry.description,
        None, used, False,
    )  # fmt: skip


PRICERS_KEPT = 8
"""(package, deck) pairs whose :class:`Pricer` :func:`pricer` keeps, most recently used
last; each keeps its package and deck alive (so their ids stay theirs)."""
_pricers: dict[tuple[int, int], Pricer] = {}
_pricers_lock = threading.Lock()
_last: Pricer | None = None


def pricer(package: CompiledPackage, deck: Deck) -> Pricer:
    """The one :class:`Pricer` of ``package`` and ``deck``, built on first use."""
    global _last
    key = (id(package), id(deck))
    with _pricers_lock:
        found = _pricers.pop(key, None)
        if found is None or found.package is not package or found.deck is not deck:
            found = Pricer(package, deck)
            while len(_pricers) >= PRICERS_KEPT:
                del _pricers[next(iter(_pricers))]
        _pricers[key] = found
        _last = found
    return found
