"""Portal password resets: a request by username or e-mail, a single-use link, a new
password.

The answer to a request is the same whether or not the account exists; an e-mail goes
only to an active client with a portal login and an e-mail address, at most
:data:`MAX_PER_ACCOUNT` per hour (more requests are answered alike and send nothing).
The link carries a random token valid :data:`RESET_TTL`; only its SHA-256 is stored.
Using it sets the new password (argon2id, strength checked), ends every portal session
of the client, voids its other links and queues the "done" e-mail — all in one
transaction. Only when the reseller allows resets.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlmodel import col

from api.auth.clock import aware
from api.domain.errors import InvalidInput, PermissionDenied, ServiceError
from api.domain.password_rules import check_password_strength
from api.domain.tenants import reseller_id_from_code, short_name, tenant_username
from api.events import CredentialRevoked
from api.services.branding import settings_of
from api.services.context import ServicesContext
from api.services.mail_events import queue_reset_done, queue_reset_request
from api.services.secrets import token_hash
from api.store.tables import Client, PasswordResetToken, PortalSession, Reseller
from api.store.unit_of_work import UnitOfWork

RESET_TTL = timedelta(hours=1)
MAX_PER_ACCOUNT = 3  # reset e-mails per client per hour
MAX_LOGIN = 320
MAX_TOKEN = 100
BAD_LINK = "this reset link is invalid, already used or expired"


@dataclass(frozen=True, slots=True)
class ResetDone:
    client_id: int
    sessions_ended: int


class TooManyRequests(ServiceError):
    """Too many reset requests from one address; ``retry_after`` seconds to wait."""

    code = "too_many_requests"

    def __init__(self, retry_after: float) -> None:
        super().__init__("too many reset requests from this address; try later")
        self.retry_after = retry_after


async def request_reset(
    ctx: ServicesContext, reseller_code: str, login: str, *, address: str
) -> None:
    """Send a reset link to the client named ``login`` (portal username, short or full,
    or e-mail) of the reseller with ``reseller_code``, if there is one; the same outcome
    when there is none.
    :class:`PermissionDenied` when that reseller does not allow resets;
    :class:`TooManyRequests` past 10 requests in 15 minutes from ``address``."""
    login = login.strip()
    if not login or len(login) > MAX_LOGIN:
        raise InvalidInput("login", f"a username or an e-mail address (at most {MAX_LOGIN})")
    wait = ctx.reset_requests.hit(address)
    if wait:
        raise TooManyRequests(wait)
    tenant = reseller_id_from_code(reseller_code)
    if tenant is None:
        return
    now = ctx.now()
    async with ctx.unit_of_work() as uow:
        allowed = await _resets_allowed(uow, tenant)
        if allowed is None:
            return  # no such portal: answered like an unknown account
        if not allowed:
            raise PermissionDenied("this portal does not offer password resets")
        found = await uow.session.scalars(
            select(col(Client.id))
            .where(
                col(Client.reseller_id) == tenant,
                col(Client.status) == "active",
                col(Client.portal_username).is_not(None),
                col(Client.email) != "",
                or_(
                    col(Client.portal_username) == tenant_username(tenant, login),
                    func.lower(col(Client.email)) == login.lower(),
                ),
            )
            .order_by(col(Client.id))
            .limit(MAX_PER_ACCOUNT)
        )
        for client_id in [int(c) for c in found if c is not None]:
            recent = await uow.session.scalar(
                select(func.count()).where(
                    col(PasswordResetToken.client_id) == client_id,
                    col(PasswordResetToken.created_at) > now - timedelta(hours=1),
                )
            )
            if int(recent or 0) >= MAX_PER_ACCOUNT:
                continue  # throttled per account: answered alike, nothing sent
            token = secrets.token_urlsafe(32)
            uow.session.add(
                PasswordResetToken(
                    reseller_id=tenant,
                    client_id=client_id,
                    token_hash=token_hash(token),
                    created_at=now,
                    expires_at=now + RESET_TTL,
                )
            )
            await uow.session.flush()
            await queue_reset_request(ctx, uow, tenant, client_id, token)


async def complete_reset(
    ctx: ServicesContext, token: str, password: str, hash_password: Callable[[str], str]
) -> ResetDone:
    """Set the password of the link's client; :class:`InvalidInput` for a bad link
    (``token``) or a weak password (``password``). ``hash_password`` (argon2id) runs in a
    worker thread, only once the link was found valid."""
    if not token or len(token) > MAX_TOKEN:
        raise InvalidInput("token", BAD_LINK)
    digest = token_hash(token)
    async with ctx.read() as uow:
        found = await _live_link(uow, digest, ctx)
    if found is None:
        raise InvalidInput("token", BAD_LINK)
    client_id, tenant, username = found
    check_password_strength(password, username=short_name(username))
    hashed = await asyncio.to_thread(hash_password, password)
    now = ctx.now()
    async with ctx.unit_of_work() as uow:
        if not await _resets_allowed(uow, tenant):  # turned off since the link was sent
            raise PermissionDenied("this portal does not offer password resets")
        used = await uow.session.execute(
            update(PasswordResetToken)
            .where(
                col(PasswordResetToken.token_hash) == digest,
                col(PasswordResetToken.used_at).is_(None),
                col(PasswordResetToken.expires_at) > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(used, "rowcount", 0) or 0) != 1:  # a concurrent use won
            raise InvalidInput("token", BAD_LINK)
        await uow.session.execute(
            update(Client)
            .where(col(Client.id) == client_id)
            .values(portal_password_hash=hashed)
            .execution_options(synchronize_session=False)
        )
        await uow.session.execute(
            update(PasswordResetToken)
            .where(
                col(PasswordResetToken.client_id) == client_id,
                col(PasswordResetToken.used_at).is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        ended = await uow.session.execute(
            update(PortalSession)
            .where(
                col(PortalSession.client_id) == client_id, col(PortalSession.revoked_at).is_(None)
            )
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        uow.emit(CredentialRevoked(tenant, client_id, now))
        await queue_reset_done(ctx, uow, tenant, client_id)
        return ResetDone(client_id, int(getattr(ended, "rowcount", 0) or 0))


async def _live_link(
    uow: UnitOfWork, digest: str, ctx: ServicesContext
) -> tuple[int, int, str] | None:
    """(client id, tenant, username) of an unused, unexpired link of an active client."""
    row = (
        await uow.session.execute(
            select(
                col(PasswordResetToken.client_id),
                col(PasswordResetToken.reseller_id),
                col(PasswordResetToken.expires_at),
                col(PasswordResetToken.used_at),
                col(Client.portal_username),
            )
            .join(Client, col(Client.id) == col(PasswordResetToken.client_id))
            .join(Reseller, col(Reseller.id) == col(PasswordResetToken.reseller_id))
            .where(
                col(PasswordResetToken.token_hash) == digest,
                col(Client.status) == "active",
                col(Reseller.status) == "active",
            )
        )
    ).first()
    if row is None or row[3] is not None or aware(row[2]) <= ctx.now():
        return None
    return int(row[0]), int(row[1]), str(row[4] or "")


async def _resets_allowed(uow: UnitOfWork, tenant: int) -> bool | None:
    """Whether the tenant's portal offers resets; ``None``: no such active reseller."""
    status = await uow.session.scalar(
        select(col(Reseller.status)).where(col(Reseller.id) == tenant)
    )
    if status != "active":
        return None
    settings, _ = await settings_of(uow, tenant)
    return settings.allow_password_reset
