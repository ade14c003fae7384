"""Packages and their published versions (with the rule source)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.context import Info
from api.graphql.errors import SourceProblem
from api.graphql.types.common import DEFAULT_PAGE, Connection, Money, Page, paginate_desc, utc
from api.services.records import PackageVersionView, PackageView
from api.store.tables import PackageVersion as PackageVersionRow


@strawberry.type
class PackageVersion:
    id: int
    package_id: int
    name: str
    version: int
    checksum: str
    file_name: str
    published_at: datetime
    source: str = strawberry.field(description="The rule file this version was compiled from.")

    @classmethod
    def from_domain(cls, view: PackageVersionView, source: str) -> PackageVersion:
        return cls(
            id=view.id,
            package_id=view.package_id,
            name=view.name,
            version=view.version,
            checksum=view.checksum,
            file_name=view.file_name,
            published_at=utc(view.published_at),
            source=source,
        )

    @classmethod
    def from_row(cls, row: PackageVersionRow, name: str) -> PackageVersion:
        assert row.id is not None
        return cls(
            id=row.id, package_id=row.package_id, name=name, version=row.version,
            checksum=row.checksum, file_name=row.file_name,
            published_at=utc(row.published_at), source=row.source,
        )  # fmt: skip


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

    @strawberry.field
    async def versions(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[PackageVersion]:
        """Published versions with their source, newest first (at most 100 per page)."""
        page = Page.of(first, after)
        rows = await info.context.loaders.package_versions.load(self.id)
        items = [PackageVersion.from_row(r, self.name) for r in rows]
        return paginate_desc(items, page, lambda v: v.version)


@strawberry.type
class Published:
    """The versions a rule file produced, and the compiler's warnings."""

    versions: list[PackageVersion]
    warnings: list[SourceProblem]
