"""The portal's pages over HTTP (no browser): sessions, CSRF, isolation, services."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select

from api.domain.tenants import reseller_code
from api.services.portal_signup import PENDING
from api.store.tables import Client, PortalSession
from tests.api.conftest import make_world
from tests.api.portal.conftest import Portals, call, configure
from tests.conftest import Database

DURATION = re.compile(r"<td>Mexico</td><td>(\d+)</td>")
NEXT = re.compile(r'calls\?before=(\d+)">Older calls')


async def test_login_dashboard_and_logout(portals: Portals) -> None:
    acme = portals.acme
    page = await portals.http.get(f"{acme.base}/dashboard")
    assert page.status_code == 303
    assert page.headers["location"] == f"{acme.base}/login"
    login = await portals.login(acme)
    assert login.status_code == 303, login.text
    cookie = login.headers["set-cookie"]
    assert "pb_session=pbs_" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert f"Path={acme.base}/" in cookie
    assert "Secure" not in cookie
    dashboard = await portals.http.get(f"{acme.base}/dashboard")
    assert dashboard.status_code == 200
    assert "Balance" in dashboard.text
    assert "Acme Client" in dashboard.text
    assert "<svg" in dashboard.text
    csp = dashboard.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src" not in csp
    assert "default-src 'none'" in csp
    token = await portals.csrf(f"{acme.base}/dashboard")
    out = await portals.http.post(f"{acme.base}/logout", data={"csrf": token})
    assert out.status_code == 303
    again = await portals.http.get(f"{acme.base}/dashboard")
    assert again.status_code == 303


async def test_wrong_password_is_refused(portals: Portals) -> None:
    refused = await portals.login(portals.acme, password="wrong-Password-1")
    assert refused.status_code == 401
    assert "Wrong username or password" in refused.text


async def test_client_of_another_reseller_cannot_log_in_here(portals: Portals) -> None:
    token = await portals.csrf(f"{portals.acme.base}/login")
    refused = await portals.http.post(
        f"{portals.acme.base}/login",
        data={"csrf": token, "username": portals.bolt.username, "password": "Correct-Horse-9"},
    )
    assert refused.status_code == 401


async def test_missing_or_wrong_csrf_is_403_and_writes_nothing(portals: Portals) -> None:
    acme = portals.acme
    await portals.http.get(f"{acme.base}/login")  # the CSRF cookie is set
    for data in ({}, {"csrf": "0" * 64}, {"csrf": ""}):
        refused = await portals.http.post(
            f"{acme.base}/login",
            data={**data, "username": acme.username, "password": "Correct-Horse-9"},
        )
        assert refused.status_code == 403
    async with portals.ctx.read() as uow:
        sessions = await uow.session.scalar(select(func.count()).select_from(PortalSession))
    assert sessions == 0


async def test_another_tenants_client_gets_404_on_every_page(portals: Portals) -> None:
    await portals.login(portals.bolt)
    cookie = portals.http.cookies.get("pb_session", path=f"{portals.bolt.base}/")
    assert cookie
    portals.http.cookies.set("pb_session", cookie, path=f"{portals.acme.base}/")
    for path in ("/dashboard", "/calls", "/calls.csv", "/payments", "/lines", "/dids", "/"):
        answer = await portals.http.get(f"{portals.acme.base}{path}")
        assert answer.status_code == 404, path
        assert "Acme" not in answer.text
        assert "Bolt" not in answer.text


async def test_unknown_portal_code_is_404(portals: Portals) -> None:
    assert (await portals.http.get("/p/999999/login")).status_code == 404
    assert (await portals.http.get("/p/abc/login")).status_code == 404


async def test_simple_view_shows_amount_due_and_hides_sub_accounts(portals: Portals) -> None:
    acme = portals.acme
    await configure(portals.ctx, acme.world.reseller, simple_view=True)
    await portals.login(acme)
    page = await portals.http.get(f"{acme.base}/dashboard")
    assert "Amount due" in page.text
    assert "Balance</span>" not in page.text
    assert (await portals.http.get(f"{acme.base}/lines")).status_code == 404
    assert "Sub accounts" not in page.text


async def test_sip_passwords_only_when_shown(portals: Portals) -> None:
    acme = portals.acme
    await portals.login(acme)
    hidden = await portals.http.get(f"{acme.base}/lines")
    assert acme.line in hidden.text
    assert "SIP password" not in hidden.text
    await configure(portals.ctx, acme.world.reseller, show_sip_passwords=True)
    shown = await portals.http.get(f"{acme.base}/lines")
    assert "SIP password" in shown.text
    assert 'class="secret"' in shown.text


async def test_turned_off_services_are_absent_and_404(portals: Portals) -> None:
    acme = portals.acme
    await configure(portals.ctx, acme.world.reseller, services=["view_payments"])
    await portals.login(acme)
    page = await portals.http.get(f"{acme.base}/dashboard")
    assert f'href="{acme.base}/calls"' not in page.text
    assert f'href="{acme.base}/payments"' in page.text
    assert (await portals.http.get(f"{acme.base}/calls")).status_code == 404
    assert (await portals.http.get(f"{acme.base}/calls.csv")).status_code == 404


async def test_payments_page_lists_the_ledger(portals: Portals) -> None:
    acme = portals.acme
    await portals.login(acme)
    page = await portals.http.get(f"{acme.base}/payments")
    assert page.status_code == 200
    assert "payment" in page.text
    assert "20.00 USD" in page.text
    assert "setup fee" in page.text  # the package's setup fee, as a charge


async def test_signup_creates_a_pending_client(portals: Portals) -> None:
    acme = portals.acme
    assert (await portals.http.get(f"{acme.base}/signup")).status_code == 404
    await configure(portals.ctx, acme.world.reseller, signup_enabled=True)
    form = {
        "name": "Carol",
        "email": "carol@example.com",
        "username": "carol",
        "password": "Another-Secret-7",
    }
    done = await portals.post(f"{acme.base}/signup", form)
    assert done.status_code == 200, done.text
    assert "waits for approval" in done.text
    async with portals.ctx.read() as uow:
        row = (await uow.session.scalars(select(Client).where(Client.name == "Carol"))).one()
        assert row.status == PENDING
        assert row.reseller_id == acme.world.reseller_id
        assert row.portal_username == f"{acme.code}_carol"  # in the reseller's namespace
        assert row.balance_type == "hard"
    pending = await portals.login_as("carol", "Another-Secret-7", acme)
    assert pending.status_code == 401  # a pending client cannot sign in yet


async def test_signup_honeypot_creates_nothing(portals: Portals) -> None:
    acme = portals.acme
    await configure(portals.ctx, acme.world.reseller, signup_enabled=True)
    form = {
        "name": "Robot",
        "email": "robot@example.com",
        "username": "robot",
        "password": "Another-Secret-7",
        "website": "http://spam.example",
    }
    done = await portals.post(f"{acme.base}/signup", form)
    assert done.status_code == 200
    async with portals.ctx.read() as uow:
        found = await uow.session.scalar(select(Client.id).where(Client.name == "Robot"))
    assert found is None


async def test_calls_newest_first_with_paging(portals: Portals) -> None:
    acme = portals.acme
    for i in range(55):  # inserted oldest-last: ids do not follow the start times
        await call(portals.ctx, acme, f"p{i}", seconds=10 + i, hours_ago=1 + i)
    await portals.login(acme)
    first = await portals.http.get(f"{acme.base}/calls")
    durations = [int(d) for d in DURATION.findall(first.text)]
    assert durations == list(range(10, 60))  # the newest (1 hour ago, 10 s) first
    older = NEXT.search(first.text)
    assert older is not None
    second = await portals.http.get(f"{acme.base}/calls?before={older.group(1)}")
    assert [int(d) for d in DURATION.findall(second.text)] == list(range(60, 65))
    assert NEXT.search(second.text) is None


async def test_signups_are_throttled_per_address(portals: Portals) -> None:
    acme = portals.acme
    await configure(portals.ctx, acme.world.reseller, signup_enabled=True)
    answers = []
    for i in range(6):
        form = {
            "name": f"Person {i}",
            "email": f"p{i}@example.com",
            "username": f"person{i}",
            "password": "Another-Secret-7",
        }
        answers.append((await portals.post(f"{acme.base}/signup", form)).status_code)
    assert answers == [200] * 5 + [429]
    async with portals.ctx.read() as uow:
        made = await uow.session.scalar(
            select(func.count()).select_from(Client).where(Client.name.startswith("Person"))  # type: ignore[attr-defined]
        )
    assert made == 5


POSTS = {
    "/login": {"username": "alice", "password": "Correct-Horse-9"},
    "/logout": {},
    "/signup": {
        "name": "X",
        "email": "x@example.com",
        "username": "xx1",
        "password": "Pa55-word-x",
    },
    "/forgot": {"login": "alice"},
    "/reset": {"token": "t", "password": "Another-Secret-7"},
    "/dids": {"number": "15145550001"},
}


async def test_every_form_refuses_a_missing_or_wrong_csrf_token(portals: Portals) -> None:
    acme = portals.acme
    await configure(portals.ctx, acme.world.reseller, signup_enabled=True, services=["order_dids"])
    await portals.login(acme)
    before = await _counts(portals)
    for path, data in POSTS.items():
        for token in (None, "f" * 64):
            form = dict(data) if token is None else {**data, "csrf": token}
            answer = await portals.http.post(f"{acme.base}{path}", data=form)
            assert answer.status_code == 403, path
    assert await _counts(portals) == before
    assert (await portals.http.get(f"{acme.base}/dashboard")).status_code == 200  # still in


async def _counts(portals: Portals) -> tuple[int, ...]:
    from api.store.tables import Did, MailOutbox, PasswordResetToken

    async with portals.ctx.read() as uow:
        counts = []
        for table in (Client, PortalSession, PasswordResetToken, MailOutbox, Did):
            counts.append(await uow.session.scalar(select(func.count()).select_from(table)))
        return tuple(int(c or 0) for c in counts)


async def test_secure_cookie_over_https(database: Database) -> None:
    from api.app import create_app
    from api.settings import Settings

    settings = Settings(
        database_url=database.url, secret_key="k", public_url="https://billing.example.net"
    )
    assert settings.cookies_secure
    assert not Settings(public_url="http://x.example").cookies_secure
    assert not Settings(public_url="https://x.example", secure_cookies=False).cookies_secure
    app = create_app(settings, engine=database.engine)
    async with app.router.lifespan_context(app):
        ctx = app.state.pulsebill.services
        world = await make_world(ctx)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            page = await http.get(f"/p/{reseller_code(world.reseller_id)}/login")
    assert page.status_code == 200
    assert "Secure" in page.headers["set-cookie"]
    assert "HttpOnly" in page.headers["set-cookie"]


async def test_classic_version_keeps_title_and_welcome_and_the_basic_pages(
    portals: Portals,
) -> None:
    acme = portals.acme
    await configure(
        portals.ctx,
        acme.world.reseller,
        version="classic",
        title="Acme Classic",
        welcome_text="Hello from the old portal.",
        button_colour="#123456",
        header_text="Shown only in branded",
        services=["view_cdrs", "view_payments", "call_forwarding"],
    )
    login = await portals.http.get(f"{acme.base}/login")
    assert "Acme Classic" in login.text
    assert "Hello from the old portal." in login.text
    assert "Shown only in branded" not in login.text
    css = await portals.http.get(f"{acme.base}/style.css")
    assert "--button: #1f6feb;" in css.text  # the default colour, not the branded one
    await portals.login(acme)
    page = await portals.http.get(f"{acme.base}/dashboard")
    assert f'href="{acme.base}/calls"' in page.text
    assert f'href="{acme.base}/payments"' not in page.text  # not a basic service
    assert f'href="{acme.base}/dids"' not in page.text
    assert (await portals.http.get(f"{acme.base}/payments")).status_code == 404
    assert (await portals.http.get(f"{acme.base}/dids")).status_code == 404
    assert (await portals.http.get(f"{acme.base}/lines")).status_code == 200


async def test_the_portal_url_without_a_final_slash_leads_to_the_login(portals: Portals) -> None:
    acme = portals.acme
    first = await portals.http.get(acme.base)  # as in e-mails: .../p/<code>
    assert first.status_code in {307, 308}
    assert first.headers["location"].endswith(f"{acme.base}/")
    home = await portals.http.get(f"{acme.base}/")
    assert home.status_code == 303
    assert home.headers["location"] == f"{acme.base}/login"
