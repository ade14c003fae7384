"""``pulsebill serve [--dev] [--host H] [--port P]``: run the API under uvicorn."""

from __future__ import annotations

import argparse
from typing import Any

from api.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("serve", help="run the GraphQL API (uvicorn, one worker)")
    parser.add_argument("--dev", action="store_true", help="GraphiQL and introspection on")
    parser.add_argument("--host", default=None, help="default: PULSEBILL_HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: PULSEBILL_PORT or 8000")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    settings = Settings.from_env(dev=args.dev)
    uvicorn.run(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port or settings.port,
        ws_max_size=settings.max_body_bytes,
        log_level="info",
    )
    return 0
