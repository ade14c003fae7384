"""The ``world`` fixture: the hand-written rows of :mod:`report_world` on each backend."""

from __future__ import annotations

import pytest
from report_world import ReportDatabase, World, build_world


@pytest.fixture
async def world(database: ReportDatabase) -> World:
    return await build_world(database)
