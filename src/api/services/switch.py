"""What a switch (a SIP server holding a switch token) may ask: authorize a call, post its
CDR. A switch token is operator-wide; the tenant of each request comes from the call
itself: the reseller code that prefixes the namespaced sub account (``100001_alice`` is
reseller 1's, see :mod:`api.domain.tenants`), or, for an inbound CDR that names only the
DID called, the reseller that owns the DID. The decisions and the rating are the same
use cases GraphQL calls (:func:`api.services.authorization.authorize`,
:func:`api.services.cdrs.rate_cdr`)."""

from __future__ import annotations

from dataclasses import dataclass

from api.domain.actor import Actor
from api.domain.authorization import Authorization, RefusalReason
from api.domain.errors import NotFound
from api.domain.tenants import reseller_id_from_code
from api.services.authorization import authorize
from api.services.cdrs import rate_cdr
from api.services.cdrs.lines import client_dids
from api.services.context import ServicesContext
from api.services.records import CdrInput, CdrResult
from api.store.reservations import ReservationRepository
from ratelang.numbers import NumberError, normalize

UNKNOWN_SUB_ACCOUNT = "unknown_sub_account"
UNKNOWN_DID = "unknown_did"


def tenant_of_username(username: str) -> int | None:
    """The reseller whose code prefixes ``username`` (``100001_alice`` → 1), or ``None``
    when the name carries no well-formed code."""
    code, sep, rest = username.partition("_")
    if not sep or not rest:
        return None
    return reseller_id_from_code(code)


async def authorize_switch_call(
    ctx: ServicesContext, sub_account: str, number: str, call_id: str
) -> Authorization:
    """:func:`~api.services.authorization.authorize` in the tenant the sub account names;
    a name without a reseller code is ``unknown_sub_account``."""
    tenant = tenant_of_username(sub_account)
    if tenant is None:
        return Authorization.refuse(RefusalReason.UNKNOWN_SUB_ACCOUNT)
    return await authorize(
        ctx, Actor.switch(), sub_account, number, reseller_id=tenant, call_id=call_id
    )


@dataclass(frozen=True, slots=True)
class NotStored:
    """A CDR whose tenant cannot be told (no reseller code, unknown reseller or DID):
    there is nowhere to store it, and nothing is written."""

    reason: str


async def rate_switch_cdr(ctx: ServicesContext, cdr: CdrInput) -> CdrResult | NotStored:
    """Rate and store the CDR in its tenant through :func:`~api.services.cdrs.rate_cdr`
    (idempotent per source and call id; a call of 0 seconds is stored and posts
    nothing). An inbound CDR with an empty ``sub_account`` names the DID called as
    ``number``. :class:`NotStored` when no tenant can be told."""
    if cdr.sub_account:
        tenant = tenant_of_username(cdr.sub_account)
        missing = UNKNOWN_SUB_ACCOUNT
    else:
        tenant = await _did_owner(ctx, cdr.number)
        missing = UNKNOWN_DID
    if tenant is None:
        return NotStored(missing)
    try:
        return await rate_cdr(ctx, Actor.switch(), cdr, reseller_id=tenant)
    except NotFound:  # no such reseller
        return NotStored(missing)


async def _did_owner(ctx: ServicesContext, number: str) -> int | None:
    try:
        digits = normalize(number)
    except NumberError:
        return None
    async with ctx.read() as uow:
        did = (await client_dids(uow, [digits])).get(digits)
    return None if did is None else did.reseller_id


async def release_call(ctx: ServicesContext, call_id: str, sub_account: str = "") -> bool:
    """A hangup notice: release the reservation of ``call_id`` (in the tenant of
    ``sub_account`` when given, else in any); ``True`` when one was held."""
    tenant = tenant_of_username(sub_account) if sub_account else None
    if sub_account and tenant is None:
        return False
    async with ctx.unit_of_work() as uow:
        return await ReservationRepository(uow.session).release(call_id, tenant)
