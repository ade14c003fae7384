"""Idempotency keys of payments and charges.

A caller that lost the answer to a payment (a timeout, a killed connection) retries with
the same ``idempotency_key``: the same key with the same arguments returns the first
result and posts nothing; with other arguments it is a :class:`Conflict`. Keys belong to
a reseller (two resellers may use the same key), are at most :data:`MAX_KEY` printable
characters, and are kept :data:`RETENTION` (30 days): each keyed request first forgets
its reseller's older keys, so a key older than that is a new request.

The key is stored in the payment's own transaction; of concurrent twins the unique
``(reseller, key)`` lets one commit, and the others read its result (the caller retries
the lookup after the ``IntegrityError``). Only results are remembered: a refused request
(bad input, an unknown client, an overdraft) stores nothing and may be retried.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from api.domain.errors import Conflict, InvalidInput
from api.store.unit_of_work import UnitOfWork

MAX_KEY = 128
RETENTION = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class KeyedRequest:
    """An idempotency key and the fingerprint (SHA-256) of the request's arguments."""

    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class FirstResult:
    """What the key's first request answered."""

    transaction_id: int
    balance: int
    created_at: datetime


def keyed_request(key: str | None, /, **arguments: str | int | bool | None) -> KeyedRequest | None:
    """``None`` without a key; else the key (checked) with the arguments' fingerprint."""
    if key is None:
        return None
    if not 0 < len(key) <= MAX_KEY or not key.isprintable():
        raise InvalidInput("idempotency_key", f"must be 1..{MAX_KEY} printable characters")
    canonical = json.dumps(arguments, sort_keys=True, separators=(",", ":"))
    return KeyedRequest(key, hashlib.sha256(canonical.encode()).hexdigest())


async def first_result(
    uow: UnitOfWork, tenant: int, request: KeyedRequest, now: datetime
) -> FirstResult | None:
    """The first result of ``request``'s key (``None``: a new key); another request's key
    raises :class:`Conflict`. Forgets the tenant's keys older than :data:`RETENTION`."""
    keys = uow.idempotency_keys
    await keys.purge(tenant, now - RETENTION)
    stored = await keys.find(tenant, request.key)
    if stored is None:
        return None
    if stored.fingerprint != request.fingerprint:
        raise Conflict("idempotency_key: already used for a request with other arguments")
    return FirstResult(stored.transaction_id, stored.balance, stored.created_at)


async def remember(
    uow: UnitOfWork, tenant: int, request: KeyedRequest, result: FirstResult
) -> None:
    """Store the key with its result (a concurrent twin's raises ``IntegrityError``)."""
    await uow.idempotency_keys.add(
        tenant,
        request.key,
        request.fingerprint,
        result.transaction_id,
        result.balance,
        result.created_at,
    )
