"""Properties: random valid rule sets compile, and the tables give the documented precedence."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ratelang.compile import compile_source
from ratelang.model import NANP_COUNTRIES, CompiledPackage, RateRule

from .conftest import package

COUNTRIES = ("US", "CA", "GB", "MX", "JM", "FR", "DE", "IN")
prefixes = st.from_regex(r"[1-9][0-9]{0,5}", fullmatch=True)
amounts = st.from_regex(r"[0-9]{1,2}(\.[0-9]{1,6})?", fullmatch=True)
prices = st.one_of(
    amounts,
    st.builds(lambda p, f: f"markup {p}%" + (f" + {f}" if f else ""), amounts, st.none() | amounts),
)
pulses = st.none() | st.from_regex(r"[1-9][0-9]{0,2}(/[1-9][0-9]?)?", fullmatch=True)


def line(target: str, price: str, pulse: str | None) -> str:
    return f"rate {target} {price}" + (f" pulse {pulse}" if pulse else "")


rule_sets = st.tuples(
    st.dictionaries(prefixes, st.tuples(prices, pulses), max_size=20),
    st.dictionaries(st.sampled_from(COUNTRIES), st.tuples(prices, pulses), max_size=5),
    st.none() | st.tuples(prices, pulses),
)


def lines_of(
    rules: tuple[
        dict[str, tuple[str, str | None]],
        dict[str, tuple[str, str | None]],
        tuple[str, str | None] | None,
    ],
) -> list[str]:
    by_prefix, by_country, usa_canada = rules
    lines = [line(f"prefix {p}", *v) for p, v in by_prefix.items()]
    lines += [line(f"country {c}", *v) for c, v in by_country.items()]
    if usa_canada is not None:
        lines.append(line("usa_canada", *usa_canada))
    return lines


def expected_rule(lines: list[str], number: str, country: str) -> str | None:
    """The documented precedence, by brute force over the rule lines."""
    prefix_lines = [(text.split()[2], text) for text in lines if text.split()[1] == "prefix"]
    matching = [(p, text) for p, text in prefix_lines if number.startswith(p)]
    if matching:
        return max(matching, key=lambda m: len(m[0]))[1]
    for text in lines:
        if text.split()[1:3] == ["country", country]:
            return text
    if country in NANP_COUNTRIES:
        return next((text for text in lines if text.split()[1] == "usa_canada"), None)
    return None


def table_rule(pkg: CompiledPackage, number: str, country: str) -> RateRule | None:
    match = pkg.prefix_rules.longest_match(number)
    if match is not None:
        return match[1]
    rule = pkg.country_rules.get(country)
    if rule is None and country in NANP_COUNTRIES:
        rule = pkg.usa_canada_rule
    return rule


@settings(max_examples=150, deadline=None)
@given(rule_sets, st.from_regex(r"[1-9][0-9]{6,12}", fullmatch=True), st.sampled_from(COUNTRIES))
def test_random_rule_sets_compile_and_keep_precedence(rules, number: str, country: str) -> None:  # type: ignore[no-untyped-def]
    lines = lines_of(rules)
    pkg = compile_source(package(*lines)).package()
    assert [r.text for r in pkg.rules] == lines
    rule = table_rule(pkg, number, country)
    assert (rule.text if rule else None) == expected_rule(lines, number, country)
