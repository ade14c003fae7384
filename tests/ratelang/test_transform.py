"""Tree → AST: values as written, positions, normalised directive text."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ratelang import ast
from ratelang.compile import parse
from ratelang.model import SourceRef, ZoneKind

from .conftest import package


def directives(*lines: str) -> tuple[ast.Directive, ...]:
    (pkg,) = parse(package(*lines), "t.rate").packages
    return pkg.directives[4:]


def test_package_name_and_position() -> None:
    rule_file = parse('\npackage "Basic" {\n currency USD\n}\n', "t.rate")
    (pkg,) = rule_file.packages
    assert pkg.name == ast.Word("Basic", SourceRef("t.rate", 2, 9))
    assert pkg.at == SourceRef("t.rate", 2, 1)
    assert rule_file.line(3) == " currency USD"
    assert rule_file.line(99) == ""


def test_rate_with_absolute_rate_and_pulse() -> None:
    (rate,) = directives("rate   prefix 4420   0.012 pulse 30/6   # London")
    assert isinstance(rate, ast.Rate)
    assert rate.text == "rate prefix 4420 0.012 pulse 30/6"
    assert rate.at == SourceRef("t.rate", 6, 5)
    assert rate.target == ast.Target(ZoneKind.PREFIX, ast.Word("4420", SourceRef("t.rate", 6, 19)))
    assert rate.rate is not None
    assert rate.rate.text == "0.012"
    assert rate.markup is None
    assert rate.pulse is not None
    assert (rate.pulse.first.text, rate.pulse.step and rate.pulse.step.text) == ("30", "6")


def test_rate_with_markup_and_fixed_part() -> None:
    (rate,) = directives("rate country GB markup 15% + 0.001")
    assert isinstance(rate, ast.Rate)
    assert rate.rate is None
    assert rate.markup is not None
    assert rate.markup.percent.text == "15"
    assert rate.markup.fixed is not None
    assert rate.markup.fixed.text == "0.001"
    assert rate.target.key is not None
    assert rate.target.key.text == "GB"


def test_usa_canada_target_has_no_key() -> None:
    (rate, zone) = directives("rate usa_canada markup 5%", "free_zone usa_canada")
    assert isinstance(rate, ast.Rate)
    assert isinstance(zone, ast.FreeZone)
    assert rate.target == ast.Target(ZoneKind.USA_CANADA, None)
    assert zone.target == ast.Target(ZoneKind.USA_CANADA, None)


def test_settings() -> None:
    found = directives(
        "pulse 60",
        "on_net free",
        "fee monthly 4.99",
        "free_minutes 500",
        "round 2 up",
        "connect 0.01",
        "grace 5",
    )
    pulse, on_net, fee, free, rnd, connect, grace = found
    assert isinstance(pulse, ast.PulseDirective)
    assert pulse.pulse.step is None
    assert isinstance(on_net, ast.OnNet)
    assert on_net.mode.text == "free"
    assert isinstance(fee, ast.Fee)
    assert (fee.kind.text, fee.amount.text) == ("monthly", "4.99")
    assert isinstance(free, ast.FreeMinutes)
    assert free.count.text == "500"
    assert isinstance(rnd, ast.RoundDirective)
    assert (rnd.digits.text, rnd.mode.text) == ("2", "up")
    assert isinstance(connect, ast.Connect)
    assert connect.amount.text == "0.01"
    assert isinstance(grace, ast.Grace)
    assert grace.seconds.text == "5"


def test_unknown_directive_keeps_its_name_and_text() -> None:
    (unknown,) = directives("markp 20 %")
    assert isinstance(unknown, ast.Unknown)
    assert unknown.name.text == "markp"
    assert unknown.text == "markp 20 %"


def test_last_directive_may_share_the_closing_brace_line() -> None:
    (pkg,) = parse('package "P" {\n currency USD }').packages
    assert isinstance(pkg.directives[0], ast.Currency)


def test_parses_in_several_threads_at_once_keep_their_own_file_and_text() -> None:
    texts = {
        f"f{i}.rate": package(*(f"rate prefix {i}{k} 0.0{k}" for k in range(1, 40)))
        for i in range(1, 9)
    }

    def parse_each(name: str) -> list[tuple[str, str]]:
        found = []
        for _ in range(5):
            (pkg,) = parse(texts[name], name).packages
            found += [(d.at.file, d.text) for d in pkg.directives[4:]]
        return found

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = dict(zip(texts, pool.map(parse_each, texts), strict=True))
    for name, found in results.items():
        expected = [(name, line.strip()) for line in texts[name].splitlines()[5:-1]]
        assert found == expected * 5
