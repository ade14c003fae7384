"""The SQL of call reservations (the rules are in :mod:`api.domain.reservations`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.domain.ledger import AccountKind
from api.domain.reservations import Held, Hold
from api.store.tables import Account, CallReservation


class ReservationRepository:
    """Reservations of one unit of work's session (flushes, never commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_balance(self, client_id: int) -> int:
        """The client's balance, its account row locked until the transaction ends
        (PostgreSQL ``FOR UPDATE``; SQLite's writers are serialized by ``BEGIN
        IMMEDIATE``): authorizations of one client run one after the other."""
        balance = await self.session.scalar(
            select(col(Account.balance))
            .where(col(Account.client_id) == client_id, col(Account.kind) == AccountKind.CLIENT)
            .with_for_update()
        )
        return int(balance or 0)

    async def held(self, client_id: int) -> list[Held]:
        """Every stored reservation of the client, live or not."""
        rows = await self.session.execute(
            select(
                col(CallReservation.call_id),
                col(CallReservation.amount),
                col(CallReservation.free_minutes),
                col(CallReservation.expires_at),
            ).where(col(CallReservation.client_id) == client_id)
        )
        return [Held(c, int(a), int(m), e) for c, a, m, e in rows]

    async def replace(
        self,
        reseller_id: int,
        client_id: int,
        call_id: str,
        hold: Hold | None,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Drop the call's own reservation and the client's expired ones, then store
        ``hold`` (``None``: none)."""
        await self.session.execute(
            delete(CallReservation).where(
                or_(
                    (col(CallReservation.reseller_id) == reseller_id)
                    & (col(CallReservation.call_id) == call_id),
                    (col(CallReservation.client_id) == client_id)
                    & (col(CallReservation.expires_at) <= now),
                )
            )
        )
        if hold is not None:
            await self.session.execute(
                insert(CallReservation).values(
                    reseller_id=reseller_id,
                    call_id=call_id,
                    client_id=client_id,
                    seconds=hold.seconds,
                    amount=int(hold.amount),
                    free_minutes=hold.free_minutes,
                    created_at=now,
                    expires_at=expires_at,
                )
            )

    async def release(self, call_id: str, reseller_id: int | None = None) -> bool:
        """Delete the reservation of ``call_id`` (in one tenant, or in any); ``True``
        when there was one."""
        query = delete(CallReservation).where(col(CallReservation.call_id) == call_id)
        if reseller_id is not None:
            query = query.where(col(CallReservation.reseller_id) == reseller_id)
        result = await self.session.execute(query)
        return bool(getattr(result, "rowcount", 0))
