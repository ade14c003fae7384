"""Who may do what: the tenant (and client) of a call come only from the actor."""

from __future__ import annotations

from api.domain.actor import Actor, Role
from api.domain.errors import InvalidInput, NotFound, PermissionDenied


def require_operator(actor: Actor) -> None:
    if actor.role is not Role.OPERATOR:
        raise PermissionDenied("only the operator may do this")


def reseller_scope(actor: Actor, reseller_id: int | None = None) -> int:
    """The tenant a reseller-level operation works on.

    A reseller always works on its own tenant (a different ``reseller_id`` is NotFound);
    the operator must name one; a client may not do reseller-level work. A switch
    names the tenant it derived from the call (the sub account's code, the DID's owner).
    """
    if actor.role is Role.RESELLER:
        own = _own_reseller(actor)
        if reseller_id is not None and reseller_id != own:
            raise NotFound("reseller", reseller_id)
        return own
    if actor.role is Role.OPERATOR:
        if reseller_id is None:
            raise InvalidInput("reseller_id", "the operator must name the reseller")
        return reseller_id
    if actor.role is Role.SWITCH and reseller_id is not None:
        return reseller_id
    raise PermissionDenied("clients may not do this")


def tenant_of(actor: Actor, reseller_id: int | None = None) -> int:
    """The tenant of a read: like :func:`reseller_scope`, but clients read their own."""
    if actor.role is Role.CLIENT:
        return _own_reseller(actor)
    return reseller_scope(actor, reseller_id)


def client_filter(actor: Actor, client_id: int | None) -> int | None:
    """The client a read is limited to: a client actor only ever sees itself."""
    if actor.role is Role.CLIENT:
        if client_id is not None and client_id != actor.client_id:
            raise NotFound("client", client_id)
        return actor.client_id
    return client_id


def _own_reseller(actor: Actor) -> int:
    if actor.reseller_id is None:
        raise PermissionDenied("this credential has no tenant")
    return actor.reseller_id
