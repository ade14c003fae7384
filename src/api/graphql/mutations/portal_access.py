"""How clients reach the portal: its URL, a custom hostname, the auto-connect origins and
snippet, single-use login links; the reseller's approval of a signup; a client's DID order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.domain import errors as domain
from api.graphql.context import Info
from api.graphql.errors import (
    Conflict,
    InsufficientBalance,
    InvalidInput,
    NotFound,
    common_problem,
)
from api.graphql.scalars import from_micros
from api.graphql.types.common import Money
from api.services import did_orders, login_links, portal_access, portal_signup
from api.services.portal_access import AccessView

MAX_TEXT = 300


@strawberry.type
class PortalAccess:
    """Where the reseller's clients sign in, and how its own site can send them there."""

    reseller_code: str
    portal_url: str
    hostname: str | None
    hostname_fee_posted: bool
    auto_connect_origins: list[str]
    auto_connect_snippet: str

    @classmethod
    def of(cls, view: AccessView) -> PortalAccess:
        return cls(
            reseller_code=view.code,
            portal_url=view.portal_url,
            hostname=view.hostname,
            hostname_fee_posted=view.hostname_fee_posted,
            auto_connect_origins=list(view.auto_connect_origins),
            auto_connect_snippet=view.auto_connect_snippet,
        )


@strawberry.type
class PortalLoginLink:
    """A single-use URL that signs the client in (valid 2 minutes; shown once)."""

    url: str
    expires_at: datetime


@strawberry.type
class SignupApproved:
    client_id: int


@strawberry.type
class DidOrdered:
    """The DID now assigned to the calling client, at its reseller's prices."""

    number: str
    setup_price: Money
    monthly_price: Money
    per_minute_price: Money


PortalAccessResult = Annotated[
    PortalAccess | InvalidInput | NotFound | Conflict, strawberry.union("PortalAccessResult")
]
PortalLoginLinkResult = Annotated[
    PortalLoginLink | NotFound | Conflict, strawberry.union("PortalLoginLinkResult")
]
ApproveSignupResult = Annotated[
    SignupApproved | NotFound | Conflict, strawberry.union("ApproveSignupResult")
]
OrderDidResult = Annotated[
    DidOrdered | NotFound | InsufficientBalance | InvalidInput | Conflict,
    strawberry.union("OrderDidResult"),
]


async def portal_access_(info: Info, reseller_id: int | None = None) -> PortalAccessResult:
    """The reseller's portal URL, hostname and auto-connect settings (the operator names
    ``resellerId``)."""
    context = info.context
    actor = context.acting_as("reseller", "operator", what="reseller")
    if isinstance(actor, NotFound):
        return actor
    try:
        view = await portal_access.get_access(context.services, actor, reseller_id=reseller_id)
    except domain.ServiceError as exc:
        return common_problem(exc)
    return PortalAccess.of(view)


async def set_portal_hostname(info: Info, hostname: str | None) -> PortalAccessResult:
    """Serve the portal at ``hostname`` (fully qualified; null or empty removes it). The
    first hostname costs the operator's one-time fee, posted to the reseller's account."""
    context = info.context
    actor = context.require_role("reseller")
    if hostname is not None and len(hostname) > MAX_TEXT:
        return common_problem(domain.InvalidInput("hostname", "at most 253 characters"))
    try:
        view = await portal_access.set_hostname(context.services, actor, hostname)
    except domain.ServiceError as exc:
        return common_problem(exc)
    return PortalAccess.of(view)


async def set_auto_connect_origins(info: Info, origins: list[str]) -> PortalAccessResult:
    """The origins (``https://www.example.com``) allowed to post the auto-connect form."""
    context = info.context
    actor = context.require_role("reseller")
    if len(origins) > 50 or any(len(o) > MAX_TEXT for o in origins):
        return common_problem(domain.InvalidInput("origins", "at most 20 origins"))
    try:
        view = await portal_access.set_auto_connect_origins(context.services, actor, origins)
    except domain.ServiceError as exc:
        return common_problem(exc)
    return PortalAccess.of(view)


async def create_portal_login_link(info: Info, client_id: int) -> PortalLoginLinkResult:
    """A single-use portal URL that signs ``clientId`` in (for the reseller's server)."""
    context = info.context
    actor = context.require_role("reseller")
    try:
        link = await login_links.create_login_link(context.services, actor, client_id)
    except domain.ServiceError as exc:
        problem = common_problem(exc)
        assert not isinstance(problem, InvalidInput)
        return problem
    return PortalLoginLink(url=link.url, expires_at=link.expires_at)


async def approve_signup(info: Info, client_id: int) -> ApproveSignupResult:
    """Activate a client that signed up through the portal (its package is attached)."""
    context = info.context
    actor = context.require_role("reseller")
    try:
        done = await portal_signup.approve_signup(context.services, actor, client_id)
    except domain.ServiceError as exc:
        problem = common_problem(exc)
        assert not isinstance(problem, InvalidInput)
        return problem
    return SignupApproved(client_id=done)


async def order_did(info: Info, number: str) -> OrderDidResult:
    """A client orders one of its reseller's free DIDs (when the portal offers it)."""
    context = info.context
    actor = context.require_role("client")
    if len(number) > 64:
        return common_problem(domain.InvalidInput("number", "too long"))
    try:
        done = await did_orders.order_did(context.services, actor, number)
    except domain.InsufficientBalance as exc:
        return InsufficientBalance(
            message=exc.message, balance=from_micros(exc.balance), amount=from_micros(exc.amount)
        )
    except domain.ServiceError as exc:
        return common_problem(exc)
    currency = await context.currency()
    return DidOrdered(
        number=done.number,
        setup_price=Money.of(done.setup_price, currency),
        monthly_price=Money.of(done.monthly_price, currency),
        per_minute_price=Money.of(done.per_minute_price, currency),
    )
