"""The reads that resolve sub accounts for rating: lines, package attachments, DIDs.

Flush only, no commits; each read is one query per :data:`CHUNK` keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.store.package_versions import latest_version_of
from api.store.tables import Client, ClientPackage, Did, Package, PackageVersion, SubAccount

CHUNK = 500

LineRow = tuple[str, int, int, str, int, bool, int | None]
"""(username, sub account id, client id, balance type, billing day, suspended, the sub
account's own package id)."""

AttachmentRow = tuple[int, int, int, date, int]
"""(client package id, package id, latest package version id, cycle start, free minutes
used)."""


class CallLineRepository:
    """Find a tenant's live sub accounts, their clients' attachments and DIDs."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def live_lines(self, reseller_id: int, usernames: Sequence[str]) -> list[LineRow]:
        """The reseller's live sub accounts (of active clients) among ``usernames``."""
        found: list[LineRow] = []
        for start in range(0, len(usernames), CHUNK):
            rows = await self.session.execute(
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
                    col(SubAccount.reseller_id) == reseller_id,
                    col(SubAccount.username).in_(usernames[start : start + CHUNK]),
                    col(SubAccount.deleted_at).is_(None),
                    col(Client.status) == "active",
                )
            )
            for (
                username,
                sub_account_id,
                client_id,
                balance_type,
                billing_day,
                suspended,
                own,
            ) in rows:
                if sub_account_id is None or client_id is None:
                    continue
                found.append(
                    (username, sub_account_id, client_id, balance_type, billing_day, suspended, own)
                )
        return found

    async def active_clients(
        self, reseller_id: int, client_ids: Sequence[int]
    ) -> list[tuple[int, str, int, bool]]:
        """(client id, balance type, billing day, suspended) of the reseller's active
        clients among ``client_ids``."""
        found: list[tuple[int, str, int, bool]] = []
        for start in range(0, len(client_ids), CHUNK):
            rows = await self.session.execute(
                select(
                    col(Client.id),
                    col(Client.balance_type),
                    col(Client.billing_day),
                    col(Client.suspended),
                ).where(
                    col(Client.reseller_id) == reseller_id,
                    col(Client.id).in_(client_ids[start : start + CHUNK]),
                    col(Client.status) == "active",
                )
            )
            found.extend(
                (client_id, balance_type, billing_day, suspended)
                for client_id, balance_type, billing_day, suspended in rows
                if client_id is not None
            )
        return found

    async def attachments(
        self, reseller_id: int, client_ids: Sequence[int], *, lock: bool
    ) -> dict[int, list[AttachmentRow]]:
        """Client id → its live package attachments (in id order) with the latest version
        of each package. ``lock``: row-lock the attachments (PostgreSQL), in id order."""
        found: dict[int, list[AttachmentRow]] = {}
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
                    latest_version_of(),
                )
                .where(
                    col(ClientPackage.reseller_id) == reseller_id,
                    col(ClientPackage.client_id).in_(client_ids[start : start + CHUNK]),
                    col(ClientPackage.detached_at).is_(None),
                )
                .order_by(col(ClientPackage.id))
            )
            if lock:
                query = query.with_for_update(of=ClientPackage)
            for client_id, cp_id, package_id, cycle, used, version_id in await self.session.execute(
                query
            ):
                if cp_id is None or version_id is None:
                    continue
                found.setdefault(client_id, []).append((cp_id, package_id, version_id, cycle, used))
        return found

    async def assigned_dids(self, numbers: Sequence[str]) -> dict[str, Did]:
        """Assigned DIDs among ``numbers`` (E.164 digits), by number."""
        found: dict[str, Did] = {}
        for start in range(0, len(numbers), CHUNK):
            rows = await self.session.scalars(
                select(Did).where(
                    col(Did.number).in_(numbers[start : start + CHUNK]),
                    col(Did.client_id).is_not(None),
                )
            )
            for did in rows:
                found[did.number] = did
        return found
