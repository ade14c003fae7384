"""Double-entry postings: a transaction is a set of signed amounts that sum to zero.

Account kinds and their meaning (a balance is the sum of the account's entries):

- ``client``: a client's prepaid balance (positive = credit left); per client.
- ``client_funding``: counterpart of client payments; per reseller (minus the cash taken in).
- ``reseller_revenue``: what the reseller earned from its clients (calls, fees, charges).
- ``reseller``: the reseller's own balance at the operator; calls and DIDs cost it money.
- ``reseller_funding``: counterpart of the reseller's payments to the operator.
- ``operator_revenue``: what the operator earned from that reseller (per reseller, so
  that no row is shared by every tenant).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class AccountKind(StrEnum):
    CLIENT = "client"
    CLIENT_FUNDING = "client_funding"
    RESELLER_REVENUE = "reseller_revenue"
    RESELLER = "reseller"
    RESELLER_FUNDING = "reseller_funding"
    OPERATOR_REVENUE = "operator_revenue"


RESELLER_ACCOUNT_KINDS: tuple[AccountKind, ...] = (
    AccountKind.CLIENT_FUNDING,
    AccountKind.RESELLER_REVENUE,
    AccountKind.RESELLER,
    AccountKind.RESELLER_FUNDING,
    AccountKind.OPERATOR_REVENUE,
)
"""The accounts every reseller gets when it is created."""


class TransactionKind(StrEnum):
    CALL = "call"  # one CDR, or a batch of CDRs of one client (``calls``)
    CALLS = "calls"
    PAYMENT = "payment"
    CHARGE = "charge"
    SETUP_FEE = "setup_fee"
    MONTHLY_FEE = "monthly_fee"
    DID_FEE = "did_fee"
    DID_COST = "did_cost"
    RESELLER_PAYMENT = "reseller_payment"
    HOSTNAME_FEE = "hostname_fee"  # the operator's one-time fee for a portal hostname


FEE_KINDS = frozenset(
    {TransactionKind.SETUP_FEE, TransactionKind.MONTHLY_FEE, TransactionKind.DID_FEE}
)
CALL_KINDS = frozenset({TransactionKind.CALL, TransactionKind.CALLS})


class UnbalancedTransaction(ValueError):
    """Postings that do not sum to zero: a programming error, never stored."""


@dataclass(frozen=True, slots=True)
class Posting:
    """A signed amount (micro-units) on one account."""

    account_id: int
    amount: int


@dataclass(frozen=True, slots=True)
class TenantAccounts:
    """The ledger account ids that a client's money moves between."""

    client: int
    client_funding: int
    reseller_revenue: int
    reseller: int
    operator_revenue: int


@dataclass(slots=True)
class TransactionDraft:
    """A transaction being built; :meth:`postings` refuses it unless it balances."""

    kind: TransactionKind
    reseller_id: int | None = None
    client_id: int | None = None
    description: str = ""
    method: str = ""
    key: str | None = None
    _amounts: dict[int, int] = field(default_factory=dict)

    def move(self, amount: int, *, debit: int, credit: int) -> TransactionDraft:
        """Take ``amount`` from account ``debit`` and give it to account ``credit``."""
        if not isinstance(amount, int):
            raise TypeError(f"amounts are int micro-units, not {type(amount).__name__}")
        if amount:
            self._amounts[debit] = self._amounts.get(debit, 0) - amount
            self._amounts[credit] = self._amounts.get(credit, 0) + amount
        return self

    def add(self, account_id: int, amount: int) -> TransactionDraft:
        """One raw posting; the caller must balance it with others."""
        self._amounts[account_id] = self._amounts.get(account_id, 0) + amount
        return self

    @property
    def is_empty(self) -> bool:
        return not any(self._amounts.values())

    def postings(self) -> tuple[Posting, ...]:
        """The non-zero postings, by account id; raises :class:`UnbalancedTransaction`."""
        return balanced_postings(self._amounts)


def balanced_postings(amounts: Mapping[int, int]) -> tuple[Posting, ...]:
    """Non-zero postings sorted by account id; refuses amounts that do not sum to zero."""
    total = sum(amounts.values())
    if total != 0:
        raise UnbalancedTransaction(f"postings sum to {total}, not 0")
    return tuple(Posting(a, v) for a, v in sorted(amounts.items()) if v)


def sum_by_account(postings: Iterable[Posting]) -> dict[int, int]:
    """Aggregate postings per account (one balance update per account)."""
    totals: dict[int, int] = {}
    for p in postings:
        totals[p.account_id] = totals.get(p.account_id, 0) + p.amount
    return totals
