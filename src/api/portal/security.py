"""Cookies, CSRF tokens and the security headers of every portal response.

The session cookie holds a portal session token (``HttpOnly``, ``SameSite=Lax``,
``Secure`` over HTTPS, no ``Domain``: scoped to the host, and to ``/p/<code>/`` on the
platform's host). CSRF is a signed double submit: a random ``pb_csrf`` cookie and, in
every form, the HMAC of it under the platform's secret, so a page of another site can
neither read nor forge it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "pb_session"
CSRF_COOKIE = "pb_csrf"
CSRF_FIELD = "csrf"
PAYPAL_ORIGINS = "https://www.paypal.com https://www.sandbox.paypal.com"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; "
    f"form-action 'self' {PAYPAL_ORIGINS}; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # links carry single-use tokens
    "Cache-Control": "no-store",
}


def secure_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def csrf_cookie_value(request: Request) -> tuple[str, bool]:
    """The request's CSRF cookie, or a new one (``True``: it must be set on the response)."""
    value = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(value) <= 100:
        return value, False
    return secrets.token_urlsafe(24), True


def csrf_token(secret: str, cookie: str) -> str:
    """The form token that goes with the CSRF cookie ``cookie``."""
    return hmac.new(secret.encode(), f"csrf:{cookie}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: str, request: Request, submitted: object) -> bool:
    """Whether the form's token matches the request's CSRF cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(csrf_token(secret, cookie), submitted)


def set_cookie(
    response: Response,
    name: str,
    value: str,
    *,
    path: str,
    secure: bool,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response, name: str, *, path: str, secure: bool) -> None:
    response.delete_cookie(name, path=path, secure=secure, httponly=True, samesite="lax")
