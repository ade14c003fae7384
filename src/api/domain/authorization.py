"""May a call start, and for how long?"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RefusalReason(StrEnum):
    UNKNOWN_SUB_ACCOUNT = "unknown_sub_account"
    NO_PACKAGE = "no_package"
    SUSPENDED = "suspended"
    UNROUTABLE = "unroutable"
    INVALID_NUMBER = "invalid_number"
    INSUFFICIENT_BALANCE = "insufficient_balance"


@dataclass(frozen=True, slots=True)
class Authorization:
    """Allowed with ``max_seconds``, or refused with a ``reason``."""

    allowed: bool
    reason: RefusalReason | None = None
    max_seconds: int = 0
    message: str = ""

    @classmethod
    def allow(cls, max_seconds: int) -> Authorization:
        return cls(True, None, max_seconds)

    @classmethod
    def refuse(cls, reason: RefusalReason, message: str = "") -> Authorization:
        return cls(False, reason, 0, message or reason.value.replace("_", " "))


def decide(
    *, balance_type: str, suspended: bool, cap_seconds: int, affordable: int | None
) -> Authorization:
    """The decision once the call is known routable.

    ``affordable`` is what a hard client's balance and free minutes pay for (whole pulse
    steps), ``None`` for a soft client. Soft clients get the cap; hard clients the smaller
    of the two, and are refused when suspended or when not even the first block is paid.
    """
    if suspended:
        return Authorization.refuse(RefusalReason.SUSPENDED)
    if balance_type != "hard" or affordable is None:
        return Authorization.allow(cap_seconds)
    seconds = min(affordable, cap_seconds)
    if seconds <= 0:
        return Authorization.refuse(RefusalReason.INSUFFICIENT_BALANCE)
    return Authorization.allow(seconds)
