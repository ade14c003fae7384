"""Ledger accounts and their cached balances; balances move only by atomic SQL updates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.domain.errors import InsufficientBalance
from api.domain.ledger import RESELLER_ACCOUNT_KINDS, AccountKind, TenantAccounts
from api.store.cdrs.driver import IN_CHUNK
from api.store.tables import Account


class AccountRepository:
    """Create, find and move ledger accounts (flush only)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create_reseller_accounts(self, reseller_id: int, currency: str) -> None:
        """Every per-reseller account, created once with the reseller (no races later)."""
        for kind in RESELLER_ACCOUNT_KINDS:
            self.session.add(Account(kind=kind, reseller_id=reseller_id, currency=currency))
        await self.session.flush()

    async def create_client_account(self, reseller_id: int, client_id: int, currency: str) -> int:
        account = Account(
            kind=AccountKind.CLIENT, reseller_id=reseller_id, client_id=client_id, currency=currency
        )
        self.session.add(account)
        await self.session.flush()
        assert account.id is not None
        return account.id

    async def reseller_account_ids(self, reseller_id: int) -> dict[AccountKind, int]:
        rows = await self.session.execute(
            select(col(Account.kind), col(Account.id)).where(
                col(Account.reseller_id) == reseller_id,
                col(Account.client_id).is_(None),
            )
        )
        return {AccountKind(kind): id_ for kind, id_ in rows if id_ is not None}

    async def client_account_ids(self, reseller_id: int) -> dict[int, int]:
        """Client id → its account id, for every client of the reseller."""
        rows = await self.session.execute(
            select(col(Account.client_id), col(Account.id)).where(
                col(Account.reseller_id) == reseller_id, col(Account.kind) == AccountKind.CLIENT
            )
        )
        return {
            client_id: id_ for client_id, id_ in rows if client_id is not None and id_ is not None
        }

    async def client_account_ids_of(
        self, reseller_id: int, client_ids: Sequence[int]
    ) -> dict[int, int]:
        """Client id → its account id, for the reseller's clients among ``client_ids``
        (one query per :data:`IN_CHUNK` ids)."""
        found: dict[int, int] = {}
        for start in range(0, len(client_ids), IN_CHUNK):
            rows = await self.session.execute(
                select(col(Account.client_id), col(Account.id)).where(
                    col(Account.reseller_id) == reseller_id,
                    col(Account.kind) == AccountKind.CLIENT.value,
                    col(Account.client_id).in_(client_ids[start : start + IN_CHUNK]),
                )
            )
            for client_id, account_id in rows:
                if client_id is not None and account_id is not None:
                    found[client_id] = account_id
        return found

    async def tenant_accounts(self, reseller_id: int, client_id: int) -> TenantAccounts:
        """The accounts a client's money moves between."""
        rows = await self.session.execute(
            select(col(Account.kind), col(Account.id)).where(
                col(Account.reseller_id) == reseller_id,
                (col(Account.client_id) == client_id) | col(Account.client_id).is_(None),
            )
        )
        ids = {AccountKind(kind): id_ for kind, id_ in rows if id_ is not None}
        return TenantAccounts(
            client=ids[AccountKind.CLIENT],
            client_funding=ids[AccountKind.CLIENT_FUNDING],
            reseller_revenue=ids[AccountKind.RESELLER_REVENUE],
            reseller=ids[AccountKind.RESELLER],
            operator_revenue=ids[AccountKind.OPERATOR_REVENUE],
        )

    async def balance(self, account_id: int) -> int:
        value = await self.session.scalar(
            select(col(Account.balance)).where(col(Account.id) == account_id)
        )
        return int(value or 0)

    async def apply(
        self, deltas: Mapping[int, int], *, floors: Mapping[int, int] | None = None
    ) -> dict[int, int]:
        """Add each delta to its account atomically, in ascending id order; new balances.

        ``floors`` (account id → lowest allowed balance) makes the update refuse with
        :class:`InsufficientBalance` instead of going below the floor; the check and the
        update are one statement, so concurrent debits cannot both pass.
        """
        floors = floors or {}
        balances: dict[int, int] = {}
        for account_id in sorted(deltas):
            delta = int(deltas[account_id])
            if account_id in floors:
                result = await self.session.execute(
                    _UPDATE_WITH_FLOOR,
                    {"delta": delta, "id": account_id, "floor": int(floors[account_id])},
                )
                row = result.first()
                if row is None:
                    current = await self.balance(account_id)
                    raise InsufficientBalance(current, -delta)
            else:
                result = await self.session.execute(_UPDATE, {"delta": delta, "id": account_id})
                row = result.first()
                if row is None:
                    raise LookupError(f"account {account_id} does not exist")
            balances[account_id] = int(row[0])
        return balances


_UPDATE = text(
    "UPDATE accounts SET balance = balance + :delta WHERE id = :id RETURNING balance"
).bindparams(bindparam("delta"), bindparam("id"))
_UPDATE_WITH_FLOOR = text(
    "UPDATE accounts SET balance = balance + :delta "
    "WHERE id = :id AND balance + :delta >= :floor RETURNING balance"
)
