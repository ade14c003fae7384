"""A checked :class:`ratelang.ast.Package` → :class:`ratelang.model.CompiledPackage`."""

from __future__ import annotations

from ratelang import ast, values
from ratelang.model import (
    DEFAULT_PACKAGE_ROUNDING,
    DEFAULT_PULSE,
    CompiledPackage,
    FreeZone,
    Markup,
    RateRule,
    Route,
    RuleKind,
    SourceRef,
    ZoneKind,
)
from ratelang.money import Rounding, RoundingMode
from ratelang.tables import PrefixTable

_RULE_KINDS = {
    ZoneKind.USA_CANADA: RuleKind.USA_CANADA,
    ZoneKind.COUNTRY: RuleKind.COUNTRY,
    ZoneKind.PREFIX: RuleKind.PREFIX,
}


def target_key(target: ast.Target) -> str:
    """The validated key of a target: prefix digits, a country code, or ``""``."""
    if target.key is None:
        return ""
    if target.kind is ZoneKind.PREFIX:
        return values.prefix(target.key.text)
    return values.country(target.key.text)


def rate_rule(directive: ast.Rate) -> RateRule:
    """One ``rate`` directive as a :class:`RateRule`."""
    return RateRule(
        kind=_RULE_KINDS[directive.target.kind],
        key=target_key(directive.target),
        rate=values.amount(directive.rate.text, "rate") if directive.rate else None,
        markup=values.markup(directive.markup) if directive.markup else None,
        pulse=values.pulse(directive.pulse) if directive.pulse else None,
        text=directive.text,
        source=directive.at,
    )


def free_zone(directive: ast.FreeZone) -> FreeZone:
    """One ``free_zone`` directive as a :class:`FreeZone`."""
    kind = directive.target.kind
    return FreeZone(kind, target_key(directive.target), directive.text, directive.at)


def build(package: ast.Package) -> CompiledPackage:
    """Compile one package; it must have passed :func:`ratelang.check.check`.

    Raises :class:`ratelang.values.ValueProblem` (a ``ValueError``) on an invalid value.
    Unset settings take their defaults (see docs/ratelang.md).
    """
    settings = _Settings()
    rules: list[RateRule] = []
    zones: list[FreeZone] = []
    for directive in package.directives:
        if isinstance(directive, ast.Rate):
            rules.append(rate_rule(directive))
        elif isinstance(directive, ast.FreeZone):
            zones.append(free_zone(directive))
        else:
            settings.apply(directive)
    if settings.currency is None:
        raise values.ValueProblem(f"package {package.name.text!r} has no currency")
    by_kind = {kind: [r for r in rules if r.kind is kind] for kind in RuleKind}
    zones_by = {kind: [z for z in zones if z.kind is kind] for kind in ZoneKind}
    usa_canada = by_kind[RuleKind.USA_CANADA]
    zone_usa_canada = zones_by[ZoneKind.USA_CANADA]
    return CompiledPackage(
        name=package.name.text,
        currency=settings.currency,
        markup=settings.markup,
        pulse=settings.pulse,
        canada_route=settings.canada_route,
        international_route=settings.international_route,
        on_net_free=settings.on_net_free,
        setup_fee=settings.setup_fee,
        monthly_fee=settings.monthly_fee,
        free_minutes=settings.free_minutes,
        rounding=settings.rounding,
        connect_fee=settings.connect_fee,
        grace_seconds=settings.grace_seconds,
        prefix_rules=PrefixTable((r.key, r) for r in by_kind[RuleKind.PREFIX]),
        country_rules={r.key: r for r in by_kind[RuleKind.COUNTRY]},
        usa_canada_rule=usa_canada[0] if usa_canada else None,
        zone_prefixes=PrefixTable((z.key, z) for z in zones_by[ZoneKind.PREFIX]),
        zone_countries={z.key: z for z in zones_by[ZoneKind.COUNTRY]},
        zone_usa_canada=zone_usa_canada[0] if zone_usa_canada else None,
        source=package.at,
        rules=tuple(rules),
        zones=tuple(zones),
        markup_source=settings.markup_source,
    )


class _Settings:
    """The package-wide settings, starting from their defaults."""

    def __init__(self) -> None:
        self.currency: str | None = None
        self.markup = Markup()
        self.markup_source: SourceRef | None = None
        self.pulse = DEFAULT_PULSE
        self.canada_route = Route.VALUE
        self.international_route = Route.VALUE
        self.on_net_free = False
        self.setup_fee = 0
        self.monthly_fee = 0
        self.free_minutes = 0
        self.rounding = DEFAULT_PACKAGE_ROUNDING
        self.connect_fee = 0
        self.grace_seconds = 0

    def apply(self, directive: ast.Directive) -> None:
        match directive:
            case ast.Currency(code=code):
                self.currency = values.currency(code.text)
            case ast.MarkupDirective(markup=spec):
                self.markup = values.markup(spec)
                self.markup_source = directive.at
            case ast.PulseDirective(pulse=spec):
                self.pulse = values.pulse(spec)
            case ast.RouteDirective(which=which, route=route):
                if which.text == "canada":
                    self.canada_route = Route(route.text)
                else:
                    self.international_route = Route(route.text)
            case ast.OnNet():
                self.on_net_free = True
            case ast.Fee(kind=kind, amount=amount):
                fee = values.amount(amount.text, "fee")
                if kind.text == "setup":
                    self.setup_fee = fee
                else:
                    self.monthly_fee = fee
            case ast.FreeMinutes(count=count):
                self.free_minutes = values.whole(count.text, "free_minutes", 0)
            case ast.RoundDirective(digits=digits, mode=mode):
                places = values.whole(digits.text, "round digits", 0, values.MAX_ROUND_DIGITS)
                self.rounding = Rounding(places, RoundingMode(mode.text))
            case ast.Connect(amount=amount):
                self.connect_fee = values.amount(amount.text, "connect fee")
            case ast.Grace(seconds=seconds):
                self.grace_seconds = values.whole(seconds.text, "grace", 0)
            case ast.Unknown(name=name):
                raise values.ValueProblem(f"unknown directive {name.text!r}")
            case _:
                raise TypeError(f"not a setting: {directive!r}")
