"""The typed syntax tree of a rule file: frozen dataclasses with source positions.

Values are kept as written (:class:`Word`); :mod:`ratelang.check` validates them and
:mod:`ratelang.build` converts them. Nothing here refers to the parser or to the compiled
model (:mod:`ratelang.model`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from ratelang.source import SourceRef, ZoneKind


@dataclass(frozen=True, slots=True)
class Word:
    """A token as written and where it starts."""

    text: str
    at: SourceRef


@dataclass(frozen=True, slots=True)
class MarkupSpec:
    """``P% [+ F]``."""

    percent: Word
    fixed: Word | None


@dataclass(frozen=True, slots=True)
class PulseSpec:
    """``FIRST[/STEP]``."""

    first: Word
    step: Word | None


@dataclass(frozen=True, slots=True)
class Target:
    """``usa_canada``, ``country XX`` or ``prefix DIGITS``; ``key`` is None for usa_canada."""

    kind: ZoneKind
    key: Word | None


@dataclass(frozen=True, slots=True)
class Node:
    """A directive: where it starts and its text normalised to single spaces."""

    at: SourceRef
    text: str


@dataclass(frozen=True, slots=True)
class Currency(Node):
    code: Word


@dataclass(frozen=True, slots=True)
class MarkupDirective(Node):
    markup: MarkupSpec


@dataclass(frozen=True, slots=True)
class PulseDirective(Node):
    pulse: PulseSpec


@dataclass(frozen=True, slots=True)
class RouteDirective(Node):
    which: Word  # canada | international
    route: Word  # value | premium


@dataclass(frozen=True, slots=True)
class OnNet(Node):
    mode: Word


@dataclass(frozen=True, slots=True)
class Fee(Node):
    kind: Word  # setup | monthly
    amount: Word


@dataclass(frozen=True, slots=True)
class FreeMinutes(Node):
    count: Word


@dataclass(frozen=True, slots=True)
class RoundDirective(Node):
    digits: Word
    mode: Word


@dataclass(frozen=True, slots=True)
class Connect(Node):
    amount: Word


@dataclass(frozen=True, slots=True)
class Grace(Node):
    seconds: Word


@dataclass(frozen=True, slots=True)
class Rate(Node):
    """``rate TARGET (AMOUNT | markup P% [+ F]) [pulse P]``: exactly one of rate, markup."""

    target: Target
    rate: Word | None
    markup: MarkupSpec | None
    pulse: PulseSpec | None


@dataclass(frozen=True, slots=True)
class FreeZone(Node):
    target: Target


@dataclass(frozen=True, slots=True)
class Unknown(Node):
    """A line led by a word that is no directive keyword."""

    name: Word


Directive: TypeAlias = (
    Currency
    | MarkupDirective
    | PulseDirective
    | RouteDirective
    | OnNet
    | Fee
    | FreeMinutes
    | RoundDirective
    | Connect
    | Grace
    | Rate
    | FreeZone
    | Unknown
)


@dataclass(frozen=True, slots=True)
class Package:
    """``package "NAME" { ... }``; ``at`` is the ``package`` keyword."""

    name: Word  # without the quotes; ``at`` points at the opening quote
    at: SourceRef
    directives: tuple[Directive, ...]


@dataclass(frozen=True, slots=True)
class RuleFile:
    """A whole file: its packages and its lines (for error snippets)."""

    file: str
    packages: tuple[Package, ...]
    lines: tuple[str, ...]

    def line(self, number: int) -> str:
        """The source line ``number`` (1-based), or ``""``."""
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""
