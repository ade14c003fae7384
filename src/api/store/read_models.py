"""Column-only read queries for the API's hot paths (plain rows, never ORM entities).

They mirror queries of :mod:`api.services` (named at each one) but select columns, so that
they can run on the request's shared reader connection and build no ORM state; a test
(``tests/api/graphql/test_request_reads.py``) keeps each equal to the service's answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlmodel import col

from api.domain.ledger import AccountKind
from api.store.tables import Account, Client, Reseller

CLIENT_VIEW_COLUMNS: tuple[Any, ...] = (
    col(Client.id),
    col(Client.reseller_id),
    col(Client.name),
    col(Client.company),
    col(Client.email),
    col(Client.phone),
    col(Client.address),
    col(Client.balance_type),
    col(Client.billing_day),
    col(Client.low_balance_threshold),
    col(Client.status),
    col(Client.suspended),
    col(Account.balance),
    col(Reseller.currency),
    col(Reseller.low_balance_threshold).label("default_threshold"),
    col(Client.created_at),
    col(Client.closed_at),
)


CLIENT_VIEW: Select[*tuple[Any, ...]] = (
    select(*CLIENT_VIEW_COLUMNS)
    .join(
        Account,
        (col(Account.client_id) == col(Client.id)) & (col(Account.kind) == AccountKind.CLIENT),
    )
    .join(Reseller, col(Reseller.id) == col(Client.reseller_id))
    .where(
        col(Client.reseller_id) == bindparam("tenant"),
        col(Client.id) == bindparam("client_id"),
    )
)
"""Tenant ``tenant``'s client ``client_id`` with its balance, the reseller's currency and
default low-balance threshold (``api.services.clients.get_client``'s query). Built once:
building a statement costs far more than executing this one; pass the parameters."""


def client_view_params(tenant: int, client_id: int) -> dict[str, int]:
    return {"tenant": tenant, "client_id": client_id}
