"""A reseller's portal settings and branding images: read, preview, change.

The settings are versioned by ``updated_at``: a change names the version it read
(``expected``; ``None`` for a reseller that never saved) and is refused with
:class:`~api.domain.errors.Conflict` when someone saved in between. A preview applies the
same checks and returns what the portal would apply, without saving.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from api.auth.clock import aware
from api.domain.actor import Actor
from api.domain.branding import (
    PortalSettings,
    apply_changes,
    effective,
    from_document,
    shows_images,
)
from api.domain.errors import Conflict, InvalidInput, NotFound
from api.domain.images import CheckedImage, ImageKind, check_image
from api.domain.tenants import reseller_code
from api.services.access import reseller_scope, tenant_of
from api.services.context import ServicesContext
from api.store.portal_settings import ImageMeta, PortalSettingsRepository
from api.store.tables import BrandingImage, Package, Reseller
from api.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class ImageInfo:
    kind: ImageKind
    content_type: str
    width: int
    height: int
    size: int
    etag: str
    url: str


@dataclass(frozen=True, slots=True)
class SettingsView:
    """The stored settings, what the portal applies, the version and the images."""

    reseller_id: int
    settings: PortalSettings
    effective: PortalSettings
    updated_at: datetime | None
    images: tuple[ImageInfo, ...]
    portal_url: str


async def settings_of(uow: UnitOfWork, tenant: int) -> tuple[PortalSettings, datetime | None]:
    """The tenant's settings (the defaults when never saved) and their version."""
    stored = await PortalSettingsRepository(uow.session).document(tenant)
    if stored is None:
        return PortalSettings(), None
    return from_document(stored[0]), stored[1]


def portal_url(ctx: ServicesContext, tenant: int) -> str:
    """The tenant's portal address: the platform's public URL and ``/p/<code>``."""
    return f"{ctx.public_url.rstrip('/')}/p/{reseller_code(tenant)}"


async def get_settings(
    ctx: ServicesContext, actor: Actor, *, reseller_id: int | None = None
) -> SettingsView:
    """The reseller's settings; a client reads its own reseller's."""
    tenant = tenant_of(actor, reseller_id)
    async with ctx.read() as uow:
        if await uow.session.get(Reseller, tenant) is None:
            raise NotFound("reseller", tenant)
        settings, updated = await settings_of(uow, tenant)
        images = await _image_infos(ctx, uow, tenant)
    return _view(ctx, tenant, settings, updated, images)


async def preview_settings(
    ctx: ServicesContext, actor: Actor, changes: Mapping[str, Any]
) -> SettingsView:
    """The settings as ``changes`` would make them (checked), without saving."""
    tenant = reseller_scope(actor)
    async with ctx.read() as uow:
        current, updated = await settings_of(uow, tenant)
        settings = apply_changes(current, changes)
        await _check_package(uow, tenant, settings)
        images = await _image_infos(ctx, uow, tenant)
    return _view(ctx, tenant, settings, updated, images)


async def update_settings(
    ctx: ServicesContext,
    actor: Actor,
    changes: Mapping[str, Any],
    *,
    expected: datetime | None,
) -> SettingsView:
    """Apply ``changes`` to the version ``expected``; :class:`Conflict` when it moved."""
    tenant = reseller_scope(actor)
    now = ctx.now()
    async with ctx.unit_of_work() as uow:
        repo = PortalSettingsRepository(uow.session)
        current, updated = await settings_of(uow, tenant)
        if not _same_version(updated, expected):
            raise Conflict("the settings changed since they were read; read them again")
        settings = apply_changes(current, changes)
        await _check_package(uow, tenant, settings)
        if updated is not None and now <= aware(updated):  # versions only move forward
            now = aware(updated) + timedelta(microseconds=1)
        saved = await repo.save(
            tenant, settings.to_document(), now, expected=updated, exists=updated is not None
        )
        if not saved:
            raise Conflict("the settings changed since they were read; read them again")
        images = await _image_infos(ctx, uow, tenant)
    return _view(ctx, tenant, settings, now, images)


async def upload_image(
    ctx: ServicesContext,
    actor: Actor,
    kind: ImageKind,
    data: bytes,
    *,
    file_name: str = "",
    declared_type: str = "",
) -> ImageInfo:
    """Check ``data`` by decoding it and store it as the reseller's ``kind`` image."""
    tenant = reseller_scope(actor)
    checked: CheckedImage = check_image(
        data, file_name=file_name, declared_type=declared_type, field="data"
    )
    async with ctx.unit_of_work() as uow:
        row = BrandingImage(
            reseller_id=tenant,
            kind=kind.value,
            content_type=checked.content_type,
            data=checked.data,
            sha256=checked.sha256,
            width=checked.width,
            height=checked.height,
            updated_at=ctx.now(),
        )
        await PortalSettingsRepository(uow.session).put_image(row)
        meta = ImageMeta(
            kind.value, checked.content_type, checked.width, checked.height,
            len(checked.data), checked.sha256,
        )  # fmt: skip
        return _info(ctx, tenant, meta)


async def delete_image(ctx: ServicesContext, actor: Actor, kind: ImageKind) -> bool:
    """Remove the reseller's ``kind`` image; ``False`` when there was none."""
    tenant = reseller_scope(actor)
    async with ctx.unit_of_work() as uow:
        return await PortalSettingsRepository(uow.session).delete_image(tenant, kind.value)


@dataclass(frozen=True, slots=True)
class ImageFile:
    content_type: str
    data: bytes
    etag: str


async def public_image(ctx: ServicesContext, tenant: int, kind: ImageKind) -> ImageFile | None:
    """The image the tenant's portal shows (none in the ``classic`` version)."""
    async with ctx.read() as uow:
        settings, _ = await settings_of(uow, tenant)
        if not shows_images(effective(settings)):
            return None
        row = await PortalSettingsRepository(uow.session).image(tenant, kind.value)
        if row is None:
            return None
        return ImageFile(row.content_type, bytes(row.data), f'"{row.sha256}"')


def _same_version(stored: datetime | None, expected: datetime | None) -> bool:
    if stored is None or expected is None:
        return stored is None and expected is None
    return _utc_key(stored) == _utc_key(expected)


def _utc_key(at: datetime) -> datetime:
    """``at`` as naive UTC (SQLite gives naive UTC values back)."""
    return at if at.tzinfo is None else at.astimezone(UTC).replace(tzinfo=None)


async def _check_package(uow: UnitOfWork, tenant: int, settings: PortalSettings) -> None:
    package_id = settings.signup_package_id
    if package_id is None:
        return
    found = await uow.session.scalar(
        select(col(Package.id)).where(
            col(Package.id) == package_id, col(Package.reseller_id) == tenant
        )
    )
    if found is None:
        raise InvalidInput("signupPackageId", f"package {package_id} not found")


async def _image_infos(ctx: ServicesContext, uow: UnitOfWork, tenant: int) -> tuple[ImageInfo, ...]:
    rows = await PortalSettingsRepository(uow.session).images(tenant)
    return tuple(_info(ctx, tenant, r) for r in rows)


def _info(ctx: ServicesContext, tenant: int, row: ImageMeta) -> ImageInfo:
    path = row.kind.replace("_", "-")
    return ImageInfo(
        ImageKind(row.kind),
        row.content_type,
        row.width,
        row.height,
        row.size,
        f'"{row.sha256}"',
        f"{ctx.public_url.rstrip('/')}/branding/{reseller_code(tenant)}/{path}",
    )


def _view(
    ctx: ServicesContext,
    tenant: int,
    settings: PortalSettings,
    updated: datetime | None,
    images: tuple[ImageInfo, ...],
) -> SettingsView:
    return SettingsView(
        tenant, settings, effective(settings), updated, images, portal_url(ctx, tenant)
    )
