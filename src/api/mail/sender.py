"""The SMTP sender: claims due outbox rows, delivers each, records each outcome at once.

Each row is settled in its own transaction right after the server accepted it, so a
sender killed mid-batch loses nothing and resends nothing it had settled; a row it had
claimed but not settled is taken again when its lease ends (the one case of a second
delivery: killed between the server's acceptance and the settling commit; the stable
``Message-ID`` lets a mailbox drop such a twin). Several senders share the work safely
(see :mod:`api.mail.outbox`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import aiosmtplib

from api.domain.mail import RetryPolicy, after_attempt
from api.mail.config import Security, SmtpConfig
from api.mail.outbox import ClaimedMail, claim, settle
from api.services.context import ServicesContext

log = logging.getLogger("pulsebill.mail")


@dataclass(slots=True)
class SendReport:
    """What one run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: SendReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.errors += other.errors


class MailSender:
    """Deliver the outbox over SMTP with ``config`` (``aiosmtplib``)."""

    def __init__(
        self,
        ctx: ServicesContext,
        config: SmtpConfig,
        *,
        policy: RetryPolicy | None = None,
        batch: int = 20,
    ) -> None:
        self.ctx = ctx
        self.config = config
        self.policy = policy or RetryPolicy(
            max_attempts=config.max_attempts, lease=timedelta(seconds=config.lease_seconds)
        )
        self.batch = batch

    async def run_once(self) -> SendReport:
        """Claim one batch of due rows and try each; an empty report when none is due."""
        async with self.ctx.unit_of_work() as uow:
            mails = await claim(
                uow.session, self.ctx.cipher, self.ctx.now(), self.policy, self.batch
            )
        report = SendReport()
        if not mails:
            return report
        smtp = self._client()
        down: str | None = None  # why the server cannot be reached (the rest wait)
        try:
            for mail in mails:
                if down is None and not smtp.is_connected:
                    down = await self._connect(smtp)
                if down is not None:  # not the e-mail's fault: always a temporary failure
                    await self._settle(mail, down, False, report)
                    continue
                try:
                    message = self._message(mail)
                except (ValueError, TypeError) as exc:  # a header the format refuses
                    await self._settle(mail, _reason(exc), True, report)
                    continue
                try:
                    await smtp.send_message(message)
                except (aiosmtplib.SMTPException, OSError) as exc:
                    await self._settle(mail, _reason(exc), _permanent(exc), report)
                    continue
                await self._settle(mail, None, False, report)
        finally:
            if smtp.is_connected:
                try:
                    await smtp.quit()
                except (aiosmtplib.SMTPException, OSError):  # pragma: no cover - best effort
                    smtp.close()
        return report

    async def _connect(self, smtp: aiosmtplib.SMTP) -> str | None:
        """Connect and log in; the reason when it fails."""
        try:
            await smtp.connect()
            if self.config.username:
                await smtp.login(self.config.username, self.config.password)
        except (aiosmtplib.SMTPException, OSError) as exc:
            if smtp.is_connected:
                smtp.close()
            return _reason(exc)
        return None

    async def drain(self) -> SendReport:
        """Run batches until none is due (``pulsebill send-mail``)."""
        total = SendReport()
        while True:
            report = await self.run_once()
            total.add(report)
            if not (report.sent or report.retried or report.failed):
                return total

    async def run_forever(self, stop: asyncio.Event, interval: float = 5.0) -> None:
        """Drain, then sleep ``interval`` seconds, until ``stop`` is set (``serve``)."""
        while not stop.is_set():
            try:
                report = await self.drain()
                if report.sent or report.failed:
                    log.info("mail: %d sent, %d failed", report.sent, report.failed)
            except Exception:  # keep serving; the rows stay claimable after their lease
                log.exception("mail sender run failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    def _client(self) -> aiosmtplib.SMTP:
        security = self.config.security
        return aiosmtplib.SMTP(
            hostname=self.config.host,
            port=self.config.port,
            use_tls=security is Security.TLS,
            start_tls=True if security is Security.STARTTLS else None,
            timeout=self.config.timeout,
        )

    def _message(self, mail: ClaimedMail) -> EmailMessage:
        message = EmailMessage()
        domain = self.config.sender.rpartition("@")[2]
        message["From"] = formataddr((mail.from_name, self.config.sender))
        message["To"] = mail.recipient
        if mail.reply_to:
            message["Reply-To"] = mail.reply_to
        message["Subject"] = mail.subject
        message["Date"] = format_datetime(self.ctx.now())
        message["Message-ID"] = f"<pulsebill-{mail.id}@{domain}>"
        message["X-Pulsebill-Kind"] = mail.kind
        message.set_content(mail.text)
        if mail.html:
            message.add_alternative(mail.html, subtype="html")
        return message

    async def _settle(
        self, mail: ClaimedMail, error: str | None, permanent: bool, report: SendReport
    ) -> None:
        now = self.ctx.now()
        outcome = after_attempt(mail.attempt, self.policy, now, error=error, permanent=permanent)
        async with self.ctx.unit_of_work() as uow:
            kept = await settle(uow.session, mail, outcome, now)
        if not kept:
            return
        if error is None:
            report.sent += 1
        elif outcome.status.value == "failed":
            report.failed += 1
            report.errors.append(f"mail {mail.id}: {outcome.last_error}")
        else:
            report.retried += 1


def _reason(exc: BaseException) -> str:
    text = str(exc).replace("\n", " ").strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _permanent(exc: BaseException) -> bool:
    """A 5xx answer (a refused recipient, a rejected login) will not change on retry."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(r.code >= 500 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code >= 500
    return False
