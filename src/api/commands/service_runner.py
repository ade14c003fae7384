"""Running one use case from the command line: engine, context, clean errors, exit code."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError, OperationalError

from api.domain.errors import DeckRejected, RuleCompileFailed, ServiceError
from api.services.context import ServicesContext, build_context
from api.settings import Settings
from api.store.engine import create_engine, make_sessionmaker


def run(job: Callable[[ServicesContext], Awaitable[int]]) -> int:
    """Run ``job`` with a context from the environment; service errors go to stderr, exit 1."""
    try:
        return asyncio.run(_run(job))
    except ServiceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        details: tuple[object, ...] = ()
        if isinstance(exc, RuleCompileFailed):
            details = tuple(p.rendered or str(p) for p in exc.errors)
        elif isinstance(exc, DeckRejected):
            details = exc.problems
        for detail in details[:50]:
            print(f"  {detail}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except UnicodeDecodeError as exc:
        print(f"error: the file is not UTF-8 text (byte {exc.start})", file=sys.stderr)
        return 1
    except OperationalError as exc:
        if "no such table" in str(exc) or "does not exist" in str(exc):
            print("error: the database has no schema yet; run `pulsebill migrate`", file=sys.stderr)
        else:
            print(f"error: database unavailable ({type(exc.orig).__name__})", file=sys.stderr)
        return 1
    except DBAPIError as exc:  # one line, no statement, no parameters
        print(
            f"error: the database refused the change ({type(exc.orig).__name__})", file=sys.stderr
        )
        return 1


async def _run(job: Callable[[ServicesContext], Awaitable[int]]) -> int:
    settings = Settings.from_env()
    engine = create_engine(settings.database_url)
    try:
        ctx = build_context(settings, make_sessionmaker(engine))
        return await job(ctx)
    finally:
        await engine.dispose()
