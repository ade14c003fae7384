"""Opaque bearer tokens: random, shown once, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets

SESSION_PREFIX = "pbs_"
"""Portal session tokens start with this; API tokens never do."""


def new_session_token() -> str:
    """A fresh portal session token (256 random bits)."""
    return SESSION_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The hex SHA-256 kept in the database instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def bearer(value: str | None) -> str | None:
    """``"Bearer abc"`` → ``"abc"``; a bare token is accepted; empty or oversize → ``None``."""
    if not value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else value.strip()
    if not token or len(token) > 200 or " " in token:
        return None
    return token
