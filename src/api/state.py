"""What the application builds once in its lifespan and shares with every request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.auth.authenticate import Authenticator
from api.events import EventBus
from api.settings import Settings

if TYPE_CHECKING:
    from api.services.context import ServicesContext


@dataclass
class AppState:
    """Engine, sessionmaker, bus, services and the authenticator of one running app."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    bus: EventBus
    services: ServicesContext
    authenticator: Authenticator
