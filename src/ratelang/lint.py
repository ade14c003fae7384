"""The last stage of the compiler: warnings about built packages. A package without
``markup``, shadowed or redundant rules and, given a deck, rates below cost and rules or
free zones that match no destination."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import phonenumbers

from ratelang import ast
from ratelang.errors import RuleWarning
from ratelang.model import (
    NANP_COUNTRIES,
    CompiledPackage,
    Deck,
    DeckEntry,
    FreeZone,
    RateRule,
    SourceRef,
)
from ratelang.money import format_micros
from ratelang.tables import PrefixTable
from ratelang.types import CountryCode, Digits


@dataclass(frozen=True, slots=True)
class Finding:
    """A warning before it is given its source line."""

    at: SourceRef
    message: str
    hint: str = ""
    length: int = 1


@cache
def calling_code(country: CountryCode) -> Digits | None:
    """The country calling code of ``country`` (``"JM"`` → ``"1"``), if known."""
    code = _calling_codes().get(country)
    if code is None:  # not a region phonenumbers lists; ask it all the same
        code = phonenumbers.country_code_for_region(country)
    return str(code) if code else None


@cache
def _calling_codes() -> dict[str, int]:
    """Region → calling code, from phonenumbers' own index: without loading the metadata
    of every region (some 20 ms the first time a package has hundreds of country rules)."""
    codes: dict[str, int] = {}
    for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items():
        for region in regions:
            if region != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
                codes.setdefault(region, code)
    return codes


class DeckIndex:
    """A deck's entries by country and in prefix order, built once per check."""

    def __init__(self, deck: Deck) -> None:
        self.deck = deck
        self.entries = [entry for _, entry in deck.entries.items()]
        self.prefixes = [entry.prefix for entry in self.entries]
        self.by_country: dict[CountryCode, list[DeckEntry]] = defaultdict(list)
        for entry in self.entries:
            self.by_country[entry.country].append(entry)

    def under(self, prefix: Digits) -> list[DeckEntry]:
        """Entries whose prefix starts with ``prefix``."""
        start = bisect.bisect_left(self.prefixes, prefix)
        end = bisect.bisect_left(self.prefixes, prefix + ":")  # ':' sorts after '9'
        return self.entries[start:end]

    def covers(self, prefix: Digits) -> bool:
        """Whether some number starting with ``prefix`` is routable."""
        return self.deck.lookup(prefix) is not None or bool(self.under(prefix))


def lint(
    rule_file: ast.RuleFile, packages: Sequence[CompiledPackage], deck: Deck | None = None
) -> tuple[RuleWarning, ...]:
    """The warnings about ``packages``, built from ``rule_file``, in source order: deck
    warnings only when ``deck`` is given. A package of ``rule_file`` that lacks a
    ``markup`` is warned about even when it was not built (it has errors)."""
    findings = [
        Finding(
            package.at,
            f"package {package.name.text!r} has no 'markup': calls that no rate rule matches "
            "are sold at cost",
            "add e.g. 'markup 20%', or 'markup 0%' to say so",
            len("package"),
        )
        for package in rule_file.packages
        if not any(isinstance(d, ast.MarkupDirective) for d in package.directives)
    ]
    index = DeckIndex(deck) if deck is not None and packages else None
    for package in packages:
        findings += lint_package(package, index)
    warnings = [_warning(rule_file, finding) for finding in findings]
    return tuple(sorted(warnings, key=lambda w: (w.line, w.column)))


def _warning(rule_file: ast.RuleFile, finding: Finding) -> RuleWarning:
    at = finding.at
    snippet = rule_file.line(at.line)
    return RuleWarning(
        at.file, at.line, at.column, finding.message, snippet, (), finding.hint, finding.length
    )


def lint_package(package: CompiledPackage, deck: DeckIndex | None = None) -> list[Finding]:
    """Every warning about ``package`` but its missing markup; deck warnings only when
    ``deck`` is given."""
    findings = [*_shadowed_countries(package, deck), *_shadowed_usa_canada(package, deck)]
    findings += _redundant_zones(package)
    if package.zones and package.free_minutes == 0:
        zone = package.zones[0]
        findings.append(
            Finding(
                zone.source,
                "free zones have no effect without 'free_minutes'",
                "add e.g. 'free_minutes 500'",
                len(zone.text),
            )
        )
    if deck is not None:
        findings += _unmatched(package, deck)
        findings += _below_cost(package, deck)
    return findings


def _rule_finding(rule: RateRule, message: str, hint: str = "") -> Finding:
    return Finding(rule.source, message, hint, len(rule.text))


def _covering(rules: PrefixTable[RateRule], entries: Iterable[DeckEntry]) -> RateRule | None:
    """A prefix rule that matches before every entry's own prefix, if all entries have one."""
    first: RateRule | None = None
    for entry in entries:
        match = rules.longest_match(entry.prefix)
        if match is None:
            return None
        first = first or match[1]
    return first


def _hider(package: CompiledPackage, country: CountryCode, deck: DeckIndex | None) -> str | None:
    """Why no call to ``country`` reaches a country or usa_canada rule, or None."""
    code = calling_code(country)
    match = package.prefix_rules.longest_match(code) if code else None
    if match is not None:
        rule = match[1]
        return f"'{rule.text}' (line {rule.source.line}) matches every number of {country}"
    entries = deck.by_country.get(country) if deck is not None else None
    if entries:
        hider = _covering(package.prefix_rules, entries)
        if hider is not None:
            return (
                f"prefix rules such as '{hider.text}' (line {hider.source.line}) "
                f"match every {country} destination of the deck"
            )
    return None


def _shadowed_countries(package: CompiledPackage, deck: DeckIndex | None) -> list[Finding]:
    findings = []
    for country, rule in package.country_rules.items():
        reason = _hider(package, country, deck)
        if reason is not None:
            findings.append(_rule_finding(rule, f"'{rule.text}' never applies: {reason}"))
    return findings


def _shadowed_usa_canada(package: CompiledPackage, deck: DeckIndex | None) -> list[Finding]:
    rule = package.usa_canada_rule
    if rule is None:
        return []
    reasons = []
    for country in sorted(NANP_COUNTRIES, reverse=True):
        other = package.country_rules.get(country)
        reason = _hider(package, country, deck)
        if other is not None and reason is None:
            reason = f"'{other.text}' (line {other.source.line}) comes first for {country}"
        if reason is None:
            return []
        reasons.append(reason)
    return [
        _rule_finding(rule, f"'{rule.text}' never applies: {'; '.join(dict.fromkeys(reasons))}")
    ]


def _redundant_zones(package: CompiledPackage) -> list[Finding]:
    findings = []
    zones = package.zone_prefixes
    for zone in package.zones:
        cover = None
        if zone.kind == "prefix":
            match = zones.longest_match(zone.key[:-1]) if len(zone.key) > 1 else None
            cover = match[1] if match else None
        elif zone.kind == "country":
            code = calling_code(zone.key)
            match = zones.longest_match(code) if code else None
            cover = match[1] if match else None
            if cover is None and zone.key in NANP_COUNTRIES:
                cover = package.zone_usa_canada
        if cover is not None:
            message = (
                f"'{zone.text}' is redundant: '{cover.text}' (line {cover.source.line}) covers it"
            )
            findings.append(Finding(zone.source, message, "remove one of them", len(zone.text)))
    return findings


def _reaches(deck: DeckIndex, kind: str, key: str) -> bool:
    if kind == "prefix":
        return deck.covers(key)
    if kind == "country":
        return key in deck.by_country
    return any(country in deck.by_country for country in NANP_COUNTRIES)


def _unmatched(package: CompiledPackage, deck: DeckIndex) -> list[Finding]:
    """Rules and free zones that no destination of the deck reaches."""
    findings = []
    items: list[RateRule | FreeZone] = [*package.rules, *package.zones]
    for item in items:
        if not _reaches(deck, item.kind, item.key):
            message = f"'{item.text}' matches no destination in the deck"
            findings.append(Finding(item.source, message, "", len(item.text)))
    return findings


def _below_cost(package: CompiledPackage, deck: DeckIndex) -> list[Finding]:
    """Absolute rates below the deck's cost on some destination they price."""
    covered: dict[int, list[DeckEntry]] = defaultdict(list)
    for entry in deck.entries:
        rule = _rule_for(package, entry)
        if rule is not None:
            covered[id(rule)].append(entry)
    for rule in package.prefix_rules.as_mapping().values():
        parent = deck.deck.lookup(rule.key)
        if parent is not None and parent.prefix != rule.key:
            covered[id(rule)].append(parent)
    findings = []
    for rule in package.rules:
        if rule.rate is None:
            continue
        losing = [e for e in covered[id(rule)] if rule.rate < e.rate(package.route_for(e.country))]
        if losing:
            worst = max(losing, key=lambda e: e.rate(package.route_for(e.country)))
            route = package.route_for(worst.country)
            more = f" and {len(losing) - 1} more" if len(losing) > 1 else ""
            message = (
                f"rate {format_micros(rule.rate)} is below the deck's cost "
                f"{format_micros(worst.rate(route))} ({route} route) for prefix {worst.prefix} "
                f"({worst.country}, {worst.description}){more}"
            )
            findings.append(_rule_finding(rule, message, "calls it prices are sold at a loss"))
    return findings


def _rule_for(package: CompiledPackage, entry: DeckEntry) -> RateRule | None:
    """The rate rule that prices calls to ``entry``'s own prefix, by precedence."""
    match = package.prefix_rules.longest_match(entry.prefix)
    if match is not None:
        return match[1]
    rule = package.country_rules.get(entry.country)
    if rule is None and entry.country in NANP_COUNTRIES:
        rule = package.usa_canada_rule
    return rule
