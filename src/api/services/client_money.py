"""What follows a change of a client's balance, inside the same unit of work.

Updates the suspension and low-balance flags (only when they change) and queues the
events: BalanceChanged always, LowBalance once per downward crossing, SuspensionChanged
when a hard client crosses 0 either way. The bus sees them only after the commit.

Call it after the ledger posting: the posting holds the lock on the client's account, so
the flags read here are the ones the previous writer committed (no duplicate alert).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import col

from api.domain.balance_rules import flags_after
from api.events import BalanceChanged, LowBalance, SuspensionChanged
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
    threshold = own_threshold if own_threshold is not None else default_threshold
    flags = flags_after(
        balance_type,
        balance,
        threshold,
        previous=previous,
        suspended=suspended,
        low_balance_alerted=alerted,
    )
    if (flags.suspended, flags.low_balance_alerted) != (suspended, alerted):
        await uow.session.execute(
            update(Client)
            .where(col(Client.id) == client_id)
            .values(suspended=flags.suspended, low_balance_alerted=flags.low_balance_alerted)
            .execution_options(synchronize_session=False)
        )
    uow.emit(BalanceChanged(reseller_id, client_id, balance, currency, at))
    if flags.low_balance_alert:
        uow.emit(LowBalance(reseller_id, client_id, balance, threshold, currency, at))
    if flags.suspension_changed:
        uow.emit(SuspensionChanged(reseller_id, client_id, flags.suspended, at))
