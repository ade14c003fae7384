"""Portal settings documents and branding images (flush only, no commits)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.store.tables import BrandingImage, PortalSettingsRow


@dataclass(frozen=True, slots=True)
class ImageMeta:
    kind: str
    content_type: str
    width: int
    height: int
    size: int
    sha256: str


class PortalSettingsRepository:
    """One settings document per reseller; images by (reseller, kind)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def document(self, reseller_id: int) -> tuple[dict[str, Any], datetime] | None:
        """The stored document and its version; ``None``: never saved (the defaults)."""
        row = (
            await self.session.execute(
                select(col(PortalSettingsRow.document), col(PortalSettingsRow.updated_at)).where(
                    col(PortalSettingsRow.reseller_id) == reseller_id
                )
            )
        ).first()
        if row is None:
            return None
        return json.loads(row[0]), row[1]

    async def save(
        self,
        reseller_id: int,
        document: dict[str, Any],
        at: datetime,
        *,
        expected: datetime | None,
        exists: bool,
    ) -> bool:
        """Write ``document`` as version ``at`` when the stored version is still
        ``expected`` (compare-and-set); ``False``: someone saved in between."""
        text = json.dumps(document, sort_keys=True)
        if not exists:
            self.session.add(
                PortalSettingsRow(reseller_id=reseller_id, document=text, updated_at=at)
            )
            await self.session.flush()
            return True
        done = await self.session.execute(
            update(PortalSettingsRow)
            .where(
                col(PortalSettingsRow.reseller_id) == reseller_id,
                col(PortalSettingsRow.updated_at) == expected,
            )
            .values(document=text, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(done, "rowcount", 0) or 0) == 1

    async def image(self, reseller_id: int, kind: str) -> BrandingImage | None:
        return (
            await self.session.scalars(
                select(BrandingImage).where(
                    col(BrandingImage.reseller_id) == reseller_id, col(BrandingImage.kind) == kind
                )
            )
        ).first()

    async def images(self, reseller_id: int) -> list[ImageMeta]:
        """The reseller's images, described without reading their bytes."""
        rows = await self.session.execute(
            select(
                col(BrandingImage.kind),
                col(BrandingImage.content_type),
                col(BrandingImage.width),
                col(BrandingImage.height),
                func.length(col(BrandingImage.data)),
                col(BrandingImage.sha256),
            )
            .where(col(BrandingImage.reseller_id) == reseller_id)
            .order_by(col(BrandingImage.kind))
        )
        return [
            ImageMeta(str(k), str(t), int(w), int(h), int(n), str(d)) for k, t, w, h, n, d in rows
        ]

    async def put_image(self, image: BrandingImage) -> None:
        """Replace the reseller's image of that kind."""
        await self.delete_image(image.reseller_id, image.kind)
        self.session.add(image)
        await self.session.flush()

    async def delete_image(self, reseller_id: int, kind: str) -> bool:
        done = await self.session.execute(
            delete(BrandingImage)
            .where(col(BrandingImage.reseller_id) == reseller_id, col(BrandingImage.kind) == kind)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(done, "rowcount", 0) or 0) > 0
