"""Call reservations outside the authorization's own SQL (:mod:`api.store.authorizations`)
and the CDR paths' (:mod:`api.store.cdrs`): a hangup notice's release."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.store.tables import CallReservation


class ReservationRepository:
    """Reservations of one unit of work's session (flushes, never commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def release(self, call_id: str, reseller_id: int | None = None) -> bool:
        """Delete the reservation of ``call_id`` (in one tenant, or in any); ``True``
        when there was one."""
        query = delete(CallReservation).where(col(CallReservation.call_id) == call_id)
        if reseller_id is not None:
            query = query.where(col(CallReservation.reseller_id) == reseller_id)
        result = await self.session.execute(query)
        return bool(getattr(result, "rowcount", 0))
