"""Operator rate decks."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.types.common import utc
from api.services.records import DeckVersionView


@strawberry.type
class DeckVersion:
    id: int
    version: str
    name: str
    row_count: int
    active: bool
    imported_at: datetime

    @classmethod
    def from_domain(cls, view: DeckVersionView) -> DeckVersion:
        return cls(
            id=view.id,
            version=view.version,
            name=view.name,
            row_count=view.row_count,
            active=view.active,
            imported_at=utc(view.imported_at),
        )
