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
