"""Semantic checks of a parsed rule file: every error, then warnings (see docs/ratelang.md)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from ratelang import ast, values
from ratelang.build import build
from ratelang.errors import RuleError, RuleWarning
from ratelang.lint import DeckIndex, lint
from ratelang.model import CompiledPackage, Deck, SourceRef
from ratelang.parse import DIRECTIVES

REQUIRED: tuple[tuple[str, str], ...] = (
    ("currency", "currency USD"),
    ("route canada", "route canada value"),
    ("route international", "route international premium"),
)
"""Settings every package must state, with an example line for the hint."""


@dataclass(frozen=True, slots=True)
class Analysis:
    """What :func:`analyse` found; ``packages`` is empty when there are errors."""

    errors: tuple[RuleError, ...]
    warnings: tuple[RuleWarning, ...]
    packages: tuple[CompiledPackage, ...]


def check(
    rule_file: ast.RuleFile, deck: Deck | None = None
) -> tuple[tuple[RuleError, ...], tuple[RuleWarning, ...]]:
    """Every error and warning of ``rule_file``; deck warnings only when ``deck`` is given."""
    analysis = analyse(rule_file, deck)
    return analysis.errors, analysis.warnings


def analyse(
    rule_file: ast.RuleFile, deck: Deck | None = None, *, skipped: frozenset[int] = frozenset()
) -> Analysis:
    """Check ``rule_file`` and build its packages when there is no error.

    ``skipped``: lines left out of ``rule_file`` (broken lines of a file with syntax
    errors); a package that spans one is checked directive by directive only, since the
    settings it seems to lack may be on that line.
    """
    report = _Report(rule_file)
    index = DeckIndex(deck) if deck is not None else None
    names: dict[str, ast.Package] = {}
    packages: list[CompiledPackage] = []
    starts = [p.at.line for p in rule_file.packages[1:]] + [len(rule_file.lines) + 1]
    for package, next_start in zip(rule_file.packages, starts, strict=False):
        first = names.setdefault(package.name.text, package)
        if first is not package:
            report.error(
                package.name.at,
                f"duplicate package name {package.name.text!r} (first on line {first.at.line})",
                "package names are unique within a file",
                len(package.name.text) + 2,
            )
        if any(package.at.line <= line < next_start for line in skipped):
            _check_package(package, report, incomplete=True)
            continue
        before = len(report.errors)
        # Build first: when that succeeds every value is valid (build converts each value
        # with the same function that _check_values tries), so only the package's structure
        # is left to check, and no value is converted twice. When it fails, check every
        # value to report each problem at its word.
        try:
            compiled: CompiledPackage | None = build(package)
        except ValueError:  # a ValueProblem, or a duplicate prefix (reported below)
            compiled = None
        _check_package(package, report, values_checked=compiled is not None)
        if len(report.errors) == before:
            if compiled is None:
                compiled = build(package)
            packages.append(compiled)
            for finding in lint(compiled, index):
                report.warning(finding.at, finding.message, finding.hint, finding.length)
    return Analysis(
        tuple(sorted(report.errors, key=_position)),
        tuple(sorted(report.warnings, key=_position)),
        () if report.errors else tuple(packages),
    )


def _position(diagnostic: RuleError | RuleWarning) -> tuple[int, int]:
    return diagnostic.line, diagnostic.column


class _Report:
    def __init__(self, rule_file: ast.RuleFile) -> None:
        self.rule_file = rule_file
        self.errors: list[RuleError] = []
        self.warnings: list[RuleWarning] = []

    def error(self, at: SourceRef, message: str, hint: str = "", length: int = 1) -> None:
        snippet = self.rule_file.line(at.line)
        self.errors.append(
            RuleError(at.file, at.line, at.column, message, snippet, (), hint, length)
        )

    def warning(self, at: SourceRef, message: str, hint: str = "", length: int = 1) -> None:
        snippet = self.rule_file.line(at.line)
        self.warnings.append(
            RuleWarning(at.file, at.line, at.column, message, snippet, (), hint, length)
        )

    def value(self, word: ast.Word | None, convert: Callable[[str], object]) -> None:
        """Report the problem, if any, of ``convert(word.text)`` at ``word``."""
        if word is None:
            return
        try:
            convert(word.text)
        except values.ValueProblem as problem:
            self.error(word.at, problem.message, problem.hint, len(word.text))


def _check_package(
    package: ast.Package, report: _Report, values_checked: bool = False, incomplete: bool = False
) -> None:
    """Report the package's errors; ``values_checked``: every value is known to be valid;
    ``incomplete``: lines of it are missing (only its directives are checked)."""
    if not package.name.text.strip():
        report.error(package.name.at, "a package needs a name", 'e.g. package "Basic" { ... }', 2)
    seen: dict[str, ast.Directive] = {}
    for directive in package.directives:
        if not values_checked:
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
    if "markup" not in seen:
        report.warning(
            package.at,
            f"package {package.name.text!r} has no 'markup': calls that no rate rule matches "
            "are sold at cost",
            "add e.g. 'markup 20%', or 'markup 0%' to say so",
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
