"""Every file in broken/ fails to compile with the error output in the snapshot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from ratelang.compile import compile_file
from ratelang.errors import RuleErrors

from .conftest import BROKEN

BROKEN_FILES = sorted(BROKEN.glob("*.rate"))


@pytest.mark.parametrize("path", BROKEN_FILES, ids=lambda p: p.stem)
def test_broken_file_reports_its_errors(
    path: Path, snapshot: SnapshotAssertion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BROKEN.parent)
    with pytest.raises(RuleErrors) as info:
        compile_file(os.path.join("broken", path.name))
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# "), "each broken file says what is wrong on its first line"
    assert all(
        e.file == f"broken/{path.name}" and e.line > 0 and e.column > 0 for e in info.value.errors
    )
    assert info.value.render() == snapshot
