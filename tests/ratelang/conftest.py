"""Fixtures of the rules-language tests: paths, a small deck, JSON snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from ratelang.deck import load_deck
from ratelang.model import Deck

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
RULES = ROOT / "rules"
BROKEN = HERE / "broken"
SMALL_DECK = HERE / "decks" / "small.csv"

HEADER = """package "P" {
    currency USD
    markup 20%
    route canada value
    route international premium
"""


def package(*lines: str, header: str = HEADER) -> str:
    """A valid package with ``lines`` added to its body."""
    return header + "".join(f"    {line}\n" for line in lines) + "}\n"


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.fixture(scope="session")
def small_deck() -> Deck:
    return load_deck(SMALL_DECK)
