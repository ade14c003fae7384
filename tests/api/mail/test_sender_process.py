"""``pulsebill send-mail`` killed (SIGKILL) mid-batch, then run again: each e-mail once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import SQLModel

from api.domain.actor import Actor
from api.events import EventBus
from api.mail.outbox import OutgoingMail, enqueue
from api.services import resellers
from api.services.context import ServicesContext
from api.services.secrets import PasswordCipher
from api.store.engine import create_engine, make_sessionmaker
from tests.smtp_server import Received, smtp_server

SECRET = "process-test-secret"
SRC = str(Path(__file__).resolve().parents[3] / "src")


async def _queue(url: str, n: int) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
        ctx = ServicesContext(make_sessionmaker(engine), EventBus(), PasswordCipher(SECRET))
        created = await resellers.create_reseller(ctx, Actor.operator(), "Acme", "USD")
        async with ctx.unit_of_work() as uow:
            for i in range(n):
                mail = OutgoingMail(
                    created.reseller.id, None, "t", f"to{i}@x.test", "Acme", "", f"mail {i}",
                    f"body {i}", "", secret=True,
                )  # fmt: skip
                await enqueue(uow.session, ctx.cipher, mail, ctx.now())
    finally:
        await engine.dispose()


def test_a_killed_sender_process_and_its_restart_send_each_email_once(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'mail.db'}"
    asyncio.run(_queue(url, 6))
    server = smtp_server()
    collector, port = next(server)
    try:
        env = {
            **os.environ,
            "PYTHONPATH": SRC,
            "DATABASE_URL": url,
            "PULSEBILL_SECRET_KEY": SECRET,
            "PULSEBILL_SMTP_URL": f"smtp://127.0.0.1:{port}?from=b@pulsebill.test",
            "PULSEBILL_MAIL_LEASE_SECONDS": "1",
        }
        command = [sys.executable, "-m", "api.cli", "send-mail"]
        running: list[subprocess.Popen[bytes]] = []

        def kill_at_the_third(received: Received) -> str | None:
            if received.subject == "mail 2":  # killed while the server holds the third
                os.kill(running[0].pid, signal.SIGKILL)
                return "hang"
            return None

        collector.answer = kill_at_the_third
        running.append(subprocess.Popen(command, env=env, cwd=tmp_path))  # noqa: S603
        assert running[0].wait(timeout=60) == -signal.SIGKILL
        collector.answer = None
        assert sorted(m.subject for m in collector.messages) == ["mail 0", "mail 1"]
        time.sleep(1.1)  # the dead sender's lease ends
        second = subprocess.run(  # noqa: S603
            command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 0, second.stderr
        assert second.stdout.strip() == "sent 4, to retry 0, failed 0"
        assert sorted(collector.by_id().values()) == [1] * 6
        assert sorted(m.subject for m in collector.messages) == [f"mail {i}" for i in range(6)]
    finally:
        server.close()
