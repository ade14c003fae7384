"""The CSV downloads through a tiny Starlette app, on both databases."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from syrupy.assertion import SnapshotAssertion

from api.domain.actor import Actor
from api.reports.http import cdr_csv, financial_csv, profit_csv
from tests.api.reports.report_world import World

FEBRUARY = "from=2026-02-01&to=2026-02-28&tz=America/New_York"


class ActorFromHeader(BaseHTTPMiddleware):
    """Test stand-in for authentication: ``X-Actor: reseller:1`` or ``client:1:2``."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        role, *ids = request.headers.get("x-actor", "").split(":")
        if role == "operator":
            request.state.actor = Actor.operator()
        elif role == "reseller":
            request.state.actor = Actor.reseller(int(ids[0]))
        elif role == "client":
            request.state.actor = Actor.client(int(ids[0]), int(ids[1]))
        return await call_next(request)


@pytest.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(
        routes=[
            Route("/reports/cdrs.csv", cdr_csv),
            Route("/reports/profit.csv", profit_csv),
            Route("/reports/financial.csv", financial_csv),
        ]
    )
    app.add_middleware(ActorFromHeader)
    app.state.sessionmaker = world.db.sessionmaker
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        http.headers["x-actor"] = f"reseller:{world.acme}"
        yield http


def table(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_cdr_csv(client: httpx.AsyncClient, snapshot: SnapshotAssertion) -> None:
    response = await client.get(f"/reports/cdrs.csv?{FEBRUARY}")
    disposition = response.headers["content-disposition"]
    assert disposition == 'attachment; filename="cdrs-2026-02-01-2026-02-28.csv"'
    assert response.text == snapshot


async def test_cdr_csv_money_is_exact_and_adds_up(client: httpx.AsyncClient) -> None:
    rows = table(await client.get(f"/reports/cdrs.csv?{FEBRUARY}"))
    assert sum(Decimal(row["sell"]) for row in rows) == Decimal("0.095500")
    for row in rows:
        assert Decimal(row["sell"]) - Decimal(row["cost"]) == Decimal(row["profit"])
    assert {row["client"] for row in rows} == {"Alice Co", "'=Bob Ltd"}  # formula defused
    assert rows[-1]["started_at"] == "2026-02-28T23:30:00-05:00"


async def test_a_clients_cdr_csv_has_no_costs(
    client: httpx.AsyncClient, world: World, snapshot: SnapshotAssertion
) -> None:
    response = await client.get(
        f"/reports/cdrs.csv?{FEBRUARY}", headers={"x-actor": f"client:{world.acme}:{world.alice}"}
    )
    rows = table(response)
    assert {"cost", "cost_rate", "profit", "rule_text"}.isdisjoint(rows[0])
    assert response.text == snapshot


async def test_profit_csv(client: httpx.AsyncClient, snapshot: SnapshotAssertion) -> None:
    response = await client.get(f"/reports/profit.csv?group_by=country&{FEBRUARY}")
    rows = table(response)
    assert rows[-1]["key"] == "total"
    assert rows[-1]["profit"] == "0.0265"
    assert response.text == snapshot


async def test_financial_csv(client: httpx.AsyncClient, snapshot: SnapshotAssertion) -> None:
    response = await client.get(f"/reports/financial.csv?{FEBRUARY}")
    rows = table(response)
    for row in rows:
        moved = sum(Decimal(row[name]) for name in list(row)[6:-1])
        assert Decimal(row["opening"]) + moved == Decimal(row["closing"])
    assert response.text == snapshot


async def test_the_operator_financial_csv_has_reseller_totals_only(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        f"/reports/financial.csv?{FEBRUARY}", headers={"x-actor": "operator"}
    )
    lines = [(row["reseller"], row["line"]) for row in table(response)]
    assert lines == [
        ("Acme Voice", "clients_total"),
        ("Acme Voice", "with_operator"),
        ("Blue Tel", "clients_total"),
        ("Blue Tel", "with_operator"),
    ]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("to=2026-02-28", "from"),
        ("from=2026-02-30&to=2026-03-01", "from"),
        ("from=2026-02-01&to=2026-01-01", "to"),
        ("from=2025-01-01&to=2026-12-31", "to"),
        (f"{FEBRUARY[:-16]}Mars/Olympus", "tz"),
        (f"{FEBRUARY}&direction=sideways", "direction"),
        (f"{FEBRUARY}&country=XX", "country"),
        (f"{FEBRUARY}&status=maybe", "status"),
        (f"{FEBRUARY}&client_id=-1", "client_id"),
        (f"{FEBRUARY}&sub_account_id=abc", "sub_account_id"),
        (f"{FEBRUARY}&client=1", "client"),
        (f"{FEBRUARY}&client_id=1&client_id=2", "client_id"),
    ],
)
async def test_bad_parameters_are_400_naming_them(
    client: httpx.AsyncClient, query: str, parameter: str
) -> None:
    response = await client.get(f"/reports/cdrs.csv?{query}")
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter
    assert response.json()["message"]


async def test_profit_needs_a_known_grouping(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/reports/profit.csv?group_by=weekday&{FEBRUARY}")
    assert (response.status_code, response.json()["parameter"]) == (400, "group_by")


async def test_refusals_are_403(client: httpx.AsyncClient, world: World) -> None:
    as_client = {"x-actor": f"client:{world.acme}:{world.alice}"}
    profit = await client.get(f"/reports/profit.csv?group_by=day&{FEBRUARY}", headers=as_client)
    anonymous = await client.get(f"/reports/cdrs.csv?{FEBRUARY}", headers={"x-actor": ""})
    assert (profit.status_code, anonymous.status_code) == (403, 403)
