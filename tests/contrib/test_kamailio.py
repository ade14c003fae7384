"""The prepaid loop over real SIP: Pulsebill served by uvicorn on a free 127.0.0.1 port
(SQLite), Debian's Kamailio with the shipped ``contrib/kamailio/kamailio.cfg`` on a free
UDP port, a ``sipp`` callee behind it (the gateway) and ``sipp`` callers.

Every call of the module runs at once (the longest, a call cut at 60 s, sets the wall
time); each test then checks its own calls: what the SIP peers saw (read from sipp's
message logs) and what Pulsebill billed. Without kamailio or sipp the tests are skipped
on a developer's machine and fail with ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn
from sqlalchemy import func, select
from sqlmodel import SQLModel, col

from api.app import create_app
from api.domain.actor import Actor
from api.domain.tenants import tenant_username
from api.events import EventBus
from api.services import clients, decks, packages, resellers
from api.services.context import ServicesContext
from api.services.secrets import PasswordCipher
from api.settings import Settings
from api.store.engine import create_engine, make_sessionmaker
from api.store.tables import Cdr, Client
from tests.api.conftest import DECK, World, check_invariants
from tests.api.graphql.conftest import FAST_PASSWORDS
from tests.conftest import Database, in_ci
from tests.smtp_server import free_port

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "contrib" / "kamailio" / "kamailio.cfg"
SCENARIOS = Path(__file__).resolve().parent / "sipp"

# 0.60 a minute, billed per second: one second costs 0.01 (10,000 micro-units)
RULES = """package "Switch" {
    currency USD
    markup 0% + 0.0000
    pulse 1
    route canada value
    route international value
    round 4 half_up

    rate usa_canada 0.6000
}
"""
PER_SECOND = 10_000
NUMBER = "12025550100"
BUSY_NUMBER = "12025550486"  # the callee answers 486 Busy Here
CUT_AT = 60  # the hard client's balance affords this many seconds
PAIR_CAP = 5  # the second reseller's max_call_seconds
PAIR_AFFORDS = 8  # seconds the pair's client can pay
TIMEOUT = 120  # seconds: the longest any subprocess may run


def require_tools() -> tuple[str, str]:
    """The kamailio and sipp executables; skip without them (fail with ``CI=true``)."""
    kamailio = shutil.which("kamailio") or shutil.which("kamailio", path="/usr/sbin:/sbin")
    sipp = shutil.which("sipp")
    if kamailio and sipp:
        return kamailio, sipp
    missing = " and ".join(n for n, p in (("kamailio", kamailio), ("sipp", sipp)) if not p)
    problem = f"{missing} missing (Debian packages kamailio, kamailio-utils-modules, sip-tester)"
    if in_ci():
        pytest.fail(f"{problem}; CI=true requires the SIP end-to-end tests to run")
    pytest.skip(f"{problem}; set CI=true to make this a failure")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def udp_port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def sip_options_answered(port: int) -> bool:
    """Whether a SIP OPTIONS to 127.0.0.1:``port`` gets a 200 within 0.5 s."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.5)
        me = sock.getsockname()[1]
        request = (
            f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK-probe{time.monotonic_ns()}\r\n"
            f"From: <sip:probe@127.0.0.1:{me}>;tag=probe\r\nTo: <sip:127.0.0.1:{port}>\r\n"
            f"Call-ID: probe-{time.monotonic_ns()}@127.0.0.1\r\nCSeq: 1 OPTIONS\r\n"
            "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        sock.sendto(request.encode(), ("127.0.0.1", port))
        try:
            return sock.recv(4096).startswith(b"SIP/2.0 200")
        except OSError:
            return False


def wait_for(check: Callable[[], bool], what: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not ready after {seconds} s")
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> None:
    """End ``process`` and its children (its own session): TERM, then KILL."""
    if process.poll() is not None:
        return
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass(frozen=True)
class Message:
    """One SIP message of a sipp message log."""

    at: datetime
    sent: bool
    first_line: str
    headers: dict[str, str]


def read_messages(path: Path) -> list[Message]:
    """The messages of a sipp ``-message_file``, in order, with their times."""
    if not path.exists():
        return []
    messages: list[Message] = []
    for block in path.read_text(errors="replace").split("-" * 47 + " ")[1:]:
        lines = block.splitlines()
        at = datetime.strptime(lines[0].strip(), "%Y-%m-%d %H:%M:%S.%f")
        sent = lines[1].startswith("UDP message sent")
        body = [line for line in lines[2:] if line.strip()]
        if not body:
            continue
        headers: dict[str, str] = {}
        for line in body[1:]:
            name, sep, value = line.partition(":")
            if sep and name.strip() and " " not in name.strip():
                headers.setdefault(name.strip().lower(), value.strip())
        messages.append(Message(at, sent, body[0].strip(), headers))
    return messages


@dataclass
class Call:
    """One sipp caller: its arguments, then what it saw."""

    name: str
    scenario: str
    sub_account: str
    number: str
    hold_ms: int = 0
    returncode: int | None = None
    seconds: float = 0.0
    messages: list[Message] = field(default_factory=list)
    output: str = ""

    @property
    def call_id(self) -> str:
        return f"e2e-{self.name}"

    def first(self, start: str, *, sent: bool) -> Message:
        found = [m for m in self.messages if m.sent == sent and m.first_line.startswith(start)]
        assert found, f"{self.name}: no {start!r} {'sent' if sent else 'received'}: {self.output}"
        return found[0]

    def final_reply(self) -> Message:
        replies = [
            m for m in self.messages if not m.sent and m.first_line[8:11] not in {"100", "180"}
        ]
        assert replies, f"{self.name}: no final reply: {self.output}"
        return replies[0]

    def answered_to_bye(self) -> float:
        """Seconds from the 200 OK for the INVITE to the proxy's BYE."""
        answer = self.first("SIP/2.0 200", sent=False)
        bye = self.first("BYE ", sent=False)
        return (bye.at - answer.at).total_seconds()


@dataclass
class Run:
    """The module's setup and every call, once they all ended."""

    url: str
    calls: dict[str, Call]
    soft: int
    hard: int
    suspended: int
    pair: int
    kamailio_log: Path

    def query(self, job: Callable[[ServicesContext], Coroutine[Any, Any, T]]) -> T:
        return asyncio.run(_with_services(self.url, job))

    def log(self) -> str:
        return self.kamailio_log.read_text(errors="replace")[-4000:]


async def _with_services(url: str, job: Callable[[ServicesContext], Coroutine[Any, Any, T]]) -> T:
    engine = create_engine(url)
    try:
        ctx = ServicesContext(
            make_sessionmaker(engine), EventBus(), PasswordCipher("e2e-secret"), _now
        )
        return await job(ctx)
    finally:
        await engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Setup:
    token: str
    soft: int
    hard: int
    suspended: int
    pair: int
    soft_line: str
    hard_line: str
    suspended_line: str
    pair_line: str
    ghost: str


async def _setup(url: str) -> Setup:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    await engine.dispose()

    async def job(ctx: ServicesContext) -> Setup:
        operator = Actor.operator()
        await decks.import_deck(ctx, operator, DECK, name="e2e", activate=True)

        async def world(name: str, cap: int | None) -> World:
            created = await resellers.create_reseller(
                ctx, operator, name, "USD", max_call_seconds=cap
            )
            reseller = Actor.reseller(created.reseller.id)
            published = await packages.publish_package(ctx, reseller, RULES, file_name="s.rate")
            return World(
                ctx, operator, reseller, created.reseller.id, published.versions[0].package_id
            )

        acme = await world("Acme", None)
        bolt = await world("Bolt", PAIR_CAP)
        soft, soft_line = await acme.client("Soft", username="soft")
        hard, hard_line = await acme.client(
            "Hard", balance_type="hard", paid=CUT_AT * PER_SECOND, username="hard"
        )
        suspended, suspended_line = await acme.client("Idle", balance_type="hard", username="idle")
        pair, pair_line = await bolt.client(
            "Pair", balance_type="hard", paid=PAIR_AFFORDS * PER_SECOND, username="pair"
        )
        issued = await resellers.create_switch_token(ctx, "kamailio-e2e")
        return Setup(
            issued.token,
            soft,
            hard,
            suspended,
            pair,
            tenant_username(acme.reseller_id, soft_line),
            tenant_username(acme.reseller_id, hard_line),
            tenant_username(acme.reseller_id, suspended_line),
            tenant_username(bolt.reseller_id, pair_line),
            tenant_username(acme.reseller_id, "ghost"),
        )

    return await _with_services(url, job)


class Server:
    """Pulsebill served by uvicorn in a thread of its own (its own event loop)."""

    def __init__(self, url: str, port: int) -> None:
        settings = Settings(database_url=url, secret_key="e2e-secret", port=port)
        app = create_app(settings, passwords=FAST_PASSWORDS)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        wait_for(lambda: self.server.started, "Pulsebill (uvicorn)")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def run_sipp(sipp: str, proxy: int, call: Call, directory: Path) -> Call:
    messages = directory / f"{call.name}.msg"
    command = [
        sipp, f"127.0.0.1:{proxy}", "-sf", str(SCENARIOS / call.scenario),
        "-i", "127.0.0.1", "-m", "1", "-nostdin", "-key", "caller", call.sub_account,
        "-s", call.number, "-cid_str", f"{call.call_id}", "-trace_msg",
        "-message_file", str(messages), "-timeout", f"{TIMEOUT}s", "-timeout_error",
    ]  # fmt: skip
    if call.hold_ms:
        command += ["-recv_timeout", str(call.hold_ms)]
    started = time.monotonic()
    try:
        done = subprocess.run(  # noqa: S603
            command, capture_output=True, timeout=TIMEOUT + 10, cwd=directory, check=False
        )
        call.returncode = done.returncode
        call.output = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
    except subprocess.TimeoutExpired as exc:
        call.returncode = -1
        call.output = f"sipp did not end: {exc}"
    call.seconds = time.monotonic() - started
    call.messages = read_messages(messages)
    return call


def start(command: list[str], directory: Path, output: Any) -> subprocess.Popen[bytes]:
    """A background process in a session of its own (so that :func:`stop` ends its
    children too)."""
    return subprocess.Popen(  # noqa: S603
        command,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=output,
        cwd=directory,
        start_new_session=True,
    )


def proxy_command(
    kamailio: str, runtime: Path, port: int, url: str, token: str, *defines: str
) -> list[str]:
    """Kamailio in the foreground with the shipped configuration, small memory, its pid
    file and runtime files under ``runtime``."""
    runtime.mkdir(exist_ok=True)
    return [
        kamailio, "-DD", "-E", "-f", str(CONFIG), "-m", "32", "-M", "8",
        "-P", str(runtime / "kamailio.pid"), "-Y", str(runtime), "-w", str(runtime),
        "-A", f"LISTEN=udp:127.0.0.1:{port}",
        "-A", f'PULSEBILL_URL="{url}"',
        "-A", f'PULSEBILL_TOKEN="{token}"',
        *defines,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    kamailio, sipp = require_tools()
    directory = tmp_path_factory.mktemp("kamailio")
    url = f"sqlite+aiosqlite:///{directory / 'pulsebill.db'}"
    setup = asyncio.run(_setup(url))
    http_port, proxy_port, gateway_port = free_port(), free_udp_port(), free_udp_port()
    runtime = directory / "run"
    callee = [
        sipp, "-sf", str(SCENARIOS / "callee.xml"), "-i", "127.0.0.1", "-p", str(gateway_port),
        "-nostdin", "-timeout", f"{TIMEOUT + 30}s",
    ]  # fmt: skip
    proxy = proxy_command(
        kamailio, runtime, proxy_port, f"http://127.0.0.1:{http_port}", setup.token,
        "-A", f'GATEWAY="127.0.0.1:{gateway_port}"', "-A", "CHILDREN=8",
    )  # fmt: skip
    calls = [
        Call("soft", "caller.xml", setup.soft_line, NUMBER, hold_ms=5000),
        Call("hard", "caller.xml", setup.hard_line, NUMBER, hold_ms=300_000),
        Call("ghost", "refused.xml", setup.ghost, NUMBER),
        Call("suspended", "refused.xml", setup.suspended_line, NUMBER),
        Call("busy", "refused.xml", setup.soft_line, BUSY_NUMBER),
        Call("pair-1", "caller.xml", setup.pair_line, NUMBER, hold_ms=30_000),
        Call("pair-2", "caller.xml", setup.pair_line, NUMBER, hold_ms=30_000),
    ]
    log_path = directory / "kamailio.log"
    processes: list[subprocess.Popen[bytes]] = []
    with Server(url, http_port), open(log_path, "wb") as log:
        try:
            processes.append(start(callee, directory, subprocess.DEVNULL))
            processes.append(start(proxy, directory, log))
            wait_for(lambda: udp_port_taken(gateway_port), "the sipp callee")
            wait_for(lambda: sip_options_answered(proxy_port), "Kamailio")
            with ThreadPoolExecutor(len(calls)) as pool:
                list(pool.map(lambda call: run_sipp(sipp, proxy_port, call, directory), calls))
            time.sleep(1)  # the CDR of the last BYE is posted after its 200 OK
        finally:
            for process in reversed(processes):
                stop(process)
    return Run(
        url,
        {call.name: call for call in calls},
        setup.soft,
        setup.hard,
        setup.suspended,
        setup.pair,
        log_path,
    )


@dataclass(frozen=True)
class StoredCdr:
    """What the tests read of a stored CDR."""

    call_id: str
    source: str
    direction: str
    number: str
    status: str
    failure_reason: str
    duration: int
    billed_seconds: int
    sell: int
    transaction_id: int | None


CDR_FIELDS = [f.name for f in fields(StoredCdr)]


async def _cdrs(ctx: ServicesContext, call_ids: list[str]) -> list[StoredCdr]:
    async with ctx.read() as uow:
        rows = await uow.session.scalars(
            select(Cdr).where(col(Cdr.call_id).in_(call_ids)).order_by(col(Cdr.call_id))
        )
        return [StoredCdr(*(getattr(r, name) for name in CDR_FIELDS)) for r in rows]


async def _cdr_count(ctx: ServicesContext) -> int:
    async with ctx.read() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Cdr)) or 0)


def balance(run: Run, client_id: int) -> int:
    async def job(ctx: ServicesContext) -> int:
        reseller = await _reseller_of(ctx, client_id)
        view = await clients.get_client(ctx, Actor.reseller(reseller), client_id)
        return view.balance

    return run.query(job)


async def _reseller_of(ctx: ServicesContext, client_id: int) -> int:
    async with ctx.read() as uow:
        reseller = await uow.session.scalar(
            select(col(Client.reseller_id)).where(col(Client.id) == client_id)
        )
    assert reseller is not None
    return int(reseller)


def cdrs(run: Run, *names: str) -> list[StoredCdr]:
    ids = [run.calls[name].call_id for name in names]
    return run.query(lambda ctx: _cdrs(ctx, ids))


def test_a_soft_clients_call_is_answered_ended_and_billed_once(run: Run) -> None:
    call = run.calls["soft"]
    assert call.returncode == 0, call.output
    assert call.first("BYE ", sent=True)  # the caller hung up after 5 s
    assert not [m for m in call.messages if not m.sent and m.first_line.startswith("BYE ")]
    (cdr,) = cdrs(run, "soft")
    assert cdr.status == "rated", (cdr.failure_reason, run.log())
    assert cdr.direction == "outbound"
    assert cdr.number.endswith(NUMBER)
    assert cdr.source == "kamailio-e2e"
    assert 4 <= cdr.duration <= 6, cdr.duration
    assert cdr.sell == cdr.duration * PER_SECOND
    assert balance(run, run.soft) == -cdr.sell  # one posting: billed exactly once


def test_a_hard_call_is_cut_by_kamailio_when_its_balance_runs_out(run: Run) -> None:
    call = run.calls["hard"]
    assert call.returncode == 0, call.output
    cut = call.answered_to_bye()  # the proxy's BYE, not the caller's (it would wait 300 s)
    assert CUT_AT - 2 <= cut <= CUT_AT + 2, cut
    assert call.seconds < 100
    (cdr,) = cdrs(run, "hard")
    assert (cdr.status, cdr.duration, cdr.billed_seconds) == ("rated", CUT_AT, CUT_AT), run.log()
    assert cdr.sell == CUT_AT * PER_SECOND
    assert balance(run, run.hard) == 0  # billed for 60 s, not more


@pytest.mark.parametrize(
    ("name", "code", "reason"),
    [("ghost", "403", "unknown_sub_account"), ("suspended", "403", "suspended")],
)
def test_refused_calls_get_their_code_and_bill_nothing(
    run: Run, name: str, code: str, reason: str
) -> None:
    call = run.calls[name]
    reply = call.final_reply()
    assert reply.first_line.startswith(f"SIP/2.0 {code} "), reply.first_line
    assert reply.headers.get("x-pulsebill-reason") == reason
    assert f"cause={code}" in reply.headers.get("reason", "")
    assert not [m for m in call.messages if m.first_line.startswith("SIP/2.0 200")]
    assert cdrs(run, name) == []
    assert balance(run, run.suspended) == 0


def test_an_unanswered_call_is_stored_and_not_charged(run: Run) -> None:
    call = run.calls["busy"]
    assert call.final_reply().first_line.startswith("SIP/2.0 486 "), call.output
    (cdr,) = cdrs(run, "busy")
    assert (cdr.duration, cdr.sell, cdr.transaction_id) == (0, 0, None)


def test_two_calls_of_one_hard_client_share_its_balance(run: Run) -> None:
    first, second = run.calls["pair-1"], run.calls["pair-2"]
    for call in (first, second):
        assert call.returncode == 0, call.output
        assert call.answered_to_bye() <= PAIR_CAP + 2  # both were cut by the proxy
    rows = cdrs(run, "pair-1", "pair-2")
    assert len(rows) == 2, run.log()
    assert all(cdr.status == "rated" and cdr.duration <= PAIR_CAP for cdr in rows)
    assert sum(cdr.duration for cdr in rows) <= PAIR_AFFORDS + 1, [c.duration for c in rows]
    assert balance(run, run.pair) >= -PER_SECOND  # at most one pulse step below zero


def test_the_ledger_holds_after_the_calls(run: Run) -> None:
    engine = create_engine(run.url)
    database = Database("sqlite", run.url, engine, make_sessionmaker(engine))

    async def check() -> None:
        try:
            await check_invariants(database)
        finally:
            await engine.dispose()

    asyncio.run(check())
    assert run.query(_cdr_count) == 5  # soft, hard, busy, pair-1, pair-2


def test_a_silent_pulsebill_gets_the_caller_a_503_in_time(tmp_path: Path) -> None:
    """Pulsebill accepts the connection and never answers: Kamailio gives up after
    ``PULSEBILL_TIMEOUT`` (1 s here) and refuses the call with 503."""
    kamailio, sipp = require_tools()
    proxy_port = free_udp_port()
    with socket.socket() as silent, open(tmp_path / "kamailio.log", "wb") as log:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections wait in the backlog, never read
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        command = proxy_command(
            kamailio, tmp_path / "run", proxy_port, url, "pbs_silent", "-A", "PULSEBILL_TIMEOUT=1"
        )
        process = start(command, tmp_path, log)
        try:
            wait_for(lambda: sip_options_answered(proxy_port), "Kamailio")
            call = run_sipp(
                sipp, proxy_port, Call("silent", "refused.xml", "100001_anyone", NUMBER), tmp_path
            )
        finally:
            stop(process)
    reply = call.final_reply()
    assert reply.first_line.startswith("SIP/2.0 503 "), (reply.first_line, call.output)
    assert reply.headers.get("x-pulsebill-reason") == "unavailable"
    waited = (reply.at - call.first("INVITE ", sent=True).at).total_seconds()
    assert 0.9 <= waited <= 2.5, waited


def test_the_shipped_configuration_passes_kamailios_check(tmp_path: Path) -> None:
    kamailio, _ = require_tools()
    command = [
        *proxy_command(kamailio, tmp_path / "run", free_udp_port(), "http://127.0.0.1:9", "t"),
        "-A", 'GATEWAY="192.0.2.1:5060"', "-A", 'TRUSTED_SOURCES="192.0.2.0/24,10.0.0.0/8"',
        "-c",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, timeout=30, check=False)  # noqa: S603
    output = (done.stdout + done.stderr).decode(errors="replace")
    assert done.returncode == 0, output
    assert "config file ok" in output
