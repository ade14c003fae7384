"""Resolving what rating needs about a sub account: client, attached package, bundle, DIDs."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from api.domain.authorization import RefusalReason
from api.domain.tenants import tenant_username
from api.store.cdrs.lines import CallLineRepository
from api.store.tables import Did
from api.store.unit_of_work import UnitOfWork


@dataclass(slots=True)
class Line:
    """A sub account of the tenant (or, for an inbound call that names only the DID, the
    client it is assigned to: ``sub_account_id`` is ``None``) and the package its calls
    are rated with (if any)."""

    sub_account_id: int | None
    client_id: int
    balance_type: str
    billing_day: int
    suspended: bool
    package_id: int | None  # the sub account's own link, if any
    attachment_id: int | None = None
    version_id: int | None = None
    cycle_start: date | None = None
    free_minutes_used: int = 0

    @property
    def failure(self) -> RefusalReason | None:
        return RefusalReason.NO_PACKAGE if self.version_id is None else None


async def resolve_lines(
    uow: UnitOfWork, tenant: int, usernames: Iterable[str], *, lock: bool = True
) -> dict[str, Line]:
    """Name → :class:`Line` for the tenant's live sub accounts among ``usernames``, each
    a SIP username or a short name in the tenant's namespace (``line-b`` and
    ``100001_line-b`` are the same line of reseller 1; see
    :func:`api.domain.tenants.tenant_username`).

    The attachments are row-locked (PostgreSQL), in id order, so that free-minute
    consumption is atomic with the balance change.
    """
    store = CallLineRepository(uow.session)
    full = {name: tenant_username(tenant, name) for name in dict.fromkeys(usernames)}
    found = {
        username: Line(sub_account_id, client_id, balance_type, billing_day, suspended, own)
        for username, sub_account_id, client_id, balance_type, billing_day, suspended, own in (
            await store.live_lines(tenant, list(dict.fromkeys(full.values())))
        )
    }
    await _attach_packages(store, tenant, found.values(), lock=lock)
    return {name: found[username] for name, username in full.items() if username in found}


async def _attach_packages(
    store: CallLineRepository, tenant: int, lines: Collection[Line], *, lock: bool
) -> None:
    client_ids = sorted({line.client_id for line in lines})
    attachments = await store.attachments(tenant, client_ids, lock=lock)
    for line in lines:
        candidates = attachments.get(line.client_id, [])
        if line.package_id is not None:
            candidates = [a for a in candidates if a[1] == line.package_id]
        if candidates:
            cp_id, _, version_id, cycle, used = candidates[-1]  # the latest attached
            line.attachment_id, line.version_id = cp_id, version_id
            line.cycle_start, line.free_minutes_used = cycle, used


async def did_lines(
    uow: UnitOfWork, tenant: int, dids: Iterable[Did], *, lock: bool = True
) -> dict[int, Line]:
    """Client id → :class:`Line` without a sub account, for the active clients to which
    the tenant assigned ``dids`` (inbound calls that name only the DID called)."""
    store = CallLineRepository(uow.session)
    client_ids = sorted({d.client_id for d in dids if d.reseller_id == tenant and d.client_id})
    if not client_ids:
        return {}
    lines = {
        client_id: Line(None, client_id, balance_type, billing_day, suspended, None)
        for client_id, balance_type, billing_day, suspended in (
            await store.active_clients(tenant, client_ids)
        )
    }
    await _attach_packages(store, tenant, lines.values(), lock=lock)
    return lines


async def client_dids(uow: UnitOfWork, numbers: Collection[str]) -> dict[str, Did]:
    """Assigned DIDs among ``numbers`` (E.164 digits), by number."""
    return await CallLineRepository(uow.session).assigned_dids(list(numbers))
