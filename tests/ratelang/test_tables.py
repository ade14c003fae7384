"""PrefixTable: longest-prefix match, checked against a naive oracle."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ratelang.tables import PrefixTable

TABLE = PrefixTable(
    [("1", "US"), ("1876", "JM"), ("44", "GB"), ("4420", "London"), ("447", "GB mobile")]
)


@pytest.mark.parametrize(
    ("number", "match"),
    [
        ("12125550100", ("1", "US")),
        ("18765551234", ("1876", "JM")),
        ("442079460958", ("4420", "London")),
        ("447700900123", ("447", "GB mobile")),
        ("441632960123", ("44", "GB")),
        ("4", None),
        ("44", ("44", "GB")),  # shorter than the head of three digits
        ("1", ("1", "US")),
        ("187", ("1", "US")),
        ("33123456789", None),
        ("", None),
    ],
)
def test_longest_match(number: str, match: tuple[str, str] | None) -> None:
    assert TABLE.longest_match(number) == match


def test_empty_table_matches_nothing() -> None:
    assert PrefixTable[str]().longest_match("442079460958") is None
    assert len(PrefixTable[str]()) == 0


def test_mapping_interface() -> None:
    assert len(TABLE) == 5
    assert "4420" in TABLE
    assert "442" not in TABLE
    assert TABLE.get("447") == "GB mobile"
    assert TABLE.get("442") is None
    assert [prefix for prefix, _ in TABLE.items()] == ["1", "1876", "44", "4420", "447"]
    assert dict(TABLE.as_mapping()) == dict(TABLE.items())
    assert repr(TABLE) == "PrefixTable(5 prefixes)"


def test_duplicate_prefix_is_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate prefix 44"):
        PrefixTable([("44", 1), ("44", 2)])


digits = st.text(alphabet="0123456789", min_size=1, max_size=8)


@given(
    prefixes=st.sets(digits, max_size=60),
    numbers=st.lists(st.text(alphabet="0123456789", max_size=14), max_size=30),
)
def test_longest_match_equals_naive_search(prefixes: set[str], numbers: list[str]) -> None:
    table = PrefixTable((p, p.upper()) for p in prefixes)
    for number in numbers + [p + "123" for p in prefixes] + list(prefixes):
        candidates = [p for p in prefixes if number.startswith(p)]
        expected = max(candidates, key=len) if candidates else None
        assert table.longest_match(number) == (None if expected is None else (expected, expected))


@given(
    prefixes=st.sets(st.text(alphabet="0123459a", min_size=1, max_size=11), max_size=80),
    numbers=st.lists(st.text(alphabet="0123459a", max_size=15), max_size=40),
)
def test_head_and_short_indexes_equal_naive_search(prefixes: set[str], numbers: list[str]) -> None:
    """Long and short prefixes, numbers of every length, and a non-digit that the indexes
    cannot enumerate: every lookup path agrees with a brute-force search."""
    table = PrefixTable((p, p) for p in prefixes)
    probes = numbers + [p + tail for p in prefixes for tail in ("", "0", "00000", "a1")]
    probes += [p[:-1] for p in prefixes]
    for number in probes:
        candidates = [p for p in prefixes if number.startswith(p)]
        expected = max(candidates, key=len) if candidates else None
        assert table.longest_match(number) == (None if expected is None else (expected, expected))
