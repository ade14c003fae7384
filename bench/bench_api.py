"""Load one uvicorn worker on loopback: the GraphQL query "a client with its balance,
package and last 20 CDRs" against a plain Starlette JSON endpoint doing the same database
work (the baseline, mounted only in this bench), then the delay from a committed CDR to
its ``balanceChanged`` event at 100 websocket subscribers.

    .venv/bin/python bench/bench_api.py [--seconds 10] [--connections 32] [--quick]

Targets: ≥ 2,000 requests/s per worker with p99 < 15 ms; event delivery p99 < 50 ms.
Figures are printed next to the targets, never asserted. The load generator is Python
(httpx) on the same machine, competing with the server for the CPU: the server figures
are a lower bound. SQLite with generated data (a temporary file).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import SQLModel
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import api.store.tables  # noqa: F401
from api.domain.actor import Actor
from api.services import clients, decks, packages, payments, resellers, sub_accounts
from api.services.cdrs import ingest_cdrs
from api.services.client_packages import attach_package
from api.services.context import build_context
from api.services.views import CdrInput
from api.settings import Settings
from api.store.engine import create_engine, make_sessionmaker

TARGET_RPS, TARGET_P99_MS, TARGET_EVENT_P99_MS = 2_000, 15.0, 50.0
SECRET = "bench-secret"  # noqa: S105 (a throw-away bench key)
DECK = "prefix,country,description,value_rate,premium_rate\n1,US,USA,0.0050,0.0060\n"
RULES = """package "Bench" {
    currency USD
    markup 20% + 0.0000
    pulse 60
    route canada value
    route international premium
}
"""
QUERY = """query($id: Int!) { client(id: $id) { ... on Client {
  id name balance { amount currency } suspended packages { name latestVersion }
  cdrs(first: 20) { edges { node { id number startedAt duration sell { amount } } } }
} } }"""


@dataclass
class Seeded:
    url: str
    token: str
    client_ids: list[int]
    lines: dict[int, str]


async def seed(url: str, n_clients: int, cdrs_per_client: int) -> Seeded:
    """A reseller, a package, ``n_clients`` paid clients with a line and their CDRs."""
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    ctx = build_context(Settings(database_url=url, secret_key=SECRET), make_sessionmaker(engine))
    operator = Actor.operator()
    await decks.import_deck(ctx, operator, DECK, name="bench", activate=True)
    created = await resellers.create_reseller(ctx, operator, "bench", "USD")
    reseller = Actor.reseller(created.reseller.id)
    package_id = (await packages.publish_package(ctx, reseller, RULES)).versions[0].package_id
    ids, lines, records = [], {}, []
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for n in range(n_clients):
        view = await clients.create_client(ctx, reseller, f"client {n}")
        await payments.add_payment(ctx, reseller, view.id, 1_000_000_000)
        await attach_package(ctx, reseller, view.id, package_id)
        line = f"line-{n:05d}"
        await sub_accounts.create_sub_account(ctx, reseller, view.id, line)
        ids.append(view.id)
        lines[view.id] = line
        records += [
            CdrInput("seed", f"{n}-{k}", line, "outbound", "+15145550100", start, 30 + k)
            for k in range(cdrs_per_client)
        ]
    await ingest_cdrs(ctx, reseller, records)
    await engine.dispose()
    return Seeded(url, created.token.token, ids, lines)


def build_app(url: str) -> Any:
    """The shipped app plus the bench-only baseline ``GET /bench/client/{id}``: the same
    authentication, service read and DataLoaders as the GraphQL query, as plain JSON."""
    from api.app import create_app
    from api.graphql.loaders import CdrPageKey, Loaders

    app = create_app(Settings(database_url=url, secret_key=SECRET))

    async def baseline(request: Request) -> JSONResponse:
        state = request.app.state.pulsebill
        actor = await state.authenticator.authenticate(request)
        if actor is None:
            return JSONResponse({"error": "unauthenticated"}, status_code=401)
        client_id = int(request.path_params["id"])
        view = await clients.get_client(state.services, actor, client_id)
        loaders = Loaders(state.sessionmaker, actor)
        attached, cdrs = await asyncio.gather(
            loaders.packages.load(client_id), loaders.cdrs.load(CdrPageKey(client_id, 20, None))
        )
        return JSONResponse({
            "id": view.id, "name": view.name, "suspended": view.suspended,
            "balance": {"amount": str(view.balance), "currency": view.currency},
            "packages": [{"name": p.name, "latestVersion": p.latest_version} for p in attached],
            "cdrs": [{"id": c.id, "number": c.number, "startedAt": c.started_at.isoformat(),
                      "duration": c.duration, "sell": str(c.sell)} for c in cdrs[:20]],
        })  # fmt: skip

    app.router.routes.append(Route("/bench/client/{id:int}", baseline, methods=["GET"]))
    return app


def serve(url: str, port: int) -> None:
    import uvicorn

    uvicorn.run(
        build_app(url),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def load(
    base: str, token: str, ids: list[int], seconds: float, conns: int, graphql: bool
) -> tuple[float, list[float], int]:
    """``conns`` keep-alive connections for ``seconds``: (req/s, latencies in ms, errors)."""
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as http:
        deadline = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < deadline:
                client_id = ids[i % len(ids)]
                i += conns
                t0 = time.perf_counter()
                try:
                    if graphql:
                        body = {"query": QUERY, "variables": {"id": client_id}}
                        r = await http.post("/graphql", json=body)
                        ok = r.status_code == 200 and "errors" not in r.json()
                    else:
                        r = await http.get(f"/bench/client/{client_id}")
                        ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - t0) * 1000)
                errors += not ok

        started = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(conns)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies, errors


async def subscriber(url: str, token: str, ready: asyncio.Event, got: list[float], n: int) -> None:
    from websockets.asyncio.client import connect
    from websockets.typing import Subprotocol

    async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": token}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        query = "subscription { balanceChanged { clientId balance { amount } } }"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        ready.set()
        for _ in range(n):
            message = json.loads(await ws.recv())
            if message["type"] == "next":
                got.append(time.perf_counter())


async def events(base: str, seeded: Seeded, subscribers: int, rounds: int) -> list[float]:
    """Delays (ms) from the end of a ``submitCdr`` (committed) to each subscriber's event."""
    ws_url = base.replace("http://", "ws://") + "/graphql"
    received: list[list[float]] = [[] for _ in range(subscribers)]
    readies = [asyncio.Event() for _ in range(subscribers)]
    tasks = [
        asyncio.create_task(subscriber(ws_url, seeded.token, readies[k], received[k], rounds))
        for k in range(subscribers)
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=30)
    await asyncio.sleep(0.5)
    client_id = seeded.client_ids[0]
    mutation = "mutation($c: CdrInput!) { submitCdr(cdr: $c) { __typename } }"
    delays: list[float] = []
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {seeded.token}"}
    ) as http:
        for n in range(rounds):
            cdr = {"source": "bench", "callId": f"ev-{n}", "subAccount": seeded.lines[client_id],
                   "direction": "OUTBOUND", "number": "+15145550100",
                   "startedAt": "2026-03-02T10:00:00+00:00", "duration": 60}  # fmt: skip
            r = await http.post("/graphql", json={"query": mutation, "variables": {"c": cdr}})
            committed = time.perf_counter()
            assert r.json()["data"]["submitCdr"]["__typename"] == "CdrRating", r.text
            deadline = time.monotonic() + 5
            while any(len(got) <= n for got in received) and time.monotonic() < deadline:
                await asyncio.sleep(0.001)
            delays += [max(0.0, (got[n] - committed) * 1000) for got in received if len(got) > n]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return delays


def line(label: str, rps: float, lat: list[float], errors: int) -> str:
    return (
        f"{label:<26} {rps:8.0f} req/s   p50 {pct(lat, 0.5):6.2f} ms   "
        f"p99 {pct(lat, 0.99):6.2f} ms   errors {errors}"
    )


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="pb-bench-api-"))
    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    clients_n, cdrs_n = (50, 25) if args.quick else (500, 40)
    t0 = time.perf_counter()
    seeded = await seed(url, clients_n, cdrs_n)
    print(
        f"seeded {clients_n} clients × {cdrs_n} CDRs on SQLite in {time.perf_counter() - t0:.1f} s"
    )
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
        [sys.executable, __file__, "--serve", url, "--port", str(port)]
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(200):
                try:
                    if (await http.get(base + "/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        seconds = 2.0 if args.quick else args.seconds
        await load(base, seeded.token, seeded.client_ids, 1.0, args.connections, True)  # warm-up
        await load(base, seeded.token, seeded.client_ids, 1.0, args.connections, False)
        g = await load(base, seeded.token, seeded.client_ids, seconds, args.connections, True)
        b = await load(base, seeded.token, seeded.client_ids, seconds, args.connections, False)
        delays = await events(base, seeded, args.subscribers, 10 if args.quick else 50)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        f"\none uvicorn worker (uvloop, httptools), {args.connections} connections, "
        f"{seconds:.0f} s each; load generator: Python httpx on the same {os.cpu_count()}-core "
        "machine, competing with the server for CPU (figures are a lower bound)"
    )
    print(line("GraphQL client+20 CDRs", *g))
    print(line("plain Starlette baseline", *b))
    print(f"{'ratio GraphQL / baseline':<26} {g[0] / b[0]:8.2f}")
    print(
        f"{'target':<26} {TARGET_RPS:8d} req/s                     p99 < {TARGET_P99_MS:.0f} ms   "
        f"→ {'met' if g[0] >= TARGET_RPS and pct(g[1], 0.99) < TARGET_P99_MS else 'NOT met'}"
    )
    print(
        f"\nbalanceChanged at {args.subscribers} subscribers, {len(delays)} deliveries: "
        f"p50 {pct(delays, 0.5):.2f} ms   p99 {pct(delays, 0.99):.2f} ms   "
        f"(target p99 < {TARGET_EVENT_P99_MS:.0f} ms → "
        f"{'met' if pct(delays, 0.99) < TARGET_EVENT_P99_MS else 'NOT met'}); measured from the "
        "submitCdr response (after commit) to receipt, same process as the subscribers"
    )
    if g[2] + b[2]:
        print(f"WARNING: {g[2] + b[2]} failed requests")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="small data, 2 s runs")
    parser.add_argument("--serve", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve(arguments.serve, arguments.port)
    else:
        asyncio.run(main(arguments))
