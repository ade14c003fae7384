"""Resolving what rating needs about a sub account: client, attached package, bundle, DIDs."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import col

from api.domain.authorization import RefusalReason
from api.store.tables import Client, ClientPackage, Did, Package, PackageVersion, SubAccount
from api.store.unit_of_work import UnitOfWork

CHUNK = 500


@dataclass(slots=True)
class Line:
    """A sub account of the tenant and the package its calls are rated with (if any)."""

    sub_account_id: int
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
    """Username → :class:`Line` for the tenant's live sub accounts among ``usernames``.

    The attachments are row-locked (PostgreSQL), in id order, so that free-minute
    consumption is atomic with the balance change.
    """
    names = list(dict.fromkeys(usernames))
    lines: dict[str, Line] = {}
    for start in range(0, len(names), CHUNK):
        rows = await uow.session.execute(
            select(
                col(SubAccount.username),
                col(SubAccount.id),
                col(SubAccount.client_id),
                col(Client.balance_type),
                col(Client.billing_day),
                col(Client.suspended),
                col(SubAccount.package_id),
            )
            .join(Client, col(Client.id) == col(SubAccount.client_id))
            .where(
                col(SubAccount.reseller_id) == tenant,
                col(SubAccount.username).in_(names[start : start + CHUNK]),
                col(SubAccount.deleted_at).is_(None),
                col(Client.status) == "active",
            )
        )
        for username, sub_account_id, client_id, balance_type, billing_day, suspended, own in rows:
            if sub_account_id is None or client_id is None:
                continue
            lines[username] = Line(
                sub_account_id, client_id, balance_type, billing_day, suspended, own
            )
    await _attach_packages(uow, tenant, lines.values(), lock=lock)
    return lines


async def _attach_packages(
    uow: UnitOfWork, tenant: int, lines: Collection[Line], *, lock: bool
) -> None:
    client_ids = sorted({line.client_id for line in lines})
    attachments: dict[int, list[tuple[int, int, int, date, int]]] = {}
    for start in range(0, len(client_ids), CHUNK):
        query = (
            select(
                col(ClientPackage.client_id),
                col(ClientPackage.id),
                col(ClientPackage.package_id),
                col(ClientPackage.cycle_start),
                col(ClientPackage.free_minutes_used),
                col(PackageVersion.id),
            )
            .join(Package, col(Package.id) == col(ClientPackage.package_id))
            .join(
                PackageVersion,
                (col(PackageVersion.package_id) == col(Package.id))
                & (col(PackageVersion.version) == col(Package.latest_version)),
            )
            .where(
                col(ClientPackage.reseller_id) == tenant,
                col(ClientPackage.client_id).in_(client_ids[start : start + CHUNK]),
                col(ClientPackage.detached_at).is_(None),
            )
            .order_by(col(ClientPackage.id))
        )
        if lock:
            query = query.with_for_update(of=ClientPackage)
        for client_id, cp_id, package_id, cycle, used, version_id in await uow.session.execute(
            query
        ):
            if cp_id is None or version_id is None:
                continue
            attachments.setdefault(client_id, []).append(
                (cp_id, package_id, version_id, cycle, used)
            )
    for line in lines:
        candidates = attachments.get(line.client_id, [])
        if line.package_id is not None:
            candidates = [a for a in candidates if a[1] == line.package_id]
        if candidates:
            cp_id, _, version_id, cycle, used = candidates[-1]  # the latest attached
            line.attachment_id, line.version_id = cp_id, version_id
            line.cycle_start, line.free_minutes_used = cycle, used


async def client_dids(uow: UnitOfWork, numbers: Collection[str]) -> dict[str, Did]:
    """Assigned DIDs among ``numbers`` (E.164 digits), by number."""
    found: dict[str, Did] = {}
    numbers = list(numbers)
    for start in range(0, len(numbers), CHUNK):
        rows = await uow.session.scalars(
            select(Did).where(
                col(Did.number).in_(numbers[start : start + CHUNK]),
                col(Did.client_id).is_not(None),
            )
        )
        for did in rows:
            found[did.number] = did
    return found
