"""Client portal login: username + password → a session token (only its hash is stored)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from api.auth.clock import Clock, aware, utcnow
from api.auth.passwords import Passwords
from api.auth.throttle import LoginThrottle
from api.auth.tokens import new_session_token, token_hash
from api.auth.verify_pool import PoolBusy
from api.domain.actor import Actor
from api.domain.tenants import tenant_username
from api.store.engine import read_session
from api.store.tables import Client, PortalSession, Reseller

SESSION_TTL = timedelta(hours=12)
MAX_USERNAME_LENGTH = 100


@dataclass(frozen=True, slots=True)
class PortalLogin:
    """A successful login: the session token (shown once) and when it expires."""

    token: str
    expires_at: datetime
    actor: Actor


@dataclass(frozen=True, slots=True)
class LoginRefused:
    """Wrong credentials (deliberately vague), too many failures (``retry_after`` > 0), or
    too many logins at once (``busy``: the password was not checked)."""

    retry_after: float = 0.0
    busy: bool = False


class PortalAuth:
    """Logins, logouts and session-token checks for the client portal."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        passwords: Passwords | None = None,
        throttle: LoginThrottle | None = None,
        clock: Clock = utcnow,
        ttl: timedelta = SESSION_TTL,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.passwords = passwords or Passwords()
        self.throttle = throttle or LoginThrottle()
        self.clock = clock
        self.ttl = ttl

    async def login(
        self, username: str, password: str, *, tenant: int | None = None
    ) -> PortalLogin | LoginRefused:
        """Check the password (rehashing a stale hash), then open a session; ``tenant``
        (a portal's reseller) refuses the clients of every other reseller and takes a
        short username in that reseller's namespace. When the password checks are busy
        the login is refused without counting as a failure."""
        try:
            return await self._login(username, password, tenant)
        except PoolBusy as busy:
            return LoginRefused(retry_after=busy.retry_after, busy=True)

    async def _login(
        self, username: str, password: str, tenant: int | None
    ) -> PortalLogin | LoginRefused:
        username = username.strip()
        if tenant is not None:
            username = tenant_username(tenant, username)
        if not username or len(username) > MAX_USERNAME_LENGTH:
            await self.passwords.verify(None, password)
            return LoginRefused()
        wait = self.throttle.retry_after(username)
        if wait > 0:
            return LoginRefused(retry_after=wait)
        self.passwords.pool.admit()
        async with read_session(self.sessionmaker) as session:
            row = (
                await session.execute(
                    select(
                        col(Client.id), col(Client.reseller_id), col(Client.portal_password_hash)
                    )
                    .join(Reseller, col(Reseller.id) == col(Client.reseller_id))
                    .where(
                        col(Client.portal_username) == username,
                        col(Client.status) == "active",
                        col(Reseller.status) == "active",
                        *([] if tenant is None else [col(Client.reseller_id) == tenant]),
                    )
                )
            ).one_or_none()
        verified = await self.passwords.verify(None if row is None else row[2], password)
        if row is None or not verified.ok:
            self.throttle.failed(username)
            return LoginRefused()
        self.throttle.succeeded(username)
        client_id, reseller_id = int(row[0] or 0), int(row[1])
        token, now = new_session_token(), self.clock()
        expires_at = now + self.ttl
        async with self.sessionmaker() as session, session.begin():
            if verified.new_hash is not None:
                await session.execute(
                    update(Client)
                    .where(col(Client.id) == client_id)
                    .values(portal_password_hash=verified.new_hash)
                )
            session.add(
                PortalSession(
                    client_id=client_id,
                    token_hash=token_hash(token),
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        return PortalLogin(token, expires_at, Actor.client(reseller_id, client_id))

    async def open_session(self, reseller_id: int, client_id: int) -> PortalLogin:
        """A session for a client already identified another way (a single-use login link)."""
        token, now = new_session_token(), self.clock()
        async with self.sessionmaker() as session, session.begin():
            session.add(
                PortalSession(
                    client_id=client_id,
                    token_hash=token_hash(token),
                    created_at=now,
                    expires_at=now + self.ttl,
                )
            )
        return PortalLogin(token, now + self.ttl, Actor.client(reseller_id, client_id))

    async def logout(self, token: str) -> bool:
        """Revoke the session of ``token``; ``False`` when there was none to revoke."""
        async with self.sessionmaker() as session, session.begin():
            result = await session.execute(
                update(PortalSession)
                .where(
                    col(PortalSession.token_hash) == token_hash(token),
                    col(PortalSession.revoked_at).is_(None),
                )
                .values(revoked_at=self.clock())
            )
        return bool(getattr(result, "rowcount", 0))

    async def actor(self, token: str) -> Actor | None:
        """The client of a live session: not revoked, not expired, client and reseller active."""
        async with read_session(self.sessionmaker) as session:
            row = (
                await session.execute(
                    select(
                        col(PortalSession.expires_at),
                        col(PortalSession.revoked_at),
                        col(Client.id),
                        col(Client.reseller_id),
                    )
                    .join(Client, col(Client.id) == col(PortalSession.client_id))
                    .join(Reseller, col(Reseller.id) == col(Client.reseller_id))
                    .where(
                        col(PortalSession.token_hash) == token_hash(token),
                        col(Client.status) == "active",
                        col(Reseller.status) == "active",
                    )
                )
            ).one_or_none()
        if row is None or row[1] is not None or aware(row[0]) <= self.clock():
            return None
        return Actor.client(int(row[3]), int(row[2] or 0))
