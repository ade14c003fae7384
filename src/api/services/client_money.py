"""What follows a change of a client's balance, inside the same unit of work.

Updates the suspension and low-balance flags (only when they change) and queues the
events of :func:`api.domain.balance_rules.balance_change`; the bus sees them only after
the commit.

Call it after the ledger posting: the posting holds the lock on the client's account, so
the flags read here are the ones the previous writer committed (no duplicate alert).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import col

from api.domain.balance_rules import balance_change
from api.store.tables import Client
from api.store.unit_of_work import UnitOfWork


async def after_balance_change(
    uow: UnitOfWork,
    reseller_id: int,
    client_id: int,
    balance: int,
    *,
    previous: int,
    currency: str,
    default_threshold: int,
    at: datetime,
) -> None:
    """Apply the balance rules to the client at its new ``balance`` (was ``previous``)."""
    row = (
        await uow.session.execute(
            select(
                col(Client.balance_type),
                col(Client.low_balance_threshold),
                col(Client.suspended),
                col(Client.low_balance_alerted),
            ).where(col(Client.id) == client_id)
        )
    ).one()
    balance_type, own_threshold, suspended, alerted = row
    change = balance_change(
        reseller_id, client_id, balance, previous=previous, balance_type=balance_type,
        own_threshold=own_threshold, default_threshold=default_threshold,
        suspended=suspended, alerted=alerted, currency=currency, at=at,
    )  # fmt: skip
    if change.changed:
        await uow.session.execute(
            update(Client)
            .where(col(Client.id) == client_id)
            .values(suspended=change.suspended, low_balance_alerted=change.low_balance_alerted)
            .execution_options(synchronize_session=False)
        )
    for event in change.events:
        uow.emit(event)
