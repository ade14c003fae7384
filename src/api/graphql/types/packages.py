"""Packages and their published versions (with the rule source)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.errors import SourceProblem
from api.graphql.types.common import Money, utc
from api.services.views import PackageVersionView, PackageView


@strawberry.type
class PackageVersion:
    id: int
    package_id: int
    name: str
    version: int
    checksum: str
    file_name: str
    published_at: datetime

    @classmethod
    def from_domain(cls, view: PackageVersionView) -> PackageVersion:
        return cls(
            id=view.id,
            package_id=view.package_id,
            name=view.name,
            version=view.version,
            checksum=view.checksum,
            file_name=view.file_name,
            published_at=utc(view.published_at),
        )


@strawberry.type
class Package:
    id: int
    name: str
    latest_version: int
    setup_fee: Money
    monthly_fee: Money
    free_minutes: int
    created_at: datetime

    @classmethod
    def from_domain(cls, view: PackageView) -> Package:
        return cls(
            id=view.id,
            name=view.name,
            latest_version=view.latest_version,
            setup_fee=Money.of(view.setup_fee, view.currency),
            monthly_fee=Money.of(view.monthly_fee, view.currency),
            free_minutes=view.free_minutes,
            created_at=utc(view.created_at),
        )


@strawberry.type
class Published:
    """The versions a rule file produced, and the compiler's warnings."""

    versions: list[PackageVersion]
    warnings: list[SourceProblem]
