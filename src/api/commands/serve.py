"""``pulsebill serve [--dev] [--host H] [--port P] [--access-log] [--no-daily-billing]``:
run the API under uvicorn (one worker; uvloop and httptools, access log off unless asked
for). The server also runs the daily billing (see :mod:`api.billing_schedule`)."""

from __future__ import annotations

import argparse
import copy
import sys
from dataclasses import replace
from typing import Any

from api.mail.config import SmtpConfigError
from api.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("serve", help="run the GraphQL API (uvicorn, one worker)")
    parser.add_argument("--dev", action="store_true", help="GraphiQL and introspection on")
    parser.add_argument("--host", default=None, help="default: PULSEBILL_HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: PULSEBILL_PORT or 8000")
    parser.add_argument(
        "--access-log", action="store_true", help="log every request (off: it costs CPU)"
    )
    parser.add_argument(
        "--no-daily-billing",
        action="store_true",
        help="do not bill each day (default: on unless PULSEBILL_DAILY_BILLING=0)",
    )
    parser.add_argument("--log-level", default="info", help="uvicorn's log level (info)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app, tune_gc

    try:
        settings = Settings.from_env(dev=args.dev)
    except SmtpConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.no_daily_billing:
        settings = replace(settings, daily_billing=False)
    app = create_app(settings)
    tune_gc()
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=args.port or settings.port,
        ws_max_size=settings.max_body_bytes,
        log_level=args.log_level,
        access_log=args.access_log,
        loop="uvloop",
        http="httptools",
        log_config=log_config(),
    )
    return 0


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with the ``pulsebill`` loggers (the daily billing) on its console
    handler at INFO."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["pulsebill"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
