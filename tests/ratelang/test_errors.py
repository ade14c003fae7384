"""Rendering of diagnostics."""

from __future__ import annotations

import pytest

from ratelang.errors import RuleError, RuleErrors, RuleWarning, join_words


def test_render_has_location_line_caret_expected_and_hint() -> None:
    error = RuleError(
        "a.rate",
        3,
        5,
        "unknown directive 'markp'",
        "    markp 20%",
        ("a directive",),
        "did you mean 'markup'?",
        5,
    )
    assert error.render() == (
        "a.rate:3:5: error: unknown directive 'markp'\n"
        "        markp 20%\n"
        "        ^~~~~\n"
        "  expected: a directive\n"
        "  hint: did you mean 'markup'?"
    )


def test_caret_keeps_tabs_of_the_source_line() -> None:
    error = RuleError("a.rate", 1, 3, "bad", "\tx y", length=1)
    assert error.render().splitlines()[2] == "    \t ^"


def test_warning_has_warning_severity_and_no_optional_parts() -> None:
    warning = RuleWarning("a.rate", 2, 1, "shadowed")
    assert warning.render() == "a.rate:2:1: warning: shadowed"
    assert str(warning) == "a.rate:2:1: warning: shadowed"


def test_rule_errors_summarises_the_first_and_counts_the_rest() -> None:
    errors = (RuleError("a.rate", 1, 1, "one"), RuleError("a.rate", 2, 1, "two"))
    exc = RuleErrors(errors)
    assert str(exc) == "a.rate:1:1: error: one (and 1 more)"
    assert exc.render() == "a.rate:1:1: error: one\n\na.rate:2:1: error: two"


def test_rule_errors_needs_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        RuleErrors(())


@pytest.mark.parametrize(
    ("words", "joined"),
    [((), ""), (("a",), "a"), (("a", "b"), "a or b"), (("a", "b", "c"), "a, b or c")],
)
def test_join_words(words: tuple[str, ...], joined: str) -> None:
    assert join_words(words) == joined
