"""``pulsebill serve``'s logging shows the daily billing's lines beside uvicorn's."""

from __future__ import annotations

import logging
import logging.config
from collections.abc import Iterator

import pytest

from api.commands.serve import log_config


@pytest.fixture
def restored_logging() -> Iterator[None]:
    names = ("pulsebill", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {
        name: (list(lg.handlers), lg.level, lg.propagate, lg.disabled)
        for name in names
        for lg in [logging.getLogger(name)]
    }
    yield
    for name, (handlers, level, propagate, disabled) in saved.items():
        lg = logging.getLogger(name)
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate, lg.disabled = propagate, disabled


@pytest.mark.usefixtures("restored_logging")
def test_the_daily_billing_logs_to_the_console(capsys: pytest.CaptureFixture[str]) -> None:
    logging.config.dictConfig(log_config())
    logging.getLogger("pulsebill.billing").info("billed 2026-12-07: 1 clients")
    logging.getLogger("pulsebill.billing").debug("not shown")
    err = capsys.readouterr().err
    assert err.splitlines() == ["INFO:     billed 2026-12-07: 1 clients"]
