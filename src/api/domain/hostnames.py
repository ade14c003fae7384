"""A reseller's custom portal hostname and the origins of its auto-connect form.

A hostname is fully qualified (at least a host and a domain), written in IDNA (an
internationalised name is stored as its ``xn--`` form), lower case, without a final dot.
It can never be an IP address, a name without a dot (those always mean the platform), or
the platform's own host.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import idna

from api.domain.errors import InvalidInput

LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
MAX_ORIGINS = 20


def check_hostname(text: str, *, platform_host: str, field: str = "hostname") -> str:
    """``text`` as a stored hostname (ASCII, lower case); :class:`InvalidInput` otherwise."""
    name = text.strip().rstrip(".")
    if not name:
        raise InvalidInput(field, "a fully qualified host name, such as portal.example.com")
    if len(name) > 253:
        raise InvalidInput(field, "at most 253 characters")
    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError) as exc:
        raise InvalidInput(field, f"not a valid host name ({exc})") from None
    labels = ascii_name.split(".")
    if len(labels) < 2:
        raise InvalidInput(field, "must be fully qualified: a host and a domain")
    for label in labels:
        if not LABEL.fullmatch(label):
            raise InvalidInput(field, f"{label!r} is not a valid part of a host name")
    if labels[-1].isdigit():
        raise InvalidInput(field, "an IP address is not a host name")
    if ascii_name == platform_host.lower():
        raise InvalidInput(field, "this is the platform's own host")
    return ascii_name


def is_platform_host(host: str, platform_host: str) -> bool:
    """Whether a request's host (without port) means the platform itself: its own host,
    an IP address, or a name without a dot (never a reseller's, which are qualified)."""
    host = host.lower().rstrip(".")
    if host == platform_host.lower() or "." not in host or host.startswith("["):
        return True
    return host.replace(".", "").isdigit()


def check_origins(lines: list[str], field: str = "origins") -> tuple[str, ...]:
    """Origins such as ``https://www.example.com`` (scheme, host, optional port; no path)."""
    if len(lines) > MAX_ORIGINS:
        raise InvalidInput(field, f"at most {MAX_ORIGINS} origins")
    result: list[str] = []
    for i, raw in enumerate(lines):
        text = raw.strip().rstrip("/")
        where = f"{field}[{i}]"
        parts = urlsplit(text)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise InvalidInput(where, "an origin is http(s)://host[:port]")
        if parts.path or parts.query or parts.fragment or parts.username:
            raise InvalidInput(where, "an origin has no path, query or user")
        try:
            host = idna.encode(parts.hostname, uts46=True).decode("ascii").lower()
        except (idna.IDNAError, UnicodeError) as exc:
            raise InvalidInput(where, f"not a valid host name ({exc})") from None
        origin = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
        if origin not in result:
            result.append(origin)
    return tuple(result)
