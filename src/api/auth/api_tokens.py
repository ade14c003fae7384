"""Operator and reseller API tokens, verified by the token service (``api.services``)."""

from __future__ import annotations

from api.domain.actor import Actor
from api.domain.errors import ServiceError
from api.services.context import ServicesContext
from api.services.resellers import authenticate_token


async def verify_api_token(services: ServicesContext, token: str) -> Actor | None:
    """The actor of a live (unrevoked) API token, or ``None``."""
    try:
        return await authenticate_token(services, token)
    except ServiceError:
        return None
