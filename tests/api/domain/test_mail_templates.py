"""E-mail templates: placeholders checked with their position, rendering escapes HTML."""

from __future__ import annotations

import pytest

from api.domain.errors import InvalidInput
from api.domain.mail_templates import (
    PLACEHOLDERS,
    MailTemplate,
    TemplateKind,
    check_template,
    default_templates,
    render,
)


def test_every_default_template_is_valid_and_uses_only_its_placeholders() -> None:
    for kind, template in default_templates().items():
        assert check_template(kind, template) is template
    assert "reset_link" in PLACEHOLDERS[TemplateKind.RESET_REQUEST]
    assert "reset_link" not in PLACEHOLDERS[TemplateKind.LOW_BALANCE]


def test_an_unknown_placeholder_is_refused_with_its_line_and_column() -> None:
    body = "Hello {client_name},\nyour {balanse} is low"
    with pytest.raises(InvalidInput) as caught:
        check_template(TemplateKind.LOW_BALANCE, MailTemplate("Low", body))
    assert caught.value.field == "templates.low_balance.body"
    assert "unknown placeholder {balanse} at line 2, column 6" in caught.value.detail
    assert "{balance}" in caught.value.detail  # says which ones exist


def test_a_placeholder_of_another_email_is_unknown_here() -> None:
    with pytest.raises(InvalidInput, match=r"\{reset_link\} at line 1, column 1"):
        check_template(TemplateKind.LOW_BALANCE, MailTemplate("s", "{reset_link}"))


def test_an_unmatched_brace_is_refused_and_doubled_braces_are_literal() -> None:
    with pytest.raises(InvalidInput, match="unmatched '}' at line 1, column 4"):
        check_template(TemplateKind.RESET_DONE, MailTemplate("s", "abc} x"))
    ok = MailTemplate("s", "{{not a placeholder}} {client_name}")
    assert render(check_template(TemplateKind.RESET_DONE, ok), {"client_name": "A"}).text == (
        "{not a placeholder} A"
    )


def test_a_subject_is_one_line_and_neither_part_is_empty() -> None:
    with pytest.raises(InvalidInput, match="one line"):
        check_template(TemplateKind.RESET_DONE, MailTemplate("a\nBcc: x@y", "body"))
    with pytest.raises(InvalidInput, match="must not be empty"):
        check_template(TemplateKind.RESET_DONE, MailTemplate("s", "  "))


def test_rendering_escapes_values_and_text_in_html_only() -> None:
    template = MailTemplate("Hi {client_name}", "<b>{client_name}</b> & co\n\nbye")
    mail = render(template, {"client_name": "<script>x</script>"})
    assert mail.text == "<b><script>x</script></b> & co\n\nbye"
    assert "&lt;script&gt;x&lt;/script&gt;" in mail.html
    assert "<script>" not in mail.html
    assert "&amp; co" in mail.html
    assert "<p>bye</p>" in mail.html


def test_a_value_cannot_add_a_header_line_to_the_subject() -> None:
    mail = render(MailTemplate("Hi {client_name}", "b"), {"client_name": "x\r\nBcc: a@b"})
    assert "\n" not in mail.subject
    assert "\r" not in mail.subject
