"""Portal settings as GraphQL types, built from :mod:`api.services.branding` views."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.domain.branding import PortalService, PortalSettings, PortalVersion, SignupField
from api.domain.images import ImageKind
from api.domain.mail_templates import PLACEHOLDERS, MailTemplate, TemplateKind
from api.graphql.types.common import Money, utc
from api.services.branding import ImageInfo, SettingsView

PortalVersionType = strawberry.enum(PortalVersion, name="PortalVersion")
PortalServiceType = strawberry.enum(PortalService, name="PortalService")
SignupFieldType = strawberry.enum(SignupField, name="SignupField")
BrandingImageKind = strawberry.enum(ImageKind, name="BrandingImageKind")


@strawberry.type(name="MailTemplate")
class MailTemplateType:
    """An e-mail's subject and body; ``placeholders`` lists what it may use."""

    subject: str
    body: str
    placeholders: list[str]

    @classmethod
    def of(cls, kind: TemplateKind, template: MailTemplate) -> MailTemplateType:
        return cls(
            subject=template.subject,
            body=template.body,
            placeholders=[f"{{{p}}}" for p in sorted(PLACEHOLDERS[kind])],
        )


@strawberry.type
class MailTemplates:
    low_balance: MailTemplateType
    reset_request: MailTemplateType
    reset_done: MailTemplateType


@strawberry.type
class BrandingImage:
    """An uploaded image, served at ``url`` with its content type and ``etag``."""

    kind: ImageKind
    content_type: str
    width: int
    height: int
    size: int
    etag: str
    url: str

    @classmethod
    def of(cls, info: ImageInfo) -> BrandingImage:
        return cls(
            kind=info.kind, content_type=info.content_type, width=info.width,
            height=info.height, size=info.size, etag=info.etag, url=info.url,
        )  # fmt: skip


@strawberry.type
class PortalSettingsValues:
    """Every setting of a portal (see docs/branding.md)."""

    version: PortalVersion
    title: str
    header_text: str
    welcome_text: str
    panel_colour: str
    button_colour: str
    background_colour: str
    show_sip_passwords: bool
    allow_password_reset: bool
    signup_enabled: bool
    signup_fields: list[SignupField]
    signup_package_id: int | None
    signup_balance_type: str
    signup_requires_approval: bool
    simple_view: bool
    services: list[PortalService]
    did_monthly_price: Money
    did_setup_price: Money
    did_per_minute_price: Money
    from_name: str
    reply_to: str
    templates: MailTemplates

    @classmethod
    def of(cls, s: PortalSettings, currency: str) -> PortalSettingsValues:
        t = s.templates
        return cls(
            version=s.version, title=s.title, header_text=s.header_text,
            welcome_text=s.welcome_text, panel_colour=s.panel_colour,
            button_colour=s.button_colour, background_colour=s.background_colour,
            show_sip_passwords=s.show_sip_passwords, allow_password_reset=s.allow_password_reset,
            signup_enabled=s.signup_enabled, signup_fields=list(s.signup_fields),
            signup_package_id=s.signup_package_id, signup_balance_type=s.signup_balance_type,
            signup_requires_approval=s.signup_requires_approval, simple_view=s.simple_view,
            services=list(s.services),
            did_monthly_price=Money.of(s.did_monthly_price, currency),
            did_setup_price=Money.of(s.did_setup_price, currency),
            did_per_minute_price=Money.of(s.did_per_minute_price, currency),
            from_name=s.from_name, reply_to=s.reply_to,
            templates=MailTemplates(
                low_balance=MailTemplateType.of(
                    TemplateKind.LOW_BALANCE, t[TemplateKind.LOW_BALANCE]
                ),
                reset_request=MailTemplateType.of(
                    TemplateKind.RESET_REQUEST, t[TemplateKind.RESET_REQUEST]
                ),
                reset_done=MailTemplateType.of(TemplateKind.RESET_DONE, t[TemplateKind.RESET_DONE]),
            ),
        )  # fmt: skip


@strawberry.type(name="PortalSettings")
class PortalSettingsView:
    """A reseller's portal: the settings as saved, as the portal applies them
    (``effective``: the classic version's limits), the version to send back with a
    change (``updatedAt``, null until the first save), the images and the address."""

    reseller_id: int
    settings: PortalSettingsValues
    effective: PortalSettingsValues
    updated_at: datetime | None
    images: list[BrandingImage]
    portal_url: str

    @classmethod
    def of(cls, view: SettingsView, currency: str) -> PortalSettingsView:
        return cls(
            reseller_id=view.reseller_id,
            settings=PortalSettingsValues.of(view.settings, currency),
            effective=PortalSettingsValues.of(view.effective, currency),
            updated_at=None if view.updated_at is None else utc(view.updated_at),
            images=[BrandingImage.of(i) for i in view.images],
            portal_url=view.portal_url,
        )
