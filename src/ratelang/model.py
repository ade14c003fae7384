"""The compiled form of a package and of an operator deck: what pricing reads.

Produced by :mod:`ratelang.compile` and :mod:`ratelang.deck`; immutable, free of any
parser object, and cheap to share between requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ratelang.money import DEFAULT_ROUNDING, MICRO, Rounding, round_ratio
from ratelang.source import SourceRef, ZoneKind
from ratelang.tables import PrefixTable
from ratelang.types import CountryCode, Digits, Micros

__all__ = [
    "DEFAULT_PACKAGE_ROUNDING",
    "DEFAULT_PULSE",
    "NANP_COUNTRIES",
    "CompiledPackage",
    "Deck",
    "DeckEntry",
    "Direction",
    "FreeZone",
    "Markup",
    "Pulse",
    "RateRule",
    "Route",
    "RuleKind",
    "SourceRef",
    "ZoneKind",
]

NANP_COUNTRIES: frozenset[CountryCode] = frozenset({"US", "CA"})
"""Countries whose calls use a package's *Canada route* and match ``usa_canada`` rules."""


class Route(StrEnum):
    """The operator's two wholesale routes."""

    VALUE = "value"
    PREMIUM = "premium"


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


@dataclass(frozen=True, slots=True)
class Pulse:
    """Billing increments: a first block of ``first`` seconds, then steps of ``step`` seconds."""

    first: int = 60
    step: int = 60

    def billed(self, seconds: int) -> int:
        """``0`` for ``0``; else ``first + ceil(max(0, seconds - first) / step) × step``."""
        if seconds <= 0:
            return 0
        first = self.first
        rest = seconds - first
        if rest <= 0:
            return first
        step = self.step
        return first - (-rest // step) * step

    def __str__(self) -> str:
        return str(self.first) if self.first == self.step else f"{self.first}/{self.step}"


@dataclass(frozen=True, slots=True)
class Markup:
    """``markup P% + F``: ``sell = (cost + F) × (1 + P/100)``.

    ``percent_micros`` is the percentage in millionths of a percent (20% → 20_000_000).
    """

    percent_micros: int = 0
    fixed_micros: Micros = 0

    def apply(self, cost_rate: Micros) -> Micros:
        """The sell rate for ``cost_rate``, exact, then rounded half up to one micro-unit."""
        hundred = 100 * MICRO
        return round_ratio(
            (cost_rate + self.fixed_micros) * (hundred + self.percent_micros),
            hundred,
            Rounding(6),
        )


class RuleKind(StrEnum):
    """What set a call's sell rate, in order of precedence."""

    PREFIX = "prefix"
    COUNTRY = "country"
    USA_CANADA = "usa_canada"
    MARKUP = "markup"  # the package's own markup
    ON_NET = "on_net"  # a free call between DIDs of the platform
    DID = "did"  # an inbound call, priced by the DID


@dataclass(frozen=True, slots=True)
class RateRule:
    """One ``rate`` directive: an absolute rate or its own markup, optionally its own pulse."""

    kind: RuleKind
    key: str  # the prefix digits, the country code, or "" for usa_canada
    rate: Micros | None
    markup: Markup | None
    pulse: Pulse | None
    text: str  # the directive as written, e.g. "rate prefix 4420 0.012 pulse 1"
    source: SourceRef

    def sell_rate(self, cost_rate: Micros) -> Micros:
        """The rule's sell rate given the deck's cost rate."""
        if self.rate is not None:
            return self.rate
        assert self.markup is not None  # the compiler guarantees one of the two
        return self.markup.apply(cost_rate)


@dataclass(frozen=True, slots=True)
class FreeZone:
    """One ``free_zone`` directive."""

    kind: ZoneKind
    key: str
    text: str
    source: SourceRef


@dataclass(frozen=True, slots=True)
class CompiledPackage:
    """A package ready for pricing: settings plus matching tables by prefix and by country."""

    name: str
    currency: str
    markup: Markup
    pulse: Pulse
    canada_route: Route
    international_route: Route
    on_net_free: bool
    setup_fee: Micros
    monthly_fee: Micros
    free_minutes: int
    rounding: Rounding
    connect_fee: Micros
    grace_seconds: int
    prefix_rules: PrefixTable[RateRule]
    country_rules: Mapping[CountryCode, RateRule]
    usa_canada_rule: RateRule | None
    zone_prefixes: PrefixTable[FreeZone]
    zone_countries: Mapping[CountryCode, FreeZone]
    zone_usa_canada: FreeZone | None
    source: SourceRef
    rules: tuple[RateRule, ...] = field(default=())  # every rate rule, in source order
    zones: tuple[FreeZone, ...] = field(default=())  # every free zone, in source order
    markup_source: SourceRef | None = None  # the package's `markup` line, when it has one

    def route_for(self, country: CountryCode) -> Route:
        """The Canada route for US and CA, the International route for every other country."""
        return self.canada_route if country in NANP_COUNTRIES else self.international_route


DEFAULT_PULSE = Pulse()
DEFAULT_PACKAGE_ROUNDING = DEFAULT_ROUNDING


@dataclass(frozen=True, slots=True)
class DeckEntry:
    """One row of the operator's deck."""

    prefix: Digits
    country: CountryCode
    description: str
    value_rate: Micros
    premium_rate: Micros
    pulse: Pulse | None
    line: int

    def rate(self, route: Route) -> Micros:
        return self.value_rate if route is Route.VALUE else self.premium_rate


@dataclass(frozen=True, slots=True)
class Deck:
    """The operator's wholesale rates, by longest prefix. ``version`` identifies the content."""

    entries: PrefixTable[DeckEntry]
    version: str
    source: str = "<deck>"

    def lookup(self, digits: Digits) -> DeckEntry | None:
        match = self.entries.longest_match(digits)
        return None if match is None else match[1]
