"""The compiler's front door: rule text → checked, compiled packages.

Stages, each usable alone: :func:`parse` (text → AST), :func:`ratelang.check.check`
(AST → errors and warnings), :func:`build` (one checked package → CompiledPackage).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ratelang import ast
from ratelang.build import build
from ratelang.check import analyse, check
from ratelang.errors import RuleErrors, RuleWarning
from ratelang.model import CompiledPackage, Deck
from ratelang.parse import SyntaxErrors, parse_rules
from ratelang.transform import to_ast

__all__ = ["Compiled", "build", "check", "compile_file", "compile_source", "parse", "to_ast"]


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


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: compiling allocates some 30 objects a rule and
    frees none of them, so every collection it would trigger rescans all live objects (a
    loaded deck is hundreds of thousands) to find nothing; that was a quarter of the time
    of a 10,000-rule compile. Collection resumes, if it was on, when the block ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse(text: str, file: str = "<input>") -> ast.RuleFile:
    """Text → AST; raises :class:`RuleErrors` with every syntax error.

    The same as ``to_ast(parse_tree(text, file), file, text)``, without building the tree.
    """
    with _gc_paused():
        return parse_rules(text, file)


def compile_source(text: str, file: str = "<input>", deck: Deck | None = None) -> Compiled:
    """Parse, check and build ``text``; raises :class:`RuleErrors` on any error: the
    syntax errors and, when the rest of the file parses without its broken lines, the
    errors the checker finds there.

    With ``deck``, also warns of rates below the deck's cost and of rules or free zones
    that match no destination of the deck.
    """
    with _gc_paused():
        try:
            rule_file = parse(text, file)
        except SyntaxErrors as exc:
            if exc.recovered is None:
                raise
            # The rest of the file parsed: report its errors too (no warnings: the file
            # is not what its author meant yet).
            found = analyse(exc.recovered, deck, skipped=exc.skipped).errors
            everything = sorted((*exc.errors, *found), key=lambda e: (e.line, e.column))
            raise RuleErrors(tuple(everything)) from None
        analysis = analyse(rule_file, deck)
    if analysis.errors:
        raise RuleErrors(analysis.errors, analysis.warnings)
    return Compiled(analysis.packages, analysis.warnings)


def compile_file(path: str | os.PathLike[str], deck: Deck | None = None) -> Compiled:
    """:func:`compile_source` of a UTF-8 file; the file name in messages is ``path``."""
    return compile_source(Path(path).read_text(encoding="utf-8"), os.fspath(path), deck)
