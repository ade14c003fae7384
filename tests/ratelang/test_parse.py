"""Text → AST, and syntax errors translated to RuleError."""

from __future__ import annotations

import pytest

from ratelang.errors import RuleError, RuleErrors
from ratelang.parse import describe_expected, parse, parser

from .conftest import package


def syntax_errors(text: str) -> tuple[RuleError, ...]:
    with pytest.raises(RuleErrors) as info:
        parse(text, "t.rate")
    return info.value.errors


def test_parser_is_built_once() -> None:
    assert parser() is parser()


def test_parses_packages_and_comments() -> None:
    text = (
        "# top\n\n"
        + package("rate prefix 44 0.01  # note", "# alone")
        + '\npackage "Q" { currency EUR }\n'
    )
    rule_file = parse(text)
    assert [p.name.text for p in rule_file.packages] == ["P", "Q"]
    assert [len(p.directives) for p in rule_file.packages] == [5, 1]


def test_empty_file_has_no_packages() -> None:
    assert parse("# nothing\n").packages == ()


def test_misspelt_keyword_gets_position_expected_and_hint() -> None:
    (error,) = syntax_errors(package("round 4 half-up"))
    assert (error.line, error.column, error.length) == (6, 13, 7)
    assert error.message == "unexpected 'half-up'"
    assert error.expected == ("'down'", "'half_even'", "'half_up'", "'up'")
    assert error.hint == "did you mean 'half_up'?"
    assert error.snippet == "    round 4 half-up"


def test_country_code_is_named_in_words() -> None:
    (error,) = syntax_errors(package("rate country 44 0.01"))
    assert error.expected == ("a country code",)
    assert error.message == "unexpected '44'"


def test_missing_token_at_end_of_line() -> None:
    (error,) = syntax_errors(package("markup 15"))
    assert error.message == "unexpected end of line"
    assert (error.line, error.column) == (6, 14)
    assert error.expected == ("'%'",)


def test_unclosed_package_points_at_the_end_of_the_last_line() -> None:
    (error,) = syntax_errors('package "P" {\n    currency USD\n\n')
    assert error.message == "unexpected end of file"
    assert (error.line, error.column) == (2, 17)
    assert error.expected == ("a directive", "'}'")


def test_every_broken_line_is_reported() -> None:
    errors = syntax_errors(package("markup 15", "route canda value", "fee setup $1"))
    assert [(e.line, e.message) for e in errors] == [
        (6, "unexpected end of line"),
        (7, "unexpected 'canda'"),
        (8, "unexpected '$1'"),
    ]


def test_misspelt_package_keyword() -> None:
    (error,) = syntax_errors('pakage "P" {\n}\n')
    assert error.expected == ("'package'",)
    assert error.hint == "did you mean 'package'?"


def test_describe_expected_collapses_directive_keywords() -> None:
    assert describe_expected({"NAME", "MARKUP", "RATE", "RBRACE"}) == ("a directive", "'}'")
    assert describe_expected({"NUMBER", "_NL", "$END"}) == (
        "a number",
        "end of file",
        "end of line",
    )
