"""Compiled packages and ratings as plain JSON-ready dicts; money as decimal strings."""

from __future__ import annotations

from typing import Any

from ratelang.model import CompiledPackage, FreeZone, Markup, Pulse, RateRule
from ratelang.money import format_micros
from ratelang.rating import Rating

JSON = dict[str, Any]


def money(amount: int) -> str:
    """Micro-units as a decimal string with 6 places: ``9500`` → ``"0.009500"``."""
    return format_micros(amount)


def markup_to_dict(markup: Markup) -> JSON:
    return {"percent": format_micros(markup.percent_micros, 0), "fixed": money(markup.fixed_micros)}


def pulse_text(pulse: Pulse | None) -> str | None:
    return None if pulse is None else str(pulse)


def rule_to_dict(rule: RateRule) -> JSON:
    return {
        "kind": str(rule.kind),
        "key": rule.key,
        "rate": None if rule.rate is None else money(rule.rate),
        "markup": None if rule.markup is None else markup_to_dict(rule.markup),
        "pulse": pulse_text(rule.pulse),
        "text": rule.text,
        "line": rule.source.line,
    }


def zone_to_dict(zone: FreeZone) -> JSON:
    return {"kind": str(zone.kind), "key": zone.key, "text": zone.text, "line": zone.source.line}


def package_to_dict(package: CompiledPackage) -> JSON:
    """Settings, the prefix table, the country table and the free zones of ``package``."""
    usa_canada = package.usa_canada_rule
    zone_usa_canada = package.zone_usa_canada
    return {
        "name": package.name,
        "line": package.source.line,
        "settings": {
            "currency": package.currency,
            "markup": markup_to_dict(package.markup),
            "pulse": str(package.pulse),
            "route_canada": str(package.canada_route),
            "route_international": str(package.international_route),
            "on_net_free": package.on_net_free,
            "fee_setup": money(package.setup_fee),
            "fee_monthly": money(package.monthly_fee),
            "free_minutes": package.free_minutes,
            "round": {"digits": package.rounding.digits, "mode": str(package.rounding.mode)},
            "connect": money(package.connect_fee),
            "grace": package.grace_seconds,
        },
        "prefix_rules": {prefix: rule_to_dict(r) for prefix, r in package.prefix_rules.items()},
        "country_rules": {
            c: rule_to_dict(package.country_rules[c]) for c in sorted(package.country_rules)
        },
        "usa_canada_rule": None if usa_canada is None else rule_to_dict(usa_canada),
        "free_zones": {
            "prefixes": {p: zone_to_dict(z) for p, z in package.zone_prefixes.items()},
            "countries": {
                c: zone_to_dict(package.zone_countries[c]) for c in sorted(package.zone_countries)
            },
            "usa_canada": None if zone_usa_canada is None else zone_to_dict(zone_usa_canada),
        },
    }


def rating_to_dict(rating: Rating, places: int) -> JSON:
    """Every field of ``rating``; charges shown with ``places`` decimals, rates with 6."""
    return {
        "number": rating.number,
        "direction": str(rating.direction),
        "duration": rating.duration,
        "billed_seconds": rating.billed_seconds,
        "cost_billed_seconds": rating.cost_billed_seconds,
        "charged_seconds": rating.charged_seconds,
        "pulse": str(rating.pulse),
        "sell_rate": money(rating.sell_rate),
        "sell": format_micros(rating.sell, places),
        "connect_fee": format_micros(rating.connect_fee, places),
        "cost_rate": money(rating.cost_rate),
        "cost": format_micros(rating.cost, places),
        "profit": format_micros(rating.profit, places),
        "rule": {"kind": str(rating.rule.kind), "text": rating.rule.text, "line": rating.rule.line},
        "deck_prefix": rating.deck_prefix,
        "country": rating.country,
        "description": rating.description,
        "route": None if rating.route is None else str(rating.route),
        "free_minutes_used": rating.free_minutes_used,
        "on_net": rating.on_net,
    }
