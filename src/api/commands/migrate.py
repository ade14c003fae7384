"""``pulsebill migrate``: bring the configured database to the newest schema."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from api.settings import Settings, redact_url
from api.store.migrate import upgrade


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("migrate", help=__doc__)
    parser.set_defaults(func=run)


def run(_args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        upgrade(settings.database_url)
    except Exception as exc:  # report the failure without a traceback or credentials
        detail = str(exc).replace(settings.database_url, redact_url(settings.database_url))
        print(f"pulsebill migrate: failed: {detail.splitlines()[0]}", file=sys.stderr)
        return 1
    print(f"database at {redact_url(settings.database_url)} is up to date")
    return 0
