"""Money, roles, time stamps and Relay-style connections (capped at 100 per page)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Generic, TypeVar

import strawberry

from api.graphql.errors import PublicError
from api.graphql.scalars import from_micros

T = TypeVar("T")
MAX_PAGE = 100
DEFAULT_PAGE = 20


@strawberry.type
class Money:
    """An exact amount (a decimal string) in the reseller's currency."""

    amount: Decimal
    currency: str

    @classmethod
    def of(cls, micros: int, currency: str) -> Money:
        """The amount ``micros`` (micro-units) in ``currency``. Shared, never mutated:
        CDR pages repeat the same rates and amounts, and building a ``Decimal`` from its
        text for each of them was a tenth of the request's CPU."""
        return _money(micros, currency)


@lru_cache(maxsize=8192)
def _money(micros: int, currency: str) -> Money:
    return Money(amount=from_micros(micros), currency=currency)


@strawberry.enum
class CallDirection(Enum):
    """A call's direction, on input and on output alike."""

    OUTBOUND = "outbound"
    INBOUND = "inbound"


def direction_of(value: str | None) -> CallDirection:
    """The enum of a stored direction (``None``: a column the query did not read)."""
    return _DIRECTIONS[value] if value is not None else None  # type: ignore[return-value]


_DIRECTIONS = {d.value: d for d in CallDirection}


@strawberry.enum
class Role(Enum):
    OPERATOR = "operator"
    RESELLER = "reseller"
    CLIENT = "client"


def utc(value: datetime) -> datetime:
    """Every timestamp leaves with its time zone (UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    """A page of at most 100 items; pass ``pageInfo.endCursor`` as ``after`` for the next."""

    edges: list[Edge[T]]
    page_info: PageInfo


@dataclass(frozen=True, slots=True)
class Page:
    """Validated paging arguments: up to ``limit`` items after the ``after_key`` (an id)."""

    limit: int
    after_key: int | None

    @classmethod
    def of(cls, first: int, after: str | None) -> Page:
        if not 1 <= first <= MAX_PAGE:
            raise PublicError(f"first must be between 1 and {MAX_PAGE}")
        return cls(first, None if after is None else decode_cursor(after))


def encode_cursor(key: int) -> str:
    return base64.urlsafe_b64encode(f"k:{key}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        prefix, _, key = text.partition(":")
        if prefix != "k" or not key.isdigit() or len(key) > 18:
            raise ValueError(cursor)
        return int(key)
    except (ValueError, UnicodeError):
        raise PublicError("invalid cursor") from None


def connection(
    items: Sequence[T], page: Page, key: Callable[[T], int], *, fetched_extra: bool
) -> Connection[T]:
    """A connection from ``items`` (already after the cursor, at most ``limit + 1``)."""
    shown = list(items[: page.limit])
    edges = [Edge(cursor=encode_cursor(key(item)), node=item) for item in shown]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=fetched_extra and len(items) > page.limit,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def paginate(items: Sequence[T], page: Page, key: Callable[[T], int]) -> Connection[T]:
    """Page an in-memory list ordered by ``key`` ascending."""
    start = [i for i in items if page.after_key is None or key(i) > page.after_key]
    return connection(start[: page.limit + 1], page, key, fetched_extra=True)


def paginate_desc(items: Sequence[T], page: Page, key: Callable[[T], int]) -> Connection[T]:
    """Page an in-memory list ordered by ``key`` descending (newest first)."""
    start = [i for i in items if page.after_key is None or key(i) < page.after_key]
    return connection(start[: page.limit + 1], page, key, fetched_extra=True)
