"""Suspension and low-balance flags of clients charged for calls, with their events
(:func:`api.domain.balance_rules.balance_change`, read under the lock of the balance
update)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from api.domain.balance_rules import balance_change
from api.domain.errors import NotFound
from api.events import Event
from api.store.cdrs.driver import RawConnection
from api.store.resellers import ResellerRepository
from api.store.unit_of_work import UnitOfWork


async def apply_balance_rules(
    uow: UnitOfWork,
    raw: RawConnection,
    tenant: int,
    balances: dict[int, tuple[int, int]],
    at: datetime,
    *,
    known: tuple[Any, ...] | None = None,
    reseller: tuple[str, int] | None = None,
) -> None:
    """Suspension and low-balance flags of clients at their new balances (``balances``:
    client id → (previous, new)), with the events (see :mod:`api.services.client_money`);
    read after the balance update (locks held)."""
    rows = [known] if known is not None else await raw.client_flags(sorted(balances))
    changes = balance_rules(
        tenant, reseller or await reseller_terms(uow, tenant), rows, balances, at, uow.emit
    )
    await raw.set_client_flags(changes)


def balance_rules(
    tenant: int,
    reseller: tuple[str, int],
    rows: Sequence[tuple[Any, ...]],
    balances: dict[int, tuple[int, int]],
    at: datetime,
    emit: Callable[[Event], None],
) -> list[tuple[bool, bool, int]]:
    """The flag changes ((suspended, alerted, client id) rows) of clients (``rows`` of
    (id, balance type, own threshold, suspended, alerted)) at their new balances
    (``balances``: client id → (previous, new)); the events go to ``emit``."""
    currency, default_threshold = reseller
    changes: list[tuple[bool, bool, int]] = []
    for client_id, balance_type, own_threshold, suspended, alerted in rows:
        previous, balance = balances[client_id]
        change = balance_change(
            tenant, client_id, balance, previous=previous, balance_type=balance_type,
            own_threshold=own_threshold, default_threshold=default_threshold,
            suspended=bool(suspended), alerted=bool(alerted), currency=currency, at=at,
        )  # fmt: skip
        if change.changed:
            changes.append((change.suspended, change.low_balance_alerted, client_id))
        for event in change.events:
            emit(event)
    return changes


async def reseller_terms(uow: UnitOfWork, tenant: int) -> tuple[str, int]:
    """The reseller's (currency, default low-balance threshold); :class:`NotFound`."""
    terms = await ResellerRepository(uow.session).terms(tenant)
    if terms is None:
        raise NotFound("reseller", tenant)
    return terms
