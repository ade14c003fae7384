"""Loading a tenant's rows: a foreign id is :class:`NotFound`, never another tenant's row."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from api.domain.errors import Conflict, NotFound
from api.store.tables import Client, Reseller
from api.store.unit_of_work import UnitOfWork


async def load_reseller(uow: UnitOfWork, reseller_id: int) -> Reseller:
    reseller = await uow.session.get(Reseller, reseller_id)
    if reseller is None:
        raise NotFound("reseller", reseller_id)
    return reseller


async def load_client(
    uow: UnitOfWork, reseller_id: int, client_id: int, *, lock: bool = False, active: bool = False
) -> Client:
    """The tenant's client (row-locked on PostgreSQL when ``lock``), else :class:`NotFound`.

    ``active`` refuses a closed client with :class:`Conflict`.
    """
    query = select(Client).where(
        col(Client.id) == client_id, col(Client.reseller_id) == reseller_id
    )
    if lock:
        query = query.with_for_update()
    client = (await uow.session.scalars(query.execution_options(populate_existing=True))).first()
    if client is None:
        raise NotFound("client", client_id)
    if active and client.status != "active":
        raise Conflict(f"client {client_id} is closed")
    return client
