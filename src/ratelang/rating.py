"""A call to price and the explained result of pricing it."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from enum import StrEnum

from ratelang.model import Direction, Pulse, Route, RuleKind
from ratelang.types import CountryCode, Digits, Micros


@dataclass(frozen=True, slots=True)
class DidPrice:
    """Per-minute prices of a DID for inbound calls: the reseller's sell, the operator's cost."""

    sell_rate: Micros
    cost_rate: Micros


@dataclass(frozen=True, slots=True)
class Call:
    """What pricing needs to know about one call.

    ``number`` is the dialled number (outbound) or the called DID (inbound), in any
    accepted form; ``free_minutes_left`` is what the client's bundle still holds;
    ``on_net_numbers`` are the platform's active DIDs as E.164 digits; ``did`` is required
    for inbound calls.
    """

    number: str
    duration: int
    direction: Direction = Direction.OUTBOUND
    free_minutes_left: int = 0
    on_net_numbers: Set[Digits] = frozenset()
    did: DidPrice | None = None


@dataclass(frozen=True, slots=True)
class MatchedRule:
    """Which rule set the sell rate: its kind, its text and the line it was written on."""

    kind: RuleKind
    text: str
    line: int | None


@dataclass(slots=True)
class Rating:
    """Every figure of one priced call, with what explains it (SPEC 3.8).

    Not frozen only because a frozen 20-field dataclass costs a third of ``price()``;
    treat it as immutable.
    """

    number: Digits
    direction: Direction
    duration: int
    billed_seconds: int  # the whole call with the sell pulse
    cost_billed_seconds: int  # the whole call with the cost pulse (deck row pulse, if any)
    charged_seconds: int  # billed seconds the client pays after free minutes
    pulse: Pulse
    sell_rate: Micros
    sell: Micros  # includes connect_fee
    connect_fee: Micros
    cost_rate: Micros
    cost: Micros
    rule: MatchedRule
    deck_prefix: Digits | None
    country: CountryCode | None
    description: str
    route: Route | None
    free_minutes_used: int
    on_net: bool

    @property
    def profit(self) -> Micros:
        return self.sell - self.cost


class RatingFailure(StrEnum):
    INVALID_NUMBER = "invalid_number"
    UNROUTABLE = "unroutable"
    INVALID_DURATION = "invalid_duration"
    NO_DID_PRICE = "no_did_price"


class RatingError(Exception):
    """A call that cannot be priced; ``reason`` is machine-readable, the message is for people."""

    def __init__(self, reason: RatingFailure, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
