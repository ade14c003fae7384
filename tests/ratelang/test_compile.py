"""compile_source / compile_file / build: defaults, tables, several packages, speed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ratelang.build import build
from ratelang.compile import Compiled, compile_file, compile_source, parse
from ratelang.errors import RuleErrors
from ratelang.model import Markup, Pulse, Route, RuleKind, SourceRef, ZoneKind
from ratelang.money import Rounding, RoundingMode
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
