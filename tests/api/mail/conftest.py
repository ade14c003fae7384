"""An SMTP server per test, and a sender configured for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.mail.config import SmtpConfig
from tests.smtp_server import Collector, smtp_server


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    yield from smtp_server()


@pytest.fixture
def smtp_config(smtp: tuple[Collector, int]) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=smtp[1], sender="billing@pulsebill.test", timeout=5)
