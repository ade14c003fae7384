"""``setPaypalSettings``: a reseller switches PayPal on or off and sets what it offers."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.domain import errors as domain
from api.graphql.context import Info
from api.graphql.errors import InvalidInput, NotFound, common_problem
from api.graphql.queries.paypal import public_base_url
from api.graphql.types.paypal import PaypalSettings, PaypalSettingsInput
from api.services import paypal_settings

PaypalSettingsResult = Annotated[
    PaypalSettings | InvalidInput | NotFound, strawberry.union("PaypalSettingsResult")
]


async def set_paypal_settings(info: Info, input: PaypalSettingsInput) -> PaypalSettingsResult:
    """Replace the caller's PayPal settings (on needs the e-mail and an amount)."""
    context = info.context
    actor = context.require_role("reseller")
    try:
        view = await paypal_settings.set_paypal_settings(
            context.services,
            actor,
            enabled=input.enabled,
            email=input.email,
            amounts=input.amounts,
            sandbox=input.sandbox,
        )
    except domain.ServiceError as exc:
        problem = common_problem(exc)
        if isinstance(problem, InvalidInput | NotFound):
            return problem
        raise exc from None
    return PaypalSettings.from_domain(view, public_base_url(info))
