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

from ratelang.model import (
    NANP_COUNTRIES,
    CompiledPackage,
    Deck,
    DeckEntry,
    Direction,
    Markup,
    Pulse,
    RateRule,
    Route,
    RuleKind,
)
from ratelang.money import DEFAULT_ROUNDING, MICRO, RoundingMode, format_micros, round_ratio
from ratelang.numbers import NumberError, normalize
from ratelang.rating import Call, MatchedRule, Rating, RatingError, RatingFailure
from ratelang.types import CountryCode, Digits, Micros

_ON_NET_RULE = MatchedRule(RuleKind.ON_NET, "on_net free", None)
_DID_RULE = MatchedRule(RuleKind.DID, "did", None)


def price(call: Call, package: CompiledPackage, deck: Deck) -> Rating:
    """Price ``call`` with ``package`` and ``deck``; raises :class:`RatingError`.

    An outbound call's destination (rules 2 to 4, free zone) comes from the memo of the
    package and deck's :class:`_Index`, built by the first call that uses them.
    """
    duration = call.duration
    if duration < 0:
        raise RatingError(
            RatingFailure.INVALID_DURATION, f"duration must be ≥ 0 seconds, got {duration}"
        )
    try:
        digits = normalize(call.number)
    except NumberError as exc:
        raise RatingError(RatingFailure.INVALID_NUMBER, str(exc)) from None
    if call.direction is Direction.INBOUND:
        return _price_inbound(call, digits, package, deck)
    index = _last_index
    if index is None or index.package is not package or index.deck is not deck:
        index = _index(package, deck)
    match = index.lookup(digits)
    if match is None:
        raise RatingError(RatingFailure.UNROUTABLE, f"no deck entry for +{digits}")
    key = match[0]
    lengths = index.longer.get(key)
    if lengths is not None:
        key = index.longest(digits, key, lengths)
    dest = index.by_prefix.get(key)
    if dest is None:
        dest = index.add(key, match[1])
    entry, country, nanp, route, cost_rate, sell_rate, pulse, rule, eligible = dest
    if nanp and package.on_net_free and digits in call.on_net_numbers:
        pulse = package.pulse
        return Rating(
            digits, Direction.OUTBOUND, duration, pulse.billed(duration),
            (entry.pulse or pulse).billed(duration), 0, pulse, 0, 0, 0, 0, 0, _ON_NET_RULE,
            entry.prefix, country, entry.description, route, 0, True,
        )  # fmt: skip
    if duration > 0:  # pulse.billed(duration), inlined
        first = pulse.first
        rest = duration - first
        billed = first - (-(rest if rest > 0 else 0) // pulse.step) * pulse.step
    else:
        billed = 0
    cost_pulse = entry.pulse
    cost_billed = billed if cost_pulse is None else cost_pulse.billed(duration)
    numerator = cost_rate * cost_billed
    if numerator >= 0:  # _cost(numerator), inlined
        quotient, remainder = divmod(numerator, _COST_STEP)
        if 2 * remainder >= _COST_STEP:
            quotient += 1
        cost = quotient * _COST_QUANTUM
    else:
        cost = _cost(numerator)
    grace = package.grace_seconds  # _charged(), inlined but for the free minutes
    if grace > 0 and duration <= grace:
        charged = used = 0
    elif not eligible:
        charged, used = billed, 0
    else:
        charged, used = _charged(package, pulse, duration, billed, True, call.free_minutes_left)
    if charged:
        connect = package.connect_fee
        numerator = sell_rate * charged
        quantum = index.sell_quantum
        if quantum and numerator >= 0:  # round_ratio(numerator, 60, HALF_UP), inlined
            step = 60 * quantum
            quotient, remainder = divmod(numerator, step)
            if 2 * remainder >= step:
                quotient += 1
            sell = quotient * quantum + connect
        else:
            sell = round_ratio(numerator, 60, package.rounding) + connect
    else:
        connect = sell = 0
    return Rating(
        digits, Direction.OUTBOUND, duration, billed, cost_billed, charged, pulse,
        sell_rate, sell, connect, cost_rate, cost, rule,
        entry.prefix, country, entry.description, route, used, False,
    )  # fmt: skip


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
    digits = _digits(number)
    entry = _entry(deck, digits)
    country = entry.country
    nanp = country in NANP_COUNTRIES
    if package.on_net_free and nanp and digits in on_net_numbers:
        return cap_seconds
    cost_rate = entry.rate(package.canada_route if nanp else package.international_route)
    sell_rate, pulse, _ = _sell_rate(package, digits, country, nanp, cost_rate)
    eligible = _in_free_zone(package, digits, country, nanp)

    def affordable(duration: int) -> bool:
        charged, _ = _charged(
            package, pulse, duration, pulse.billed(duration), eligible, free_minutes_left
        )
        if not charged:
            return True
        charge = round_ratio(sell_rate * charged, 60, package.rounding) + package.connect_fee
        return charge <= allowed

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


def _price_inbound(call: Call, digits: Digits, package: CompiledPackage, deck: Deck) -> Rating:
    """Rule 10: a call to one of the client's DIDs, priced by the DID."""
    did = call.did
    if did is None:
        raise RatingError(RatingFailure.NO_DID_PRICE, f"inbound call to +{digits} has no DID price")
    duration = call.duration
    entry = deck.lookup(digits)
    pulse = package.pulse
    billed = pulse.billed(duration)
    cost = _cost(did.cost_rate * billed)
    charged, used = _charged(package, pulse, duration, billed, True, call.free_minutes_left)
    connect = package.connect_fee if charged else 0
    sell = round_ratio(did.sell_rate * charged, 60, package.rounding) + connect
    return Rating(
        digits, Direction.INBOUND, duration, billed, billed, charged, pulse,
        did.sell_rate, sell, connect, did.cost_rate, cost, _DID_RULE,
        None if entry is None else entry.prefix,
        None if entry is None else entry.country,
        "" if entry is None else entry.description,
        None, used, False,
    )  # fmt: skip


def _digits(number: str) -> Digits:
    try:
        return normalize(number)
    except NumberError as exc:
        raise RatingError(RatingFailure.INVALID_NUMBER, str(exc)) from None


def _entry(deck: Deck, digits: Digits) -> DeckEntry:
    match = deck.entries.longest_match(digits)
    if match is not None:
        return match[1]
    raise RatingError(RatingFailure.UNROUTABLE, f"no deck entry for +{digits}")


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
        return _apply_markup(markup, cost_rate), package.pulse, matched
    matched = MatchedRule(rule.kind, rule.text, rule.source.line)
    rate = rule.rate
    if rate is None:
        rule_markup = rule.markup
        rate = (
            rule.sell_rate(cost_rate)
            if rule_markup is None
            else _apply_markup(rule_markup, cost_rate)
        )
    return rate, rule.pulse or package.pulse, matched


_HUNDRED_PERCENT = 100 * MICRO
_COST_STEP = 60 * DEFAULT_ROUNDING.quantum
_COST_QUANTUM = DEFAULT_ROUNDING.quantum


def _apply_markup(markup: Markup, cost_rate: Micros) -> Micros:
    """``markup.apply(cost_rate)``, inlined for the usual non-negative case (hot path)."""
    numerator = (cost_rate + markup.fixed_micros) * (_HUNDRED_PERCENT + markup.percent_micros)
    if numerator < 0:
        return markup.apply(cost_rate)
    quotient, remainder = divmod(numerator, _HUNDRED_PERCENT)
    return quotient + 1 if 2 * remainder >= _HUNDRED_PERCENT else quotient


def _cost(numerator: int) -> Micros:
    """``round_ratio(numerator, 60, DEFAULT_ROUNDING)``, inlined for ``numerator ≥ 0``."""
    if numerator < 0:
        return round_ratio(numerator, 60, DEFAULT_ROUNDING)
    quotient, remainder = divmod(numerator, _COST_STEP)
    if 2 * remainder >= _COST_STEP:
        quotient += 1
    return quotient * DEFAULT_ROUNDING.quantum


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


_Destination = tuple[DeckEntry, CountryCode, bool, Route, Micros, Micros, Pulse, MatchedRule, bool]


class _Index:
    """What :func:`price` needs per destination, for one package and one deck, memoised.

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

    __slots__ = ("_extra", "by_prefix", "deck", "longer", "lookup", "package", "sell_quantum")

    def __init__(self, package: CompiledPackage, deck: Deck) -> None:
        self.package = package
        self.deck = deck
        rounding = package.rounding
        # The sell rounding's quantum when it is half up (the inlined case), else 0.
        self.sell_quantum = rounding.quantum if rounding.mode is RoundingMode.HALF_UP else 0
        lookup = self.lookup = deck.entries.longest_match
        longer: dict[Digits, set[int]] = {}
        extra: set[Digits] = set()
        for table in (package.prefix_rules.as_mapping(), package.zone_prefixes.as_mapping()):
            for prefix in table:
                match = lookup(prefix)
                if match is not None and len(prefix) > len(match[0]):
                    longer.setdefault(match[0], set()).add(len(prefix))
                    extra.add(prefix)
        self.longer = {d: tuple(sorted(lengths, reverse=True)) for d, lengths in longer.items()}
        self._extra = frozenset(extra)
        self.by_prefix: dict[Digits, _Destination] = {}

    def destination(self, digits: Digits) -> _Destination:
        """The destination of ``digits``; raises ``UNROUTABLE`` without a deck entry."""
        match = self.lookup(digits)
        if match is None:
            raise RatingError(RatingFailure.UNROUTABLE, f"no deck entry for +{digits}")
        key = match[0]
        lengths = self.longer.get(key)
        if lengths is not None:
            key = self.longest(digits, key, lengths)
        dest = self.by_prefix.get(key)
        if dest is None:
            dest = self.add(key, match[1])
        return dest

    def longest(self, digits: Digits, prefix: Digits, lengths: tuple[int, ...]) -> Digits:
        """The longest prefix of ``digits`` among the deck, rule and zone prefixes, given
        ``prefix``, its longest deck prefix, and ``lengths``, ``self.longer[prefix]``."""
        extra = self._extra
        for length in lengths:
            candidate = digits[:length]
            if candidate in extra:
                return candidate
        return prefix

    def add(self, prefix: Digits, entry: DeckEntry) -> _Destination:
        """Compute and memoise the destination of ``prefix`` (deck entry ``entry``)."""
        dest = self.by_prefix[prefix] = self._compute(prefix, entry)
        return dest

    def _compute(self, prefix: Digits, entry: DeckEntry) -> _Destination:
        """Rules 2 to 4 and the free zone of rule 8 for ``prefix`` (whose deck entry is
        ``entry``), as the separate lookups give them."""
        package = self.package
        country = entry.country
        nanp = country in NANP_COUNTRIES
        route = package.canada_route if nanp else package.international_route
        cost_rate = entry.value_rate if route is Route.VALUE else entry.premium_rate
        sell_rate, pulse, rule = _sell_rate(package, prefix, country, nanp, cost_rate)
        eligible = _in_free_zone(package, prefix, country, nanp)
        return entry, country, nanp, route, cost_rate, sell_rate, pulse, rule, eligible


_INDEXES_KEPT = 8
"""(package, deck) pairs whose :class:`_Index` is kept, most recently used last; each keeps
its package and deck alive (so their ids stay theirs)."""
_indexes: dict[tuple[int, int], _Index] = {}
_indexes_lock = threading.Lock()
_last_index: _Index | None = None


def _index(package: CompiledPackage, deck: Deck) -> _Index:
    """The :class:`_Index` of ``package`` and ``deck``, built on first use."""
    global _last_index
    key = (id(package), id(deck))
    with _indexes_lock:
        index = _indexes.pop(key, None)
        if index is None or index.package is not package or index.deck is not deck:
            index = _Index(package, deck)
            while len(_indexes) >= _INDEXES_KEPT:
                del _indexes[next(iter(_indexes))]
        _indexes[key] = index
        _last_index = index
    return index


class Pricer:
    """:func:`price` for many calls with one package and one deck (the batch path).

    What depends only on the destination (deck entry, route, cost rate, sell rate, pulse,
    matched rule, free zone) is computed once per number and cached; each call then costs
    a few integer operations. Results are identical to :func:`price`.
    """

    __slots__ = ("_destinations", "_quantum", "_step", "deck", "package")

    MAX_CACHED = 200_000

    def __init__(self, package: CompiledPackage, deck: Deck) -> None:
        self.package = package
        self.deck = deck
        self._destinations: dict[Digits, _Destination | RatingError] = {}
        rounding = package.rounding
        self._quantum = rounding.quantum if rounding.mode is RoundingMode.HALF_UP else 0
        self._step = 60 * rounding.quantum

    def price(
        self,
        number: str,
        digits: Digits | None,
        duration: int,
        free_minutes_left: int,
        on_net: bool,
    ) -> Rating:
        """An outbound call to ``number`` (``digits``: its normalised form, ``None`` if it is
        invalid); ``on_net``: the number is a platform DID. Raises :class:`RatingError`."""
        if digits is None or duration < 0:
            return price(
                Call(number, duration, Direction.OUTBOUND, free_minutes_left),
                self.package,
                self.deck,
            )
        dest = self._destinations.get(digits)
        if dest is None:
            dest = self._destination(digits)
        if type(dest) is RatingError:
            raise RatingError(dest.reason, dest.message)
        entry, country, nanp, route, cost_rate, sell_rate, pulse, rule, eligible = dest  # type: ignore[misc]
        package = self.package
        if on_net and nanp and package.on_net_free:
            return price(
                Call(number, duration, Direction.OUTBOUND, free_minutes_left, frozenset((digits,))),
                package,
                self.deck,
            )
        billed = pulse.billed(duration)
        cost_pulse = entry.pulse
        cost_billed = billed if cost_pulse is None else cost_pulse.billed(duration)
        cost = _cost(cost_rate * cost_billed)
        charged, used = _charged(package, pulse, duration, billed, eligible, free_minutes_left)
        if charged:
            numerator = sell_rate * charged
            quantum = self._quantum
            if quantum and numerator >= 0:
                step = self._step
                quotient, remainder = divmod(numerator, step)
                if 2 * remainder >= step:
                    quotient += 1
                sell = quotient * quantum + package.connect_fee
                connect = package.connect_fee
            else:
                connect = package.connect_fee
                sell = round_ratio(numerator, 60, package.rounding) + connect
        else:
            connect = sell = 0
        return Rating(
            digits, Direction.OUTBOUND, duration, billed, cost_billed, charged, pulse,
            sell_rate, sell, connect, cost_rate, cost, rule,
            entry.prefix, country, entry.description, route, used, False,
        )  # fmt: skip

    def _destination(self, digits: Digits) -> _Destination | RatingError:
        result: _Destination | RatingError
        try:
            package = self.package
            entry = _entry(self.deck, digits)
            country = entry.country
            nanp = country in NANP_COUNTRIES
            route = package.canada_route if nanp else package.international_route
            cost_rate = entry.value_rate if route is Route.VALUE else entry.premium_rate
            sell_rate, pulse, rule = _sell_rate(package, digits, country, nanp, cost_rate)
            eligible = _in_free_zone(package, digits, country, nanp)
            result = (entry, country, nanp, route, cost_rate, sell_rate, pulse, rule, eligible)
        except RatingError as exc:
            result = exc
        if len(self._destinations) >= self.MAX_CACHED:
            self._destinations.clear()
        self._destinations[digits] = result
        return result
