"""The benchmark script runs end to end at tiny sizes (PostgreSQL used when reachable)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).parents[2] / "bench" / "bench_ratelang.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_ratelang", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_ratelang"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("postgres", [False, True])
def test_quick_run_prints_every_figure(postgres: bool, capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_bench()
    argv = ["--quick"] if postgres else ["--quick", "--no-postgres"]
    assert bench.main(argv) == 0
    out = capsys.readouterr().out
    for label in (
        "deck load",
        "compile (200 rules)",
        "longest-prefix lookups",
        "price() calls",
        "prefix table memory",
        "SQLite lookups (300, same answers)",
        "PostgreSQL lookups",
    ):
        assert label in out
    assert "DIFFERENT ANSWERS" not in out
    assert "target ≥ 1,000,000 /s" in out
