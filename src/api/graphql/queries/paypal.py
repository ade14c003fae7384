"""A reseller's PayPal settings (with the IPN URL to paste into PayPal) and its IPN
messages, newest first."""

from __future__ import annotations

from api.graphql.context import Info
from api.graphql.types.common import DEFAULT_PAGE, Connection, Page, connection
from api.graphql.types.paypal import IpnStatus, PaypalIpnMessage, PaypalSettings
from api.services import paypal_ipn, paypal_settings


async def paypal_settings_(info: Info) -> PaypalSettings:
    context = info.context
    actor = context.require_role("reseller")
    view = await paypal_settings.get_paypal_settings(context.services, actor)
    return PaypalSettings.from_domain(view, public_base_url(info))


async def paypal_ipn_messages(
    info: Info,
    first: int = DEFAULT_PAGE,
    after: str | None = None,
    status: IpnStatus | None = None,
) -> Connection[PaypalIpnMessage]:
    """The reseller's IPN messages, newest first; ``status`` filters (e.g. ``REFUSED``)."""
    context = info.context
    page = Page.of(first, after)
    actor = context.require_role("reseller")
    views = await paypal_ipn.list_messages(
        context.services,
        actor,
        status=None if status is None else status.value,
        before=page.after_key,
        limit=page.limit + 1,
    )
    items = [PaypalIpnMessage.from_domain(v) for v in views]
    return connection(items, page, lambda m: m.id, fetched_extra=True)


def public_base_url(info: Info) -> str:
    """``PULSEBILL_PUBLIC_URL``, else the address this request came to."""
    connection_ = info.context.connection
    state = getattr(connection_.app.state, "pulsebill", None)
    configured = "" if state is None else state.settings.public_url
    return configured or str(connection_.base_url)
