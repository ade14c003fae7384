"""``pulsebill send-mail``: deliver every due e-mail of the outbox once, then exit."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from api.mail.config import SmtpConfigError
from api.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "send-mail", help="deliver the queued e-mails over SMTP once (PULSEBILL_SMTP_*)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env()
    except SmtpConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if settings.smtp is None:
        print(
            "send-mail: SMTP is not configured (set PULSEBILL_SMTP_URL, or "
            "PULSEBILL_SMTP_HOST and PULSEBILL_SMTP_FROM); the e-mails stay queued",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(_send(settings))


async def _send(settings: Settings) -> int:
    from api.mail.sender import MailSender
    from api.services.context import build_context
    from api.store.engine import create_engine, make_sessionmaker

    assert settings.smtp is not None
    engine = create_engine(settings.database_url, hide_parameters=True)
    try:
        ctx = build_context(settings, make_sessionmaker(engine))
        report = await MailSender(ctx, settings.smtp).drain()
    finally:
        await engine.dispose()
    print(f"sent {report.sent}, to retry {report.retried}, failed {report.failed}")
    for error in report.errors:
        print(error, file=sys.stderr)
    return 0 if not report.failed else 1
