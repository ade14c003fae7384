"""``python -m api.graphql.sdl [--check] [PATH]``: write or check the committed SDL."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from api.graphql.schema import sdl

DEFAULT_PATH = Path("schema.graphql")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.graphql.sdl", description=__doc__)
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true", help="fail when the file is stale")
    args = parser.parse_args(argv)
    current = sdl()
    if args.check:
        stale = not args.path.exists() or args.path.read_text() != current
        if stale:
            print(f"{args.path} is stale; run: python -m api.graphql.sdl", file=sys.stderr)
            return 1
        return 0
    args.path.write_text(current)
    return 0


if __name__ == "__main__":
    sys.exit(main())
