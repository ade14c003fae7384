"""The PayPal top-up buttons of a client's portal: one form per offered amount, in the
form PayPal's "Buy Now" (``_xclick``) expects, with a signed ``custom`` naming the client
and ``notify_url`` pointing at the reseller's IPN endpoint (``/paypal/ipn/<code>``)."""

from __future__ import annotations

from dataclasses import dataclass

from api.domain.actor import Actor
from api.domain.paypal import CustomSigner, currency_decimals, parse_offered_amounts
from api.domain.tenants import reseller_code
from api.services.context import ServicesContext
from api.services.portal_reads import own_client
from api.store.tables import PaypalSettings, Reseller

LIVE_CHECKOUT_URL = "https://www.paypal.com/cgi-bin/webscr"
SANDBOX_CHECKOUT_URL = "https://www.sandbox.paypal.com/cgi-bin/webscr"


@dataclass(frozen=True, slots=True)
class TopupButton:
    """One form: where it posts and its hidden fields, in order."""

    amount: str
    action: str
    fields: tuple[tuple[str, str], ...]


async def topup_buttons(
    ctx: ServicesContext,
    actor: Actor,
    signer: CustomSigner,
    *,
    platform_url: str,
    return_url: str,
    item_name: str,
) -> list[TopupButton]:
    """The calling client's buttons; empty when the reseller has not set PayPal up."""
    tenant, client_id = own_client(actor)
    async with ctx.read() as uow:
        settings = await uow.session.get(PaypalSettings, tenant)
        reseller = await uow.session.get(Reseller, tenant)
        if settings is None or reseller is None or not settings.enabled or not settings.email:
            return []
        email, sandbox, currency = settings.email, settings.sandbox, reseller.currency
        amounts = parse_offered_amounts(settings.amounts)
    decimals = currency_decimals(currency)
    custom = signer.sign(tenant, client_id)
    notify = f"{platform_url.rstrip('/')}/paypal/ipn/{reseller_code(tenant)}"
    action = SANDBOX_CHECKOUT_URL if sandbox else LIVE_CHECKOUT_URL
    buttons = []
    for whole in amounts:
        amount = f"{whole}.{'0' * decimals}" if decimals else str(whole)
        buttons.append(
            TopupButton(
                amount,
                action,
                (
                    ("cmd", "_xclick"),
                    ("business", email),
                    ("item_name", item_name[:127]),
                    ("amount", amount),
                    ("currency_code", currency),
                    ("custom", custom),
                    ("notify_url", notify),
                    ("return", return_url),
                    ("cancel_return", return_url),
                    ("no_shipping", "1"),
                    ("charset", "utf-8"),
                ),
            )
        )
    return buttons
