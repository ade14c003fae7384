"""Diagnostics of the rules language: errors and warnings with file, line, column and caret."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """Something to tell the author, pointing at ``file:line:column`` (1-based).

    ``snippet`` is the source line, ``length`` the width of the caret, ``expected`` what
    would have been valid there (in words) and ``hint`` a suggestion.
    """

    file: str
    line: int
    column: int
    message: str
    snippet: str = ""
    expected: tuple[str, ...] = ()
    hint: str = ""
    length: int = 1

    severity: ClassVar[Severity] = Severity.ERROR

    def render(self) -> str:
        """``file:line:col: error: message``, the line, a caret, then expected and hint."""
        out = [f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"]
        if self.snippet:
            lead = "".join(c if c == "\t" else " " for c in self.snippet[: self.column - 1])
            out += [f"    {self.snippet}", f"    {lead}^{'~' * max(0, self.length - 1)}"]
        if self.expected:
            out.append(f"  expected: {join_words(self.expected)}")
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return "\n".join(out)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"


@dataclass(frozen=True, slots=True)
class RuleError(Diagnostic):
    """A problem that stops a rule file from compiling."""

    severity: ClassVar[Severity] = Severity.ERROR


@dataclass(frozen=True, slots=True)
class RuleWarning(Diagnostic):
    """A likely mistake that does not stop compilation (e.g. a shadowed rule)."""

    severity: ClassVar[Severity] = Severity.WARNING


class RuleErrors(Exception):
    """A rule file did not compile; ``errors`` holds every error found, in source order."""

    def __init__(
        self, errors: tuple[RuleError, ...], warnings: tuple[RuleWarning, ...] = ()
    ) -> None:
        if not errors:
            raise ValueError("RuleErrors needs at least one error")
        self.errors = errors
        self.warnings = warnings
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{errors[0]}{more}")

    def render(self) -> str:
        """Every error, rendered, separated by blank lines."""
        return "\n\n".join(error.render() for error in self.errors)


def join_words(words: tuple[str, ...] | list[str]) -> str:
    """``("a", "b", "c")`` → ``"a, b or c"``."""
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"
