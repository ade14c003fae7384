"""Replay the denial-of-service probes of issue #10 against one uvicorn worker on loopback,
and show what happens to a normal client meanwhile.

    .venv/bin/python bench/bench_dos.py [--seconds 5] [--attackers 2] [--logins 32]

One server (``bench_api.py --serve``: the shipped app, SQLite, a seeded reseller with 5
clients of 20 CDRs), then one phase per probe, each ``--seconds`` long. In every phase one
normal client sends the dashboard query (a client, its packages and 20 CDRs) in a closed
loop, and its latency is printed (p50, p95, max, count) with the attackers' own request
count and median, and the server's resident memory at the end of the phase:

- ``quiet``: no attacker;
- ``330 fields``: attackers (signed in) send 330 ``me { role resellerId }`` in one selection
  set, a fresh comment per request so that no cache helps (1.1 s of validation each before);
- ``330 fields, no token``: the same document without a credential;
- ``comment stream``: attackers send a valid 40-field dashboard query, a fresh comment per
  request (every one parsed and validated again);
- ``login flood``: ``--logins`` parallel ``login`` calls with unknown names, each a full
  argon2id check (64 MiB) when admitted.

Nothing leaves 127.0.0.1; the attack is bounded by the phase's duration and the number of
attackers. The generator shares the machine with the server. Figures: ``docs/api.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from bench_api import QUERY, free_port, pct, seed

WIDE = "{" + "me{role resellerId}" * 330 + "}"
DASHBOARD = """query Dashboard($id: Int!) { client(id: $id) { ... on Client {
  id name company email phone balance { amount currency } suspended status
  packages { edges { node { packageId name latestVersion freeMinutesUsed } } }
  dids { edges { node { number perMinutePrice { amount currency } } } }
  cdrs(first: 20) { edges { node { id number startedAt duration sell { amount currency }
                                   rule { kind text line } } } }
} } }"""
LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
  __typename ... on LoginFailed { message retryAfterSeconds } } }"""


@dataclass
class Phase:
    name: str
    normal: list[float] = field(default_factory=list)
    attacks: list[float] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)
    rss_mib: float = 0.0


async def timed(call: Callable[[], Awaitable[httpx.Response]], into: list[float]) -> str:
    started = time.perf_counter()
    response = await call()
    into.append((time.perf_counter() - started) * 1000)
    body = response.json() if response.status_code == 200 else {}
    errors = body.get("errors")
    if errors:
        return str(errors[0]["message"])[:60]
    data = body.get("data") or {}
    login = data.get("login") if isinstance(data, dict) else None
    return str(login.get("message", "ok")) if isinstance(login, dict) else "ok"


async def run_phase(
    base: str,
    token: str,
    client_id: int,
    name: str,
    attack: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]] | None,
    attackers: int,
    seconds: float,
    server_pid: int,
) -> Phase:
    phase = Phase(name)
    deadline = time.perf_counter() + seconds
    counter = itertools.count()
    headers = {"Authorization": f"Bearer {token}"}

    async def normal(http: httpx.AsyncClient) -> None:
        payload = {"query": QUERY, "variables": {"id": client_id}}
        while time.perf_counter() < deadline:
            answer = await timed(lambda: http.post("/graphql", json=payload), phase.normal)
            assert answer == "ok", answer

    async def attacker(http: httpx.AsyncClient) -> None:
        assert attack is not None
        while time.perf_counter() < deadline:
            n = next(counter)
            answer = await timed(partial(attack, http, n), phase.attacks)
            phase.answers[answer] = phase.answers.get(answer, 0) + 1

    limits = httpx.Limits(max_connections=attackers + 1)
    async with (
        httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as good,
        httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as bad,
    ):
        tasks = [normal(good)] + [attacker(bad) for _ in range(attackers if attack else 0)]
        await asyncio.gather(*tasks)
    phase.rss_mib = rss_mib(server_pid)
    return phase


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{directory}/dos.db"
        seeded = await seed(url, None, 5, 20)
        port = free_port()
        bench_api = Path(__file__).parent / "bench_api.py"
        command = [sys.executable, str(bench_api), "--serve", url, "--port", str(port)]
        server = subprocess.Popen(command)  # noqa: S603
        base = f"http://127.0.0.1:{port}"
        try:
            await wait_ready(base)
            await measure(args, base, seeded.token, seeded.client_ids[0], server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(400):
            try:
                if (await http.get(base + "/health")).status_code == 200:
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise RuntimeError("the server did not start")


async def measure(args: argparse.Namespace, base: str, token: str, cid: int, pid: int) -> None:
    auth = {"Authorization": f"Bearer {token}"}

    def wide(signed_in: bool) -> Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]:
        def send(http: httpx.AsyncClient, n: int) -> Awaitable[httpx.Response]:
            query = f"{WIDE}\n# {n}"
            return http.post("/graphql", json={"query": query}, headers=auth if signed_in else {})

        return send

    def comments(http: httpx.AsyncClient, n: int) -> Awaitable[httpx.Response]:
        body = {"query": f"{DASHBOARD}\n# {n}", "variables": {"id": cid}}
        return http.post("/graphql", json=body, headers=auth)

    def login(http: httpx.AsyncClient, n: int) -> Awaitable[httpx.Response]:
        body = {"query": LOGIN, "variables": {"u": f"nobody-{n}", "p": "guess"}}
        return http.post("/graphql", json=body)

    seconds, attackers = args.seconds, args.attackers
    phases = [
        ("quiet", None, 0),
        ("330 fields", wide(True), attackers),
        ("330 fields, no token", wide(False), attackers),
        ("comment stream", comments, attackers),
        ("login flood", login, args.logins),
    ]
    await run_phase(base, token, cid, "warm-up", None, 0, 1.0, pid)
    results = []
    for name, attack, n in phases:
        results.append(await run_phase(base, token, cid, name, attack, n, seconds, pid))
    print(f"\none uvicorn worker, SQLite, loopback; {seconds:.0f} s per phase")
    print(f"{'phase':<22} {'normal p50':>10} {'p95':>8} {'max':>8} {'n':>6}   attacks")
    for phase in results:
        n = phase.normal
        attacks = ""
        if phase.attacks:
            answers = ", ".join(f"{k!r}: {v}" for k, v in sorted(phase.answers.items()))
            attacks = f"{len(phase.attacks)} sent, p50 {pct(phase.attacks, 0.5):.1f} ms ({answers})"
        print(
            f"{phase.name:<22} {pct(n, 0.5):8.1f}ms {pct(n, 0.95):6.1f}ms {max(n):6.1f}ms "
            f"{len(n):6d}   {attacks}   server RSS {phase.rss_mib:.0f} MiB"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--attackers", type=int, default=2)
    parser.add_argument("--logins", type=int, default=32)
    asyncio.run(main(parser.parse_args()))
