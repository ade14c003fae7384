"""The second stage of the compiler: every error of a parsed rule file (see docs/ratelang.md).

Errors only: the warnings come from :func:`ratelang.lint.lint`, once the packages are built.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from ratelang import ast, values
from ratelang.errors import RuleError
from ratelang.parse import DIRECTIVES
from ratelang.source import SourceRef

REQUIRED: tuple[tuple[str, str], ...] = (
    ("currency", "currency USD"),
    ("route canada", "route canada value"),
    ("route international", "route international premium"),
)
"""Settings every package must state, with an example line for the hint."""


def check(
    rule_file: ast.RuleFile, *, skipped: frozenset[int] = frozenset()
) -> tuple[RuleError, ...]:
    """Every error of ``rule_file``, in source order; a file without any builds.

    ``skipped``: lines left out of ``rule_file`` (broken lines of a file with syntax
    errors); a package that spans one is checked directive by directive only, since the
    settings it seems to lack may be on that line.
    """
    report = _Report(rule_file)
    names: dict[str, ast.Package] = {}
    for package, span in zip(rule_file.packages, spans(rule_file), strict=True):
        first = names.setdefault(package.name.text, package)
        if first is not package:
            report.error(
                package.name.at,
                f"duplicate package name {package.name.text!r} (first on line {first.at.line})",
                "package names are unique within a file",
                len(package.name.text) + 2,
            )
        _check_package(package, report, incomplete=any(line in span for line in skipped))
    return tuple(sorted(report.errors, key=_position))


def spans(rule_file: ast.RuleFile) -> list[range]:
    """The lines of each package of ``rule_file``: from its ``package`` keyword to the
    line before the next package (the last one: to the end of the file)."""
    starts = [p.at.line for p in rule_file.packages]
    ends = [*starts[1:], len(rule_file.lines) + 1]
    return [range(start, end) for start, end in zip(starts, ends, strict=False)]


def _position(diagnostic: RuleError) -> tuple[int, int]:
    return diagnostic.line, diagnostic.column


class _Report:
    def __init__(self, rule_file: ast.RuleFile) -> None:
        self.rule_file = rule_file
        self.errors: list[RuleError] = []

    def error(self, at: SourceRef, message: str, hint: str = "", length: int = 1) -> None:
        snippet = self.rule_file.line(at.line)
        self.errors.append(
            RuleError(at.file, at.line, at.column, message, snippet, (), hint, length)
        )

    def value(self, word: ast.Word | None, convert: Callable[[str], object]) -> None:
        """Report the problem, if any, of ``convert(word.text)`` at ``word``."""
        if word is None:
            return
        try:
            convert(word.text)
        except values.ValueProblem as problem:
            self.error(word.at, problem.message, problem.hint, len(word.text))


def _check_package(package: ast.Package, report: _Report, incomplete: bool = False) -> None:
    """Report the package's errors; ``incomplete``: lines of it are missing (only its
    directives are checked)."""
    if not package.name.text.strip():
        report.error(package.name.at, "a package needs a name", 'e.g. package "Basic" { ... }', 2)
    seen: dict[str, ast.Directive] = {}
    for directive in package.directives:
        _check_values(directive, report)
        if isinstance(directive, ast.Unknown):
            continue
        identity = _identity(directive)
        first = seen.setdefault(identity, directive)
        if first is not directive:
            if first.text == directive.text:
                message = f"duplicate '{identity}' (first on line {first.at.line})"
            else:
                message = f"contradictory '{identity}': line {first.at.line} says '{first.text}'"
            report.error(directive.at, message, "keep only one of them", len(directive.text))
    if incomplete:
        return
    for name, example in REQUIRED:
        if name not in seen:
            report.error(
                package.at,
                f"package {package.name.text!r} has no '{name}' directive",
                f"add a line such as '{example}'",
                len("package"),
            )


def _identity(directive: ast.Directive) -> str:
    """What must be unique in a package: ``"markup"``, ``"route canada"``, ``"rate prefix 44"``."""
    match directive:
        case ast.RouteDirective(which=which):
            return f"route {which.text}"
        case ast.Fee(kind=kind):
            return f"fee {kind.text}"
        case ast.Rate(target=target) | ast.FreeZone(target=target):
            keyword = "rate" if isinstance(directive, ast.Rate) else "free_zone"
            key = f" {target.key.text}" if target.key is not None else ""
            return f"{keyword} {target.kind}{key}"
        case _:
            return directive.text.split(" ", 1)[0]


def _check_values(directive: ast.Directive, report: _Report) -> None:
    """Report every invalid value of ``directive`` at the word that holds it."""
    match directive:
        case ast.Unknown(name=name):
            close = difflib.get_close_matches(name.text.lower(), DIRECTIVES, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else ""
            if name.text == "package":
                hint = "packages cannot be nested: close the previous one with '}'"
            report.error(name.at, f"unknown directive {name.text!r}", hint, len(name.text))
        case ast.Currency(code=code):
            report.value(code, values.currency)
        case ast.MarkupDirective(markup=spec):
            _check_markup(spec, report)
        case ast.PulseDirective(pulse=spec):
            _check_pulse(spec, report)
        case ast.Fee(amount=amount):
            report.value(amount, lambda text: values.amount(text, "fee"))
        case ast.FreeMinutes(count=count):
            report.value(count, lambda text: values.whole(text, "free_minutes", 0))
        case ast.RoundDirective(digits=digits):
            high = values.MAX_ROUND_DIGITS
            report.value(digits, lambda text: values.whole(text, "round digits", 0, high))
        case ast.Connect(amount=amount):
            report.value(amount, lambda text: values.amount(text, "connect fee"))
        case ast.Grace(seconds=seconds):
            report.value(seconds, lambda text: values.whole(text, "grace", 0))
        case ast.Rate(target=target, rate=rate, markup=spec, pulse=pulse):
            _check_target(target, report)
            report.value(rate, lambda text: values.amount(text, "rate"))
            if spec is not None:
                _check_markup(spec, report)
            if pulse is not None:
                _check_pulse(pulse, report)
        case ast.FreeZone(target=target):
            _check_target(target, report)
        case _:
            pass  # route and on_net take keywords only, checked by the grammar


def _check_markup(spec: ast.MarkupSpec, report: _Report) -> None:
    report.value(spec.percent, values.percent)
    report.value(spec.fixed, lambda text: values.amount(text, "markup amount"))


def _check_pulse(spec: ast.PulseSpec, report: _Report) -> None:
    report.value(spec.first, lambda text: values.whole(text, "pulse", 1))
    report.value(spec.step, lambda text: values.whole(text, "pulse step", 1))


def _check_target(target: ast.Target, report: _Report) -> None:
    if target.kind == "prefix":
        report.value(target.key, values.prefix)
    elif target.kind == "country":
        report.value(target.key, values.country)
