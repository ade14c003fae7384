"""A reseller's code: the short, public and stable name of a tenant.

The code is derived from the reseller's id (``100000 + id``), so it needs no column, can
never change, and is unique on the platform. It names the tenant where the outside world
must: SIP and portal usernames (``100001_alice``), the portal's path (``/p/100001/``) and
the PayPal IPN URL (``/paypal/ipn/100001``).
"""

from __future__ import annotations

CODE_BASE = 100_000
MAX_CODE_LENGTH = 12


def reseller_code(reseller_id: int) -> str:
    """The public code of the reseller with ``reseller_id`` (a positive id)."""
    if reseller_id < 1:
        raise ValueError(f"a reseller id is positive, got {reseller_id}")
    return str(CODE_BASE + reseller_id)


def reseller_id_from_code(code: str) -> int | None:
    """The reseller id a code names, or ``None`` when ``code`` is not a well-formed code.

    Only ASCII digits are accepted (no signs, spaces or other scripts' digits); whether
    that reseller exists is the caller's question.
    """
    if not 0 < len(code) <= MAX_CODE_LENGTH or not (code.isascii() and code.isdigit()):
        return None
    if code.startswith("0"):
        return None
    reseller_id = int(code) - CODE_BASE
    return reseller_id if reseller_id >= 1 else None


USERNAME_LENGTH = 100
"""The longest SIP or portal username, tenant prefix included (the columns' length)."""


def tenant_prefix(reseller_id: int) -> str:
    """What every SIP and portal username of the reseller starts with: ``100001_``."""
    return reseller_code(reseller_id) + "_"


def tenant_username(reseller_id: int, name: str) -> str:
    """The platform-wide username of ``name`` in the reseller's namespace.

    SIP usernames must be unique on the whole platform (the switch knows no tenants), and
    so are portal usernames; each reseller names its lines and logins in its own namespace,
    so a name can only ever clash with the same reseller's names. ``line-b`` becomes
    ``100001_line-b``; a name that already carries the reseller's own prefix is returned
    unchanged, so the short and the full form name the same line. An empty name (an
    inbound CDR that names only the DID called) stays empty: it names no line.
    """
    prefix = tenant_prefix(reseller_id)
    return name if not name or name.startswith(prefix) else prefix + name


def short_name(username: str) -> str:
    """The name the reseller gave: ``username`` without its tenant prefix (``line-b``)."""
    code, sep, rest = username.partition("_")
    return rest if sep and reseller_id_from_code(code) is not None else username


def short_name_limit(reseller_id: int) -> int:
    """The longest short name the reseller may give (its prefix takes the rest)."""
    return USERNAME_LENGTH - len(tenant_prefix(reseller_id))
