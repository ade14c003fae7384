"""Tenant isolation: which rows an :class:`~api.domain.actor.Actor` may read.

A client reads only its own rows, a reseller only its clients' rows, the operator every
reseller's. The scope is ANDed with the caller's filters, so asking for another tenant's
client or sub account yields nothing rather than an error that would confirm it exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.domain.actor import Actor, Role
from api.reports.errors import ReportForbidden


@dataclass(frozen=True, slots=True)
class Scope:
    """The reseller and client an actor is confined to (``None``: not confined)."""

    reseller_id: int | None
    client_id: int | None

    @property
    def sees_cost(self) -> bool:
        """Costs and profit are the reseller's business, never shown to its clients."""
        return self.client_id is None


def scope_of(actor: Actor) -> Scope:
    """The rows ``actor`` may read; refuses an actor whose credential lacks its tenant."""
    if actor.role is Role.OPERATOR:
        return Scope(None, None)
    if actor.reseller_id is None:
        raise ReportForbidden(f"a {actor.role} actor without a reseller")
    if actor.role is Role.RESELLER:
        return Scope(actor.reseller_id, None)
    if actor.client_id is None:
        raise ReportForbidden("a client actor without a client")
    return Scope(actor.reseller_id, actor.client_id)


def require_not_client(actor: Actor, report: str) -> None:
    """Profit and reseller totals are not for clients."""
    if actor.role is Role.CLIENT:
        raise ReportForbidden(f"clients may not read the {report} report")
