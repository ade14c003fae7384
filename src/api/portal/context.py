"""A portal request: which reseller's portal it is, where its pages live, who is signed in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

from api.domain.actor import Actor, Role
from api.domain.branding import PortalService
from api.domain.tenants import reseller_code, reseller_id_from_code
from api.portal.security import SESSION_COOKIE
from api.services.portal_access import PortalBrand, portal_brand

if TYPE_CHECKING:
    from api.state import AppState

TENANT_SCOPE_KEY = "pulsebill.portal_tenant"
"""Set by :class:`api.portal.hosts.PortalHosts` when the request came on a reseller's host."""


class NotSignedIn(Exception):
    """No live session of this portal: the page redirects to the login form."""


@dataclass(frozen=True, slots=True)
class Portal:
    """One request's portal: the reseller's brand, the base path of its pages, the caller."""

    brand: PortalBrand
    base: str  # "" on the reseller's own host, "/p/<code>" on the platform's
    state: AppState
    actor: Actor | None
    token: str | None

    @property
    def tenant(self) -> int:
        return self.brand.reseller_id

    @property
    def code(self) -> str:
        return reseller_code(self.tenant)

    @property
    def cookie_path(self) -> str:
        return self.base + "/"

    def url(self, path: str) -> str:
        return self.base + path

    def offers(self, service: PortalService) -> bool:
        return service in self.brand.settings.services

    @property
    def simple(self) -> bool:
        return self.brand.settings.simple_view

    def signed_in(self) -> Actor:
        if self.actor is None:
            raise NotSignedIn
        return self.actor

    def menu(self) -> list[tuple[str, str]]:
        """The pages this client may open: services turned off are not listed."""
        items = [("Dashboard", "/dashboard")]
        if self.offers(PortalService.VIEW_CDRS):
            items.append(("Calls", "/calls"))
        if self.offers(PortalService.VIEW_PAYMENTS):
            items.append(("Payments", "/payments"))
        if not self.simple:
            items.append(("Sub accounts", "/lines"))
        if self.dids_page:
            items.append(("DIDs", "/dids"))
        if self.topup_page:
            items.append(("Top up", "/topup"))
        return items

    @property
    def topup_page(self) -> bool:
        """PayPal top-ups: the service is on and the reseller set PayPal up."""
        return self.offers(PortalService.PAYPAL_TOPUP) and self.brand.paypal_ready

    @property
    def dids_page(self) -> bool:
        return self.brand.settings.version.value == "branded" and not self.simple


def not_found() -> HTTPException:
    return HTTPException(404)


async def load_portal(request: Request) -> Portal:
    """The portal of ``request`` (404 when it names no active reseller) and its caller
    (``None`` unless the session cookie is a live session of THIS portal's client).
    A live session of another reseller's client is refused with 404."""
    state: AppState = request.app.state.pulsebill
    tenant = request.scope.get(TENANT_SCOPE_KEY)
    if isinstance(tenant, int):
        base = ""
    else:
        code = str(request.path_params.get("code", ""))
        tenant = reseller_id_from_code(code)
        base = f"/p/{code}"
    if tenant is None:
        raise not_found()
    brand = await portal_brand(state.services, tenant)
    if brand is None:
        raise not_found()
    token = request.cookies.get(SESSION_COOKIE) or None
    actor = None
    if token is not None and len(token) <= 200:
        found = await state.authenticator.actor_for_token(token)
        if found is not None and found.role is Role.CLIENT:
            if found.reseller_id != tenant:
                raise not_found()
            actor = found
    return Portal(brand, base, state, actor, token if actor is not None else None)


def template_globals(portal: Portal) -> dict[str, Any]:
    return {"portal": portal, "brand": portal.brand, "settings": portal.brand.settings}
