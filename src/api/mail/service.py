"""The sender as a background task of ``pulsebill serve``."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from api.mail.config import SmtpConfig
from api.mail.sender import MailSender
from api.services.context import ServicesContext

log = logging.getLogger("pulsebill.mail")


@dataclass
class RunningSender:
    """The background sender, or nothing when SMTP is not configured."""

    task: asyncio.Task[None] | None
    stopping: asyncio.Event

    async def stop(self) -> None:
        """Let the current delivery finish its row, then end the loop."""
        self.stopping.set()
        if self.task is not None:
            await self.task


def start_mail_sender(
    ctx: ServicesContext, config: SmtpConfig | None, *, interval: float = 5.0
) -> RunningSender:
    """Start delivering the outbox every ``interval`` seconds; without ``config`` warn
    that e-mails stay queued."""
    stopping = asyncio.Event()
    if config is None:
        log.warning(
            "SMTP is not configured (PULSEBILL_SMTP_URL or PULSEBILL_SMTP_HOST): "
            "e-mails stay queued in the outbox until it is"
        )
        return RunningSender(None, stopping)
    sender = MailSender(ctx, config)
    log.info("mail: delivering through %s:%d", config.host, config.port)
    task = asyncio.create_task(sender.run_forever(stopping, interval), name="pulsebill-mail")
    return RunningSender(task, stopping)
