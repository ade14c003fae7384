"""Text → AST, the first stage of the compiler. Lark's exceptions become :class:`RuleError`.

One LALR parser is built (once) from the packaged grammar; it builds the AST while it
parses, with :class:`ratelang.transform.AstBuilder`, without a parse tree. On a syntax
error inside a package the offending line is blanked and the text parsed again, so that
one run reports every broken line (up to :data:`MAX_ERRORS`); a package left open at the
end of the file is closed for the next attempt. When the rest then parses,
:class:`SyntaxErrors` carries its AST, so that the checker can report the other errors of
the file too (see :func:`ratelang.compile.compile_source`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from typing import TypeVar

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from ratelang import ast
from ratelang.errors import RuleError, RuleErrors
from ratelang.transform import AstBuilder, parsing

MAX_ERRORS = 50

TERMINAL_WORDS: dict[str, str] = {
    "NUMBER": "a number",
    "CODE": "a code",
    "PREFIX_DIGITS": "prefix digits",
    "STRING": "a quoted name",
    "NAME": "a directive",
    "_NL": "end of line",
    "$END": "end of file",
}
_CODE_AFTER = {"CURRENCY": "a currency code", "COUNTRY": "a country code"}
_WORD = re.compile(r"[^\s{}%+/#]+")


_T = TypeVar("_T")


@cache
def _grammar() -> str:
    return (files("ratelang") / "ratelang.lark").read_text(encoding="utf-8")


@cache
def parser() -> Lark:
    """The LALR parser that builds the AST as it parses, built once."""
    return Lark(
        _grammar(),
        parser="lalr",
        transformer=AstBuilder(),
        keep_all_tokens=True,  # a directive starts at its keyword and ends at its last token
        maybe_placeholders=False,
    )


@cache
def _keywords() -> dict[str, str]:
    """Terminal name → the literal it stands for (``"MARKUP"`` → ``"markup"``)."""
    terminals = parser().terminals
    return {t.name: t.pattern.value for t in terminals if isinstance(t.pattern, PatternStr)}


class SyntaxErrors(RuleErrors):
    """Syntax errors of a file, in source order. ``recovered`` is the AST of the file
    without its broken lines (their numbers are ``skipped``) when the rest parses, else
    ``None``; the checker finds the file's other errors in it."""

    def __init__(
        self,
        errors: tuple[RuleError, ...],
        recovered: ast.RuleFile | None = None,
        skipped: frozenset[int] = frozenset(),
    ) -> None:
        super().__init__(errors)
        self.recovered = recovered
        self.skipped = skipped


def parse(text: str, file: str = "<input>") -> ast.RuleFile:
    """Text → AST. Raises :class:`SyntaxErrors` with every syntax error found, and the AST
    of the rest of the file when it parses."""
    with parsing(file, text):
        packages, errors, skipped = _parse_all(parser().parse, text, file)
    rule_file = None
    if packages is not None:
        rule_file = ast.RuleFile(file, tuple(packages), tuple(text.split("\n")))  # type: ignore[arg-type]
    if errors or rule_file is None:
        raise SyntaxErrors(errors, rule_file, skipped)
    return rule_file


def _parse_all(
    parse: Callable[[str], _T], text: str, file: str
) -> tuple[_T | None, tuple[RuleError, ...], frozenset[int]]:
    """``parse(text)`` and every syntax error found on the way, in source order, with the
    lines blanked to get there; the result is ``None`` when the file could not be parsed
    even without its broken lines."""
    errors: list[RuleError] = []
    lines = text.split("\n")
    count = len(lines)
    skipped: set[int] = set()
    result: _T | None = None
    while True:
        try:
            result = parse("\n".join(lines))
        except UnexpectedInput as exc:
            error = _translate(exc, lines, file)
            if error.line > count:  # an error in the "}" added below: no more to learn
                break
            errors.append(error)
            if len(errors) >= MAX_ERRORS:
                break
            if error.message == "unexpected end of file":
                if len(lines) > count or "'}'" not in error.expected:
                    break
                lines.append("}")  # close the package left open, and look at the rest
            elif _blank_line(lines, error.line):
                skipped.add(error.line)
            else:
                break
        else:
            break
    ordered = tuple(sorted(errors, key=lambda e: (e.line, e.column)))
    return result, ordered, frozenset(skipped)


def _blank_line(lines: list[str], line: int) -> bool:
    """Blank a broken directive line so the rest can be parsed; False if that cannot help."""
    index = line - 1
    if index >= len(lines) or not lines[index].strip():
        return False
    source = lines[index].split("#", 1)[0]
    if any(c in source for c in '{}"') or source.strip().startswith("package"):
        return False
    lines[index] = " " * len(lines[index])  # same length: later offsets stay the same
    return True


def _translate(exc: UnexpectedInput, lines: list[str], file: str) -> RuleError:
    line, column = max(exc.line, 1), max(exc.column, 1)
    expected: set[str] = set()
    if isinstance(exc, UnexpectedToken | UnexpectedEOF):
        expected = set(exc.expected)
    elif isinstance(exc, UnexpectedCharacters):
        expected = set(exc.allowed or ())
    at_end = isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    )
    if at_end:
        line = max((i + 1 for i, text in enumerate(lines) if text.strip()), default=1)
        column = len(lines[line - 1]) + 1
    snippet = lines[line - 1] if 0 < line <= len(lines) else ""
    previous = _previous_keyword(exc)
    words = describe_expected(expected, previous)
    found = _WORD.match(snippet, column - 1)
    if at_end:
        message, length = "unexpected end of file", 1
    elif isinstance(exc, UnexpectedToken) and exc.token.type == "_NL":
        message, length = "unexpected end of line", 1
    elif found:
        message, length = f"unexpected {found.group()!r}", len(found.group())
    else:
        char = snippet[column - 1 : column] or "?"
        message, length = f"unexpected character {char!r}", 1
    hint = _suggest(found.group() if found and not at_end else "", expected)
    if found and found.group() == "markup" and "PULSE" in expected:
        hint = "a rate is either an amount or a markup, not both"
    if snippet[column - 1 : column] == "{" and not at_end:
        hint = "packages cannot be nested: close the previous one with '}' first"
    return RuleError(file, line, column, message, snippet, words, hint, length)


def _previous_keyword(exc: UnexpectedInput) -> str | None:
    """The terminal just before the error, when lark can tell (for "a country code")."""
    parser_state = getattr(exc, "interactive_parser", None)
    if parser_state is None:
        return None
    stack = getattr(parser_state.parser_state, "value_stack", [])
    last = stack[-1] if stack else None
    return getattr(last, "type", None)


def describe_expected(expected: set[str], previous: str | None = None) -> tuple[str, ...]:
    """Terminal names in words: ``{"NUMBER", "RBRACE"}`` → ``("a number", "'}'")``."""
    keywords = _keywords()
    if "NAME" in expected:  # the start of a directive: "a directive" covers the keywords
        expected = {n for n in expected if keywords.get(n) not in DIRECTIVES}
    if "PACKAGE" in expected:
        expected = expected - {"_NL"}
    words: list[str] = []
    for name in sorted(expected, key=_order):
        if name == "CODE" and previous in _CODE_AFTER:
            words.append(_CODE_AFTER[previous])
        elif name in TERMINAL_WORDS:
            words.append(TERMINAL_WORDS[name])
        elif name in keywords:
            words.append(f"'{keywords[name]}'")
        else:
            words.append(name.lower())
    return tuple(dict.fromkeys(words))


def _order(name: str) -> tuple[int, str]:
    if name in TERMINAL_WORDS or name == "CODE":
        return (0 if name not in {"_NL", "$END"} else 2, name)
    return (1, _keywords().get(name, name))


def _suggest(word: str, expected: set[str]) -> str:
    """``did you mean 'half_up'?`` for a word close to an expected keyword."""
    if not word:
        return ""
    keywords = _keywords()
    candidates = [keywords[n] for n in expected if n in keywords and keywords[n][:1].isalpha()]
    if "NAME" in expected:  # the start of a directive: every directive keyword is valid
        candidates = list(DIRECTIVES)
    close = difflib.get_close_matches(word.lower().replace("-", "_"), candidates, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


DIRECTIVES: tuple[str, ...] = (
    "currency",
    "markup",
    "pulse",
    "route",
    "on_net",
    "fee",
    "free_minutes",
    "round",
    "connect",
    "grace",
    "rate",
    "free_zone",
)
"""Every directive keyword, in the order the reference documents them."""
