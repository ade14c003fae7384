"""Portal settings: defaults, checks of every kind of field, the classic version's limits."""

from __future__ import annotations

import pytest

from api.domain.branding import (
    DEFAULTS,
    PortalService,
    PortalVersion,
    SignupField,
    apply_changes,
    effective,
    from_document,
)
from api.domain.errors import InvalidInput
from api.domain.mail_templates import TemplateKind


def test_the_defaults_make_a_working_portal() -> None:
    assert DEFAULTS.version is PortalVersion.BRANDED
    assert DEFAULTS.title
    assert DEFAULTS.welcome_text
    assert set(DEFAULTS.templates) == set(TemplateKind)
    assert from_document({}) == DEFAULTS
    assert from_document(DEFAULTS.to_document()) == DEFAULTS


def test_a_document_round_trips() -> None:
    changed = apply_changes(
        DEFAULTS,
        {
            "panel_colour": "#AABBCC",
            "services": ["order_dids", "view_cdrs"],
            "signup_fields": ["phone"],
            "signup_enabled": True,
            "did_monthly_price": 2_500_000,
            "templates": {"reset_done": {"subject": "Done", "body": "Hi {client_name}"}},
        },
    )
    assert changed.panel_colour == "#aabbcc"
    assert changed.signup_fields == (SignupField.EMAIL, SignupField.PHONE)  # e-mail always
    assert from_document(changed.to_document()) == changed


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"button_colour": "red"}, "buttonColour", "#rrggbb"),
        ({"background_colour": "#12345"}, "backgroundColour", "#rrggbb"),
        ({"title": "x" * 101}, "title", "at most 100"),
        ({"version": "new"}, "version", "not one of"),
        ({"services": ["teleport"]}, "services", "not one of"),
        ({"signup_fields": "email"}, "signupFields", "a list"),
        ({"did_setup_price": -1}, "didSetupPrice", "between 0"),
        ({"reply_to": "not an address"}, "replyTo", "e-mail address"),
        ({"simple_view": "yes"}, "simpleView", "true or false"),
        ({"colour": "#000000"}, "colour", "no such setting"),
        ({"welcome_text": "a\x00b"}, "welcomeText", "control characters"),
        (
            {"templates": {"low_balance": {"subject": "s", "body": "{oops}"}}},
            "templates.low_balance.body",
            "unknown placeholder {oops} at line 1, column 1",
        ),
    ],
)
def test_a_wrong_setting_is_refused_naming_the_field(
    changes: dict[str, object], field: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        apply_changes(DEFAULTS, changes)
    assert caught.value.field == field
    assert says in caught.value.detail


def test_classic_keeps_title_welcome_and_basic_services_only() -> None:
    branded = apply_changes(
        DEFAULTS,
        {
            "title": "Acme",
            "welcome_text": "Hi",
            "panel_colour": "#000000",
            "header_text": "Header",
            "services": ["order_dids", "view_cdrs", "paypal_topup"],
        },
    )
    classic = effective(apply_changes(branded, {"version": "classic"}))
    assert (classic.title, classic.welcome_text) == ("Acme", "Hi")
    assert classic.panel_colour == DEFAULTS.panel_colour
    assert classic.header_text == ""
    assert classic.services == (PortalService.VIEW_CDRS,)
    assert effective(branded) == branded  # branded: as set
    # back to branded: nothing was lost
    assert (
        apply_changes(apply_changes(branded, {"version": "classic"}), {"version": "branded"})
        == branded
    )
