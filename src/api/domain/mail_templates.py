"""The three e-mail templates of a portal: placeholders, checks, defaults and rendering.

A template is text with placeholders in braces, ``{client_name}``; ``{{`` and ``}}``
write literal braces. Each e-mail has its own small set of placeholders
(:data:`PLACEHOLDERS`); an unknown one is refused when the template is saved, with its
line and column. Rendering replaces each placeholder by its value: as is in the plain
text part and the subject (control characters removed, so a value cannot add a header),
and HTML-escaped in the HTML part, whose template text is escaped too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from api.domain.errors import InvalidInput


class TemplateKind(StrEnum):
    LOW_BALANCE = "low_balance"
    RESET_REQUEST = "reset_request"
    RESET_DONE = "reset_done"


TEMPLATE_KINDS = tuple(TemplateKind)

COMMON = ("client_name", "portal_url", "reseller_name")
PLACEHOLDERS: Mapping[TemplateKind, frozenset[str]] = {
    TemplateKind.LOW_BALANCE: frozenset((*COMMON, "balance", "threshold")),
    TemplateKind.RESET_REQUEST: frozenset((*COMMON, "reset_link")),
    TemplateKind.RESET_DONE: frozenset(COMMON),
}
"""The placeholders each e-mail may use."""

MAX_SUBJECT = 200
MAX_BODY = 10_000
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True, slots=True)
class MailTemplate:
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class RenderedMail:
    """One e-mail's subject, plain-text body and HTML body, placeholders replaced."""

    subject: str
    text: str
    html: str


def default_templates() -> dict[TemplateKind, MailTemplate]:
    """The templates a new reseller starts with."""
    return {
        TemplateKind.LOW_BALANCE: MailTemplate(
            "Your balance is low",
            "Hello {client_name},\n\nYour balance is {balance}, below {threshold}.\n"
            "Please top up your account: {portal_url}\n\n{reseller_name}",
        ),
        TemplateKind.RESET_REQUEST: MailTemplate(
            "Reset your password",
            "Hello {client_name},\n\nSomeone asked to reset the password of your account.\n"
            "To choose a new one, open this link within one hour:\n{reset_link}\n\n"
            "If it was not you, ignore this e-mail; your password stays as it is.\n\n"
            "{reseller_name}",
        ),
        TemplateKind.RESET_DONE: MailTemplate(
            "Your password was changed",
            "Hello {client_name},\n\nThe password of your account was just changed and "
            "every open session was ended.\nIf it was not you, contact us at once.\n\n"
            "{portal_url}\n{reseller_name}",
        ),
    }


def check_template(kind: TemplateKind, template: MailTemplate) -> MailTemplate:
    """``template`` when its placeholders are known to ``kind`` and its braces balanced;
    else :class:`InvalidInput` naming the part, the line and the column."""
    for part, text, limit in (
        ("subject", template.subject, MAX_SUBJECT),
        ("body", template.body, MAX_BODY),
    ):
        where = f"templates.{kind.value}.{part}"
        if not text.strip():
            raise InvalidInput(where, "must not be empty")
        if len(text) > limit:
            raise InvalidInput(where, f"at most {limit} characters")
        if part == "subject" and ("\n" in text or "\r" in text):
            raise InvalidInput(where, "a subject is one line")
        for match in _TOKEN.finditer(text):
            token, name = match.group(0), match.group(1)
            if token in {"{{", "}}"}:
                continue
            line, column = _position(text, match.start())
            if name is None:
                raise InvalidInput(
                    where,
                    f"unmatched {token!r} at line {line}, column {column} "
                    "(write {{ or }} for a literal brace)",
                )
            if name not in PLACEHOLDERS[kind]:
                allowed = ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS[kind]))
                raise InvalidInput(
                    where,
                    f"unknown placeholder {{{name}}} at line {line}, column {column}; "
                    f"this e-mail knows {allowed}",
                )
    return template


def render(template: MailTemplate, values: Mapping[str, str]) -> RenderedMail:
    """``template`` with ``values`` in place (a checked template; a missing value is empty)."""
    subject = _CONTROL.sub(" ", _fill(template.subject, values, escape=False))
    text = _fill(template.body, values, escape=False)
    body = _fill(template.body, values, escape=True)
    paragraphs = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in body.split("\n\n"))
    page = f'<!DOCTYPE html><html><body style="font-family:sans-serif">{paragraphs}</body></html>'
    return RenderedMail(subject=subject.strip(), text=text, html=page)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _fill(text: str, values: Mapping[str, str], *, escape: bool) -> str:
    out: list[str] = []
    last = 0
    for match in _TOKEN.finditer(text):
        out.append(_maybe_escape(text[last : match.start()], escape))
        token, name = match.group(0), match.group(1)
        if token in {"{{", "}}"}:
            out.append(token[0])
        elif name is not None:
            out.append(_maybe_escape(values.get(name, ""), escape))
        else:
            out.append(_maybe_escape(token, escape))
        last = match.end()
    out.append(_maybe_escape(text[last:], escape))
    return "".join(out)


def _maybe_escape(text: str, escape: bool) -> str:
    return html.escape(text, quote=True) if escape else text


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset``."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column
