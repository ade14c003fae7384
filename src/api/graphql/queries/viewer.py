"""``me``: who the verified credential says the caller is."""

from __future__ import annotations

import strawberry

from api.graphql.context import Info
from api.graphql.types.common import Role


@strawberry.type
class Viewer:
    role: Role
    reseller_id: int | None
    client_id: int | None


def me(info: Info) -> Viewer | None:
    """The caller, or ``null`` without a valid credential."""
    actor = info.context.actor
    if actor is None:
        return None
    return Viewer(
        role=Role(actor.role.value), reseller_id=actor.reseller_id, client_id=actor.client_id
    )
