"""Latency of ``POST /switch/authorize`` over real HTTP on loopback, beside a plain
Starlette endpoint served the same way (the limit: HTTP, parsing and JSON with no
database).

    .venv/bin/python bench/bench_switch.py [--requests 2000] [--quick]
        [--database sqlite|postgresql|both] [--pg-url URL] [--connections 1]

One uvicorn worker (uvloop, httptools) in a subprocess, as ``pulsebill serve`` runs it;
an httpx client with keep-alive in this process sends form-encoded requests, each when
the previous answer arrived, on ``--connections`` connections. The series:

- **soft**: a soft client's call (the reseller's cap; nothing is written);
- **hard**: a hard client's call, with its reservation written (account row locked,
  live reservations read, the call's own replaced): 50 hard clients, each reusing four
  call ids in turn, so that a client holds at most four live reservations as a busy
  line would;
- **plain**: ``POST /bench/plain``, the limit: the same form parsed and a JSON answer,
  no token check, no database;
- **CDR soft**: ``POST /switch/cdr`` of a soft client's 61-second call (rated and posted,
  no reservation);
- **CDR hard**: the same for hard clients' calls, each authorized first, so that each
  CDR also releases its call's reservation (and is charged at most the granted seconds).

Printed: p50, p95, p99 and max in ms, req/s, and the ratio of each p50/p99 to the plain
endpoint's measured in the same run. Target: p99 well under 10 ms. Figures are printed,
never asserted. SQLite: a temporary file; PostgreSQL: a throw-away schema.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import api.store.tables  # noqa: F401
from api.domain.actor import Actor
from api.domain.tenants import tenant_username
from api.services import clients, payments, resellers, sub_accounts
from api.services.client_packages import attach_package
from api.settings import Settings
from api.store.engine import create_engine
from bench_api import SECRET, bench_tenant, drop_schema, free_port, pct, serve_app

TARGET_P99_MS = 10.0
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
NUMBER = "+12025550100"
HARD_CLIENTS = 50
CALLS_PER_LINE = 4


@dataclass
class Seeded:
    token: str
    soft: list[str]
    hard: list[str]


async def seed(url: str, schema: str | None) -> Seeded:
    """A reseller, a package, 10 soft and 50 hard clients with a line each, a switch token."""
    seeded = await bench_tenant(url, schema)
    ctx, tenant, package_id = seeded.ctx, seeded.reseller_id, seeded.package_id
    reseller = Actor.reseller(tenant)
    lines: dict[str, list[str]] = {"soft": [], "hard": []}
    for kind, count in (("soft", 10), ("hard", HARD_CLIENTS)):
        for n in range(count):
            view = await clients.create_client(ctx, reseller, f"{kind} {n}", balance_type=kind)
            await payments.add_payment(ctx, reseller, view.id, 10**12)  # 1,000,000.00
            await attach_package(ctx, reseller, view.id, package_id)
            line = f"{kind}-{n:03d}"
            await sub_accounts.create_sub_account(ctx, reseller, view.id, line)
            lines[kind].append(tenant_username(tenant, line))
    token = (await resellers.create_switch_token(ctx, "bench")).token
    await seeded.engine.dispose()
    return Seeded(token, lines["soft"], lines["hard"])


def build_app(url: str, schema: str | None) -> Any:
    """The shipped app plus the bench-only ``POST /bench/plain`` (the limit)."""
    from api.app import create_app

    settings = Settings(database_url=url, secret_key=SECRET)
    engine = create_engine(url, search_path=schema, hide_parameters=True) if schema else None
    app = create_app(settings, engine=engine)

    async def plain(request: Request) -> JSONResponse:
        fields = dict(parse_qsl((await request.body()).decode()))
        return JSONResponse(
            {"allowed": bool(fields.get("call_id")), "max_seconds": 600, "reason": "",
             "message": "", "sip_code": 200}
        )  # fmt: skip

    app.router.routes.append(Route("/bench/plain", plain, methods=["POST"]))
    return app


@dataclass
class Series:
    latencies: list[float]
    seconds: float
    refused: int

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else float("nan")


async def run(
    http: httpx.AsyncClient, path: str, bodies: list[dict[str, str]], conns: int
) -> Series:
    """Send every body (form-encoded), ``conns`` at a time in closed loops."""
    latencies: list[float] = []
    refused = 0

    async def worker(offset: int) -> None:
        nonlocal refused
        for body in bodies[offset::conns]:
            t0 = time.perf_counter()
            response = await http.post(path, data=body)
            latencies.append((time.perf_counter() - t0) * 1000)
            answer = response.json()
            done = answer.get("allowed") is True or answer.get("status") == "rated"
            refused += response.status_code != 200 or not done

    started = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(conns)))
    return Series(latencies, time.perf_counter() - started, refused)


def bodies_for(lines: list[str], count: int, hard: bool) -> list[dict[str, str]]:
    """``count`` requests over ``lines``; a hard line reuses :data:`CALLS_PER_LINE` ids."""
    built = []
    for n in range(count):
        line = lines[n % len(lines)]
        turn = n // len(lines)
        call_id = f"{line}-{turn % CALLS_PER_LINE}" if hard else f"s-{n}"
        built.append({"sub_account": line, "number": NUMBER, "call_id": call_id})
    return built


def calls_for(lines: list[str], count: int, prefix: str) -> list[dict[str, str]]:
    """``count`` calls with call ids of their own over ``lines``, each with its CDR's
    fields (a 61-second call)."""
    return [
        {"sub_account": lines[n % len(lines)], "number": NUMBER, "call_id": f"{prefix}-{n}",
         "start": "2026-12-07T12:00:00+00:00", "answered_seconds": "61"}
        for n in range(count)
    ]  # fmt: skip


def row(label: str, s: Series, limit: Series | None) -> str:
    p50, p95, p99 = pct(s.latencies, 0.5), pct(s.latencies, 0.95), pct(s.latencies, 0.99)
    text = (
        f"{label:<34} p50 {p50:6.2f}  p95 {p95:6.2f}  p99 {p99:6.2f}  max "
        f"{max(s.latencies):6.2f} ms  {s.rps:6.0f} req/s"
    )
    if limit is not None:
        r50, r99 = p50 / pct(limit.latencies, 0.5), p99 / pct(limit.latencies, 0.99)
        text += f"  │ ×{r50:4.1f} p50, ×{r99:4.1f} p99 of plain"
    if s.refused:
        text += f"  (refused {s.refused})"
    return text


async def measure(database: str, url: str, schema: str | None, args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    seeded = await seed(url, schema)
    print(f"\n{database}: seeded in {time.perf_counter() - t0:.1f} s")
    port = free_port()
    command = [sys.executable, __file__, "--serve", url, "--port", str(port)]
    server = subprocess.Popen(command + (["--schema", schema] if schema else []))  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=64)
    headers = {"Authorization": f"Bearer {seeded.token}"}
    try:
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as http:
            for _ in range(200):
                try:
                    if (await http.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            n, conns = args.requests, args.connections
            warm = bodies_for(seeded.hard, 200, True)
            await run(http, "/switch/authorize", warm, conns)  # caches, pools, JIT of plans
            await run(http, "/bench/plain", warm, conns)
            plain = await run(http, "/bench/plain", bodies_for(seeded.soft, n, False), conns)
            soft = await run(http, "/switch/authorize", bodies_for(seeded.soft, n, False), conns)
            hard = await run(http, "/switch/authorize", bodies_for(seeded.hard, n, True), conns)
            soft_calls = calls_for(seeded.soft, n, "soft-cdr")
            soft_cdr = await run(http, "/switch/cdr", soft_calls, conns)
            held = calls_for(seeded.hard, n, "hard-cdr")
            await run(http, "/switch/authorize", held, conns)  # each CDR releases its hold
            hard_cdr = await run(http, "/switch/cdr", held, conns)
    finally:
        server.terminate()
        server.wait(timeout=10)
        if schema:
            await drop_schema(url, schema)
    print(
        f"one uvicorn worker on {database}, httpx keep-alive client, {conns} connection(s), "
        f"{n} requests each, {os.cpu_count()} cores shared by client and server"
    )
    print(row("plain Starlette endpoint (limit)", plain, None))
    print(row("/switch/authorize soft", soft, plain))
    print(row("/switch/authorize hard (reserving)", hard, plain))
    print(row("/switch/cdr soft (no reservation)", soft_cdr, plain))
    print(row("/switch/cdr hard (releasing)", hard_cdr, plain))
    worst = max(pct(soft.latencies, 0.99), pct(hard.latencies, 0.99))
    verdict = "met" if worst < TARGET_P99_MS else "NOT met"
    print(f"{'target':<34} p99 < {TARGET_P99_MS:.0f} ms → {verdict} (worst p99 {worst:.2f} ms)")


async def main(args: argparse.Namespace) -> None:
    if args.quick:
        args.requests = 500
    backends = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    for database in backends:
        if database == "postgresql":
            await measure(database, args.pg_url, f"bench_switch_{os.getpid()}", args)
        else:
            tmp = Path(tempfile.mkdtemp(prefix="pb-bench-switch-"))
            await measure(database, f"sqlite+aiosqlite:///{tmp / 'bench.db'}", None, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="requests per series")
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="500 requests per series")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=POSTGRES)
    parser.add_argument("--serve", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve_app(build_app(arguments.serve, arguments.schema), arguments.port)
    else:
        import uvloop

        uvloop.run(main(arguments))
