"""Input that no store accepts gets a clean error naming where it is, never "Unexpected
error" or a 500, and writes nothing (issue #10), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import (
    CREATE_CLIENT,
    PAY,
    SUBMIT_CDR,
    SUBMIT_CDRS,
    World,
    cdr,
    row_counts,
    world,
)

REPORT = """query($f: Date!, $t: Date!, $a: String) {
  cdrReport(filter: {from: $f, to: $t}, after: $a) {
    __typename ... on InvalidInput { errors { field message } }
  }
}"""


async def _raw(api: Api, body: bytes, token: str) -> tuple[int, str]:
    response = await api.http.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    return response.status_code, response.text


def _refusals(w: World) -> list[tuple[str, str, dict[str, Any], str]]:
    """(what, document, variables, where the error must point)."""
    line = w.a_line
    return [
        ("NUL in a variable", CREATE_CLIENT, {"input": {"name": "a\x00b"}}, "input.name"),
        ("NUL in a nested list", SUBMIT_CDR, {"cdr": {**cdr("c\x00", line)}}, "cdr.callId"),
        ("threshold over BIGINT", CREATE_CLIENT,
         {"input": {"name": "x", "lowBalanceThreshold": "9223372036855"}}, "lowBalanceThreshold"),
        ("Arabic-Indic digits", PAY, {"c": w.a_client, "a": "١٠"}, "$a"),
        ("trailing newline", PAY, {"c": w.a_client, "a": "10\n"}, "$a"),
        ("start beyond the calendar in UTC", SUBMIT_CDR,
         {"cdr": {**cdr("late", line), "startedAt": "9999-12-31T23:59:59-14:00"}}, "startedAt"),
        ("report period in year 9999", REPORT, {"f": "9999-12-30", "t": "9999-12-31"}, "$f"),
    ]  # fmt: skip


async def test_values_no_store_holds_are_refused_naming_the_field(api: Api) -> None:
    w = await world(api)
    before = await row_counts(api)
    for what, document, variables, where in _refusals(w):
        body = await api.post(document, w.a.reseller, **variables)
        errors = body.get("errors") or []
        assert body.get("data") is None, what
        assert errors, what
        assert {e["extensions"]["code"] for e in errors} == {"BAD_USER_INPUT"}, what
        assert where in errors[0]["message"] or errors[0]["extensions"].get("field") == where, (
            what, errors,
        )  # fmt: skip
    assert await row_counts(api) == before


async def test_a_lone_surrogate_in_any_string_is_refused(api: Api) -> None:
    w = await world(api)
    before = await row_counts(api)
    for variables, field in (
        ({"input": {"name": "\ud800"}}, "input.name"),
        ({"input": {"name": "ok", "address": "x\udfff"}}, "input.address"),
    ):
        body = json.dumps({"query": CREATE_CLIENT, "variables": variables}).encode()
        assert b"\\ud" in body  # sent as JSON escapes, as a browser would
        status, text = await _raw(api, body, w.a.reseller)
        error = json.loads(text)["errors"][0]
        assert status == 200
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    inline = 'mutation { createClient(input: {name: "\ud800"}) { __typename } }'
    status, text = await _raw(api, json.dumps({"query": inline}).encode(), w.a.reseller)
    assert json.loads(text)["errors"][0]["extensions"]["field"] == "query"
    assert await row_counts(api) == before


async def test_inline_literals_are_checked_like_variables(api: Api) -> None:
    w = await world(api)
    before = await row_counts(api)
    documents = [
        f"mutation {{ addPayment(clientId: {w.a_client}, amount: 10) {{ __typename }} }}",
        f'mutation {{ addPayment(clientId: {w.a_client}, amount: "1e3") {{ __typename }} }}',
        'mutation { createClient(input: {name: "a\\u0000"}) { __typename } }',
        'query { cdrReport(filter: {from: "9999-12-31", to: "9999-12-31"}) { __typename } }',
    ]
    for document in documents:
        body = await api.post(document, w.a.reseller)
        errors = body["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"] * len(errors)
        assert all("Unexpected" not in e["message"] for e in errors)
        assert errors[0].get("locations") or errors[0]["extensions"].get("field") == "query"
    assert await row_counts(api) == before


@pytest.mark.parametrize(
    "cursor",
    [
        "2026-01-01T00:00:00+00:00|99999999999999999999999",
        "2026-01-01T00:00:00+00:00|" + "9" * 5000,
        "0001-01-01T00:00:00+14:00|1",
        "9999-12-31T23:59:59-14:00|1",
        "2026-01-01T00:00:00+00:00|-1",
    ],
)
async def test_a_crafted_report_cursor_is_invalid_input(api: Api, cursor: str) -> None:
    w = await world(api)
    after = base64.urlsafe_b64encode(cursor.encode()).decode()
    body = await api.data(REPORT, w.a.reseller, f="2026-01-01", t="2026-01-02", a=after)
    assert body["cdrReport"] == {
        "__typename": "InvalidInput",
        "errors": [{"field": "cursor", "message": "not a cursor returned by this report"}],
    }


async def test_a_body_that_is_not_utf8_is_a_400(api: Api) -> None:
    w = await world(api)
    status, text = await _raw(api, b'{"query": "{ me { __typename } }\xff\xfe"}', w.a.reseller)
    assert status == 400
    assert "JSON" in text


async def test_the_same_bounds_hold_at_the_csv_endpoint(api: Api) -> None:
    w = await world(api)
    response = await api.http.get(
        "/reports/cdrs.csv",
        params={"from": "9999-12-31", "to": "9999-12-31"},
        headers={"Authorization": f"Bearer {w.a.reseller}"},
    )
    assert response.status_code == 400
    assert "from" in response.text


async def test_every_error_of_an_input_comes_at_once_in_graphql_names(api: Api) -> None:
    w = await world(api)
    before = await row_counts(api)
    bad_client = {"name": "x", "billingDay": 40, "lowBalanceThreshold": "-1", "email": "no"}
    created = await api.data(CREATE_CLIENT, w.a.reseller, input=bad_client)
    fields = [e["field"] for e in created["createClient"]["errors"]]
    assert fields == ["billingDay", "lowBalanceThreshold", "email"]
    cdrs = [
        cdr("ok", w.a_line),
        {**cdr("d", w.a_line), "duration": -5},
        {**cdr("x" * 201, w.a_line), "source": ""},
    ]
    submitted = await api.data(SUBMIT_CDRS, w.a.reseller, cdrs=cdrs)
    assert [e["field"] for e in submitted["submitCdrs"]["errors"]] == [
        "cdrs[1].duration", "cdrs[2].source", "cdrs[2].callId",
    ]  # fmt: skip
    assert await row_counts(api) == before


async def test_a_deck_without_rows_or_with_an_absurd_rate_is_rejected(api: Api) -> None:
    w = await world(api)
    before = await row_counts(api)
    header = "prefix,country,description,value_rate,premium_rate\n"
    document = """mutation($c: String!) { importDeck(csv: $c) {
        __typename ... on DeckRejected { problems { line column message } } } }"""
    for csv, column in ((header, "row"), (header + "44,GB,UK,0.01,5000\n", "premium_rate")):
        body = await api.data(document, w.a.operator, c=csv)
        assert body["importDeck"]["__typename"] == "DeckRejected"
        assert [p["column"] for p in body["importDeck"]["problems"]] == [column]
    assert await row_counts(api) == before


async def test_a_charge_and_a_line_report_all_their_problems(api: Api) -> None:
    w = await world(api)
    before = await row_counts(api)
    charge = """mutation($c: Int!, $a: Decimal!, $d: String!) {
      addCharge(clientId: $c, amount: $a, description: $d) {
        __typename ... on InvalidInput { errors { field } } } }"""
    body = await api.data(charge, w.a.reseller, c=w.a_client, a="-1", d="x" * 501)
    assert body["addCharge"]["errors"] == [{"field": "amount"}, {"field": "description"}]
    line = """mutation($c: Int!, $u: String!, $p: String) {
      createSubAccount(clientId: $c, username: $u, password: $p) {
        __typename ... on InvalidInput { errors { field } } } }"""
    body = await api.data(line, w.a.reseller, c=w.a_client, u="u" * 101, p="short")
    assert body["createSubAccount"]["errors"] == [{"field": "username"}, {"field": "password"}]
    assert await row_counts(api) == before
