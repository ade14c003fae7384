"""Service settings, read once from the environment."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from api.mail.config import SmtpConfig, smtp_from_env
from ratelang.money import parse_amount

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./pulsebill.db"
DEFAULT_SECRET_FILE = ".pulsebill-secret"  # noqa: S105 (a file name)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads from its environment.

    ``secret_key`` encrypts SIP passwords at rest and signs session tokens; it is never
    printed. Without ``PULSEBILL_SECRET_KEY`` a random key is created once in
    ``.pulsebill-secret`` (mode 0600) so that the embedded demo keeps working across runs.
    """

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = ""
    dev: bool = False
    max_body_bytes: int = 1_000_000
    max_call_seconds: int = 4 * 3600
    daily_billing: bool = False
    paypal_verify_url: str = ""  # overrides PayPal's live and sandbox URLs (tests)
    paypal_worker_seconds: float = 0  # > 0: the server retries IPN verifications this often
    public_url: str = ""  # the platform's public base URL ("": http://HOST:PORT, see links_base)
    smtp: SmtpConfig | None = None  # None: e-mails stay queued (a warning at start)
    hostname_fee: int = 10_000_000  # a portal hostname's one-time fee (micro-units)
    secure_cookies: bool | None = None  # None: when public_url is https
    switch_timeout_seconds: float = 2.0  # /switch/authorize answers `unavailable` after it

    @property
    def links_base(self) -> str:
        """The base of the links the platform writes (e-mails, portal, images):
        ``PULSEBILL_PUBLIC_URL``, else where this server listens."""
        return self.public_url or f"http://{self.host}:{self.port}"

    def __repr__(self) -> str:  # keep the secret out of logs and tracebacks
        return (
            f"Settings(database_url={redact_url(self.database_url)!r}, host={self.host!r}, "
            f"port={self.port}, dev={self.dev})"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dev: bool = False) -> Settings:
        """Read ``DATABASE_URL``, ``PULSEBILL_HOST``, ``PULSEBILL_PORT``,
        ``PULSEBILL_SECRET_KEY``, ``PULSEBILL_DEV``, ``PULSEBILL_MAX_BODY_BYTES``,
        ``PULSEBILL_DAILY_BILLING`` (on unless ``0``, ``false`` or ``no``: the server bills
        each day itself), ``PULSEBILL_PAYPAL_VERIFY_URL``,
        ``PULSEBILL_PAYPAL_WORKER_SECONDS`` (default 30), ``PULSEBILL_PUBLIC_URL`` (the
        platform's address: IPN URL, links in e-mails and the portal),
        ``PULSEBILL_HOSTNAME_FEE`` (10.00), ``PULSEBILL_SECURE_COOKIES``; SMTP from
        ``PULSEBILL_SMTP_*`` (:mod:`api.mail.config`); ``PULSEBILL_SWITCH_TIMEOUT`` (2.0
        seconds: the longest ``/switch/authorize`` waits for the database)."""
        env = os.environ if env is None else env
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            host=env.get("PULSEBILL_HOST", "127.0.0.1"),
            port=int(env.get("PULSEBILL_PORT", "8000")),
            secret_key=env.get("PULSEBILL_SECRET_KEY") or _local_secret(),
            dev=dev or env.get("PULSEBILL_DEV", "") in {"1", "true", "yes"},
            max_body_bytes=int(env.get("PULSEBILL_MAX_BODY_BYTES", "1000000")),
            daily_billing=env.get("PULSEBILL_DAILY_BILLING", "1").lower()
            not in {"0", "false", "no"},
            paypal_verify_url=env.get("PULSEBILL_PAYPAL_VERIFY_URL", ""),
            paypal_worker_seconds=float(env.get("PULSEBILL_PAYPAL_WORKER_SECONDS", "30")),
            public_url=env.get("PULSEBILL_PUBLIC_URL", "").rstrip("/"),
            smtp=smtp_from_env(env),
            hostname_fee=_micro(env.get("PULSEBILL_HOSTNAME_FEE", "10.00")),
            secure_cookies=_flag(env.get("PULSEBILL_SECURE_COOKIES")),
            switch_timeout_seconds=_seconds(env.get("PULSEBILL_SWITCH_TIMEOUT", "2.0")),
        )

    @property
    def cookies_secure(self) -> bool:
        """Portal cookies carry ``Secure`` when the platform is served over HTTPS."""
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.public_url.startswith("https://")


def _micro(text: str) -> int:
    """``"10.00"`` → 10,000,000 micro-units (exact; at most six decimals, not negative)."""
    try:
        amount = parse_amount(text)
    except ValueError:
        amount = -1
    if amount < 0:
        raise ValueError(f"PULSEBILL_HOSTNAME_FEE: an amount such as 10.00, got {text!r}")
    return amount


def _seconds(text: str) -> float:
    """``PULSEBILL_SWITCH_TIMEOUT``: a positive number of seconds (at most 60)."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 60:
        raise ValueError(f"PULSEBILL_SWITCH_TIMEOUT: seconds in (0, 60], got {text!r}")
    return seconds


def _flag(text: str | None) -> bool | None:
    if text is None or text == "":
        return None
    return text.lower() in {"1", "true", "yes"}


def _local_secret(path: Path = Path(DEFAULT_SECRET_FILE)) -> str:
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


def redact_url(url: str) -> str:
    """``postgresql://user:pw@host/db`` → ``postgresql://user:***@host/db``."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in creds:
        return url
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
