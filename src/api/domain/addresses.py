"""E-mail addresses as clients are given them: a pragmatic syntax check (RFC 5321 sizes,
the dot-atom local part, a domain of LDH labels with a letter TLD); no DNS look-up.
Internationalised domains are accepted in their ``xn--`` form."""

from __future__ import annotations

import re

MAX_EMAIL = 254
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


def email_problem(address: str) -> str | None:
    """Why ``address`` is not an e-mail address, or ``None`` (the empty string means none
    given and is accepted)."""
    if address == "":
        return None
    local, at, domain = address.rpartition("@")
    if (
        len(address) > MAX_EMAIL
        or not at
        or len(local) > 64
        or not _LOCAL.fullmatch(local)
        or not _DOMAIN.fullmatch(domain)
    ):
        return "not an e-mail address like name@example.com"
    return None
