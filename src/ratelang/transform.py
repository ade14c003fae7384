"""Lark parse tree → :mod:`ratelang.ast`. The only module besides parse.py that sees lark."""

from __future__ import annotations

from collections.abc import Callable

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
