"""The switch endpoints over HTTP: tokens, JSON/form/text, bad input, CDRs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.domain.actor import Actor
from api.domain.tenants import tenant_username
from api.services import cdrs, resellers
from api.store.tables import Cdr, LedgerTransaction
from tests.api.conftest import START, World
from tests.api.services.test_reservations import dear_client
from tests.api.switch.conftest import Switch

NUMBER = "+12025550100"
MEXICO = "+525512345678"  # 0.0400 a minute, pulse 60, outside the free zone


async def hard_line(world: World, paid: int = 20_000_000) -> str:
    _, line = await world.client("Hard", balance_type="hard", paid=paid)
    return tenant_username(world.reseller_id, line)


async def test_authorize_answers_a_decision_in_json(switch: Switch, world: World) -> None:
    _, line = await world.client("Soft")
    body = await switch.ok(
        "authorize", sub_account=tenant_username(world.reseller_id, line), number=NUMBER,
        call_id="c1",
    )  # fmt: skip
    assert body == {
        "allowed": True, "max_seconds": 4 * 3600, "reason": "", "message": "", "sip_code": 200
    }  # fmt: skip


async def test_authorize_refusals_carry_their_sip_codes(switch: Switch, world: World) -> None:
    unknown = await switch.ok(
        "authorize", sub_account=f"{100000 + world.reseller_id}_ghost", number=NUMBER, call_id="1"
    )
    assert (unknown["allowed"], unknown["reason"], unknown["sip_code"]) == (
        False, "unknown_sub_account", 403,
    )  # fmt: skip
    no_code = await switch.ok("authorize", sub_account="ghost", number=NUMBER, call_id="2")
    assert (no_code["reason"], no_code["max_seconds"]) == ("unknown_sub_account", 0)
    _, broke = await world.client("Broke", balance_type="hard", paid=15_030_000)
    poor = await switch.ok(  # 0.03 left; Mexico costs 0.04 a minute (no free minutes there)
        "authorize", sub_account=tenant_username(world.reseller_id, broke), number=MEXICO,
        call_id="3",
    )  # fmt: skip
    assert poor == {
        "allowed": False, "max_seconds": 0, "reason": "insufficient_balance",
        "message": "insufficient balance", "sip_code": 402,
    }  # fmt: skip


async def test_form_in_text_out(switch: Switch, world: World) -> None:
    line = await hard_line(world)
    response = await switch.http.post(
        "/switch/authorize?format=text",
        data={"sub_account": line, "number": NUMBER, "call_id": "f1"},
        headers={"Authorization": f"Bearer {switch.token}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[0] == "allowed=1"
    assert lines[1].startswith("max_seconds=")
    assert int(lines[1].split("=")[1]) > 0
    assert lines[2:] == ["reason=", "message=", "sip_code=200"]
    by_accept = await switch.http.post(
        "/switch/authorize",
        data={"sub_account": "nobody", "number": NUMBER, "call_id": "f2"},
        headers={"Authorization": f"Bearer {switch.token}", "Accept": "text/plain"},
    )
    assert by_accept.text == (
        "allowed=0\nmax_seconds=0\nreason=unknown_sub_account\n"
        "message=unknown sub account\nsip_code=403\n"
    )


async def test_tokens_other_than_a_live_switch_token_are_refused(
    switch: Switch, world: World
) -> None:
    fields = {"sub_account": "x", "number": NUMBER, "call_id": "t"}
    for path in ("authorize", "cdr", "hangup"):
        for token in (None, "pb_not-a-token"):
            response = await switch.post(path, token, **fields)
            assert response.status_code == 401, (path, token)
            assert "switch token" in response.json()["error"]
    operator = await resellers.create_operator_token(world.ctx)
    reseller = await resellers.create_token(world.ctx, world.reseller)
    for other in (operator.token, reseller.token):
        assert (await switch.post("authorize", other, **fields)).status_code == 401
    await resellers.revoke_token(switch.state.services, Actor.operator(), switch.token_id)
    assert (await switch.post("authorize", **fields)).status_code == 401


async def test_a_switch_token_opens_nothing_but_the_switch(switch: Switch) -> None:
    response = await switch.http.post(
        "/graphql",
        json={"query": "{ viewer { role } }"},
        headers={"Authorization": f"Bearer {switch.token}"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body.get("data") is None or body["data"].get("viewer") is None
    assert "errors" in body
    with pytest.raises(Exception, match="credential"):
        await resellers.authenticate_token(switch.state.services, switch.token)
    tokens = await resellers.list_tokens(switch.state.services, Actor.operator())
    assert [(t.role, t.name) for t in tokens if t.id == switch.token_id] == [
        ("switch", "kamailio-1")
    ]


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"number": NUMBER, "call_id": "x"}, "sub_account: required"),
        ({"sub_account": "a", "call_id": "x"}, "number: required"),
        ({"sub_account": "a", "number": NUMBER}, "call_id: required"),
        ({"sub_account": ["a"], "number": NUMBER, "call_id": "x"}, "sub_account: must be"),
        ({"sub_account": "a" * 101, "number": NUMBER, "call_id": "x"}, "sub_account: at most"),
        ({"sub_account": "a\nb", "number": NUMBER, "call_id": "x"}, "sub_account: must not"),
    ],
)
async def test_authorize_bad_input_is_400_naming_the_key(
    switch: Switch, fields: dict[str, object], where: str
) -> None:
    response = await switch.post("authorize", **fields)
    assert response.status_code == 400
    assert response.json()["error"].startswith(where)


async def test_malformed_bodies_are_400(switch: Switch) -> None:
    headers = {"Authorization": f"Bearer {switch.token}", "Content-Type": "application/json"}
    bad_json = await switch.http.post("/switch/authorize", content=b"{nope", headers=headers)
    assert bad_json.status_code == 400
    assert bad_json.json()["error"].startswith("body: not JSON")
    array = await switch.http.post("/switch/authorize", content=b"[1]", headers=headers)
    assert array.json() == {"error": "body: expected a JSON object"}
    headers["Content-Type"] = "application/xml"
    xml = await switch.http.post("/switch/cdr", content=b"<a/>", headers=headers)
    assert xml.status_code == 400
    assert "application/json" in xml.json()["error"]


def cdr_fields(line: str, call_id: str, seconds: int = 60, **more: object) -> dict[str, object]:
    return {
        "call_id": call_id, "sub_account": line, "number": NUMBER,
        "start": START.isoformat(), "answered_seconds": seconds, "hangup_cause": "16", **more,
    }  # fmt: skip


async def test_cdr_is_rated_once_per_source_and_call_id(switch: Switch, world: World) -> None:
    line = await hard_line(world)
    first = await switch.ok("cdr", **cdr_fields(line, "call-1", 61, number=MEXICO))
    assert first == {"status": "rated", "reason": "", "call_id": "call-1"}
    again = await switch.ok("cdr", **cdr_fields(line, "call-1", 61, number=MEXICO))
    assert again == {"status": "duplicate", "reason": "", "call_id": "call-1"}
    stored = await cdrs.get_cdr(
        world.ctx, world.reseller, "kamailio-1", "call-1"
    )  # the token's name is the default source
    assert (stored.duration, stored.charged_seconds, stored.sell) == (61, 120, 80_000)
    other_source = await switch.ok("cdr", **cdr_fields(line, "call-1", 61, source="asterisk"))
    assert other_source["status"] == "rated"


async def test_cdr_by_form_with_epoch_start(switch: Switch, world: World) -> None:
    line = await hard_line(world)
    fields = cdr_fields(line, "e1", 30, start=str(int(START.timestamp())))
    response = await switch.post("cdr", form=True, **fields)
    assert response.json()["status"] == "rated"
    stored = await cdrs.get_cdr(world.ctx, world.reseller, "kamailio-1", "e1")
    assert stored.duration == 30


async def test_unanswered_call_is_stored_and_posts_nothing(switch: Switch, world: World) -> None:
    line = await hard_line(world)
    async with world.ctx.read() as uow:
        before = await uow.session.scalar(select(func.count()).select_from(LedgerTransaction))
    body = await switch.ok("cdr", **cdr_fields(line, "busy", 0, hangup_cause="486 Busy"))
    assert body["status"] == "rated"
    stored = await cdrs.get_cdr(world.ctx, world.reseller, "kamailio-1", "busy")
    assert (stored.duration, stored.sell, stored.cost, stored.transaction_id) == (0, 0, 0, None)
    async with world.ctx.read() as uow:
        after = await uow.session.scalar(select(func.count()).select_from(LedgerTransaction))
        count = await uow.session.scalar(select(func.count()).select_from(Cdr))
    assert (after, count) == (before, 1)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"answered_seconds": -1}, "answered_seconds: must be a whole number"),
        ({"answered_seconds": "1.5"}, "answered_seconds: must be a whole number"),
        ({"answered_seconds": None}, "answered_seconds: required"),
        ({"start": "2026-11-10T12:00:00"}, "start: an ISO 8601 time needs its UTC offset"),
        ({"start": "yesterday"}, "start: expected ISO 8601"),
        ({"start": "1e999"}, "start: expected ISO 8601"),
        ({"direction": "sideways"}, "direction: must be outbound or inbound"),
        ({"sub_account": None}, "sub_account: required"),
        ({"answered_seconds": 8 * 24 * 3600}, "answered_seconds: longer than"),
        ({"start": "1900-01-01T00:00:00+00:00"}, "start:"),
    ],
)
async def test_cdr_bad_input_is_400_and_writes_nothing(
    switch: Switch, world: World, change: dict[str, object], where: str
) -> None:
    line = await hard_line(world)
    fields = {k: v for k, v in {**cdr_fields(line, "bad"), **change}.items() if v is not None}
    response = await switch.post("cdr", **fields)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(where), response.json()
    async with world.ctx.read() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Cdr)) == 0


async def test_cdr_of_an_unknown_tenant_is_unrated_and_not_stored(
    switch: Switch, world: World
) -> None:
    body = await switch.ok("cdr", **cdr_fields("999999_ghost", "g1"))
    assert body == {"status": "unrated", "reason": "unknown_sub_account", "call_id": "g1"}
    stored_unrated = await switch.ok("cdr", **cdr_fields(f"{100000 + world.reseller_id}_x", "g2"))
    assert stored_unrated["status"] == "unrated"
    assert stored_unrated["reason"] == "unknown_sub_account"  # stored in its tenant
    did_only = await switch.ok(
        "cdr", **cdr_fields("", "g3", direction="inbound", did="+15145550199")
    )
    assert did_only == {"status": "unrated", "reason": "unknown_did", "call_id": "g3"}


async def test_hangup_answers_released(switch: Switch) -> None:
    assert await switch.ok("hangup", call_id="nothing-held") == {"released": False}
    assert (await switch.post("hangup")).status_code == 400


async def test_reservations_through_the_switch(switch: Switch, world: World) -> None:
    line = tenant_username(world.reseller_id, await dear_client(world))  # 10.00 at 1.00/min

    async def authorize(call_id: str) -> int:
        body = await switch.ok("authorize", sub_account=line, number=MEXICO, call_id=call_id)
        return int(body["max_seconds"])

    assert await authorize("A") == 600
    assert await authorize("A") == 600  # the same call again: its own hold is replaced
    assert await authorize("B") == 0
    assert await switch.ok("hangup", call_id="A") == {"released": True}
    assert await switch.ok("hangup", call_id="A") == {"released": False}
    assert await authorize("B") == 600
    body = await switch.ok("cdr", **cdr_fields(line, "B", 601, number=MEXICO))
    assert body == {"status": "rated", "reason": "", "call_id": "B"}
    stored = await cdrs.get_cdr(world.ctx, world.reseller, "kamailio-1", "B")
    assert (stored.duration, stored.charged_seconds, stored.sell) == (601, 600, 10_000_000)
    assert await switch.ok("hangup", call_id="B") == {"released": False}  # the CDR did
