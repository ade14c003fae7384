"""The compiler's front door: rule text → checked, compiled packages.

Stages, each usable alone: :func:`parse` (text → AST), :func:`ratelang.check.check`
(AST → errors and warnings), :func:`build` (one checked package → CompiledPackage).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ratelang import ast
from ratelang.build import build
from ratelang.check import analyse, check
from ratelang.errors import RuleErrors, RuleWarning
from ratelang.model import CompiledPackage, Deck
from ratelang.parse import parse_tree
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


def parse(text: str, file: str = "<input>") -> ast.RuleFile:
    """Text → AST; raises :class:`RuleErrors` with every syntax error."""
    return to_ast(parse_tree(text, file), file, text)


def compile_source(text: str, file: str = "<input>", deck: Deck | None = None) -> Compiled:
    """Parse, check and build ``text``; raises :class:`RuleErrors` on any error.

    With ``deck``, also warns of rates below the deck's cost and of rules or free zones
    that match no destination of the deck.
    """
    analysis = analyse(parse(text, file), deck)
    if analysis.errors:
        raise RuleErrors(analysis.errors, analysis.warnings)
    return Compiled(analysis.packages, analysis.warnings)


def compile_file(path: str | os.PathLike[str], deck: Deck | None = None) -> Compiled:
    """:func:`compile_source` of a UTF-8 file; the file name in messages is ``path``."""
    return compile_source(Path(path).read_text(encoding="utf-8"), os.fspath(path), deck)
