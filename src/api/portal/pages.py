"""The portal's pages: each reads through the services, as the signed-in client.

Every POST checks the CSRF token first (403, nothing done, when it is missing or wrong),
except the auto-connect endpoint, which instead accepts only the reseller's listed
origins. A page of a service the reseller turned off answers 404.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.templating import Jinja2Templates

from api.auth.portal import LoginRefused, PortalLogin
from api.auth.rate_limit import RateLimit
from api.domain.branding import PortalService
from api.domain.errors import (
    AlreadyExists,
    InsufficientBalance,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from api.domain.images import ImageKind
from api.domain.paypal import CustomSigner
from api.portal.chart import usage_chart
from api.portal.context import NotSignedIn, Portal, load_portal, not_found, template_globals
from api.portal.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    clear_cookie,
    csrf_cookie_value,
    csrf_ok,
    csrf_token,
    secure_headers,
    set_cookie,
)
from api.reports.csv_format import text as csv_text
from api.services import clients, sub_accounts
from api.services.branding import public_image
from api.services.client_packages import list_attachments
from api.services.did_orders import client_numbers, did_offer, order_did
from api.services.login_links import redeem_login_link
from api.services.password_resets import TooManyRequests, complete_reset, request_reset
from api.services.paypal_buttons import topup_buttons
from api.services.portal_access import allowed_origins
from api.services.portal_reads import CLIENT_CALL_COLUMNS, client_calls, client_ledger, daily_usage
from api.services.portal_signup import sign_up
from ratelang.money import format_micros

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["money"] = lambda micros: format_micros(int(micros), 2)
TEMPLATES.env.filters["rate"] = lambda micros: format_micros(int(micros), 4)
PAGE = 50
CSV_PAGE = 200
CSV_MAX_ROWS = 100_000
SIGNUPS_PER_HOUR = 5  # per client address and portal, in each app (process)
HONEYPOT = "website"

Handler = Callable[[Request], Awaitable[Response]]


def page(handler: Callable[[Request, Portal], Awaitable[Response]]) -> Handler:
    """Resolve the portal, redirect to the login form when a page needs a session that
    the request does not have, and add the security headers."""

    async def run(request: Request) -> Response:
        try:
            portal = await load_portal(request)
            try:
                response = await handler(request, portal)
            except NotSignedIn:
                response = RedirectResponse(portal.url("/login"), status_code=303)
        except HTTPException as exc:  # a plain answer that names no reseller
            response = PlainTextResponse(exc.detail, status_code=exc.status_code)
        return secure_headers(response)

    return run


def render(
    request: Request, portal: Portal, name: str, status: int = 200, **context: Any
) -> Response:
    """The template ``name`` with the portal, a CSRF token for its forms (setting the
    CSRF cookie when the browser has none yet) and ``context``."""
    cookie, new = csrf_cookie_value(request)
    secret = portal.state.settings.secret_key
    response = TEMPLATES.TemplateResponse(
        request,
        name,
        {**template_globals(portal), "csrf": csrf_token(secret, cookie), **context},
        status_code=status,
    )
    if new:
        set_cookie(
            response,
            CSRF_COOKIE,
            cookie,
            path=portal.cookie_path,
            secure=portal.state.settings.cookies_secure,
        )
    return response


async def checked_form(request: Request, portal: Portal) -> FormData:
    """The posted form, after its CSRF token was checked (403 otherwise)."""
    form = await request.form()
    if not csrf_ok(portal.state.settings.secret_key, request, form.get(CSRF_FIELD)):
        raise HTTPException(403, "the form expired or came from another site; reload the page")
    return form


def _field(form: FormData, name: str, limit: int = 1024) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _signed_in(portal: Portal, login: PortalLogin) -> Response:
    response = RedirectResponse(portal.url("/dashboard"), status_code=303)
    set_cookie(
        response,
        SESSION_COOKIE,
        login.token,
        path=portal.cookie_path,
        secure=portal.state.settings.cookies_secure,
        max_age=int(portal.state.authenticator.portal.ttl.total_seconds()),
    )
    return response


def _signups(request: Request) -> RateLimit:
    """The app's signup throttle (one per app, so two apps never share counts)."""
    limit: RateLimit | None = getattr(request.app.state, "portal_signups", None)
    if limit is None:
        limit = request.app.state.portal_signups = RateLimit(SIGNUPS_PER_HOUR, 3600.0)
    return limit


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- signing in and out ------------------------------------------------------------------


@page
async def home(_request: Request, portal: Portal) -> Response:
    target = "/dashboard" if portal.actor is not None else "/login"
    return RedirectResponse(portal.url(target), status_code=303)


@page
async def login(request: Request, portal: Portal) -> Response:
    if request.method == "GET":
        if portal.actor is not None:
            return RedirectResponse(portal.url("/dashboard"), status_code=303)
        return render(request, portal, "login.html")
    form = await checked_form(request, portal)
    return await _login_with(request, portal, form)


async def _login_with(request: Request, portal: Portal, form: FormData) -> Response:
    outcome = await portal.state.authenticator.portal.login(
        _field(form, "username", 200), _field(form, "password"), tenant=portal.tenant
    )
    if isinstance(outcome, LoginRefused):
        message = (
            "Too many failed attempts; try again in a moment."
            if outcome.retry_after > 0
            else "Wrong username or password."
        )
        return render(request, portal, "login.html", status=401, error=message)
    return _signed_in(portal, outcome)


@page
async def connect(request: Request, portal: Portal) -> Response:
    """The auto-connect form posted from the reseller's own site: only from an origin the
    reseller listed; anything else gets the normal login page and nothing happens."""
    origin = request.headers.get("origin", "").rstrip("/").lower()
    if not origin or origin not in await allowed_origins(portal.state.services, portal.tenant):
        return render(request, portal, "login.html")
    return await _login_with(request, portal, await request.form())


@page
async def login_link(request: Request, portal: Portal) -> Response:
    """A single-use link from the reseller's server: logs its client in once."""
    token = request.query_params.get("token", "")
    client_id = await redeem_login_link(portal.state.services, portal.tenant, token)
    if client_id is None:
        return render(
            request, portal, "login.html", status=400, error="This link is invalid or expired."
        )
    login = await portal.state.authenticator.portal.open_session(portal.tenant, client_id)
    return _signed_in(portal, login)


@page
async def logout(request: Request, portal: Portal) -> Response:
    await checked_form(request, portal)
    if portal.token is not None:
        await portal.state.authenticator.portal.logout(portal.token)
        portal.state.authenticator.forget(portal.token)
    response = RedirectResponse(portal.url("/login"), status_code=303)
    clear_cookie(
        response,
        SESSION_COOKIE,
        path=portal.cookie_path,
        secure=portal.state.settings.cookies_secure,
    )
    return response


@page
async def forgot(request: Request, portal: Portal) -> Response:
    if not portal.brand.settings.allow_password_reset:
        raise not_found()
    if request.method == "GET":
        return render(request, portal, "forgot.html")
    form = await checked_form(request, portal)
    try:
        await request_reset(
            portal.state.services,
            portal.code,
            _field(form, "login", 320),
            address=_address(request),
        )
    except InvalidInput as exc:
        return render(request, portal, "forgot.html", status=400, error=str(exc))
    except TooManyRequests:
        return render(request, portal, "forgot.html", status=429, error="Too many requests.")
    except PermissionDenied:
        raise not_found() from None
    return render(request, portal, "forgot.html", sent=True)


@page
async def reset(request: Request, portal: Portal) -> Response:
    if not portal.brand.settings.allow_password_reset:
        raise not_found()
    if request.method == "GET":
        token = request.query_params.get("token", "")
        return render(request, portal, "reset.html", token=token)
    form = await checked_form(request, portal)
    token = _field(form, "token", 200)
    try:
        await complete_reset(
            portal.state.services,
            token,
            _field(form, "password"),
            portal.state.authenticator.portal.passwords.hash,
        )
    except InvalidInput as exc:
        return render(request, portal, "reset.html", status=400, token=token, error=str(exc))
    except PermissionDenied:
        raise not_found() from None
    return render(request, portal, "message.html", message="Your password was changed.")


@page
async def signup(request: Request, portal: Portal) -> Response:
    settings = portal.brand.settings
    if not settings.signup_enabled:
        raise not_found()
    fields = [f.value for f in settings.signup_fields]
    if request.method == "GET":
        return render(request, portal, "signup.html", fields=fields, values={})
    form = await checked_form(request, portal)
    values = {name: _field(form, name, 500) for name in fields}
    if _field(form, HONEYPOT):  # only robots fill the hidden field: pretend it worked
        return render(request, portal, "message.html", message="Thank you for signing up.")
    wait = _signups(request).hit(f"{portal.tenant}:{_address(request)}")
    if wait:
        return render(
            request,
            portal,
            "signup.html",
            status=429,
            fields=fields,
            values=values,
            error="Too many signups from your address; try again later.",
        )
    try:
        done = await sign_up(
            portal.state.services,
            portal.tenant,
            values,
            _field(form, "username", 100),
            _field(form, "password"),
            portal.state.authenticator.portal.passwords.hash,
        )
    except (InvalidInput, AlreadyExists) as exc:
        return render(
            request,
            portal,
            "signup.html",
            status=400,
            fields=fields,
            values=values,
            error=str(exc),
        )
    message = (
        "Thank you: your account waits for approval; you will be able to sign in then."
        if done.status == "pending"
        else "Thank you: your account is ready; you can sign in now."
    )
    return render(request, portal, "message.html", message=message)


# --- the client's pages ------------------------------------------------------------------


@page
async def dashboard(request: Request, portal: Portal) -> Response:
    actor = portal.signed_in()
    ctx = portal.state.services
    assert actor.client_id is not None
    client = await clients.get_client(ctx, actor, actor.client_id)
    packages = await list_attachments(ctx, actor, actor.client_id)
    usage = await daily_usage(ctx, actor)
    return render(
        request,
        portal,
        "dashboard.html",
        client=client,
        packages=packages,
        chart=usage_chart(usage, client.currency),
        total_calls=sum(d.calls for d in usage),
        total_sell=sum(d.sell for d in usage),
        low=client.balance < client.low_balance_threshold,
    )


def _before(request: Request) -> int | None:
    text = request.query_params.get("before", "")
    return int(text) if text.isdigit() and len(text) < 19 else None


@page
async def calls(request: Request, portal: Portal) -> Response:
    if not portal.offers(PortalService.VIEW_CDRS):
        raise not_found()
    actor = portal.signed_in()
    rows = await client_calls(
        portal.state.services, actor, limit=PAGE + 1, before_id=_before(request)
    )
    more = len(rows) > PAGE
    return render(
        request,
        portal,
        "calls.html",
        calls=rows[:PAGE],
        next_before=rows[PAGE - 1].id if more else None,
        currency=portal.brand.currency,
    )


CSV_COLUMNS = CLIENT_CALL_COLUMNS[1:]  # the sell-side columns, not the row id


@page
async def calls_csv(_request: Request, portal: Portal) -> Response:
    """Every call of the client (sell side only), newest first, at most 100,000 rows."""
    if not portal.offers(PortalService.VIEW_CDRS):
        raise not_found()
    actor = portal.signed_in()
    ctx = portal.state.services

    async def rows() -> AsyncIterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        before, sent = None, 0
        while sent < CSV_MAX_ROWS:
            chunk = await client_calls(ctx, actor, limit=CSV_PAGE, before_id=before)
            for c in chunk:
                writer.writerow(
                    (
                        c.started_at.isoformat(),
                        c.direction,
                        csv_text(c.number),
                        c.country,
                        csv_text(c.description),
                        c.duration,
                        c.charged_seconds,
                        format_micros(c.sell_rate),
                        format_micros(c.sell),
                        c.free_minutes_used,
                        c.status,
                    )
                )
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            sent += len(chunk)
            if len(chunk) < CSV_PAGE:
                break
            before = chunk[-1].id

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="calls.csv"'},
    )


@page
async def payments(request: Request, portal: Portal) -> Response:
    if not portal.offers(PortalService.VIEW_PAYMENTS):
        raise not_found()
    actor = portal.signed_in()
    lines = await client_ledger(
        portal.state.services, actor, limit=PAGE + 1, before_id=_before(request)
    )
    more = len(lines) > PAGE
    return render(
        request,
        portal,
        "payments.html",
        lines=lines[:PAGE],
        next_before=lines[PAGE - 1].transaction_id if more else None,
        currency=portal.brand.currency,
    )


@page
async def lines(request: Request, portal: Portal) -> Response:
    if portal.simple:
        raise not_found()
    actor = portal.signed_in()
    ctx = portal.state.services
    found = await sub_accounts.list_sub_accounts(ctx, actor)
    passwords: dict[int, str] = {}
    if portal.brand.settings.show_sip_passwords:
        for line in found:
            passwords[line.id] = await sub_accounts.reveal_password(ctx, actor, line.id)
    return render(request, portal, "lines.html", lines=found, passwords=passwords)


@page
async def dids(request: Request, portal: Portal) -> Response:
    if not portal.dids_page:
        raise not_found()
    actor = portal.signed_in()
    ctx = portal.state.services
    error = ""
    ordered = None
    if request.method == "POST":
        if not portal.offers(PortalService.ORDER_DIDS):
            raise not_found()
        form = await checked_form(request, portal)
        try:
            ordered = await order_did(ctx, actor, _field(form, "number", 32))
        except InsufficientBalance:
            error = "Your balance does not cover the setup and the first month."
        except NotFound:
            error = "That number is no longer available."
    owned = await client_numbers(ctx, actor)
    offer = await did_offer(ctx, actor) if portal.offers(PortalService.ORDER_DIDS) else None
    return render(
        request,
        portal,
        "dids.html",
        status=402 if error.startswith("Your balance") else (409 if error else 200),
        owned=owned,
        offer=offer,
        ordered=ordered,
        error=error,
        currency=portal.brand.currency,
    )


@page
async def topup(request: Request, portal: Portal) -> Response:
    """The reseller's PayPal amounts, each a form posting straight to PayPal."""
    if not portal.topup_page:
        raise not_found()
    actor = portal.signed_in()
    settings = portal.state.settings
    platform = settings.public_url or (
        str(request.base_url).rstrip("/") if portal.base else portal.state.services.public_url
    )
    here = str(request.base_url).rstrip("/") + portal.url("/dashboard")
    buttons = await topup_buttons(
        portal.state.services,
        actor,
        CustomSigner(settings.secret_key),
        platform_url=platform,
        return_url=here,
        item_name=f"{portal.brand.settings.title}: account top-up",
    )
    if not buttons:
        raise not_found()
    return render(request, portal, "topup.html", buttons=buttons, currency=portal.brand.currency)


# --- resources ---------------------------------------------------------------------------


@page
async def stylesheet(request: Request, portal: Portal) -> Response:
    response = TEMPLATES.TemplateResponse(
        request, "style.css", template_globals(portal), media_type="text/css"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


async def _image(request: Request, portal: Portal, kind: ImageKind) -> Response:
    image = await public_image(portal.state.services, portal.tenant, kind)
    if image is None:
        raise not_found()
    return Response(
        image.data,
        media_type=image.content_type,
        headers={"ETag": image.etag, "Cache-Control": "public, max-age=300, must-revalidate"},
    )


@page
async def logo(request: Request, portal: Portal) -> Response:
    return await _image(request, portal, ImageKind.LOGO)


@page
async def login_background(request: Request, portal: Portal) -> Response:
    return await _image(request, portal, ImageKind.LOGIN_BACKGROUND)
