"""Semantic errors of :func:`ratelang.check.check`; the warnings it leaves to lint."""

from __future__ import annotations

import pytest

from ratelang.compile import build, check, lint, parse

from .conftest import HEADER, package


def messages(text: str) -> list[str]:
    errors = check(parse(text, "t.rate"))
    return [e.message for e in errors]


def warnings(text: str) -> list[str]:
    rule_file = parse(text, "t.rate")
    assert check(rule_file) == ()
    return [w.message for w in lint(rule_file, [build(p) for p in rule_file.packages])]


def test_valid_package_has_no_errors() -> None:
    assert messages(package("rate prefix 4420 0.012 pulse 1", "rate usa_canada 0.0095")) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("rate country ZZ 0.01", "unknown country 'ZZ'"),
        ("rate country gb 0.01", "unknown country 'gb'"),
        ("rate prefix 44a 0.01", "malformed prefix '44a': digits only"),
        ("rate prefix 0044 0.01", "prefix 0044 starts with 0"),
        ("rate prefix 1234567890123456 0.01", "prefix 1234567890123456 is longer than 15 digits"),
        ("rate prefix 44 -0.01", "negative rate -0.01"),
        ("rate prefix 44 0.0000001", "rate 0.0000001 has more than 6 decimal places"),
        ("rate prefix 44 markup 1000.5%", "percentage 1000.5% is out of range"),
        ("rate prefix 44 markup 5% + -1", "negative markup amount -1"),
        ("rate prefix 44 0.01 pulse 0", "pulse 0 is out of range"),
        ("pulse 30/0", "pulse step 0 is out of range"),
        ("pulse 1.5", "pulse must be a whole number, not 1.5"),
        ("round 7 up", "round digits 7 is out of range"),
        ("fee setup -1", "negative fee -1"),
        ("connect 0.0000005", "connect fee 0.0000005 has more than 6 decimal places"),
        ("grace 2.5", "grace must be a whole number, not 2.5"),
        ("free_minutes -1", "free_minutes -1 is out of range"),
        ("free_zone country UK", "unknown country 'UK'"),
        ("frobnicate 1 2", "unknown directive 'frobnicate'"),
    ],
)
def test_invalid_value(line: str, message: str) -> None:
    assert messages(package(line)) == [message]


def test_error_points_at_the_value() -> None:
    errors = check(parse(package("rate country ZZ 0.01"), "t.rate"))
    (error,) = errors
    assert (error.file, error.line, error.column, error.length) == ("t.rate", 6, 18, 2)
    assert error.snippet == "    rate country ZZ 0.01"
    assert error.hint.startswith("countries are ISO 3166-1 alpha-2")


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (("markup 5%",), "contradictory 'markup': line 3 says 'markup 20%'"),
        (("markup 20%",), "duplicate 'markup' (first on line 3)"),
        (
            ("route canada premium",),
            "contradictory 'route canada': line 4 says 'route canada value'",
        ),
        (("pulse 60", "pulse 60"), "duplicate 'pulse' (first on line 6)"),
        (("fee setup 1", "fee setup 2"), "contradictory 'fee setup': line 6 says 'fee setup 1'"),
        (
            ("rate country GB 0.1", "rate country GB markup 1%"),
            "contradictory 'rate country GB': line 6 says 'rate country GB 0.1'",
        ),
        (
            ("rate usa_canada 0.1", "rate usa_canada 0.1"),
            "duplicate 'rate usa_canada' (first on line 6)",
        ),
        (
            ("free_zone prefix 44", "free_zone prefix 44"),
            "duplicate 'free_zone prefix 44' (first on line 6)",
        ),
    ],
)
def test_duplicate_and_contradictory_directives(lines: tuple[str, ...], message: str) -> None:
    assert messages(package(*lines)) == [message]


def test_fee_setup_and_fee_monthly_are_different_settings() -> None:
    assert messages(package("fee setup 1", "fee monthly 1")) == []


def test_missing_required_settings_are_each_reported() -> None:
    assert messages('package "P" {\n markup 1%\n}\n') == [
        "package 'P' has no 'currency' directive",
        "package 'P' has no 'route canada' directive",
        "package 'P' has no 'route international' directive",
    ]


def test_currency_format() -> None:
    header = HEADER.replace("USD", "usd")
    assert messages(header + "}") == [
        "malformed currency 'usd': ISO 4217 is three upper-case letters"
    ]


def test_package_names_are_unique_and_not_empty() -> None:
    text = package() + package() + package(header=HEADER.replace('"P"', '""'))
    assert messages(text) == [
        "duplicate package name 'P' (first on line 1)",
        "a package needs a name",
    ]


def test_errors_come_in_source_order() -> None:
    errors = check(parse(package("rate country ZZ 1", "markp 1", "grace 1.5")))
    assert [e.line for e in errors] == sorted(e.line for e in errors)
    assert len(errors) == 3


def test_missing_markup_is_a_warning() -> None:
    text = 'package "P" {\n currency USD\n route canada value\n route international value\n}\n'
    assert warnings(text) == [
        "package 'P' has no 'markup': calls that no rate rule matches are sold at cost"
    ]


def test_explicit_zero_markup_is_not_warned_about() -> None:
    text = package(header=HEADER.replace("markup 20%", "markup 0%"))
    assert warnings(text) == []
