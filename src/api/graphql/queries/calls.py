"""Call questions: may this call start (reserving a hard client's money), what would it
cost, the SIP password."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from api.domain import errors as domain
from api.domain.text import text_problem
from api.graphql.context import Info
from api.graphql.errors import InvalidInput, NotFound, common_problem, invalid
from api.graphql.types.calls import CallAuthorization, PriceExplanation, Unpriceable
from api.graphql.types.common import CallDirection
from api.services import authorization, price_preview, sub_accounts

MAX_TEXT = 100
MAX_CALL_ID = 200

AuthorizeResult = Annotated[
    CallAuthorization | InvalidInput | NotFound, strawberry.union("AuthorizeCallResult")
]
PricePreviewResult = Annotated[
    PriceExplanation | Unpriceable | InvalidInput | NotFound, strawberry.union("PricePreviewResult")
]


@strawberry.type
class SipPassword:
    """A sub account's SIP/IAX password (its reseller only; never logged)."""

    sub_account_id: int
    password: str


SipPasswordResult = Annotated[SipPassword | NotFound, strawberry.union("SipPasswordResult")]


async def authorize_call(
    info: Info,
    sub_account: str,
    number: str,
    reseller_id: int | None = None,
    call_id: Annotated[
        str | None,
        strawberry.argument(
            description=(
                "The switch's call id (1..200 characters; generated when absent). A hard "
                "client's allowed call reserves the money of the granted duration under it; "
                "authorizing the same call id again replaces that reservation."
            )
        ),
    ] = None,
) -> AuthorizeResult:
    """May ``subAccount`` call ``number`` now, and for how many seconds at most? A hard
    client's allowed call reserves what the granted duration costs (see ``callId``)."""
    context = info.context
    actor = context.acting_as(
        "reseller", "operator", what="reseller", named=reseller_id is not None
    )
    if isinstance(actor, NotFound):
        return actor
    if len(sub_account) > MAX_TEXT or len(number) > 64:
        return invalid("subAccount" if len(sub_account) > MAX_TEXT else "number", "too long")
    if call_id is not None and not 0 < len(call_id) <= MAX_CALL_ID:
        return invalid("callId", f"must be 1..{MAX_CALL_ID} characters")
    if call_id is not None and (bad := text_problem(call_id)):
        return invalid("callId", bad)
    call_id = call_id if call_id is not None else uuid.uuid4().hex
    try:
        decision = await authorization.authorize(
            context.services, actor, sub_account, number, reseller_id=reseller_id, call_id=call_id
        )
    except domain.ServiceError as exc:
        problem = common_problem(exc)
        return (
            problem if isinstance(problem, NotFound | InvalidInput) else invalid("call", str(exc))
        )
    return CallAuthorization.from_domain(decision, call_id)


async def price_preview_(
    info: Info,
    package_id: int,
    number: str,
    duration: int,
    direction: CallDirection = CallDirection.OUTBOUND,
    free_minutes_left: int = 0,
) -> PricePreviewResult:
    """The full rating of one call with the package's newest version and the active deck."""
    context = info.context
    actor = context.acting_as("reseller", what="package")
    if isinstance(actor, NotFound):
        return actor
    try:
        outcome = await price_preview.preview_price(
            context.services, actor, package_id, number, duration,
            direction=direction.value, free_minutes_left=free_minutes_left,
        )  # fmt: skip
    except domain.ServiceError as exc:
        problem = common_problem(exc)
        return (
            problem if isinstance(problem, NotFound | InvalidInput) else invalid("call", str(exc))
        )
    if isinstance(outcome, price_preview.Unpriceable):
        return Unpriceable(message=outcome.message, reason=outcome.reason)
    return PriceExplanation.from_domain(outcome)


async def sip_password(info: Info, sub_account_id: int) -> SipPasswordResult:
    """The line's SIP password, for its reseller; for the line's own client only while
    the reseller shows SIP passwords to clients (else ``NotFound``)."""
    context = info.context
    actor = context.acting_as("reseller", "client", what="sub account")
    if isinstance(actor, NotFound):
        return actor
    try:
        password = await sub_accounts.reveal_password(context.services, actor, sub_account_id)
    except domain.NotFound as exc:
        return NotFound(message=f"{exc.what} not found", what=exc.what)
    except domain.PermissionDenied:  # a client, while its portal hides the passwords
        return NotFound(message="sub account not found", what="sub account")
    return SipPassword(sub_account_id=sub_account_id, password=password)
