"""The compiler's stages on random and on real rule files.

``parse`` → ``check`` → ``build`` → ``lint``: a package without errors always builds, the
stages alone give what ``compile_source`` gives, and every directive keeps its source
text (whitespace runs as single spaces, comments dropped).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratelang.compile import Compiled, build, check, compile_source, lint, parse
from ratelang.errors import RuleErrors
from ratelang.serialize import package_to_dict

from .conftest import BROKEN, RULES

FRAGMENTS = (
    "currency USD",
    "currency usd",
    "currency",
    "markup 20%",
    "markup 20 % + 0.5",
    "markup 20%+0.000001",
    "markup 15",
    "markup 1001%",
    "pulse 60",
    "pulse 30/6",
    "pulse 30 / 6",
    "pulse 0",
    "pulse 1.5",
    "route canada value",
    "route international premium",
    "route canda value",
    "route canada",
    "on_net free",
    "on_net",
    "fee setup 1.00",
    "fee monthly 4.99",
    "fee setup $1",
    "free_minutes 100",
    "free_minutes 1.5",
    "round 4 half_up",
    "round 2 half-up",
    "round 9 down",
    "connect 0.01",
    "connect -0.01",
    "grace 5",
    "rate prefix 44 0.01",
    "rate prefix 4420 0.0123456",
    "rate prefix44 0.01 pulse 1",
    "rate prefix 044 0.01",
    "rate prefix +44-20 0.01",
    "rate prefix 44",
    "rate prefix 44 markup 15% pulse 30/6",
    "rate prefix 44 0.01 markup 5%",
    "rate prefix 1876 markup 5% + 0.001 pulse 60",
    "rate country GB 0.02",
    "rate country gb 0.02",
    "rate country UK markup 10%",
    "rate country 44 0.01",
    "rate usa_canada 0.0095",
    "rate usa_canada markup 5% pulse 6",
    "rate everywhere 0.01",
    "free_zone usa_canada",
    "free_zone country MX",
    "free_zone prefix 52",
    "free_zone prefix 5",
    "markp 20 %",
    'unknown "a  b" 1 % + /',
    "package",
    'package "Inner" {',
    "{",
    "}",
    "$",
    "# a comment",
    "",
    "rate prefix 44 0.01 # trailing",
    "rate prefix 44 0.01#tight",
)
SPACES = ("", " ", "    ", "\t", "  \t ")
REQUIRED = ("currency USD", "route canada value", "route international premium")
VALID_RATES = st.builds(
    "rate {} {}{}".format,
    st.sampled_from(["prefix 44", "prefix 4420", "prefix 1876", "country GB", "usa_canada"])
    | st.from_regex(r"prefix [1-9][0-9]{0,6}", fullmatch=True),
    st.sampled_from(["0.01", "0.000001", "12", "markup 5%", "markup 15% + 0.001"]),
    st.sampled_from(["", " pulse 60", " pulse 30/6"]),
)
VALID_OTHERS = st.sampled_from(
    [
        "markup 20%",
        "pulse 1/1",
        "on_net free",
        "fee setup 1.00",
        "free_minutes 100",
        "round 4 half_up",
        "connect 0.01",
        "grace 5",
        "free_zone prefix 52",
        "free_zone country MX",
        "free_zone usa_canada",
        "# a comment",
        "",
    ]
)


@st.composite
def rule_files(draw: st.DrawFn) -> str:
    """One or two packages of random lines, mostly valid or anything, with varied spacing."""
    out = []
    for index in range(draw(st.integers(1, 2))):
        name = draw(st.sampled_from(["P", "Q", "", "P"]) if index else st.just("P"))
        out.append(draw(st.sampled_from(SPACES)) + f'package "{name}" {{')
        if draw(st.booleans()):  # mostly valid: compiles unless two lines clash
            lines = st.lists(VALID_RATES | VALID_OTHERS, max_size=12)
            fragments = [*REQUIRED, *draw(lines)]
        else:
            fragments = draw(st.lists(st.sampled_from(FRAGMENTS), max_size=12))
        for fragment in fragments:
            spaced = fragment.replace(" ", draw(st.sampled_from(SPACES[1:])))
            out.append(draw(st.sampled_from(SPACES)) + spaced + draw(st.sampled_from(SPACES)))
        closing = draw(st.sampled_from(["}", "}", "}", "  } # end", "", "}}"]))
        if draw(st.booleans()) and out[-1].strip():
            out[-1] += " " + closing
        else:
            out.append(closing)
        if index == 0 and draw(st.booleans()):
            out.append("")
    return "\n".join(out) + draw(st.sampled_from(["\n", "", "\n\n", "\r\n"]))


def staged(text: str) -> tuple[object, ...]:
    """What the stages, called one by one, make of ``text`` (only for a file that parses)."""
    rule_file = parse(text, "t.rate")
    errors = check(rule_file)
    if errors:
        return ("errors", errors)
    packages = tuple(build(package) for package in rule_file.packages)
    return ("ok", [package_to_dict(p) for p in packages], lint(rule_file, packages))


def composed(text: str) -> tuple[object, ...]:
    try:
        compiled: Compiled = compile_source(text, "t.rate")
    except RuleErrors as errors:
        return ("errors", errors.errors)
    return ("ok", [package_to_dict(p) for p in compiled.packages], compiled.warnings)


def assert_stages_compose(text: str) -> None:
    try:
        rule_file = parse(text, "t.rate")
    except RuleErrors:
        return
    assert staged(text) == composed(text)
    for package in rule_file.packages:
        for directive in package.directives:
            line = rule_file.line(directive.at.line)[directive.at.column - 1 :]
            assert " ".join(line.split("#", 1)[0].split()).startswith(directive.text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=rule_files())
def test_checked_files_build_and_the_stages_compose(text: str) -> None:
    assert_stages_compose(text)


@pytest.mark.parametrize(
    "path",
    sorted(RULES.glob("*.rate")) + sorted(BROKEN.glob("*.rate")),
    ids=lambda p: p.name,
)
def test_real_files_go_through_the_stages_as_through_compile(path: Path) -> None:
    assert_stages_compose(path.read_text(encoding="utf-8"))
