"""Portal passwords: argon2id hashes, verified in a bounded pool of threads
(:mod:`api.auth.verify_pool`), rehashed when stale."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from api.auth.verify_pool import VerifyPool

DEFAULT_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4, type=Type.ID)
"""RFC 9106's second recommended profile (argon2id, 64 MiB, 3 passes, 4 lanes)."""

MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class Verified:
    """The outcome of a password check; ``new_hash`` is set when the hash must be upgraded."""

    ok: bool
    new_hash: str | None = None


class Passwords:
    """Hash and verify with one :class:`argon2.PasswordHasher` (its parameters are current)."""

    def __init__(
        self, hasher: PasswordHasher = DEFAULT_HASHER, pool: VerifyPool | None = None
    ) -> None:
        self.hasher = hasher
        self.pool = pool or VerifyPool()
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify_sync(self, stored: str | None, password: str) -> Verified:
        """Check ``password``; an unknown account still costs one hash (no user probing)."""
        if stored is None or len(password) > MAX_PASSWORD_LENGTH:
            if self._dummy is None:
                self._dummy = self.hasher.hash("pulsebill-dummy")
            stored, password = self._dummy, password[:MAX_PASSWORD_LENGTH] + "\x00"
            self._check(stored, password)
            return Verified(False)
        if not self._check(stored, password):
            return Verified(False)
        if self.hasher.check_needs_rehash(stored):
            return Verified(True, self.hasher.hash(password))
        return Verified(True)

    async def verify(self, stored: str | None, password: str) -> Verified:
        """:meth:`verify_sync` off the event loop, in :attr:`pool` (argon2 is deliberately
        slow and large); raises :class:`~api.auth.verify_pool.PoolBusy` when it is full."""
        return await self.pool.run(lambda: self.verify_sync(stored, password))

    def _check(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
