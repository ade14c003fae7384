"""Resellers and API tokens (operator work), and turning a token into an :class:`Actor`."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from api.domain.actor import Actor, Role
from api.domain.errors import AlreadyExists, InvalidInput, NotFound, Unauthenticated
from api.domain.ledger import AccountKind
from api.events import CredentialRevoked
from api.services.access import require_operator, reseller_scope
from api.services.context import ServicesContext
from api.services.records import (
    IssuedToken,
    ResellerCreated,
    ResellerView,
    SwitchIdentity,
    TokenView,
)
from api.services.secrets import new_token, token_hash
from api.store.tables import Account, ApiToken, Reseller
from api.store.unit_of_work import UnitOfWork

_CURRENCY = re.compile(r"[A-Z]{3}")
MAX_CALL_SECONDS_LIMIT = 24 * 3600
CONTACT_LIMITS = {"email": 320, "phone": 32, "address": 500}


async def create_reseller(
    ctx: ServicesContext,
    actor: Actor,
    name: str,
    currency: str,
    *,
    low_balance_threshold: int | None = None,
    max_call_seconds: int | None = None,
) -> ResellerCreated:
    """Operator: a new tenant with its ledger accounts and a first API token (shown once)."""
    require_operator(actor)
    name = _clean_name(name)
    currency = currency.strip().upper()
    if not _CURRENCY.fullmatch(currency):
        raise InvalidInput("currency", f"expected an ISO 4217 code like USD, got {currency!r}")
    if low_balance_threshold is not None and low_balance_threshold < 0:
        raise InvalidInput("low_balance_threshold", "must not be negative")
    cap = ctx.max_call_seconds if max_call_seconds is None else max_call_seconds
    if not 1 <= cap <= MAX_CALL_SECONDS_LIMIT:
        raise InvalidInput("max_call_seconds", f"must be 1..{MAX_CALL_SECONDS_LIMIT}")
    now = ctx.now()
    try:
        async with ctx.unit_of_work() as uow:
            if await uow.session.scalar(select(col(Reseller.id)).where(col(Reseller.name) == name)):
                raise AlreadyExists("reseller", name)
            reseller = Reseller(name=name, currency=currency, max_call_seconds=cap, created_at=now)
            if low_balance_threshold is not None:
                reseller.low_balance_threshold = int(low_balance_threshold)
            uow.session.add(reseller)
            await uow.session.flush()
            assert reseller.id is not None
            await uow.accounts.create_reseller_accounts(reseller.id, currency)
            token = await _issue(uow, Role.RESELLER, reseller.id, f"{name} (first token)", now)
            view = _view(reseller, 0)
    except IntegrityError:
        raise AlreadyExists("reseller", name) from None
    return ResellerCreated(view, token)


async def create_token(
    ctx: ServicesContext, actor: Actor, reseller_id: int | None = None, name: str = ""
) -> IssuedToken:
    """A new reseller token (the operator for any reseller, a reseller for itself)."""
    tenant = reseller_scope(actor, reseller_id)
    async with ctx.unit_of_work() as uow:
        if await uow.session.get(Reseller, tenant) is None:
            raise NotFound("reseller", tenant)
        return await _issue(uow, Role.RESELLER, tenant, name, ctx.now())


async def create_operator_token(ctx: ServicesContext, name: str = "operator") -> IssuedToken:
    """Bootstrap: an operator token (only the command line calls this)."""
    async with ctx.unit_of_work() as uow:
        return await _issue(uow, Role.OPERATOR, None, name, ctx.now())


async def list_tokens(
    ctx: ServicesContext, actor: Actor, reseller_id: int | None = None
) -> list[TokenView]:
    """Operator: every API token (or one reseller's), revoked ones too, by id."""
    require_operator(actor)
    query = select(ApiToken).order_by(col(ApiToken.id))
    if reseller_id is not None:
        query = query.where(col(ApiToken.reseller_id) == reseller_id)
    async with ctx.read() as uow:
        rows = await uow.session.scalars(query)
        return [
            TokenView(
                t.id,
                t.role,
                t.reseller_id,
                t.name,
                _aware(t.created_at),
                None if t.revoked_at is None else _aware(t.revoked_at),
            )
            for t in rows
            if t.id is not None
        ]


async def revoke_token(ctx: ServicesContext, actor: Actor, token_id: int) -> None:
    """Revoke a token: the operator any, a reseller only its own. Revoking twice is fine."""
    async with ctx.unit_of_work() as uow:
        token = await uow.session.get(ApiToken, token_id)
        if token is None or (
            actor.role is not Role.OPERATOR
            and (actor.role is not Role.RESELLER or token.reseller_id != actor.reseller_id)
        ):
            raise NotFound("token", token_id)
        if token.revoked_at is None:
            token.revoked_at = ctx.now()
            await uow.session.flush()
            uow.emit(CredentialRevoked(token.reseller_id, None, token.revoked_at))


async def authenticate_token(ctx: ServicesContext, token: str) -> Actor:
    """The actor a bearer token stands for; :class:`Unauthenticated` when unknown or revoked."""
    if not token or len(token) > 200:
        raise Unauthenticated()
    async with ctx.read() as uow:
        row = await uow.session.scalar(
            select(ApiToken).where(col(ApiToken.token_hash) == token_hash(token))
        )
        if row is None or row.revoked_at is not None or row.role == Role.SWITCH:
            raise Unauthenticated()  # a switch token opens only the /switch/ endpoints
        if row.role == Role.OPERATOR:
            return Actor.operator()
        if row.reseller_id is None:
            raise Unauthenticated()
        reseller = await uow.session.get(Reseller, row.reseller_id)
        if reseller is None or reseller.status != "active":
            raise Unauthenticated()
        return Actor.reseller(row.reseller_id)


async def create_switch_token(ctx: ServicesContext, name: str) -> IssuedToken:
    """Operator (the command line): a switch token, operator-wide, that opens only the
    ``/switch/`` endpoints; ``name`` is the default ``source`` of the switch's CDRs."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("name", "must be 1..100 characters (it is the CDRs' source)")
    async with ctx.unit_of_work() as uow:
        return await _issue(uow, Role.SWITCH, None, name, ctx.now())


async def authenticate_switch_token(ctx: ServicesContext, token: str) -> SwitchIdentity:
    """The switch a bearer token stands for; :class:`Unauthenticated` when unknown,
    revoked, or not a switch token (operator and reseller tokens are refused)."""
    if not token or len(token) > 200:
        raise Unauthenticated()
    async with ctx.read() as uow:
        row = await uow.session.scalar(
            select(ApiToken).where(col(ApiToken.token_hash) == token_hash(token))
        )
        if row is None or row.revoked_at is not None or row.role != Role.SWITCH or row.id is None:
            raise Unauthenticated()
        return SwitchIdentity(row.id, row.name)


async def get_reseller(
    ctx: ServicesContext, actor: Actor, reseller_id: int | None = None
) -> ResellerView:
    """One reseller with its own balance (a reseller reads only itself)."""
    tenant = reseller_scope(actor, reseller_id)
    async with ctx.read() as uow:
        reseller = await uow.session.get(Reseller, tenant)
        if reseller is None:
            raise NotFound("reseller", tenant)
        return _view(reseller, await _reseller_balance(uow, tenant))


async def find_reseller_by_name(ctx: ServicesContext, actor: Actor, name: str) -> ResellerView:
    """Operator: the reseller called ``name``."""
    require_operator(actor)
    async with ctx.read() as uow:
        reseller = await uow.session.scalar(select(Reseller).where(col(Reseller.name) == name))
        if reseller is None or reseller.id is None:
            raise NotFound("reseller", name)
        return _view(reseller, await _reseller_balance(uow, reseller.id))


async def list_resellers(ctx: ServicesContext, actor: Actor) -> list[ResellerView]:
    """Operator: every reseller, by id."""
    require_operator(actor)
    async with ctx.read() as uow:
        rows = await uow.session.execute(
            select(Reseller, col(Account.balance))
            .join(Account, col(Account.reseller_id) == col(Reseller.id))
            .where(col(Account.kind) == AccountKind.RESELLER)
            .order_by(col(Reseller.id))
        )
        return [_view(r, int(b)) for r, b in rows]


async def update_reseller_settings(
    ctx: ServicesContext,
    actor: Actor,
    *,
    reseller_id: int | None = None,
    low_balance_threshold: int | None = None,
    max_call_seconds: int | None = None,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    address: str | None = None,
) -> ResellerView:
    """Change the given settings (``None`` keeps one): the default low-balance threshold
    of the reseller's clients, the longest call allowed, the name (unique on the platform)
    and the contact data."""
    tenant = reseller_scope(actor, reseller_id)
    if name is not None:
        name = _clean_name(name)
    contact = {"email": email, "phone": phone, "address": address}
    for field, value in contact.items():
        if value is not None and len(value) > CONTACT_LIMITS[field]:
            raise InvalidInput(field, f"at most {CONTACT_LIMITS[field]} characters")
    if low_balance_threshold is not None and low_balance_threshold < 0:
        raise InvalidInput("low_balance_threshold", "must not be negative")
    if max_call_seconds is not None and not 1 <= max_call_seconds <= MAX_CALL_SECONDS_LIMIT:
        raise InvalidInput("max_call_seconds", f"must be 1..{MAX_CALL_SECONDS_LIMIT}")
    async with ctx.unit_of_work() as uow:
        reseller = await uow.session.get(Reseller, tenant, with_for_update=True)
        if reseller is None:
            raise NotFound("reseller", tenant)
        if low_balance_threshold is not None:
            reseller.low_balance_threshold = int(low_balance_threshold)
        if max_call_seconds is not None:
            reseller.max_call_seconds = max_call_seconds
        if name is not None and name != reseller.name:
            taken = await uow.session.scalar(
                select(col(Reseller.id)).where(col(Reseller.name) == name)
            )
            if taken is not None:
                raise AlreadyExists("reseller", name)
            reseller.name = name
        for field, value in contact.items():
            if value is not None:
                setattr(reseller, field, value.strip())
        try:
            await uow.session.flush()
        except IntegrityError:
            raise AlreadyExists("reseller", name) from None
        return _view(reseller, await _reseller_balance(uow, tenant))


async def _issue(
    uow: UnitOfWork, role: Role, reseller_id: int | None, name: str, now: datetime
) -> IssuedToken:
    token = new_token()
    row = ApiToken(
        role=role,
        reseller_id=reseller_id,
        name=name[:200],
        token_hash=token_hash(token),
        created_at=now,
    )
    uow.session.add(row)
    await uow.session.flush()
    assert row.id is not None
    return IssuedToken(row.id, token, role.value, reseller_id)


async def _reseller_balance(uow: UnitOfWork, reseller_id: int) -> int:
    ids = await uow.accounts.reseller_account_ids(reseller_id)
    return await uow.accounts.balance(ids[AccountKind.RESELLER])


def _aware(at: datetime) -> datetime:
    """SQLite gives back naive datetimes for UTC columns."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("name", "must be 1..200 characters")
    return name


def _view(r: Reseller, balance: int) -> ResellerView:
    assert r.id is not None
    return ResellerView(
        r.id,
        r.name,
        r.currency,
        r.status,
        r.low_balance_threshold,
        r.max_call_seconds,
        balance,
        r.created_at,
        r.email,
        r.phone,
        r.address,
    )
