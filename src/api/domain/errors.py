"""The one hierarchy of expected failures that the service layer raises.

Every use case in :mod:`api.services` either returns its result or raises a subclass of
:class:`ServiceError`; anything else is a bug. Each error has a stable machine-readable
``code`` and a message meant for people (never a secret, never another tenant's data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ServiceError(Exception):
    """Base of every expected failure; ``code`` is stable, ``message`` is for people."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """No such row visible to the caller (another tenant's rows are reported like this)."""

    code = "not_found"

    def __init__(self, what: str, id: object) -> None:
        super().__init__(f"{what} {id} not found")
        self.what = what
        self.id = id


class PermissionDenied(ServiceError):
    """The caller's role may not do this (e.g. a client adding a payment)."""

    code = "permission_denied"


class Unauthenticated(ServiceError):
    """An unknown, revoked or malformed credential."""

    code = "unauthenticated"

    def __init__(self, message: str = "invalid or revoked credential") -> None:
        super().__init__(message)


class InvalidInput(ServiceError):
    """One argument is wrong; ``field`` names it."""

    code = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.detail = message


class AlreadyExists(ServiceError):
    """A unique name or number is taken (``what`` and ``key`` say which)."""

    code = "already_exists"

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key!s} already exists")
        self.what = what
        self.key = key


class Conflict(ServiceError):
    """The request contradicts the current state (e.g. a DID already assigned)."""

    code = "conflict"


class StillAttached(ServiceError):
    """A client cannot be closed while packages or DIDs are attached; ``names`` lists them."""

    code = "still_attached"

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        super().__init__("still attached: " + ", ".join(self.names))


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """One problem in a rule file or a deck: where it is and what is wrong."""

    file: str
    line: int
    column: int
    message: str
    rendered: str = ""  # the message with the source line and a caret, when available

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class RuleCompileFailed(ServiceError):
    """A package's rules do not compile; nothing was stored."""

    code = "rule_compile_failed"

    def __init__(self, errors: Sequence[SourceProblem]) -> None:
        self.errors = tuple(errors)
        count = len(self.errors)
        super().__init__(f"{count} error{'s' if count != 1 else ''} in the rules")


@dataclass(frozen=True, slots=True)
class DeckIssue:
    """One broken spot of a deck: 1-based line, the column's name, what is wrong."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.message}"


class DeckRejected(ServiceError):
    """An operator deck has broken rows; nothing was stored. ``problems`` lists them."""

    code = "deck_rejected"

    def __init__(self, problems: Sequence[DeckIssue]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the deck")


class InsufficientBalance(ServiceError):
    """A debit that may not overdraw a hard client would do so; nothing was posted."""

    code = "insufficient_balance"

    def __init__(self, balance: int, amount: int) -> None:
        super().__init__("the balance does not cover this debit")
        self.balance = balance
        self.amount = amount


class InvalidFields(InvalidInput):
    """Several arguments are wrong, all reported at once: ``problems`` lists (field,
    message); ``field`` and ``detail`` are the first (so handlers of
    :class:`InvalidInput` keep working)."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        if not problems:
            raise ValueError("InvalidFields needs at least one problem")
        self.problems = tuple(problems)
        super().__init__(*self.problems[0])
        self.message = "; ".join(f"{field}: {message}" for field, message in self.problems)
        self.args = (self.message,)


def raise_all(problems: Sequence[tuple[str, str]]) -> None:
    """Raise every problem at once (:class:`InvalidFields`), or nothing when empty."""
    if problems:
        raise InvalidFields(problems)
