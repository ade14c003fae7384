"""Portal settings: read, preview and change them; upload and remove branding images.

Images come as base64 text in the GraphQL request (at most 512 KiB once decoded), with
an optional file name and declared type that must agree with what the bytes are.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from api.domain import errors as domain
from api.domain.branding import PortalService, PortalVersion, SignupField
from api.domain.images import MAX_BYTES, ImageKind
from api.graphql.context import Info
from api.graphql.errors import Conflict, InvalidInput, NotFound, common_problem, invalid
from api.graphql.scalars import to_micros
from api.graphql.types.branding import BrandingImage, PortalSettingsView
from api.services import branding
from api.services.branding import SettingsView

MAX_BASE64 = (MAX_BYTES + 2) // 3 * 4 + 4


@strawberry.input
class MailTemplateInput:
    subject: str
    body: str


@strawberry.input
class MailTemplatesInput:
    low_balance: MailTemplateInput | None = None
    reset_request: MailTemplateInput | None = None
    reset_done: MailTemplateInput | None = None


@strawberry.input
class PortalSettingsInput:
    """The settings to change; what is left out stays as it is."""

    version: PortalVersion | None = None
    title: str | None = None
    header_text: str | None = None
    welcome_text: str | None = None
    panel_colour: str | None = None
    button_colour: str | None = None
    background_colour: str | None = None
    show_sip_passwords: bool | None = None
    allow_password_reset: bool | None = None
    signup_enabled: bool | None = None
    signup_fields: list[SignupField] | None = None
    signup_package_id: int | None = strawberry.UNSET
    signup_balance_type: str | None = None
    signup_requires_approval: bool | None = None
    simple_view: bool | None = None
    services: list[PortalService] | None = None
    did_monthly_price: Decimal | None = None
    did_setup_price: Decimal | None = None
    did_per_minute_price: Decimal | None = None
    from_name: str | None = None
    reply_to: str | None = None
    templates: MailTemplatesInput | None = None


PortalSettingsResult = Annotated[
    PortalSettingsView | InvalidInput | Conflict | NotFound,
    strawberry.union("PortalSettingsResult"),
]
BrandingImageResult = Annotated[
    BrandingImage | InvalidInput, strawberry.union("BrandingImageResult")
]


@strawberry.type
class BrandingImageRemoved:
    kind: ImageKind
    removed: bool


async def portal_settings(info: Info, reseller_id: int | None = None) -> PortalSettingsResult:
    """The portal settings of the caller's reseller (a client reads its reseller's; the
    operator names one)."""
    context = info.context
    actor = context.require()
    try:
        view = await branding.get_settings(context.services, actor, reseller_id=reseller_id)
    except domain.ServiceError as exc:
        return common_problem(exc)
    return await _result(info, view)


async def portal_settings_preview(info: Info, input: PortalSettingsInput) -> PortalSettingsResult:
    """The settings as ``input`` would make them, checked, without saving them."""
    context = info.context
    actor = context.require_role("reseller")
    try:
        view = await branding.preview_settings(context.services, actor, _changes(input))
    except domain.ServiceError as exc:
        return common_problem(exc)
    return await _result(info, view)


async def update_portal_settings(
    info: Info, input: PortalSettingsInput, expected_updated_at: datetime | None = None
) -> PortalSettingsResult:
    """Change the settings read at version ``expectedUpdatedAt`` (null: never saved);
    ``Conflict`` when they were saved since."""
    context = info.context
    actor = context.require_role("reseller")
    try:
        view = await branding.update_settings(
            context.services, actor, _changes(input), expected=expected_updated_at
        )
    except domain.ServiceError as exc:
        return common_problem(exc)
    return await _result(info, view)


async def upload_branding_image(
    info: Info,
    kind: ImageKind,
    data_base64: str,
    file_name: str = "",
    content_type: str = "",
) -> BrandingImageResult:
    """Store the logo or login background (PNG, JPEG or WebP, at most 512 KiB)."""
    context = info.context
    actor = context.require_role("reseller")
    if len(data_base64) > MAX_BASE64:
        return invalid("dataBase64", f"at most {MAX_BYTES} bytes (512 KiB) once decoded")
    try:
        data = base64.b64decode(data_base64, validate=True)
    except (binascii.Error, ValueError):
        return invalid("dataBase64", "not valid base64")
    try:
        stored = await branding.upload_image(
            context.services,
            actor,
            kind,
            data,
            file_name=file_name[:200],
            declared_type=content_type[:100],
        )
    except domain.InvalidInput as exc:
        return invalid("dataBase64" if exc.field == "data" else exc.field, exc.detail)
    return BrandingImage.of(stored)


async def delete_branding_image(info: Info, kind: ImageKind) -> BrandingImageRemoved:
    """Remove the logo or login background (the portal then shows none)."""
    context = info.context
    actor = context.require_role("reseller")
    removed = await branding.delete_image(context.services, actor, kind)
    return BrandingImageRemoved(kind=kind, removed=removed)


async def _result(info: Info, view: SettingsView) -> PortalSettingsView:
    return PortalSettingsView.of(view, await info.context.tenant_currency(view.reseller_id))


def _changes(value: PortalSettingsInput) -> dict[str, Any]:
    """The fields given, as the domain names them (money in micro-units)."""
    changes: dict[str, Any] = {}
    for name in PortalSettingsInput.__annotations__:
        given = getattr(value, name)
        if given is None or given is strawberry.UNSET:
            if name == "signup_package_id" and given is None:
                changes[name] = None  # null clears it
            continue
        if name == "templates":
            changes[name] = {
                kind: {"subject": t.subject, "body": t.body}
                for kind in ("low_balance", "reset_request", "reset_done")
                if (t := getattr(given, kind)) is not None
            }
        elif name.startswith("did_"):
            if given < 0:
                raise domain.InvalidInput(_camel(name), "must not be negative")
            changes[name] = to_micros(given)
        else:
            changes[name] = given
    return changes


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)
