"""Write a new Alembic revision by comparing the models with a freshly migrated database.

.venv/bin/python scripts/new_migration.py "add statements"
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from api.store.migrate import alembic_config


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'scratch.db'}"
        config = alembic_config(url)
        command.upgrade(config, "head")
        versions = Path(__file__).resolve().parent.parent / "src/api/store/migrations/versions"
        number = len(list(versions.glob("[0-9][0-9][0-9][0-9]_*.py"))) + 1
        script = command.revision(
            config, message=argv[0], autogenerate=True, rev_id=f"{number:04d}"
        )
    paths = [s.path for s in (script if isinstance(script, list) else [script]) if s]
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "ruff", "check", "--fix", "--quiet", *paths], check=False)
    subprocess.run([bin_dir / "ruff", "format", "--quiet", *paths], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
