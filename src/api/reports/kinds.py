"""How the reports read the ledger's vocabulary (owned by :mod:`api.domain.ledger`).

Each transaction kind moves a balance in one column of the financial report. A kind
missing from :data:`MOVEMENT_OF_KIND` (one added to the ledger later) is reported as
:attr:`Movement.OTHER`, so that ``closing = opening + movements`` always holds.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from api.domain.ledger import AccountKind, TransactionKind

__all__ = [
    "MOVEMENT_OF_KIND",
    "PAYMENT_KINDS",
    "AccountKind",
    "CdrStatus",
    "Direction",
    "Movement",
    "PaymentMethod",
    "TransactionKind",
    "movement_of",
]


class PaymentMethod(StrEnum):
    MANUAL = "manual"
    PAYPAL = "paypal"


class Movement(StrEnum):
    """A column of the financial report: what moved a balance during the period."""

    PAYMENTS_MANUAL = "payments_manual"
    PAYMENTS_PAYPAL = "payments_paypal"
    CHARGES = "charges"
    PACKAGE_FEES = "package_fees"
    DID_FEES = "did_fees"
    CALLS = "calls"
    OTHER = "other"


PAYMENT_KINDS: Final = frozenset({TransactionKind.PAYMENT, TransactionKind.RESELLER_PAYMENT})

MOVEMENT_OF_KIND: Final[dict[str, Movement]] = {
    TransactionKind.CALL: Movement.CALLS,
    TransactionKind.CALLS: Movement.CALLS,
    TransactionKind.CHARGE: Movement.CHARGES,
    TransactionKind.SETUP_FEE: Movement.PACKAGE_FEES,
    TransactionKind.MONTHLY_FEE: Movement.PACKAGE_FEES,
    TransactionKind.DID_FEE: Movement.DID_FEES,  # a client's DID setup and monthly price
    TransactionKind.DID_COST: Movement.DID_FEES,  # the operator's DID cost to the reseller
}

MOVEMENT_OF_PAYMENT_METHOD: Final[dict[str, Movement]] = {
    "": Movement.PAYMENTS_MANUAL,  # a payment recorded without a method
    PaymentMethod.MANUAL: Movement.PAYMENTS_MANUAL,
    PaymentMethod.PAYPAL: Movement.PAYMENTS_PAYPAL,
}


def movement_of(kind: str, method: str) -> Movement:
    """The report column of a ledger transaction; payments split by method."""
    if kind in PAYMENT_KINDS:
        return MOVEMENT_OF_PAYMENT_METHOD.get(method, Movement.OTHER)
    return MOVEMENT_OF_KIND.get(kind, Movement.OTHER)


class CdrStatus(StrEnum):
    RATED = "rated"
    UNRATED = "unrated"


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"
