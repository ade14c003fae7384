"""The compiler: rule text → checked, built and linted packages.

The stages, each a public function usable alone, composed by :func:`compile_source`:

1. :func:`parse` (:mod:`ratelang.parse`): text → AST (:mod:`ratelang.ast`); syntax errors;
2. :func:`check` (:mod:`ratelang.check`): AST → every other error;
3. :func:`build` (:mod:`ratelang.build`): one checked package → :class:`CompiledPackage`;
4. :func:`lint` (:mod:`ratelang.lint`): the built packages → warnings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ratelang.build import build
from ratelang.check import check, spans
from ratelang.errors import RuleErrors, RuleWarning
from ratelang.lint import lint
from ratelang.model import CompiledPackage, Deck
from ratelang.parse import SyntaxErrors, parse

__all__ = ["Compiled", "build", "check", "compile_file", "compile_source", "lint", "parse"]


@dataclass(frozen=True, slots=True)
class Compiled:
    """The packages of one rule file, in source order, and the warnings about them."""

    packages: tuple[CompiledPackage, ...]
    warnings: tuple[RuleWarning, ...]

    def package(self, name: str | None = None) -> CompiledPackage:
        """The package called ``name``; without a name, the only (or first) package."""
        for package in self.packages:
            if name is None or package.name == name:
                return package
        raise KeyError(name if name is not None else "no package")


def compile_source(text: str, file: str = "<input>", deck: Deck | None = None) -> Compiled:
    """Parse, check, build and lint ``text``.

    Raises :class:`RuleErrors` on any error: the syntax errors and, when the rest of the
    file parses without its broken lines, the errors the checker finds there (no
    warnings: the file is not what its author meant yet); otherwise every error of the
    checker, with the warnings about the packages that have none. With ``deck``, also
    warns of rates below the deck's cost and of rules or free zones that match no
    destination of the deck.
    """
    try:
        rule_file = parse(text, file)
    except SyntaxErrors as exc:
        if exc.recovered is None:
            raise
        found = check(exc.recovered, skipped=exc.skipped)
        everything = sorted((*exc.errors, *found), key=lambda e: (e.line, e.column))
        raise RuleErrors(tuple(everything)) from None
    errors = check(rule_file)
    if errors:
        erring = {e.line for e in errors}
        clean = [
            package
            for package, lines in zip(rule_file.packages, spans(rule_file), strict=True)
            if not any(line in lines for line in erring)
        ]
        built = tuple(build(package) for package in clean)
        raise RuleErrors(errors, lint(rule_file, built, deck))
    packages = tuple(build(package) for package in rule_file.packages)
    return Compiled(packages, lint(rule_file, packages, deck))


def compile_file(path: str | os.PathLike[str], deck: Deck | None = None) -> Compiled:
    """:func:`compile_source` of a UTF-8 file; the file name in messages is ``path``."""
    return compile_source(Path(path).read_text(encoding="utf-8"), os.fspath(path), deck)
