"""Lark output → :mod:`ratelang.ast`. The only module besides parse.py that sees lark.

Two ways in, one result:

- :func:`to_ast` walks a parse tree from :func:`ratelang.parse.parse_tree` (the separate,
  testable tree → AST stage);
- :class:`AstBuilder` is the parse-time transformer: lark calls it at every reduction, so
  :func:`ratelang.parse.parse_rules` builds the AST without any tree (that parser keeps
  every token, keywords included, and does not propagate positions, so a directive starts
  at its first token and ends at its last).

Both give the same :class:`RuleFile` for the same text (tests/ratelang/test_transform.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lark import Token, Tree

from ratelang import ast
from ratelang.model import SourceRef, ZoneKind

_TARGETS = {
    "USA_CANADA": ZoneKind.USA_CANADA,
    "COUNTRY": ZoneKind.COUNTRY,
    "PREFIX": ZoneKind.PREFIX,
}


def to_ast(tree: Tree[Token], file: str, text: str) -> ast.RuleFile:
    """The :class:`RuleFile` of ``tree``, parsed from ``text`` by ``parse_tree``."""
    builder = _Builder(file, text)
    packages = tuple(builder.package(child) for child in _trees(tree))
    return ast.RuleFile(file, packages, tuple(text.split("\n")))


def _trees(tree: Tree[Token]) -> list[Tree[Token]]:
    return [c for c in tree.children if isinstance(c, Tree)]


def _tokens(tree: Tree[Token]) -> list[Token]:
    return [c for c in tree.children if isinstance(c, Token)]


class _Builder:
    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        self.handlers: dict[str, Callable[[Tree[Token], SourceRef, str], ast.Directive]] = {
            "currency": self.currency,
            "markup": self.markup,
            "pulse": self.pulse,
            "route": self.route,
            "on_net": self.on_net,
            "fee": self.fee,
            "free_minutes": self.free_minutes,
            "round": self.round,
            "connect": self.connect,
            "grace": self.grace,
            "rate": self.rate,
            "free_zone": self.free_zone,
            "unknown": self.unknown,
        }

    def word(self, token: Token) -> ast.Word:
        return ast.Word(str(token), SourceRef(self.file, token.line or 0, token.column or 0))

    def first(self, tree: Tree[Token]) -> ast.Word:
        """The first token of ``tree`` (including a one-keyword subtree like ``route_of``)."""
        child = tree.children[0]
        if isinstance(child, Tree):
            return self.first(child)
        if not isinstance(child, Token):
            raise TypeError(f"unexpected child {child!r}")
        return self.word(child)

    def package(self, tree: Tree[Token]) -> ast.Package:
        name = self.word(_tokens(tree)[0])
        name = ast.Word(name.text[1:-1], name.at)
        at = SourceRef(self.file, tree.meta.line, tree.meta.column)
        directives = tuple(self.directive(child) for child in _trees(tree))
        return ast.Package(name, at, directives)

    def directive(self, tree: Tree[Token]) -> ast.Directive:
        meta = tree.meta
        at = SourceRef(self.file, meta.line, meta.column)
        text = " ".join(self.text[meta.start_pos : meta.end_pos].split())
        return self.handlers[str(tree.data)](tree, at, text)

    def currency(self, tree: Tree[Token], at: SourceRef, text: str) -> ast.Directive:
        return ast.Currency(at, text, self.first(tree))

    def markup_spec(self, tree: Tree[Token]) -> ast.MarkupSpec:
        numbers = [self.word(t) for t in _tokens(tree) if t.type == "NUMBER"]
        return ast.MarkupSpec(numbers[0], numbers[1] if len(numbers) > 1 else None)

    def pulse_spec(self, tree: Tree[Token]) -> ast.PulseSpec:
        numbers = [self.word(t) for t in _tokens(tree)]
        return ast.PulseSpec(numbers[0], numbers[1] if len(numbers) > 1 else None)

    def markup(self, tree: Tree[Token], at: SourceRef, text: str) -> ast.Directive:
        return ast.MarkupDirective(at, text, self.markup_spec(tree))

    def pulse(self, tree: Tree[Token], at: SourceRef, text: str) -> ast.Directive:
        return ast.PulseDirective(at, text, self.pulse_spec(_trees(tree)[0]))

    def route(self, tree: Tree[Token], at: SourceRef, text: str) -> ast.Directive:
        which, route = _trees(tree)
        return ast.RouteDirective(at, text, self.first(which), self.first(route))

    def on_net(self, tree: Tree[Token], at: SourceRef, text: str) -> ast.Directive:
        return ast.OnNet(at, text, self.first(tree))

    def fee(self, tree: Tree[Token], at: SourceRef, text: str) -> ast.Directive:
        return ast.Fee(at, text, self.first(_trees(tree)[0]), self.word(_tokens(tree)[0]))

    def free_minutes(self, tree: Tree[Token], at: SourceRef, text: str) -> ast.Directive:
        return ast.FreeMinutes(at, text, self.first(tree))

    def round(self, tree: Tree[Token], at: SourceRef, text: str) -> ast.Directive:
        return ast.RoundDirective(at, text, self.first(tree), self.first(_trees(tree)[0]))

    def connect(self, tree: Tree[Token], at: SourceRef, text: str) -> ast.Directive:
        return ast.Connect(at, text, self.first(tree))

    def grace(self, tree: Tree[Token], at: SourceRef, text: str) -> ast.Directive:
        return ast.Grace(at, text, self.first(tree))

    def target(self, tokens: list[Token]) -> tuple[ast.Target, list[Token]]:
        """The target at the head of ``tokens`` and the tokens after it."""
        kind = _TARGETS[tokens[0].type]
        if kind is ZoneKind.USA_CANADA:
            return ast.Target(kind, None), tokens[1:]
        return ast.Target(kind, self.word(tokens[1])), tokens[2:]

    def rate(self, tree: Tree[Token], at: SourceRef, text: str) -> ast.Directive:
        target, rest = self.target(_tokens(tree))
        specs = _trees(tree)
        pulse = self.pulse_spec(specs[0]) if specs else None
        numbers = [self.word(t) for t in rest if t.type == "NUMBER"]
        if rest[0].type != "MARKUP":
            return ast.Rate(at, text, target, numbers[0], None, pulse)
        markup = ast.MarkupSpec(numbers[0], numbers[1] if len(numbers) > 1 else None)
        return ast.Rate(at, text, target, None, markup, pulse)

    def free_zone(self, tree: Tree[Token], at: SourceRef, text: str) -> ast.Directive:
        return ast.FreeZone(at, text, self.target(_tokens(tree))[0])

    def unknown(self, tree: Tree[Token], at: SourceRef, text: str) -> ast.Directive:
        return ast.Unknown(at, text, self.first(tree))


class AstBuilder:
    """Lark's parse-time transformer: one method per grammar rule, called with its children.

    The parser keeps every token, so each rule method gets all of its rule's tokens in
    source order, keyword first. A sub-rule (``pulse_spec``, ``route_of``, ...) returns its
    token list, which, like a tree, has no ``type`` attribute (see
    ``ratelang.parse._previous_keyword``); inlined rules (``_target``, ``_price``, ...) are
    spliced into their parent by lark. Children are typed ``Any``: lark does not type them,
    the grammar fixes their shape. Helper methods end in ``_of``, since lark would call a
    method named like a rule, even an inlined one such as ``_target``.

    ``file`` and ``text`` are those of the parse in progress;
    :func:`ratelang.parse.parse_rules` sets them under a lock.
    """

    def __init__(self) -> None:
        self.file = "<input>"
        self.text = ""

    def at_of(self, token: Token) -> SourceRef:
        return SourceRef(self.file, token.line or 0, token.column or 0)

    def word_of(self, token: Token) -> ast.Word:
        return ast.Word(str(token), SourceRef(self.file, token.line or 0, token.column or 0))

    def text_of(self, children: list[Any]) -> str:
        """The directive's source, first token to last, whitespace runs as single spaces."""
        last = children[-1]
        if isinstance(last, list):
            last = last[-1]
        return " ".join(self.text[children[0].start_pos : last.end_pos].split())

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
