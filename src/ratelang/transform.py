"""Lark's reductions → :mod:`ratelang.ast`: the one AST builder. The only module besides
parse.py that sees lark.

:class:`AstBuilder` is the parse-time transformer: lark calls it at every reduction, so
:func:`ratelang.parse.parse` builds the AST without any tree (the parser keeps every
token, keywords included, so a directive starts at its first token and ends at its last).
The file name and text of the parse in progress are not stored on the builder (lark
shares one builder between all parses): :func:`parsing` sets them in a context variable,
which each thread and each asyncio task sees on its own, so parses need no lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from lark import Token

from ratelang import ast
from ratelang.source import SourceRef, ZoneKind

_TARGETS = {
    "USA_CANADA": ZoneKind.USA_CANADA,
    "COUNTRY": ZoneKind.COUNTRY,
    "PREFIX": ZoneKind.PREFIX,
}

_SOURCE: ContextVar[tuple[str, str]] = ContextVar("ratelang_source")
"""(file name, text) of the parse in progress in this thread or task."""


@contextmanager
def parsing(file: str, text: str) -> Iterator[None]:
    """Within the block, :class:`AstBuilder` builds the AST of ``text``, named ``file``."""
    token = _SOURCE.set((file, text))
    try:
        yield
    finally:
        _SOURCE.reset(token)


class AstBuilder:
    """Lark's parse-time transformer: one method per grammar rule, called with its children.

    The parser keeps every token, so each rule method gets all of its rule's tokens in
    source order, keyword first. A sub-rule (``pulse_spec``, ``route_of``, ...) returns its
    token list, which, like a tree, has no ``type`` attribute (see
    ``ratelang.parse._previous_keyword``); inlined rules (``_target``, ``_price``, ...) are
    spliced into their parent by lark. Children are typed ``Any``: lark does not type them,
    the grammar fixes their shape. Helper methods end in ``_of``, since lark would call a
    method named like a rule, even an inlined one such as ``_target``.

    The builder holds no state: the file and text of the parse come from :func:`parsing`.
    """

    def at_of(self, token: Token) -> SourceRef:
        return SourceRef(_SOURCE.get()[0], token.line or 0, token.column or 0)

    def word_of(self, token: Token) -> ast.Word:
        return ast.Word(str(token), SourceRef(_SOURCE.get()[0], token.line or 0, token.column or 0))

    def text_of(self, children: list[Any]) -> str:
        """The directive's source, first token to last, whitespace runs as single spaces."""
        last = children[-1]
        if isinstance(last, list):
            last = last[-1]
        return " ".join(_SOURCE.get()[1][children[0].start_pos : last.end_pos].split())

    def target_of(self, children: list[Any]) -> tuple[ast.Target, int]:
        """The target after the keyword ``children[0]`` and the index after it."""
        kind = _TARGETS[children[1].type]
        if kind is ZoneKind.USA_CANADA:
            return ast.Target(kind, None), 2
        return ast.Target(kind, self.word_of(children[2])), 3

    def pulse_of(self, tokens: list[Token]) -> ast.PulseSpec:
        """``NUMBER ["/" NUMBER]``."""
        step = self.word_of(tokens[2]) if len(tokens) > 2 else None
        return ast.PulseSpec(self.word_of(tokens[0]), step)

    def markup_of(self, tokens: list[Token]) -> ast.MarkupSpec:
        """``["markup"] NUMBER "%" ["+" NUMBER]``."""
        numbers = [t for t in tokens if t.type == "NUMBER"]
        fixed = self.word_of(numbers[1]) if len(numbers) > 1 else None
        return ast.MarkupSpec(self.word_of(numbers[0]), fixed)

    # The rules, in grammar order.

    def start(self, c: list[Any]) -> list[ast.Package]:
        return [child for child in c if isinstance(child, ast.Package)]

    def package(self, c: list[Any]) -> ast.Package:
        keyword, name = c[0], c[1]
        word = ast.Word(str(name)[1:-1], self.at_of(name))
        directives = tuple(child for child in c if not isinstance(child, Token))
        return ast.Package(word, self.at_of(keyword), directives)

    def currency(self, c: list[Any]) -> ast.Directive:
        return ast.Currency(self.at_of(c[0]), self.text_of(c), self.word_of(c[1]))

    def markup(self, c: list[Any]) -> ast.Directive:
        return ast.MarkupDirective(self.at_of(c[0]), self.text_of(c), self.markup_of(c))

    def pulse(self, c: list[Any]) -> ast.Directive:
        return ast.PulseDirective(self.at_of(c[0]), self.text_of(c), self.pulse_of(c[1]))

    def route(self, c: list[Any]) -> ast.Directive:
        which, route = self.word_of(c[1][0]), self.word_of(c[2][0])
        return ast.RouteDirective(self.at_of(c[0]), self.text_of(c), which, route)

    def on_net(self, c: list[Any]) -> ast.Directive:
        return ast.OnNet(self.at_of(c[0]), self.text_of(c), self.word_of(c[1][0]))

    def fee(self, c: list[Any]) -> ast.Directive:
        kind, amount = self.word_of(c[1][0]), self.word_of(c[2])
        return ast.Fee(self.at_of(c[0]), self.text_of(c), kind, amount)

    def free_minutes(self, c: list[Any]) -> ast.Directive:
        return ast.FreeMinutes(self.at_of(c[0]), self.text_of(c), self.word_of(c[1]))

    def round(self, c: list[Any]) -> ast.Directive:
        digits, mode = self.word_of(c[1]), self.word_of(c[2][0])
        return ast.RoundDirective(self.at_of(c[0]), self.text_of(c), digits, mode)

    def connect(self, c: list[Any]) -> ast.Directive:
        return ast.Connect(self.at_of(c[0]), self.text_of(c), self.word_of(c[1]))

    def grace(self, c: list[Any]) -> ast.Directive:
        return ast.Grace(self.at_of(c[0]), self.text_of(c), self.word_of(c[1]))

    def rate(self, c: list[Any]) -> ast.Directive:
        """``"rate" _target _price ["pulse" pulse_spec]``, the spec being a list."""
        target, index = self.target_of(c)
        at, text = self.at_of(c[0]), self.text_of(c)
        pulse = None
        price = c[index:]
        if isinstance(c[-1], list):
            pulse = self.pulse_of(c[-1])
            price = c[index:-2]
        if price[0].type != "MARKUP":
            return ast.Rate(at, text, target, self.word_of(price[0]), None, pulse)
        return ast.Rate(at, text, target, None, self.markup_of(price), pulse)

    def free_zone(self, c: list[Any]) -> ast.Directive:
        return ast.FreeZone(self.at_of(c[0]), self.text_of(c), self.target_of(c)[0])

    def unknown(self, c: list[Any]) -> ast.Directive:
        return ast.Unknown(self.at_of(c[0]), self.text_of(c), self.word_of(c[0]))

    def pulse_spec(self, c: list[Token]) -> list[Token]:
        return c

    def route_of(self, c: list[Token]) -> list[Token]:
        return c

    def route_kind(self, c: list[Token]) -> list[Token]:
        return c

    def on_net_mode(self, c: list[Token]) -> list[Token]:
        return c

    def fee_kind(self, c: list[Token]) -> list[Token]:
        return c

    def round_mode(self, c: list[Token]) -> list[Token]:
        return c
