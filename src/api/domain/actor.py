"""Who is calling: the operator, a reseller (tenant) or one of its clients."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    RESELLER = "reseller"
    CLIENT = "client"
    SWITCH = "switch"  # a SIP server: only the /switch/ endpoints, operator-wide


@dataclass(frozen=True, slots=True)
class Actor:
    """A verified caller. The tenant and the client come only from a verified credential."""

    role: Role
    reseller_id: int | None = None
    client_id: int | None = None

    @classmethod
    def operator(cls) -> Actor:
        return cls(Role.OPERATOR)

    @classmethod
    def reseller(cls, reseller_id: int) -> Actor:
        return cls(Role.RESELLER, reseller_id)

    @classmethod
    def client(cls, reseller_id: int, client_id: int) -> Actor:
        return cls(Role.CLIENT, reseller_id, client_id)

    @classmethod
    def switch(cls) -> Actor:
        """A switch token's caller: it names the tenant of each call (see
        :func:`api.services.access.reseller_scope`)."""
        return cls(Role.SWITCH)
