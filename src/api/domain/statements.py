"""A client's statement for one period, from the ledger amounts of its account."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from api.domain.ledger import CALL_KINDS, FEE_KINDS, TransactionKind


@dataclass(frozen=True, slots=True)
class StatementFigures:
    """Opening + calls + fees + charges + payments = closing (calls/fees/charges ≤ 0)."""

    opening: int
    calls: int
    fees: int
    charges: int
    payments: int
    closing: int


def compute_statement(opening: int, movements: Iterable[tuple[str, int]]) -> StatementFigures:
    """``movements``: (transaction kind, signed amount on the client account) in the period."""
    calls = fees = charges = payments = 0
    for kind, amount in movements:
        if kind in CALL_KINDS:
            calls += amount
        elif kind in FEE_KINDS:
            fees += amount
        elif kind == TransactionKind.PAYMENT:
            payments += amount
        else:
            charges += amount
    closing = opening + calls + fees + charges + payments
    return StatementFigures(opening, calls, fees, charges, payments, closing)
