"""The latest-version rule, written once: a package is rated, listed and billed with its
latest version (``packages.latest_version``); a published version replaces the previous
one for every client attached, from the next call on.

:func:`latest_version_of` is the join condition for SQLAlchemy queries,
:func:`latest_version_sql` the same condition for the raw SQL of the CDR road.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlmodel import col

from api.store.tables import Package, PackageVersion


def latest_version_of() -> ColumnElement[bool]:
    """``PackageVersion`` is the latest version of ``Package`` (a join condition)."""
    return (col(PackageVersion.package_id) == col(Package.id)) & (
        col(PackageVersion.version) == col(Package.latest_version)
    )


def latest_version_sql(package: str, version: str) -> str:
    """The same condition in SQL, for the aliases of ``packages`` and ``package_versions``."""
    return f"{version}.package_id = {package}.id AND {version}.version = {package}.latest_version"
