"""What the AST and the compiled model share: where a thing was written and what a
target names. Neither refers to the parser nor to the compiled model."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where something was written: file, 1-based line and column."""

    file: str
    line: int
    column: int


class ZoneKind(StrEnum):
    """What a ``rate`` or ``free_zone`` target names."""

    USA_CANADA = "usa_canada"
    COUNTRY = "country"
    PREFIX = "prefix"
