"""The ``cli`` and ``migrated`` fixtures of test_cli.py, for every command's tests."""

from tests.api.commands.test_cli import cli, migrated

__all__ = ["cli", "migrated"]
