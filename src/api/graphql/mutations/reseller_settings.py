"""A reseller's settings: default low-balance threshold, longest call, name and contact."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry

from api.domain import errors as domain
from api.graphql.context import Info
from api.graphql.errors import Conflict, InvalidInput, NotFound, common_problem, invalid
from api.graphql.scalars import to_micros
from api.graphql.types.resellers import Reseller
from api.services import resellers

ResellerSettingsResult = Annotated[
    Reseller | NotFound | InvalidInput | Conflict, strawberry.union("ResellerSettingsResult")
]

_FIELDS = {
    "name": "name",
    "email": "email",
    "phone": "phone",
    "address": "address",
    "low_balance_threshold": "lowBalanceThreshold",
    "max_call_seconds": "maxCallSeconds",
}


@strawberry.input
class ResellerSettingsInput:
    """Null (or absent) keeps a setting."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    low_balance_threshold: Decimal | None = strawberry.field(
        default=None, description="The default for clients without their own threshold."
    )
    max_call_seconds: int | None = strawberry.field(
        default=None, description="The longest call authorized, 1..86400 seconds."
    )


async def update_reseller_settings(
    info: Info, input: ResellerSettingsInput, reseller_id: int | None = None
) -> ResellerSettingsResult:
    """A reseller changes its own settings; the operator those of the reseller it names."""
    context = info.context
    actor = context.acting_as(
        "reseller", "operator", what="reseller", named=reseller_id is not None
    )
    if isinstance(actor, NotFound):
        return actor
    threshold = input.low_balance_threshold
    if threshold is not None and threshold < 0:
        return invalid("lowBalanceThreshold", "must not be negative")
    try:
        view = await resellers.update_reseller_settings(
            context.services, actor, reseller_id=reseller_id,
            low_balance_threshold=None if threshold is None else to_micros(threshold),
            max_call_seconds=input.max_call_seconds, name=input.name, email=input.email,
            phone=input.phone, address=input.address,
        )  # fmt: skip
    except domain.InvalidInput as exc:
        return invalid(_FIELDS.get(exc.field, exc.field), exc.detail)
    except domain.ServiceError as exc:
        return common_problem(exc)
    return Reseller.from_domain(view)
