"""Password reset through GraphQL, with the e-mails read from a real SMTP server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from api.mail.config import SmtpConfig
from api.mail.sender import MailSender
from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import CREATE_CLIENT, LOGIN, SET_LOGIN, Tenant, seed
from tests.smtp_server import Collector, smtp_server

REQUEST = """
mutation($r: String!, $l: String!) {
  requestPasswordReset(reseller: $r, login: $l) {
    __typename
    ... on PasswordResetRequested { message }
    ... on TooManyRequests { message retryAfterSeconds }
    ... on Problem { message }
    ... on InvalidInput { errors { field message } }
  }
}"""

RESET = """
mutation($t: String!, $p: String!) {
  resetPassword(token: $t, newPassword: $p) {
    __typename
    ... on PasswordResetDone { sessionsEnded }
    ... on Problem { message }
    ... on InvalidInput { errors { field message } }
  }
}"""

OLD = "correct horse battery"
NEW = "Tr0ub4dor&3-new"
ME = "{ me { role clientId } }"


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    yield from smtp_server()


async def _deliver(api: Api, port: int) -> int:
    config = SmtpConfig(host="127.0.0.1", port=port, sender="billing@pulsebill.test", timeout=5)
    return (await MailSender(api.state.services, config).drain()).sent


async def _client(api: Api, tenant: Tenant, name: str = "alice") -> int:
    made = await api.data(
        CREATE_CLIENT, tenant.reseller, input={"name": name, "email": f"{name}@example.com"}
    )
    client_id: int = made["createClient"]["id"]
    await api.data(SET_LOGIN, tenant.reseller, c=client_id, u=name, p=OLD)
    return client_id


def _code(tenant: Tenant) -> str:
    return str(100_000 + tenant.reseller_id)


def _alice(tenant: Tenant) -> str:
    """Alice's portal login in her reseller's namespace."""
    return f"{_code(tenant)}_alice"


async def test_reset_by_email_link_sets_the_password_once_and_ends_sessions(
    api: Api, smtp: tuple[Collector, int]
) -> None:
    collector, port = smtp
    tenant = await seed(api)
    await _client(api, tenant)
    session = (await api.data(LOGIN, u=_alice(tenant), p=OLD))["login"]["token"]
    asked = (await api.data(REQUEST, r=_code(tenant), l="ALICE@example.com"))[
        "requestPasswordReset"
    ]
    assert asked["__typename"] == "PasswordResetRequested"
    assert await _deliver(api, port) == 1
    [mail] = collector.messages
    assert mail.rcpt_tos == ["alice@example.com"]
    assert mail.subject == "Reset your password"
    links = re.findall(r"http://\S+/reset\?token=\S+", mail.text)
    assert len(links) == 1
    link = urlsplit(links[0])
    assert link.path == f"/p/{_code(tenant)}/reset"
    token = parse_qs(link.query)["token"][0]
    assert token in mail.html  # the HTML part carries the same link
    done = (await api.data(RESET, t=token, p=NEW))["resetPassword"]
    assert done == {"__typename": "PasswordResetDone", "sessionsEnded": 1}
    over = await api.post(ME, session)  # the old session is over
    assert over == {"data": None, "errors": [{"message": "Not authenticated"}]}
    assert (await api.data(LOGIN, u=_alice(tenant), p=OLD))["login"]["__typename"] == "LoginFailed"
    assert (await api.data(LOGIN, u=_alice(tenant), p=NEW))["login"][
        "__typename"
    ] == "PortalSession"
    again = (await api.data(RESET, t=token, p="An0ther-g00d-one"))["resetPassword"]
    assert again["__typename"] == "InvalidInput"
    assert again["errors"][0]["field"] == "token"
    assert (await api.data(LOGIN, u=_alice(tenant), p=NEW))["login"][
        "__typename"
    ] == "PortalSession"
    assert await _deliver(api, port) == 1  # the "done" e-mail
    assert collector.messages[1].subject == "Your password was changed"
    assert collector.messages[1].rcpt_tos == ["alice@example.com"]


async def test_the_answer_is_the_same_for_an_unknown_account(
    api: Api, smtp: tuple[Collector, int]
) -> None:
    tenant = await seed(api)
    await _client(api, tenant)
    known = await api.data(REQUEST, r=_code(tenant), l="alice")
    unknown = await api.data(REQUEST, r=_code(tenant), l="nobody@example.com")
    other_portal = await api.data(REQUEST, r="999999", l="alice")
    assert known == unknown == other_portal
    assert await _deliver(api, smtp[1]) == 1


async def test_a_weak_password_is_refused_and_the_link_stays_usable(
    api: Api, smtp: tuple[Collector, int]
) -> None:
    collector, port = smtp
    tenant = await seed(api)
    await _client(api, tenant)
    await api.data(REQUEST, r=_code(tenant), l="alice")
    await _deliver(api, port)
    token = re.findall(r"token=(\S+)", collector.messages[0].text)[0]
    weak = (await api.data(RESET, t=token, p="password12"))["resetPassword"]
    assert weak["__typename"] == "InvalidInput"
    assert weak["errors"][0]["field"] == "newPassword"
    with_name = (await api.data(RESET, t=token, p="Alice-1234-xyz"))["resetPassword"]
    assert "username" in with_name["errors"][0]["message"]
    assert (await api.data(RESET, t=token, p=NEW))["resetPassword"]["__typename"] == (
        "PasswordResetDone"
    )


async def test_requests_are_throttled_per_account_and_per_address(
    api: Api, smtp: tuple[Collector, int]
) -> None:
    tenant = await seed(api)
    await _client(api, tenant)
    answers = [
        (await api.data(REQUEST, r=_code(tenant), l="alice"))["requestPasswordReset"]
        for _ in range(10)
    ]
    assert {a["__typename"] for a in answers} == {"PasswordResetRequested"}
    assert await _deliver(api, smtp[1]) == 3  # per account: 3 an hour, answered alike
    eleventh = (await api.data(REQUEST, r=_code(tenant), l="alice"))["requestPasswordReset"]
    assert eleventh["__typename"] == "TooManyRequests"  # per address: 10 in 15 minutes
    assert eleventh["retryAfterSeconds"] > 0


async def test_no_reset_when_the_reseller_does_not_allow_it(
    api: Api, smtp: tuple[Collector, int]
) -> None:
    tenant = await seed(api)
    await _client(api, tenant)
    turned_off = await api.data(
        "mutation { updatePortalSettings(input: {allowPasswordReset: false}) { __typename } }",
        tenant.reseller,
    )
    assert turned_off["updatePortalSettings"]["__typename"] == "PortalSettings"
    asked = (await api.data(REQUEST, r=_code(tenant), l="alice"))["requestPasswordReset"]
    assert asked["__typename"] == "ResetNotOffered"
    assert await _deliver(api, smtp[1]) == 0
