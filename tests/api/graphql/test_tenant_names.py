"""SIP and portal usernames: one namespace per reseller (``100001_line-b``), so a name
clashes only with the caller's own names and nothing of another tenant is confirmed."""

from __future__ import annotations

from api.domain.tenants import tenant_username
from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import LOGIN, PASSWORD, SET_LOGIN, SUBMIT_CDR, cdr, row_counts, world

CREATE_LINE = """
mutation($c: Int!, $u: String!) {
  createSubAccount(clientId: $c, username: $u) {
    __typename
    ... on SubAccountCreated { subAccount { id username shortName } }
    ... on Problem { message }
    ... on InvalidInput { errors { field message } }
  }
}"""

AUTHORIZE = """query($s: String!) { authorizeCall(subAccount: $s, number: "+15145550100") {
  ... on CallAuthorization { allowed reason } } }"""


async def test_two_resellers_name_their_lines_alike(api: Api) -> None:
    w = await world(api)  # A already has "alice-line"
    a_full = tenant_username(w.a.reseller_id, "alice-line")
    b_got = await api.data(CREATE_LINE, w.b.reseller, c=w.b_client, u="alice-line")
    line = b_got["createSubAccount"]["subAccount"]
    b_full = tenant_username(w.b.reseller_id, "alice-line")
    assert line["username"] == b_full == f"{100_000 + w.b.reseller_id}_alice-line"
    assert line["shortName"] == "alice-line"
    assert b_full != a_full
    again = await api.data(CREATE_LINE, w.b.reseller, c=w.b_client, u="alice-line")
    assert again["createSubAccount"] == {
        "__typename": "Conflict", "message": f"sub account {b_full} already exists",
    }  # fmt: skip
    full_form = await api.data(CREATE_LINE, w.b.reseller, c=w.b_client, u=b_full)
    assert full_form["createSubAccount"]["__typename"] == "Conflict"  # the same line
    other = tenant_username(w.a.reseller_id, "x-line")  # A's prefix is just text for B
    foreign = await api.data(CREATE_LINE, w.b.reseller, c=w.b_client, u=other)
    assert (
        foreign["createSubAccount"]["subAccount"]["username"] == f"{b_full[:7]}{other}"
    )  # B prefix
    assert foreign["createSubAccount"]["subAccount"]["shortName"] == other


async def test_a_name_too_long_for_the_namespace_is_invalid_and_writes_nothing(api: Api) -> None:
    w = await world(api)
    before = await row_counts(api)
    longest = 100 - len(f"{100_000 + w.a.reseller_id}_")
    got = await api.data(CREATE_LINE, w.a.reseller, c=w.a_client, u="x" * (longest + 1))
    assert got["createSubAccount"]["errors"][0]["field"] == "username"
    assert f"3..{longest} letters" in got["createSubAccount"]["errors"][0]["message"]
    assert await row_counts(api) == before
    fits = await api.data(CREATE_LINE, w.a.reseller, c=w.a_client, u="x" * longest)
    assert len(fits["createSubAccount"]["subAccount"]["username"]) == 100


async def test_portal_logins_live_in_the_resellers_namespace(api: Api) -> None:
    w = await world(api)  # A's client has the login "alice"
    mine = await api.data(SET_LOGIN, w.b.reseller, c=w.b_client, u="alice", p=PASSWORD)
    b_login = tenant_username(w.b.reseller_id, "alice")
    assert mine["setPortalLogin"] == {
        "__typename": "PortalLoginSet", "clientId": w.b_client, "username": b_login,
        "sessionsEnded": 0,
    }  # fmt: skip
    for login, client in ((w.a_login, w.a_client), (b_login, w.b_client)):
        got = (await api.data(LOGIN, u=login, p=PASSWORD))["login"]
        assert got["clientId"] == client
    short = (await api.data(LOGIN, u="alice", p=PASSWORD))["login"]
    assert short["__typename"] == "LoginFailed"  # logins are full usernames
    taken = await api.data(SET_LOGIN, w.a.reseller, c=w.a_other, u="alice", p=PASSWORD)
    assert taken["setPortalLogin"] == {
        "__typename": "Conflict", "message": f"portal username {w.a_login} already exists",
    }  # fmt: skip


async def test_calls_name_a_line_by_its_sip_username_or_short_name(api: Api) -> None:
    w = await world(api)
    a_full = tenant_username(w.a.reseller_id, "alice-line")
    await api.data(CREATE_LINE, w.b.reseller, c=w.b_client, u="b-line")
    b_full = tenant_username(w.b.reseller_id, "b-line")
    for k, name in enumerate(("alice-line", a_full)):
        got = (await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr(f"n{k}", name)))["submitCdr"]
        assert (got["status"], got["clientId"]) == ("rated", w.a_client)
        allowed = (await api.data(AUTHORIZE, w.a.reseller, s=name))["authorizeCall"]
        assert allowed["allowed"] is True
    foreign = (await api.data(SUBMIT_CDR, w.a.reseller, cdr=cdr("n9", b_full)))["submitCdr"]
    assert (foreign["status"], foreign["failureReason"]) == ("unrated", "unknown_sub_account")
    refused = (await api.data(AUTHORIZE, w.a.reseller, s=b_full))["authorizeCall"]
    assert refused == {"allowed": False, "reason": "UNKNOWN_SUB_ACCOUNT"}
    batch = """mutation($cdrs: [CdrInput!]!) { submitCdrs(cdrs: $cdrs) {
      ... on CdrBatch { rated unrated } } }"""
    cdrs = [cdr("b1", "alice-line"), cdr("b2", a_full), cdr("b3", b_full)]
    assert (await api.data(batch, w.a.reseller, cdrs=cdrs))["submitCdrs"] == {
        "rated": 2, "unrated": 1,
    }  # fmt: skip
