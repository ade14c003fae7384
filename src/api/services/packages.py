"""Packages: publish rule files as immutable versions; load compiled versions for rating."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.errors import Conflict, InvalidInput, NotFound, RuleCompileFailed, SourceProblem
from api.services.access import reseller_scope, tenant_of
from api.services.context import ServicesContext
from api.services.decks import active_deck
from api.services.records import PackageVersionView, PackageView, Published
from api.services.tenancy import load_reseller
from api.store.package_versions import latest_version_of
from api.store.tables import Package, PackageVersion
from api.store.unit_of_work import UnitOfWork
from ratelang.compile import compile_source
from ratelang.errors import Diagnostic, RuleErrors
from ratelang.model import CompiledPackage

MAX_SOURCE_CHARACTERS = 200_000
"""The longest rule file :func:`publish_package` takes (GraphQL, command line, demo)."""
MAX_FILE_NAME = 200


async def publish_package(
    ctx: ServicesContext,
    actor: Actor,
    source: str,
    *,
    file_name: str = "<input>",
    reseller_id: int | None = None,
) -> Published:
    """Compile a rule file and store each of its packages as a new version.

    The source has at most :data:`MAX_SOURCE_CHARACTERS` characters, its name at most
    :data:`MAX_FILE_NAME`, else :class:`InvalidInput`. The file is compiled in a worker
    thread before the (short) writing transaction. Compile errors raise
    :class:`RuleCompileFailed` (file, line, column, message, caret) and nothing is
    stored. A package whose text is unchanged keeps its latest version.
    Calls already rated keep their price; new calls use the new version from the commit on.
    The package's currency must be the reseller's.
    """
    tenant = reseller_scope(actor, reseller_id)
    if len(source) > MAX_SOURCE_CHARACTERS:
        raise InvalidInput("source", f"at most {MAX_SOURCE_CHARACTERS} characters")
    if len(file_name) > MAX_FILE_NAME:
        raise InvalidInput("file_name", f"at most {MAX_FILE_NAME} characters")
    file_name = file_name or "<input>"
    checksum = hashlib.sha256(source.encode()).hexdigest()
    async with ctx.read() as uow:
        await load_reseller(uow, tenant)  # NotFound before compiling
        deck = await active_deck(ctx, uow)
    # Compiling takes up to a second for a large file: in a worker thread, outside any
    # transaction, so that neither the event loop nor the database waits for it.
    try:
        compiled = await asyncio.to_thread(compile_source, source, file_name, deck)
    except RuleErrors as exc:
        raise RuleCompileFailed([problem(e) for e in exc.errors]) from None
    if not compiled.packages:
        raise InvalidInput("source", "the file declares no package")
    now = ctx.now()
    try:
        async with ctx.unit_of_work() as uow:
            reseller = await load_reseller(uow, tenant)
            _check_currency(compiled.packages, reseller.currency)
            versions = [
                await _store_version(ctx, uow, tenant, p, source, file_name, checksum, now)
                for p in compiled.packages
            ]
            return Published(tuple(versions), tuple(problem(w) for w in compiled.warnings))
    except IntegrityError:
        raise Conflict("the package was published concurrently; try again") from None


def _check_currency(compiled: tuple[CompiledPackage, ...], currency: str) -> None:
    """Every package is in the reseller's currency, else :class:`RuleCompileFailed`."""
    wrong = [p for p in compiled if p.currency != currency]
    if wrong:
        raise RuleCompileFailed(
            [
                SourceProblem(
                    p.source.file,
                    p.source.line,
                    p.source.column,
                    f"package {p.name!r} is in {p.currency}, the reseller bills in {currency}",
                )
                for p in wrong
            ]
        )


async def list_packages(ctx: ServicesContext, actor: Actor) -> list[PackageView]:
    """The reseller's packages with the fees and bundle of their latest version."""
    tenant = tenant_of(actor)
    async with ctx.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(Package, col(PackageVersion.id))
            .join(
                PackageVersion,
                latest_version_of(),
            )
            .where(col(Package.reseller_id) == tenant)
            .order_by(col(Package.name))
        )
        views = []
        for package, version_id in rows:
            assert version_id is not None
            views.append(_view(package, await compiled_version(ctx, uow, version_id)))
        return views


async def get_package(ctx: ServicesContext, actor: Actor, package_id: int) -> PackageView:
    tenant = tenant_of(actor)
    async with ctx.unit_of_work() as uow:
        package, version_id = await latest_version(uow, tenant, package_id)
        return _view(package, await compiled_version(ctx, uow, version_id))


async def latest_version(uow: UnitOfWork, tenant: int, package_id: int) -> tuple[Package, int]:
    """The tenant's package and the id of its latest version, else :class:`NotFound`."""
    row = (
        await uow.session.execute(
            select(Package, col(PackageVersion.id))
            .join(
                PackageVersion,
                latest_version_of(),
            )
            .where(col(Package.id) == package_id, col(Package.reseller_id) == tenant)
        )
    ).first()
    if row is None:
        raise NotFound("package", package_id)
    package, version_id = row
    assert version_id is not None
    return package, version_id


async def compiled_version(
    ctx: ServicesContext, uow: UnitOfWork, version_id: int
) -> CompiledPackage:
    """The compiled package of one stored version (compiled once per process)."""
    cached = ctx.packages.get(version_id)
    if cached is not None:
        return cached
    row = (
        await uow.session.execute(
            select(col(PackageVersion.source), col(PackageVersion.file_name), col(Package.name))
            .join(Package, col(Package.id) == col(PackageVersion.package_id))
            .where(col(PackageVersion.id) == version_id)
        )
    ).one()
    source, file_name, name = row
    package = compile_source(source, file_name).package(name)
    return ctx.packages.put(version_id, package)


def problem(d: Diagnostic) -> SourceProblem:
    return SourceProblem(d.file, d.line, d.column, d.message, d.render())


async def _store_version(
    ctx: ServicesContext,
    uow: UnitOfWork,
    tenant: int,
    compiled: CompiledPackage,
    source: str,
    file_name: str,
    checksum: str,
    now: datetime,
) -> PackageVersionView:
    session = uow.session
    package = (
        await session.scalars(
            select(Package)
            .where(col(Package.reseller_id) == tenant, col(Package.name) == compiled.name)
            .with_for_update()
        )
    ).first()
    if package is None:
        package = Package(reseller_id=tenant, name=compiled.name, latest_version=0, created_at=now)
        session.add(package)
        await session.flush()
    assert package.id is not None
    if package.latest_version:
        latest = (
            await session.scalars(
                select(PackageVersion).where(
                    col(PackageVersion.package_id) == package.id,
                    col(PackageVersion.version) == package.latest_version,
                )
            )
        ).one()
        if latest.checksum == checksum:
            return _version_view(latest, compiled.name)
    version = PackageVersion(
        package_id=package.id,
        reseller_id=tenant,
        version=package.latest_version + 1,
        source=source,
        file_name=file_name,
        checksum=checksum,
        published_at=now,
    )
    session.add(version)
    package.latest_version = version.version
    await session.flush()
    return _version_view(version, compiled.name)


def _version_view(v: PackageVersion, name: str) -> PackageVersionView:
    assert v.id is not None
    return PackageVersionView(
        v.id, v.package_id, name, v.version, v.checksum, v.file_name, v.published_at
    )


def _view(p: Package, compiled: CompiledPackage) -> PackageView:
    assert p.id is not None
    return PackageView(
        p.id,
        p.name,
        p.latest_version,
        compiled.setup_fee,
        compiled.monthly_fee,
        compiled.free_minutes,
        compiled.currency,
        p.created_at,
    )
