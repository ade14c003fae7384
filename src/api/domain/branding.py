"""A reseller's portal settings: what they hold, their defaults, and their rules.

The settings are one document per reseller (:class:`PortalSettings`, frozen). A change is a
partial document (:func:`apply_changes`): every field given is checked here, and the
result is complete. :func:`effective` is what the portal applies: the ``classic``
version keeps only the title, the welcome text and the basic services of the document
(colours, header and images fall back to the defaults, so switching back to ``branded``
brings them back unchanged).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any, TypeVar

from api.domain.errors import InvalidInput
from api.domain.mail_templates import (
    TEMPLATE_KINDS,
    MailTemplate,
    TemplateKind,
    check_template,
    default_templates,
)

E = TypeVar("E", bound=StrEnum)


class PortalVersion(StrEnum):
    CLASSIC = "classic"  # title and welcome text only; basic services
    BRANDED = "branded"  # everything


class PortalService(StrEnum):
    """What clients may use in the portal (when the version and the view allow it)."""

    ORDER_DIDS = "order_dids"
    VIEW_CDRS = "view_cdrs"
    VIEW_PAYMENTS = "view_payments"
    PAYPAL_TOPUP = "paypal_topup"
    CALL_FORWARDING = "call_forwarding"


BASIC_SERVICES = frozenset({PortalService.VIEW_CDRS, PortalService.CALL_FORWARDING})
"""The services a ``classic`` portal may offer."""


class SignupField(StrEnum):
    NAME = "name"
    COMPANY = "company"
    EMAIL = "email"
    PHONE = "phone"
    ADDRESS = "address"


COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
EMAIL = re.compile(r"[^@\s<>\"',;]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+")
LIMITS = {"title": 100, "header_text": 200, "welcome_text": 4000, "from_name": 100}
MAX_DID_PRICE = 1_000_000_000_000  # 1,000,000.00 in micro-units


@dataclass(frozen=True, slots=True)
class PortalSettings:
    """Every setting of a reseller's portal (money in micro-units)."""

    version: PortalVersion = PortalVersion.BRANDED
    title: str = "Customer portal"
    header_text: str = ""
    welcome_text: str = "Welcome to your account."
    panel_colour: str = "#f5f7fa"
    button_colour: str = "#1f6feb"
    background_colour: str = "#ffffff"
    show_sip_passwords: bool = False
    allow_password_reset: bool = True
    signup_enabled: bool = False
    signup_fields: tuple[SignupField, ...] = (SignupField.NAME, SignupField.EMAIL)
    signup_package_id: int | None = None
    signup_balance_type: str = "hard"
    signup_requires_approval: bool = True
    simple_view: bool = False
    services: tuple[PortalService, ...] = (
        PortalService.VIEW_CDRS,
        PortalService.VIEW_PAYMENTS,
        PortalService.CALL_FORWARDING,
    )
    did_monthly_price: int = 0
    did_setup_price: int = 0
    did_per_minute_price: int = 0
    from_name: str = ""  # empty: the reseller's name
    reply_to: str = ""  # empty: no Reply-To header
    templates: Mapping[TemplateKind, MailTemplate] = field(default_factory=default_templates)

    def template(self, kind: TemplateKind) -> MailTemplate:
        return self.templates[kind]

    def to_document(self) -> dict[str, Any]:
        """A JSON-ready document (stored as is; read back by :func:`from_document`)."""
        doc = asdict(self)
        doc["templates"] = {
            k.value: {"subject": t.subject, "body": t.body} for k, t in self.templates.items()
        }
        doc["signup_fields"] = [f.value for f in self.signup_fields]
        doc["services"] = [s.value for s in self.services]
        doc["version"] = self.version.value
        return doc


DEFAULTS = PortalSettings()


def from_document(doc: Mapping[str, Any]) -> PortalSettings:
    """The settings stored as ``doc``; fields missing from it (added later) take defaults."""
    return apply_changes(DEFAULTS, doc)


def apply_changes(base: PortalSettings, changes: Mapping[str, Any]) -> PortalSettings:
    """``base`` with ``changes`` (field name → new value) applied, each one checked;
    :class:`InvalidInput` names the first wrong field."""
    known = set(PortalSettings.__dataclass_fields__)
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in known:
            raise InvalidInput(name, "no such setting")
        values[name] = _check(name, value, base)
    result = replace(base, **values)
    if result.signup_enabled and SignupField.EMAIL not in result.signup_fields:
        raise InvalidInput("signupFields", "the e-mail field is always asked")
    return result


def effective(settings: PortalSettings) -> PortalSettings:
    """The settings as the portal applies them (the ``classic`` version's limits)."""
    if settings.version is PortalVersion.BRANDED:
        return settings
    return replace(
        settings,
        header_text=DEFAULTS.header_text,
        panel_colour=DEFAULTS.panel_colour,
        button_colour=DEFAULTS.button_colour,
        background_colour=DEFAULTS.background_colour,
        services=tuple(s for s in settings.services if s in BASIC_SERVICES),
    )


def shows_images(settings: PortalSettings) -> bool:
    """Logo and login background are part of the ``branded`` version only."""
    return settings.version is PortalVersion.BRANDED


def _check(name: str, value: Any, base: PortalSettings) -> Any:
    label = _camel(name)
    if name == "version":
        return _enum(PortalVersion, value, label)
    if name in LIMITS:
        return _text(value, label, LIMITS[name])
    if name.endswith("_colour"):
        if not isinstance(value, str) or not COLOUR.fullmatch(value):
            raise InvalidInput(label, "a colour is written #rrggbb (six hexadecimal digits)")
        return value.lower()
    if name in {
        "show_sip_passwords",
        "allow_password_reset",
        "signup_enabled",
        "signup_requires_approval",
        "simple_view",
    }:
        if not isinstance(value, bool):
            raise InvalidInput(label, "must be true or false")
        return value
    if name == "signup_fields":
        chosen = {_enum(SignupField, v, label) for v in _sequence(value, label)}
        chosen.add(SignupField.EMAIL)
        return tuple(f for f in SignupField if f in chosen)
    if name == "services":
        picked = {_enum(PortalService, v, label) for v in _sequence(value, label)}
        return tuple(s for s in PortalService if s in picked)
    if name == "signup_package_id":
        if value is not None and (not isinstance(value, int) or value < 1):
            raise InvalidInput(label, "a package id or null")
        return value
    if name == "signup_balance_type":
        if value not in {"soft", "hard"}:
            raise InvalidInput(label, "soft or hard")
        return value
    if name.startswith("did_"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInput(label, "an amount")
        if not 0 <= value <= MAX_DID_PRICE:
            raise InvalidInput(label, "between 0 and 1000000")
        return value
    if name == "reply_to":
        text = _text(value, label, 320).strip()
        if text and not EMAIL.fullmatch(text):
            raise InvalidInput(label, "an e-mail address, or empty")
        return text
    if name == "templates":
        return _templates(value, base)
    raise InvalidInput(label, "no such setting")  # pragma: no cover - every field is above


def _templates(value: Any, base: PortalSettings) -> dict[TemplateKind, MailTemplate]:
    if not isinstance(value, Mapping):
        raise InvalidInput("templates", "a template per e-mail")
    merged = dict(base.templates)
    for key, given in value.items():
        kind = _enum(TemplateKind, key, "templates")
        if isinstance(given, MailTemplate):
            template = given
        elif isinstance(given, Mapping):
            template = MailTemplate(str(given.get("subject", "")), str(given.get("body", "")))
        else:
            raise InvalidInput(f"templates.{kind.value}", "a subject and a body")
        merged[kind] = check_template(kind, template)
    return {k: merged[k] for k in TEMPLATE_KINDS}


def _text(value: Any, label: str, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput(label, "must be text")
    if len(value) > limit:
        raise InvalidInput(label, f"at most {limit} characters")
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise InvalidInput(label, "control characters are not allowed")
    return value


def _sequence(value: Any, label: str) -> list[Any]:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise InvalidInput(label, "a list")
    return list(value)


def _enum(kind: type[E], value: Any, label: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidInput(label, f"{value!r} is not one of: {allowed}") from None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)
