"""The portal in a real browser: headless Chromium (Debian's ``/usr/bin/chromium``) driven
by Playwright, against the app served by uvicorn on a free 127.0.0.1 port.

Two resellers on two hostnames (mapped to 127.0.0.1 with ``--host-resolver-rules``):
each shows its own title, logo and button colour; a session cookie of one is refused by
the other; simple view shows "amount due"; SIP passwords appear only when shown; a
service turned off is absent; signup creates a client; a password reset runs through a
real SMTP server and the new password signs in; the PayPal form carries its fields; the
auto-connect form, served by another origin, signs in only once that origin is listed.
Screenshots of the main pages go to ``test-artifacts/portal/<backend>/`` (git-ignored).
Without Chromium the test is skipped on a developer's machine and fails with ``CI=true``.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn
from PIL import Image
from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy import select

from api.app import create_app
from api.domain.images import ImageKind
from api.mail.config import SmtpConfig
from api.mail.sender import MailSender
from api.services import branding, clients, portal_access
from api.services.paypal_settings import set_paypal_settings
from api.settings import Settings
from api.state import AppState
from api.store.tables import Client
from tests.api.graphql.conftest import FAST_PASSWORDS
from tests.api.portal.conftest import PASSWORD, Tenant, call, configure, make_tenant
from tests.conftest import Database, in_ci
from tests.smtp_server import Collector, free_port, smtp_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "portal"
ACME_HOST = "portal.acme.test"
BOLT_HOST = "portal.bolt.test"
NEW_PASSWORD = "Brand-New-Secret-42"


def require_chromium() -> None:
    """Fail the test (``CI=true``) or skip it (a developer's machine) without Chromium."""
    if CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK):
        return
    problem = f"{CHROMIUM} is missing"
    if in_ci():
        pytest.fail(f"{problem}; CI=true requires the browser tests to run")
    pytest.skip(f"{problem}; install Debian's chromium, or set CI=true to make this a failure")


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 40), colour).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Site:
    state: AppState
    port: int
    acme: Tenant
    bolt: Tenant
    smtp: tuple[Collector, int]
    shots: Path

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.port}{path}"

    async def shot(self, page: Page, name: str) -> None:
        await page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


@pytest.fixture
async def site(database: Database) -> AsyncIterator[Site]:
    require_chromium()
    port = free_port()
    settings = Settings(
        database_url=database.url,
        secret_key="browser-secret",
        public_url=f"http://127.0.0.1:{port}",
    )
    states: list[AppState] = []
    app = create_app(
        settings, engine=database.engine, passwords=FAST_PASSWORDS, on_ready=states.append
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        ctx = states[0].services
        acme = await make_tenant(ctx, "Acme", "alice")
        bolt = await make_tenant(ctx, "Bolt", "bob")
        await clients.update_client(
            ctx, acme.world.reseller, acme.client_id, email="alice@example.com"
        )
        await configure(
            ctx,
            acme.world.reseller,
            title="Acme Phone",
            welcome_text="Welcome to Acme: cheap calls to Mexico.",
            button_colour="#c0392b",
            panel_colour="#fdf2e9",
            show_sip_passwords=True,
            signup_enabled=True,
            signup_fields=["name", "email", "phone"],
            services=["view_cdrs", "paypal_topup", "order_dids"],
        )
        await configure(
            ctx,
            bolt.world.reseller,
            title="Bolt Telecom",
            button_colour="#27ae60",
            simple_view=True,
        )
        await branding.upload_image(ctx, acme.world.reseller, ImageKind.LOGO, png((192, 57, 43)))
        await branding.upload_image(ctx, bolt.world.reseller, ImageKind.LOGO, png((39, 174, 96)))
        for i in range(12):  # calls on several of the last days, for the chart
            await call(ctx, acme, f"b{i}", seconds=60 + 45 * i, hours_ago=7 + 53 * i)
        await portal_access.set_hostname(ctx, acme.world.reseller, ACME_HOST)
        await portal_access.set_hostname(ctx, bolt.world.reseller, BOLT_HOST)
        await set_paypal_settings(
            ctx, acme.world.reseller, enabled=True, email="pay@acme.example", amounts=[10, 25],
            sandbox=True,
        )  # fmt: skip
        shots = ARTIFACTS / database.backend
        shots.mkdir(parents=True, exist_ok=True)
        for collector_port in smtp_server():
            yield Site(states[0], port, acme, bolt, collector_port, shots)
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require_chromium()
    rules = f"MAP {ACME_HOST} 127.0.0.1, MAP {BOLT_HOST} 127.0.0.1"
    async with async_playwright() as p:
        launched = await p.chromium.launch(
            executable_path=str(CHROMIUM), args=[*ARGS, f"--host-resolver-rules={rules}"]
        )
        try:
            yield launched
        finally:
            await launched.close()


async def _sign_in(page: Page, site: Site, host: str, username: str, password: str) -> None:
    await page.goto(site.url(host, "/login"))
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("form[action$='/login'] button[type=submit]")
    await page.wait_for_url(re.compile(r".*/dashboard$"))


async def _button_colour(page: Page) -> str:
    colour: str = await page.eval_on_selector(
        "main button[type=submit]", "e => getComputedStyle(e).backgroundColor"
    )
    return colour


async def _logo_width(page: Page) -> int:
    width: int = await page.eval_on_selector("img.logo", "e => e.naturalWidth")
    return width


async def test_two_branded_portals_in_a_browser(site: Site, browser: Browser) -> None:
    acme_ctx = await browser.new_context(viewport={"width": 1100, "height": 800})
    bolt_ctx = await browser.new_context(viewport={"width": 1100, "height": 800})
    acme, bolt = await acme_ctx.new_page(), await bolt_ctx.new_page()

    # each login page shows its own title, logo and button colour
    await acme.goto(site.url(ACME_HOST, "/login"))
    assert await acme.title() == "Acme Phone"
    assert "cheap calls to Mexico" in await acme.inner_text("main")
    assert await _logo_width(acme) == 120
    assert await _button_colour(acme) == "rgb(192, 57, 43)"
    await site.shot(acme, "login-acme")
    await bolt.goto(site.url(BOLT_HOST, "/login"))
    assert await bolt.title() == "Bolt Telecom"
    assert await _logo_width(bolt) == 120
    assert await _button_colour(bolt) == "rgb(39, 174, 96)"
    await site.shot(bolt, "login-bolt")

    # Acme: dashboard with the balance, calls, SIP passwords, no payments page, top-up
    await _sign_in(acme, site, ACME_HOST, site.acme.username, PASSWORD)
    main = await acme.inner_text("main")
    assert "Balance" in main
    assert "Amount due" not in main
    assert await acme.locator("svg.chart").count() == 1
    menu = await acme.inner_text("nav.menu")
    assert "Calls" in menu
    assert "Payments" not in menu  # turned off
    assert "12" in await acme.inner_text("section.figures")
    await site.shot(acme, "dashboard-acme")
    await acme.click("nav.menu >> text=Calls")
    assert await acme.locator("table.calls tbody tr").count() == 12
    assert "cost" not in (await acme.inner_text("main")).lower()
    await site.shot(acme, "calls-acme")
    answer = await acme.goto(site.url(ACME_HOST, "/payments"))
    assert answer is not None
    assert answer.status == 404
    await acme.goto(site.url(ACME_HOST, "/lines"))
    assert await acme.locator("td.secret").count() == 1
    assert len((await acme.inner_text("td.secret")).strip()) >= 10
    await site.shot(acme, "sub-accounts-acme")
    await configure(site.state.services, site.acme.world.reseller, show_sip_passwords=False)
    await acme.reload()
    assert await acme.locator("td.secret").count() == 0
    assert "SIP password" not in await acme.inner_text("main")
    await acme.goto(site.url(ACME_HOST, "/topup"))
    form = acme.locator("form.paypal").first
    assert await form.get_attribute("action") == "https://www.sandbox.paypal.com/cgi-bin/webscr"
    fields = {
        name: await form.locator(f"input[name={name}]").get_attribute("value")
        for name in ("cmd", "business", "amount", "currency_code", "notify_url", "custom")
    }
    assert fields["cmd"] == "_xclick"
    assert fields["business"] == "pay@acme.example"
    assert fields["amount"] == "10.00"
    assert fields["currency_code"] == "USD"
    assert fields["notify_url"] == f"http://127.0.0.1:{site.port}/paypal/ipn/{site.acme.code}"
    assert (fields["custom"] or "").startswith(f"c{site.acme.client_id}.")
    await site.shot(acme, "topup-acme")

    # Acme's session cookie is refused by Bolt's portal
    cookies = {c["name"]: c["value"] for c in await acme_ctx.cookies(site.url(ACME_HOST, "/"))}
    assert cookies["pb_session"].startswith("pbs_")
    await bolt_ctx.add_cookies(
        [{"name": "pb_session", "value": cookies["pb_session"], "url": site.url(BOLT_HOST, "/")}]
    )
    refused = await bolt.goto(site.url(BOLT_HOST, "/dashboard"))
    assert refused is not None
    assert refused.status == 404
    assert "Acme" not in await bolt.content()
    await bolt_ctx.clear_cookies()

    # Bolt (simple view): "amount due", no sub-account page
    await _sign_in(bolt, site, BOLT_HOST, site.bolt.username, PASSWORD)
    main = await bolt.inner_text("main")
    assert "Amount due" in main
    assert "Balance" not in main
    assert "Sub accounts" not in await bolt.inner_text("nav.menu")
    await site.shot(bolt, "dashboard-bolt-simple")

    # signup on Acme's portal creates a client waiting for approval
    visitor = await browser.new_page()
    await visitor.goto(site.url(ACME_HOST, "/signup"))
    await visitor.fill("input[name=name]", "Carol Signup")
    await visitor.fill("input[name=email]", "carol@example.com")
    await visitor.fill("input[name=phone]", "+15145550123")
    await visitor.fill("input[name=username]", "carol")
    await visitor.fill("input[name=password]", "Sunny-Meadow-77")
    await site.shot(visitor, "signup-acme")
    await visitor.click("main button[type=submit]")
    assert "waits for approval" in await visitor.inner_text("main")
    async with site.state.services.read() as uow:
        row = (await uow.session.scalars(select(Client).where(Client.name == "Carol Signup"))).one()
        assert row.reseller_id == site.acme.world.reseller_id
        assert row.phone == "+15145550123"

    # a password reset through the real SMTP server; the new password signs in
    await visitor.goto(site.url(ACME_HOST, "/login"))
    await visitor.click("text=Forgotten password?")
    await visitor.fill("input[name=login]", "alice@example.com")
    await visitor.click("main button[type=submit]")
    assert "on its way" in await visitor.inner_text("main")
    collector, smtp_port = site.smtp
    config = SmtpConfig(host="127.0.0.1", port=smtp_port, sender="billing@pulsebill.test")
    await MailSender(site.state.services, config).drain()
    resets = [m for m in collector.messages if "/reset?token=" in m.text]
    assert [m.rcpt_tos for m in resets] == [["alice@example.com"]]
    link = re.search(r"http://\S+/reset\?token=[A-Za-z0-9_-]+", resets[0].text)
    assert link is not None
    await visitor.goto(link.group(0))
    await visitor.fill("input[name=password]", NEW_PASSWORD)
    await visitor.click("main button[type=submit]")
    assert "password was changed" in await visitor.inner_text("main")
    await _sign_in(visitor, site, ACME_HOST, site.acme.username, NEW_PASSWORD)
    assert "Balance" in await visitor.inner_text("main")

    for context in (acme_ctx, bolt_ctx):
        await context.close()

    await _auto_connect_from_the_resellers_own_site(site, browser, NEW_PASSWORD)


async def _auto_connect_from_the_resellers_own_site(
    site: Site, browser: Browser, password: str
) -> None:
    """The snippet of the reseller's settings, served by another origin (the reseller's
    site), signs the client in; the same form from an unlisted origin does not."""
    ctx, acme = site.state.services, site.acme
    access = await portal_access.get_access(ctx, acme.world.reseller)
    snippet = access.auto_connect_snippet.replace(f"http://{ACME_HOST}/", site.url(ACME_HOST, "/"))
    with reseller_site(snippet) as origin:
        page = await browser.new_page()
        await page.goto(f"{origin}/")
        await page.fill("input[name=username]", acme.username)
        await page.fill("input[name=password]", password)
        await page.click("button[type=submit]")
        await page.wait_for_load_state()
        # not listed yet: the normal login page, and no session
        assert await page.locator("form[action$='/login']").count() == 1
        cookies = await page.context.cookies(site.url(ACME_HOST, "/"))
        assert "pb_session" not in {c["name"] for c in cookies}
        await portal_access.set_auto_connect_origins(ctx, acme.world.reseller, [origin])
        await page.goto(f"{origin}/")
        await page.fill("input[name=username]", acme.username)
        await page.fill("input[name=password]", password)
        await page.click("button[type=submit]")
        await page.wait_for_url(site.url(ACME_HOST, "/dashboard"))
        assert "Balance" in await page.inner_text("main")  # the session cookie was kept
        await page.close()


@contextmanager
def reseller_site(html: str) -> Iterator[str]:
    """A stand-in for the reseller's own web site: one page, on another origin."""
    body = f"<!doctype html><title>Acme home</title>{html}".encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
