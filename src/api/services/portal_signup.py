"""Self-signup through a reseller's portal, and the reseller's approval of a signup.

The form asks the fields the reseller chose (``signup_fields``); the new client gets the
configured balance type and its portal login in one transaction, and is either ``active``
(the configured package attached at once) or ``pending`` until its reseller approves it
(the package is attached, and its fees posted, at approval). A pending client cannot log in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.balance_rules import is_suspended
from api.domain.branding import EMAIL, SignupField
from api.domain.errors import AlreadyExists, Conflict, InvalidInput, NotFound
from api.domain.password_rules import check_password_strength
from api.services.access import reseller_scope
from api.services.branding import settings_of
from api.services.client_packages import attach_package
from api.services.context import ServicesContext
from api.services.portal_logins import portal_username
from api.services.tenancy import load_reseller
from api.store.tables import Client

PENDING = "pending"
LIMITS = {"name": 200, "company": 200, "email": 320, "phone": 32, "address": 500}


@dataclass(frozen=True, slots=True)
class SignedUp:
    client_id: int
    status: str  # active | pending


async def signup_fields(ctx: ServicesContext, tenant: int) -> tuple[SignupField, ...] | None:
    """The fields the tenant's signup form asks, or ``None`` when it offers no signup."""
    async with ctx.read() as uow:
        settings, _ = await settings_of(uow, tenant)
    return settings.signup_fields if settings.signup_enabled else None


async def sign_up(
    ctx: ServicesContext,
    tenant: int,
    fields: Mapping[str, str],
    username: str,
    password: str,
    hash_password: Callable[[str], str],
) -> SignedUp:
    """Create the client and its portal login; :class:`NotFound` when the portal offers no
    signup, :class:`InvalidInput` naming the field, :class:`AlreadyExists` for a taken
    name or username."""
    async with ctx.read() as uow:
        reseller = await load_reseller(uow, tenant)
        status, currency = reseller.status, reseller.currency
        settings, _ = await settings_of(uow, tenant)
    if status != "active" or not settings.signup_enabled:
        raise NotFound("signup form", tenant)
    values = _check_fields(fields, settings.signup_fields)
    check_password_strength(password, username=username)
    username = portal_username(tenant, username)  # in the reseller's namespace
    name = values.get("name") or values.get("company") or values["email"]
    hashed = await asyncio.to_thread(hash_password, password)
    status = PENDING if settings.signup_requires_approval else "active"
    kind = settings.signup_balance_type
    try:
        async with ctx.unit_of_work() as uow:
            for column, value, what in (
                (Client.name, name, "client"),
                (Client.portal_username, username, "portal username"),
            ):
                query = select(col(Client.id)).where(col(column) == value)
                if column is Client.name:
                    query = query.where(col(Client.reseller_id) == tenant)
                if await uow.session.scalar(query) is not None:
                    raise AlreadyExists(what, value)
            client = Client(
                reseller_id=tenant,
                name=name,
                company=values.get("company", ""),
                email=values["email"],
                phone=values.get("phone", ""),
                address=values.get("address", ""),
                balance_type=kind,
                status=status,
                suspended=is_suspended(kind, 0),
                portal_username=username,
                portal_password_hash=hashed,
                created_at=ctx.now(),
            )
            uow.session.add(client)
            await uow.session.flush()
            assert client.id is not None
            await uow.accounts.create_client_account(tenant, client.id, currency)
            client_id = client.id
    except IntegrityError:
        raise AlreadyExists("portal username", username) from None
    if status == "active" and settings.signup_package_id is not None:
        await attach_package(ctx, Actor.reseller(tenant), client_id, settings.signup_package_id)
    return SignedUp(client_id, status)


async def approve_signup(ctx: ServicesContext, actor: Actor, client_id: int) -> int:
    """The reseller approves a pending signup: the client becomes active and gets the
    signup package (its fees posted). :class:`Conflict` when it is not pending."""
    tenant = reseller_scope(actor)
    async with ctx.unit_of_work() as uow:
        client = (
            await uow.session.scalars(
                select(Client)
                .where(col(Client.id) == client_id, col(Client.reseller_id) == tenant)
                .with_for_update()
            )
        ).first()
        if client is None:
            raise NotFound("client", client_id)
        if client.status != PENDING:
            raise Conflict(f"client {client_id} is not waiting for approval")
        client.status = "active"
        settings, _ = await settings_of(uow, tenant)
        await uow.session.flush()
    if settings.signup_package_id is not None:
        await attach_package(ctx, actor, client_id, settings.signup_package_id)
    return client_id


def _check_fields(given: Mapping[str, str], asked: tuple[SignupField, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for field in asked:
        text = (given.get(field.value) or "").strip()
        if not text:
            raise InvalidInput(field.value, "required")
        if len(text) > LIMITS[field.value]:
            raise InvalidInput(field.value, f"at most {LIMITS[field.value]} characters")
        if any(ord(c) < 32 and c not in "\n\t" for c in text):
            raise InvalidInput(field.value, "control characters are not allowed")
        values[field.value] = text
    if not EMAIL.fullmatch(values["email"]):
        raise InvalidInput("email", "an e-mail address")
    return values
