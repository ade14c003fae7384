"""``pulsebill``: the service's one command-line entry point."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

# Each module defines ``register(subparsers)``; its sub-command sets ``func(args) -> int``.
COMMAND_MODULES = (
    "api.commands.serve",
    "api.commands.migrate",
    "api.commands.demo",
    "api.commands.deck",
    "api.commands.reseller",
    "api.commands.tokens",
    "api.commands.bill",
    "api.commands.rate",
    "api.commands.paypal_verify",
    "api.commands.send_mail",
    "api.commands.import_cdrs",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pulsebill", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
