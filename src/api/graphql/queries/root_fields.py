"""Query fields: each reads through a service (or a tenant-filtered loader) as the caller."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.domain.errors import ServiceError
from api.graphql.context import Info
from api.graphql.errors import NotFound, common_problem, not_found
from api.graphql.types.clients import Client
from api.graphql.types.common import DEFAULT_PAGE, Connection, Page, paginate
from api.graphql.types.decks import DeckVersion
from api.graphql.types.dids import Did
from api.graphql.types.packages import Package
from api.graphql.types.portal import MyClient
from api.graphql.types.resellers import Reseller
from api.services import clients, decks, dids, packages, resellers
from api.services.access import client_filter, tenant_of
from api.store.read_models import CLIENT_VIEW, client_view_params

ClientResult = Annotated[Client | NotFound, strawberry.union("ClientResult")]
PackageResult = Annotated[Package | NotFound, strawberry.union("PackageResult")]


async def client(info: Info, id: int) -> ClientResult:
    """One client of the caller's tenant (a client may read only itself): the access rules
    of ``clients.get_client``, its query as columns on the request's shared reader."""
    context = info.context
    actor = context.require()
    try:
        tenant = tenant_of(actor)
        own = client_filter(actor, id)
    except ServiceError as exc:
        problem = common_problem(exc)
        return problem if isinstance(problem, NotFound) else not_found("client")
    params = client_view_params(tenant, id if own is None else own)
    rows = await context.reads.rows(CLIENT_VIEW, params, static=True)
    return Client.from_row(rows[0]) if rows else not_found("client")


async def my_client(info: Info) -> MyClient:
    """The calling client's own record (portal sessions only), without any cost."""
    context = info.context
    actor = context.require_role("client")
    assert actor.client_id is not None
    view = await clients.get_client(context.services, actor, actor.client_id)
    return MyClient.of(Client.from_domain(view))


async def clients_(
    info: Info, first: int = DEFAULT_PAGE, after: str | None = None, include_closed: bool = False
) -> Connection[Client]:
    """The reseller's clients with balance and status, by id."""
    context = info.context
    page = Page.of(first, after)
    context.require_role("reseller")
    views = await clients.list_clients(
        context.services, context.require(), include_closed=include_closed
    )
    ordered = sorted((Client.from_domain(v) for v in views), key=lambda c: c.id)
    return paginate(ordered, page, lambda c: c.id)


async def package(info: Info, id: int) -> PackageResult:
    context = info.context
    actor = context.acting_as("reseller", what="package")
    if isinstance(actor, NotFound):
        return actor
    try:
        view = await packages.get_package(context.services, actor, id)
    except ServiceError as exc:
        problem = common_problem(exc)
        return problem if isinstance(problem, NotFound) else not_found("package")
    return Package.from_domain(view)


async def packages_(
    info: Info, first: int = DEFAULT_PAGE, after: str | None = None
) -> Connection[Package]:
    context = info.context
    page = Page.of(first, after)
    actor = context.require_role("reseller")
    views = await packages.list_packages(context.services, actor)
    return paginate(sorted((Package.from_domain(v) for v in views), key=lambda p: p.id), page, _id)


async def reseller(info: Info) -> Reseller:
    """The calling reseller, with its own balance at the operator."""
    context = info.context
    actor = context.require_role("reseller")
    return Reseller.from_domain(await resellers.get_reseller(context.services, actor))


async def resellers_(
    info: Info, first: int = DEFAULT_PAGE, after: str | None = None
) -> Connection[Reseller]:
    """Operator: every reseller with its balance."""
    context = info.context
    page = Page.of(first, after)
    actor = context.require_role("operator")
    views = await resellers.list_resellers(context.services, actor)
    return paginate(sorted((Reseller.from_domain(v) for v in views), key=_id), page, _id)


async def deck_versions(
    info: Info, first: int = DEFAULT_PAGE, after: str | None = None
) -> Connection[DeckVersion]:
    """Operator: imported deck versions."""
    context = info.context
    page = Page.of(first, after)
    actor = context.require_role("operator")
    views = await decks.list_decks(context.services, actor)
    return paginate(sorted((DeckVersion.from_domain(v) for v in views), key=_id), page, _id)


async def dids_(
    info: Info, first: int = DEFAULT_PAGE, after: str | None = None, available: bool = False
) -> Connection[Did]:
    """``available``: untaken inventory; else the operator's all, a reseller's own, a
    client's assigned DIDs."""
    context = info.context
    page = Page.of(first, after)
    actor = context.require()
    views = await dids.list_dids(context.services, actor, available=available)
    # each DID in its owner's currency; unowned inventory in the platform currency
    items = sorted(
        [Did.from_domain(v, await context.tenant_currency(v.reseller_id)) for v in views], key=_id
    )
    return paginate(items, page, _id)


def _id(item: Package | Reseller | DeckVersion | Did) -> int:
    return item.id
