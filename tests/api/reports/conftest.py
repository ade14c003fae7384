"""``world`` for the report tests: the hand-written rows of :mod:`report_world` on each
backend (it overrides the service-built ``world`` of ``tests/api/conftest.py``)."""

from __future__ import annotations

import pytest

from tests.api.reports.report_world import World, build_world
from tests.conftest import Database


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)
