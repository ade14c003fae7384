"""Golden tests: the compiled tables of every file in rules/, as `compile --json` prints them."""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from ratelang.cli import compiled_to_json
from ratelang.compile import compile_file

from .conftest import BROKEN, RULES

RULE_FILES = sorted(RULES.glob("*.rate"))
BROKEN_FILES = sorted(BROKEN.glob("*.rate"))


def test_the_corpora_are_there() -> None:
    assert len(RULE_FILES) >= 4
    assert len(BROKEN_FILES) >= 25


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_rules_compile_to_the_golden_tables(path: Path, json_snapshot: SnapshotAssertion) -> None:
    compiled = compile_file(path.relative_to(RULES.parent))
    assert compiled.warnings == ()
    assert compiled_to_json(compiled) == json_snapshot
