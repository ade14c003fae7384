"""Settings are read once from the environment and never show the secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import DEFAULT_DATABASE_URL, Settings, _local_secret, redact_url
from api.store.engine import normalize_url


def test_defaults_to_embedded_sqlite() -> None:
    settings = Settings.from_env({"PULSEBILL_SECRET_KEY": "k"})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert (settings.host, settings.port, settings.dev) == ("127.0.0.1", 8000, False)


def test_reads_the_environment() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://u:pw@db:5432/x",
            "PULSEBILL_PORT": "9000",
            "PULSEBILL_SECRET_KEY": "s3cret-value",
            "PULSEBILL_DEV": "1",
        }
    )
    assert settings.port == 9000
    assert settings.dev is True
    assert settings.secret_key == "s3cret-value"


def test_repr_hides_secret_and_password() -> None:
    settings = Settings(database_url="postgresql://u:pw@db/x", secret_key="s3cret-value")
    shown = repr(settings)
    assert "s3cret-value" not in shown
    assert "pw@" not in shown
    assert "u:***@db" in shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@h:5432/d", "postgresql://u:***@h:5432/d"),
        ("postgresql://u@h/d", "postgresql://u@h/d"),
        ("sqlite+aiosqlite:///./x.db", "sqlite+aiosqlite:///./x.db"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_local_secret_is_created_once_private(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    first = _local_secret(path)
    assert len(first) >= 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert _local_secret(path) == first


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("sqlite:///./a.db", "sqlite+aiosqlite:///./a.db"),
        ("postgresql://u:p@h/d", "postgresql+asyncpg://u:p@h/d"),
        ("postgres://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
    ],
)
def test_urls_get_async_drivers(url: str, normalized: str) -> None:
    assert normalize_url(url) == normalized


def test_smtp_from_a_url_or_from_parts_and_never_the_password_in_repr() -> None:
    settings = Settings.from_env(
        {
            "PULSEBILL_SECRET_KEY": "k",
            "PULSEBILL_SMTP_URL": "smtp+starttls://u%40x:p%2Fw@mail.test:2525?from=b@acme.test",
            "PULSEBILL_PUBLIC_URL": "https://bill.example.com/",
        }
    )
    smtp = settings.smtp
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.username, smtp.password) == (
        "mail.test", 2525, "u@x", "p/w",
    )  # fmt: skip
    assert (smtp.security.value, smtp.sender) == ("starttls", "b@acme.test")
    assert "p/w" not in repr(smtp)
    assert settings.public_url == "https://bill.example.com"
    parts = Settings.from_env(
        {
            "PULSEBILL_SECRET_KEY": "k",
            "PULSEBILL_SMTP_HOST": "relay",
            "PULSEBILL_SMTP_SECURITY": "tls",
            "PULSEBILL_SMTP_FROM": "b@acme.test",
        }
    ).smtp
    assert parts is not None
    assert (parts.host, parts.port, parts.security.value) == ("relay", 465, "tls")
    assert Settings.from_env({"PULSEBILL_SECRET_KEY": "k"}).smtp is None


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"PULSEBILL_SMTP_HOST": "relay"}, "PULSEBILL_SMTP_FROM"),
        ({"PULSEBILL_SMTP_URL": "smtp://relay:x?from=a@b"}, "port is not a number"),
        (
            {
                "PULSEBILL_SMTP_HOST": "r",
                "PULSEBILL_SMTP_FROM": "a@b",
                "PULSEBILL_SMTP_SECURITY": "ssl",
            },
            "none, starttls or tls",
        ),
        ({"PULSEBILL_MAIL_MAX_ATTEMPTS": "0"}, "at least 1"),
    ],
)
def test_wrong_smtp_settings_name_the_variable(env: dict[str, str], says: str) -> None:
    from api.mail.config import SmtpConfigError

    with pytest.raises(SmtpConfigError, match=says):
        Settings.from_env({"PULSEBILL_SECRET_KEY": "k", **env})


def test_switch_timeout_from_the_environment() -> None:
    assert Settings.from_env({"PULSEBILL_SECRET_KEY": "k"}).switch_timeout_seconds == 2.0
    env = {"PULSEBILL_SECRET_KEY": "k", "PULSEBILL_SWITCH_TIMEOUT": "0.25"}
    assert Settings.from_env(env).switch_timeout_seconds == 0.25
    for bad in ("0", "-1", "soon", "61"):
        with pytest.raises(ValueError, match="PULSEBILL_SWITCH_TIMEOUT"):
            Settings.from_env({"PULSEBILL_SECRET_KEY": "k", "PULSEBILL_SWITCH_TIMEOUT": bad})
