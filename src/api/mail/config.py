"""SMTP settings from the environment; without them e-mails stay queued.

``PULSEBILL_SMTP_URL``: ``smtp://user:password@host:587?from=billing@example.com``
(``smtp`` plain, STARTTLS when the server offers it; ``smtp+starttls`` STARTTLS required;
``smtps`` TLS from the start). Or the parts: ``PULSEBILL_SMTP_HOST``, ``_PORT``,
``_USER``, ``_PASSWORD``, ``_FROM``, ``_SECURITY`` (``none`` | ``starttls`` | ``tls``).
``PULSEBILL_MAIL_MAX_ATTEMPTS`` (default 8) bounds the tries of one e-mail;
``PULSEBILL_MAIL_LEASE_SECONDS`` (default 300) is how long a claim lasts (a sender that
died mid-batch: its unsettled rows are sent again after it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from urllib.parse import parse_qs, unquote, urlsplit


class Security(StrEnum):
    NONE = "none"  # plain; STARTTLS used when offered
    STARTTLS = "starttls"  # STARTTLS required
    TLS = "tls"  # implicit TLS (port 465)


SCHEMES = {"smtp": Security.NONE, "smtp+starttls": Security.STARTTLS, "smtps": Security.TLS}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    sender: str  # the From address; each reseller's From *name* goes with it
    security: Security = Security.NONE
    username: str = ""
    password: str = ""
    timeout: float = 30.0
    max_attempts: int = 8
    lease_seconds: int = 300  # a claimed row is taken again this long after its claim

    def __repr__(self) -> str:  # the password never reaches a log
        return (
            f"SmtpConfig(host={self.host!r}, port={self.port}, sender={self.sender!r}, "
            f"security={self.security.value!r}, username={self.username!r})"
        )


class SmtpConfigError(ValueError):
    """The SMTP settings are present but wrong (the message names the variable)."""


def smtp_from_env(env: Mapping[str, str] | None = None) -> SmtpConfig | None:
    """The SMTP settings, or ``None`` when none are given (e-mails then stay queued)."""
    env = os.environ if env is None else env
    attempts = _int(env, "PULSEBILL_MAIL_MAX_ATTEMPTS", 8)
    if attempts < 1:
        raise SmtpConfigError("PULSEBILL_MAIL_MAX_ATTEMPTS: at least 1")
    lease = _int(env, "PULSEBILL_MAIL_LEASE_SECONDS", 300)
    if lease < 1:
        raise SmtpConfigError("PULSEBILL_MAIL_LEASE_SECONDS: at least 1")
    url = env.get("PULSEBILL_SMTP_URL", "").strip()
    if url:
        return replace(_from_url(url, env, attempts), lease_seconds=lease)
    host = env.get("PULSEBILL_SMTP_HOST", "").strip()
    if not host:
        return None
    security = _security(env.get("PULSEBILL_SMTP_SECURITY", "none"))
    default_port = 465 if security is Security.TLS else 587 if security is Security.STARTTLS else 25
    return SmtpConfig(
        host=host,
        port=_int(env, "PULSEBILL_SMTP_PORT", default_port),
        sender=_sender(env.get("PULSEBILL_SMTP_FROM", "")),
        security=security,
        username=env.get("PULSEBILL_SMTP_USER", ""),
        password=env.get("PULSEBILL_SMTP_PASSWORD", ""),
        max_attempts=attempts,
        lease_seconds=lease,
    )


def _from_url(url: str, env: Mapping[str, str], attempts: int) -> SmtpConfig:
    parts = urlsplit(url)
    security = SCHEMES.get(parts.scheme)
    if security is None:
        raise SmtpConfigError("PULSEBILL_SMTP_URL: the scheme is smtp, smtp+starttls or smtps")
    if not parts.hostname:
        raise SmtpConfigError("PULSEBILL_SMTP_URL: no host")
    try:
        port = parts.port
    except ValueError:
        raise SmtpConfigError("PULSEBILL_SMTP_URL: the port is not a number") from None
    query = parse_qs(parts.query)
    sender = query.get("from", [env.get("PULSEBILL_SMTP_FROM", "")])[0]
    return SmtpConfig(
        host=parts.hostname,
        port=port or (465 if security is Security.TLS else 587 if parts.username else 25),
        sender=_sender(sender),
        security=security,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        max_attempts=attempts,
    )


def _sender(value: str) -> str:
    value = value.strip()
    if not value or "@" not in value or any(c in value for c in "\r\n<>"):
        raise SmtpConfigError("PULSEBILL_SMTP_FROM (or ?from= in the URL): an e-mail address")
    return value


def _security(value: str) -> Security:
    try:
        return Security(value.strip().lower() or "none")
    except ValueError:
        raise SmtpConfigError("PULSEBILL_SMTP_SECURITY: none, starttls or tls") from None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SmtpConfigError(f"{name}: a whole number") from None
