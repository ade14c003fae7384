"""Portal logins: session tokens, throttling of failures, rehash on login, logout."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import select

from api.auth.passwords import Passwords
from api.store.tables import Client
from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import LOGIN, PASSWORD, SET_LOGIN, world

ME = "{ me { role clientId } }"


async def test_login_gives_a_session_for_the_client(api: Api) -> None:
    w = await world(api)
    got = (await api.data(LOGIN, u=w.a_login, p=PASSWORD))["login"]
    assert got["token"].startswith("pbs_")
    assert got["clientId"] == w.a_client
    assert await api.data(ME, got["token"]) == {"me": {"role": "CLIENT", "clientId": w.a_client}}
    wrong = (await api.data(LOGIN, u=w.a_login, p="wrong password"))["login"]
    assert wrong == {
        "__typename": "LoginFailed", "message": "Invalid username or password",
        "retryAfterSeconds": 0,
    }  # fmt: skip


async def test_failed_logins_are_throttled_per_account(api: Api) -> None:
    w = await world(api)
    for _ in range(api.state.authenticator.portal.throttle.free_failures):
        assert (await api.data(LOGIN, u=w.a_login, p="nope nope"))["login"][
            "retryAfterSeconds"
        ] == 0
    locked = (await api.data(LOGIN, u=w.a_login, p=PASSWORD))["login"]
    assert locked["__typename"] == "LoginFailed"
    assert locked["retryAfterSeconds"] >= 1
    other = (await api.data(LOGIN, u=f"{w.a_login.upper()} ", p="x"))["login"]  # other spelling
    assert other["retryAfterSeconds"] >= 1


async def test_a_stale_hash_is_upgraded_on_login(api: Api) -> None:
    w = await world(api)

    async def stored() -> str:
        async with api.state.sessionmaker() as session:
            value = await session.scalar(
                select(Client.portal_password_hash).where(Client.id == w.a_client)  # type: ignore[arg-type]
            )
        assert value is not None
        return value

    old = await stored()
    assert "t=1," in old
    portal = api.state.authenticator.portal
    portal.passwords = Passwords(PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1))
    assert (await api.data(LOGIN, u=w.a_login, p=PASSWORD))["login"][
        "__typename"
    ] == "PortalSession"
    new = await stored()
    assert new != old
    assert "t=2," in new
    assert (await api.data(LOGIN, u=w.a_login, p=PASSWORD))["login"][
        "__typename"
    ] == "PortalSession"
    assert await stored() == new  # current parameters: not rehashed again


async def test_logout_and_a_new_password_end_sessions(api: Api) -> None:
    w = await world(api)
    assert (await api.data("mutation { logout { ok } }", w.portal))["logout"]["ok"] is True
    assert await api.data(ME, w.portal) == {"me": None}
    fresh = (await api.data(LOGIN, u=w.a_login, p=PASSWORD))["login"]["token"]
    changed = await api.data(
        SET_LOGIN, w.a.reseller, c=w.a_client, u=w.a_login, p="another secret!"
    )
    assert changed["setPortalLogin"]["sessionsEnded"] == 1
    assert await api.data(ME, fresh) == {"me": None}
    assert (await api.data(LOGIN, u=w.a_login, p=PASSWORD))["login"]["__typename"] == "LoginFailed"
