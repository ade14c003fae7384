"""Builders of compiled packages and decks for the pricing tests (no compiler needed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ratelang.deck import parse_deck
from ratelang.model import (
    DEFAULT_PULSE,
    CompiledPackage,
    Deck,
    FreeZone,
    Markup,
    Pulse,
    RateRule,
    Route,
    RuleKind,
    SourceRef,
    ZoneKind,
)
from ratelang.money import DEFAULT_ROUNDING, Rounding, format_micros
from ratelang.tables import PrefixTable
from ratelang.types import Micros

FILE = "test.rate"
NO_MARKUP = Markup()


def rule(
    kind: RuleKind,
    key: str = "",
    rate: Micros | None = None,
    *,
    markup: Markup | None = None,
    pulse: Pulse | None = None,
    line: int = 10,
) -> RateRule:
    """A ``rate`` rule; give ``rate`` (absolute) or ``markup``."""
    if (rate is None) == (markup is None):
        raise ValueError("give exactly one of rate and markup")
    if rate is not None:
        what = format_micros(rate, 4)
    else:
        assert markup is not None
        what = f"markup {format_micros(markup.percent_micros, 0)}%"
    text = " ".join(
        part for part in ("rate", str(kind), key, what, f"pulse {pulse}" if pulse else "") if part
    )
    return RateRule(kind, key, rate, markup, pulse, text, SourceRef(FILE, line, 5))


def zone(kind: ZoneKind, key: str = "", line: int = 30) -> FreeZone:
    text = " ".join(part for part in ("free_zone", str(kind), key) if part)
    return FreeZone(kind, key, text, SourceRef(FILE, line, 5))


def package(
    *,
    rules: Sequence[RateRule] = (),
    zones: Sequence[FreeZone] = (),
    markup: Markup = NO_MARKUP,
    pulse: Pulse = DEFAULT_PULSE,
    canada_route: Route = Route.VALUE,
    international_route: Route = Route.PREMIUM,
    on_net_free: bool = False,
    free_minutes: int = 0,
    rounding: Rounding = DEFAULT_ROUNDING,
    connect_fee: Micros = 0,
    grace_seconds: int = 0,
    line: int = 1,
) -> CompiledPackage:
    """A compiled package as the compiler would build it from the given rules and zones."""
    usa_canada = [r for r in rules if r.kind is RuleKind.USA_CANADA]
    usa_canada_zone = [z for z in zones if z.kind is ZoneKind.USA_CANADA]
    return CompiledPackage(
        name="Test",
        currency="USD",
        markup=markup,
        pulse=pulse,
        canada_route=canada_route,
        international_route=international_route,
        on_net_free=on_net_free,
        setup_fee=0,
        monthly_fee=0,
        free_minutes=free_minutes,
        rounding=rounding,
        connect_fee=connect_fee,
        grace_seconds=grace_seconds,
        prefix_rules=PrefixTable((r.key, r) for r in rules if r.kind is RuleKind.PREFIX),
        country_rules={r.key: r for r in rules if r.kind is RuleKind.COUNTRY},
        usa_canada_rule=usa_canada[0] if usa_canada else None,
        zone_prefixes=PrefixTable((z.key, z) for z in zones if z.kind is ZoneKind.PREFIX),
        zone_countries={z.key: z for z in zones if z.kind is ZoneKind.COUNTRY},
        zone_usa_canada=usa_canada_zone[0] if usa_canada_zone else None,
        source=SourceRef(FILE, line, 1),
        rules=tuple(rules),
        zones=tuple(zones),
    )


DeckRow = tuple[str, str, str, str] | tuple[str, str, str, str, str]


def deck(rows: Iterable[DeckRow]) -> Deck:
    """A deck from ``(prefix, country, value_rate, premium_rate[, pulse])`` rows."""
    lines = ["prefix,country,description,value_rate,premium_rate,pulse"]
    for row in rows:
        prefix, country, value, premium = row[:4]
        pulse = row[4] if len(row) == 5 else ""
        lines.append(f"{prefix},{country},{country} {prefix},{value},{premium},{pulse}")
    return parse_deck("\n".join(lines) + "\n", source="test-deck.csv")


STANDARD_DECK = deck(
    [
        ("1", "US", "0.0050", "0.0080"),
        ("1514", "CA", "0.0060", "0.0090"),
        ("1876", "JM", "0.1000", "0.1500"),
        ("44", "GB", "0.0100", "0.0150"),
        ("4420", "GB", "0.0080", "0.0120"),
        ("447", "GB", "0.0500", "0.0700", "30/6"),
        ("52", "MX", "0.0200", "0.0300"),
        ("33", "FR", "0.0123", "0.0456", "1"),
    ]
)
"""A small deck used by most pricing tests: US, CA, JM, GB (London, mobile), MX, FR."""

LONDON = "+44 20 7946 0958"  # 4420 → GB, value 0.0080 / premium 0.0120
GB_MOBILE = "447700900123"  # 447 → GB, pulse 30/6
GB_OTHER = "441632960123"  # 44 → GB
MONTREAL = "1 (514) 555-0100"  # 1514 → CA
NEW_YORK = "+1 212 555 0100"  # 1 → US
JAMAICA = "+1 876 555 1234"  # 1876 → JM
MEXICO = "+52 55 1234 5678"  # 52 → MX
PARIS = "+33 1 23 45 67 89"  # 33 → FR, pulse 1
