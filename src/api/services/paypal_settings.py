"""A reseller's PayPal settings: on/off, receiver e-mail, offered amounts, live or sandbox."""

from __future__ import annotations

from dataclasses import dataclass

from api.domain.actor import Actor
from api.domain.errors import InvalidInput
from api.domain.paypal import (
    check_offered_amounts,
    check_receiver_email,
    format_offered_amounts,
    parse_offered_amounts,
)
from api.domain.tenants import reseller_code
from api.services.access import reseller_scope
from api.services.context import ServicesContext
from api.services.tenancy import load_reseller
from api.store.tables import PaypalSettings


@dataclass(frozen=True, slots=True)
class PaypalSettingsView:
    reseller_id: int
    reseller_code: str
    currency: str
    enabled: bool
    email: str
    amounts: tuple[int, ...]
    sandbox: bool

    @property
    def ipn_path(self) -> str:
        """The path of the reseller's IPN endpoint (``/paypal/ipn/<code>``)."""
        return f"/paypal/ipn/{self.reseller_code}"


async def get_paypal_settings(
    ctx: ServicesContext, actor: Actor, *, reseller_id: int | None = None
) -> PaypalSettingsView:
    """The reseller's PayPal settings (off, empty, until set)."""
    tenant = reseller_scope(actor, reseller_id)
    async with ctx.read() as uow:
        reseller = await load_reseller(uow, tenant)
        row = await uow.session.get(PaypalSettings, tenant)
        return _view(tenant, reseller.currency, row)


async def set_paypal_settings(
    ctx: ServicesContext,
    actor: Actor,
    *,
    enabled: bool,
    email: str,
    amounts: list[int],
    sandbox: bool,
    reseller_id: int | None = None,
) -> PaypalSettingsView:
    """Replace the reseller's PayPal settings. Switching PayPal on needs the receiver
    e-mail and at least one offered amount."""
    tenant = reseller_scope(actor, reseller_id)
    email = check_receiver_email(email)
    offered = check_offered_amounts(amounts)
    if enabled and not email:
        raise InvalidInput("email", "required to switch PayPal on")
    if enabled and not offered:
        raise InvalidInput("amounts", "at least one amount is required to switch PayPal on")
    async with ctx.unit_of_work() as uow:
        reseller = await load_reseller(uow, tenant)
        row = await uow.session.get(PaypalSettings, tenant)
        if row is None:
            row = PaypalSettings(reseller_id=tenant)
            uow.session.add(row)
        row.enabled = enabled
        row.email = email
        row.amounts = format_offered_amounts(offered)
        row.sandbox = sandbox
        row.updated_at = ctx.now()
        await uow.session.flush()
        return _view(tenant, reseller.currency, row)


def _view(reseller_id: int, currency: str, row: PaypalSettings | None) -> PaypalSettingsView:
    code = reseller_code(reseller_id)
    if row is None:
        return PaypalSettingsView(reseller_id, code, currency, False, "", (), False)
    return PaypalSettingsView(
        reseller_id,
        code,
        currency,
        row.enabled,
        row.email,
        parse_offered_amounts(row.amounts),
        row.sandbox,
    )
