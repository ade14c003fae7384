"""Expected failures as typed GraphQL objects (union members), and the masking rule.

Resolvers return these; they never raise for an expected failure. Anything raised inside
a resolver that is not a :class:`PublicError` is masked as ``"Unexpected error."`` and
logged server-side (type and traceback; SQL parameters are hidden by the engine).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from decimal import Decimal

import strawberry
from graphql import GraphQLError

from api.compat.strawberry import to_camel_case
from api.domain import errors as domain
from api.store.db_errors import is_unavailable

log = logging.getLogger("pulsebill.graphql")


class PublicError(Exception):
    """An error whose message is safe to show to the caller (authentication, limits)."""


class InvalidValue(PublicError):
    """A scalar value refused while the request is validated (graphql-core adds where)."""


class NotAuthenticated(PublicError):
    def __init__(self) -> None:
        super().__init__("Not authenticated")


class Forbidden(PublicError):
    def __init__(self) -> None:
        super().__init__("Forbidden")


def is_unexpected(error: GraphQLError) -> bool:
    """A crash inside a resolver (not a parse, validation, limit or :class:`PublicError`)."""
    original = error.original_error
    return original is not None and not isinstance(original, PublicError | GraphQLError)


def should_mask(error: GraphQLError) -> bool:
    """The ``MaskErrors`` predicate: hide every unexpected error's message."""
    return is_unexpected(error)


def log_unexpected(errors: list[GraphQLError]) -> None:
    """Log unexpected errors: type and frames only, since messages may carry values."""
    for error in errors:
        if not is_unexpected(error):
            continue
        original = error.original_error
        assert original is not None
        log.error(
            "Unexpected error at %s: %s\n%s",
            ".".join(str(p) for p in error.path or ()),
            type(original).__name__,
            "".join(traceback.format_tb(original.__traceback__)),
        )


def mark_bad_input(errors: list[GraphQLError]) -> None:
    """Give every refused scalar value the ``BAD_USER_INPUT`` code (graphql-core wraps the
    :class:`InvalidValue` in an error that names the variable path or the location)."""
    for error in errors:
        original = error.original_error
        if isinstance(original, GraphQLError):  # a variable's error wraps the value's
            original = original.original_error
        if isinstance(original, InvalidValue):
            error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}


def any_unavailable(errors: list[GraphQLError]) -> bool:
    """Whether one of the errors is the database being unreachable."""
    return any(e.original_error is not None and is_unavailable(e.original_error) for e in errors)


@strawberry.interface
class Problem:
    """What every expected failure says."""

    message: str


@strawberry.type
class NotFound(Problem):
    """No such object for this caller (also the answer for another tenant's ids)."""

    what: str


@strawberry.type
class FieldError:
    field: str
    message: str


@strawberry.type
class InvalidInput(Problem):
    """Input that breaks a rule the schema cannot express (range, length, format)."""

    errors: list[FieldError]


@strawberry.type
class Conflict(Problem):
    """The operation clashes with existing data (a duplicate name, a taken DID)."""


@strawberry.type
class StillAttached(Problem):
    """A client cannot be deleted while packages or DIDs are attached."""

    packages: list[str]
    dids: list[str]


@strawberry.type
class LoginFailed(Problem):
    """Wrong credentials, or too many failures (``retry_after_seconds`` > 0)."""

    retry_after_seconds: int


def not_found(what: str) -> NotFound:
    return NotFound(message=f"{what} not found", what=what)


def graphql_path(field: str) -> str:
    """A service's field path in the GraphQL input's own names: ``cdr.started_at`` →
    ``cdr.startedAt``, ``billing_day`` → ``billingDay``."""
    return ".".join(to_camel_case(part) for part in field.split("."))


def invalid(field: str, message: str) -> InvalidInput:
    return invalid_all([(field, message)])


def invalid_all(problems: Sequence[tuple[str, str]]) -> InvalidInput:
    """Every problem of an input at once, fields named as in the GraphQL input."""
    return InvalidInput(
        message="Invalid input",
        errors=[FieldError(field=graphql_path(f), message=m) for f, m in problems],
    )


@strawberry.type
class SourceProblem:
    """One problem in a rule file or a deck, at a line and column (1-based)."""

    line: int
    column: int
    message: str
    rendered: str


@strawberry.type
class RuleErrors(Problem):
    """A package's rules do not compile; nothing was stored."""

    errors: list[SourceProblem]
    warnings: list[SourceProblem]


@strawberry.type
class DeckProblem:
    """One broken spot of a deck CSV: its 1-based line and the column's name."""

    line: int
    column: str
    message: str


@strawberry.type
class DeckRejected(Problem):
    """An operator deck has broken rows; nothing was stored."""

    problems: list[DeckProblem]


@strawberry.type
class InsufficientBalance(Problem):
    """A hard client's balance does not cover the debit; nothing was posted."""

    balance: Decimal
    amount: Decimal


CommonProblem = NotFound | InvalidInput | Conflict


def common_problem(exc: domain.ServiceError) -> CommonProblem:
    """Translate the service errors every mutation may meet; others are re-raised.

    ``PermissionDenied`` becomes a clean ``Forbidden`` error, ``Unauthenticated`` a
    ``Not authenticated`` one (both GraphQL errors, not union members).
    """
    if isinstance(exc, domain.NotFound):
        return NotFound(message=f"{exc.what} not found", what=exc.what)
    if isinstance(exc, domain.InvalidFields):
        return invalid_all(exc.problems)
    if isinstance(exc, domain.InvalidInput):
        return invalid(exc.field, exc.detail)
    if isinstance(exc, domain.AlreadyExists | domain.Conflict):
        return Conflict(message=exc.message)
    if isinstance(exc, domain.PermissionDenied):
        raise Forbidden from None
    if isinstance(exc, domain.Unauthenticated):
        raise NotAuthenticated from None
    raise exc


def source_problem(problem: domain.SourceProblem) -> SourceProblem:
    return SourceProblem(
        line=problem.line, column=problem.column, message=problem.message, rendered=problem.rendered
    )
