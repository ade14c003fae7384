"""compile_source / compile_file / build: defaults, tables, several packages, speed."""

from __future__ import annotations

import gc
import time
from pathlib import Path

import pytest

from ratelang.build import build
from ratelang.compile import Compiled, compile_file, compile_source, parse
from ratelang.errors import RuleErrors
from ratelang.model import Markup, Pulse, Route, RuleKind, SourceRef, ZoneKind
from ratelang.money import Rounding, RoundingMode
from ratelang.parse import SyntaxErrors
from ratelang.values import ValueProblem

from .conftest import RULES, package


def test_defaults() -> None:
    pkg = compile_source(package()).package()
    assert pkg.markup == Markup(20_000_000, 0)
    assert pkg.pulse == Pulse(60, 60)
    assert pkg.rounding == Rounding(4, RoundingMode.HALF_UP)
    assert (pkg.canada_route, pkg.international_route) == (Route.VALUE, Route.PREMIUM)
    assert (pkg.on_net_free, pkg.setup_fee, pkg.monthly_fee, pkg.free_minutes) == (False, 0, 0, 0)
    assert (pkg.connect_fee, pkg.grace_seconds) == (0, 0)
    assert len(pkg.prefix_rules) == 0
    assert pkg.country_rules == {}
    assert pkg.usa_canada_rule is None
    assert pkg.zones == ()
    assert pkg.rules == ()


def test_settings_are_exact_micro_units() -> None:
    pkg = compile_source(
        package(
            "fee setup 10.00",
            "fee monthly 4.99",
            "connect 0.015",
            "grace 3",
            "pulse 30/6",
            "round 2 down",
            "on_net free",
            "free_minutes 500",
        ),
    ).package()
    assert (pkg.setup_fee, pkg.monthly_fee, pkg.connect_fee) == (10_000_000, 4_990_000, 15_000)
    assert (pkg.grace_seconds, pkg.pulse, pkg.rounding) == (
        3,
        Pulse(30, 6),
        Rounding(2, RoundingMode.DOWN),
    )
    assert pkg.on_net_free
    assert pkg.free_minutes == 500


def test_rules_fill_the_tables_in_source_order() -> None:
    text = package(
        "rate prefix 4420 0.012 pulse 1",
        "rate country GB markup 15% + 0.001",
        "rate usa_canada 0.0095",
        "free_zone usa_canada",
        "free_zone country MX",
        "free_zone prefix 1787",
    )
    pkg = compile_source(text, "t.rate").package("P")
    assert [r.kind for r in pkg.rules] == [RuleKind.PREFIX, RuleKind.COUNTRY, RuleKind.USA_CANADA]
    london = pkg.prefix_rules.get("4420")
    assert london is not None
    assert (london.rate, london.markup, london.pulse) == (12_000, None, Pulse(1, 1))
    assert london.text == "rate prefix 4420 0.012 pulse 1"
    assert london.source == SourceRef("t.rate", 6, 5)
    gb = pkg.country_rules["GB"]
    assert (gb.rate, gb.markup) == (None, Markup(15_000_000, 1_000))
    assert gb.sell_rate(10_000) == 12_650  # (0.01 + 0.001) × 1.15
    assert pkg.usa_canada_rule is not None
    assert pkg.usa_canada_rule.rate == 9_500
    assert [z.kind for z in pkg.zones] == [ZoneKind.USA_CANADA, ZoneKind.COUNTRY, ZoneKind.PREFIX]
    assert pkg.zone_usa_canada is not None
    assert set(pkg.zone_countries) == {"MX"}
    assert pkg.zone_prefixes.longest_match("17875550100") is not None


def test_spec_markup_example() -> None:
    pkg = compile_source(package().replace("markup 20%", "markup 20% + 0.0000")).package()
    assert pkg.markup.apply(10_000) == 12_000  # 0.01 with 20 % gives 0.012


def test_several_packages_and_lookup_by_name() -> None:
    compiled = compile_file(RULES / "wholesale-per-second.rate")
    assert [p.name for p in compiled.packages] == ["Wholesale A-Z", "Wholesale Premium"]
    assert compiled.package("Wholesale Premium").pulse == Pulse(6, 6)
    with pytest.raises(KeyError):
        compiled.package("nope")


def test_errors_raise_rule_errors_with_all_errors_and_warnings() -> None:
    with pytest.raises(RuleErrors) as info:
        compile_source(
            package("rate country ZZ 1", "rate prefix 4x 1").replace("    markup 20%\n", ""),
            "t.rate",
        )
    assert [e.message for e in info.value.errors] == [
        "unknown country 'ZZ'",
        "malformed prefix '4x': digits only",
    ]
    assert [w.message for w in info.value.warnings] == [
        "package 'P' has no 'markup': calls that no rate rule matches are sold at cost"
    ]


def test_compile_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.rate"
    path.write_text(package("markp 1"), encoding="utf-8")
    with pytest.raises(RuleErrors) as info:
        compile_file(path)
    assert info.value.errors[0].file == str(path)


def test_empty_file_compiles_to_nothing() -> None:
    assert compile_source("# nothing yet\n") == Compiled((), ())


def test_build_alone_and_on_invalid_input() -> None:
    (pkg,) = parse(package("rate prefix 44 0.01")).packages
    assert build(pkg).prefix_rules.get("44") is not None
    (bad,) = parse(package("rate prefix 44 -1")).packages
    with pytest.raises(ValueProblem, match="negative rate"):
        build(bad)


def big_package(rules: int) -> str:
    lines = [
        f"rate prefix {44_000_000 + i} 0.{i % 9000 + 1000:04d}" + (" pulse 1" if i % 5 == 0 else "")
        for i in range(rules)
    ]
    return package(*lines)


def test_ten_thousand_rules_compile_quickly() -> None:
    text = big_package(10_000)
    compile_source(package())  # build the parser first
    start = time.perf_counter()
    pkg = compile_source(text).package()
    elapsed = time.perf_counter() - start
    assert len(pkg.prefix_rules) == 10_000
    assert elapsed < 3.0, f"10,000 rules took {elapsed:.2f} s"  # about 0.5 s; generous for CI


def errors_of(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(RuleErrors) as info:
        compile_source(text, "t.rate")
    assert not info.value.warnings  # a file with syntax errors gets no warnings
    return [(e.line, e.column, e.message) for e in info.value.errors]


def test_a_syntax_error_does_not_hide_the_other_errors() -> None:
    text = package("markp 20%", "round 4 half-up", "rate country gb 0.01")
    assert errors_of(text) == [
        (6, 5, "unknown directive 'markp'"),
        (7, 13, "unexpected 'half-up'"),
        (8, 18, "unknown country 'gb'"),
    ]


def test_a_broken_line_does_not_count_as_a_missing_setting() -> None:
    # the currency line is broken: the package does not "lack" a currency
    text = 'package "P" {\n    currency U S D\n    route canada value\n    route int value\n}\n'
    assert errors_of(text) == [(2, 16, "unexpected 'S'"), (4, 11, "unexpected 'int'")]


def test_the_directives_after_a_broken_line_keep_their_text_and_place() -> None:
    text = package("fee setup $1", "markup 30%")
    assert errors_of(text) == [
        (6, 15, "unexpected '$1'"),
        (7, 5, "contradictory 'markup': line 3 says 'markup 20%'"),
    ]


def test_errors_of_every_package_and_of_a_package_left_open() -> None:
    text = package("pulse 60 /") + 'package "Q" {\n    currency usd\n    markp 1\n'
    assert errors_of(text) == [
        (6, 15, "unexpected end of line"),
        (8, 1, "package 'Q' has no 'route canada' directive"),
        (8, 1, "package 'Q' has no 'route international' directive"),
        (9, 14, "malformed currency 'usd': ISO 4217 is three upper-case letters"),
        (10, 5, "unknown directive 'markp'"),
        (10, 12, "unexpected end of file"),
    ]


def test_a_nested_package_stops_the_parse() -> None:
    text = package('package "Q" {', "markp 1") + "}\n"
    with pytest.raises(SyntaxErrors) as info:
        parse(text, "t.rate")
    assert info.value.recovered is None
    assert [message for _, _, message in errors_of(text)] == ["unexpected character '{'"]


def test_syntax_errors_carry_the_rest_of_the_file() -> None:
    with pytest.raises(SyntaxErrors) as info:
        parse(package("markup 15", "rate prefix 44 0.01"), "t.rate")
    assert info.value.skipped == frozenset({6})
    assert info.value.recovered is not None
    (pkg,) = info.value.recovered.packages
    assert [d.text for d in pkg.directives][-1] == "rate prefix 44 0.01"
    assert pkg.directives[-1].at.line == 7


def test_compiling_leaves_the_garbage_collector_running() -> None:
    text = big_package(2_000)
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    thresholds = gc.get_threshold()
    gc.callbacks.append(count)
    gc.set_threshold(100)
    try:
        compile_source(text)
        enabled = gc.isenabled()
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*thresholds)
    assert enabled
    assert len(collections) > 10  # the collector ran while compiling
