"""Immutable matching tables: longest-prefix match over E.164 digits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Generic, TypeVar

from ratelang.types import Digits

T = TypeVar("T")

_HEAD = 5
"""Digits of a number used to pick the prefix lengths worth probing."""


class PrefixTable(Generic[T]):
    """Maps digit prefixes to values; :meth:`longest_match` finds the longest prefix of a number.

    Built once, never changed. A lookup probes one dict, once per prefix length that can
    match, longest first. The lengths worth probing are chosen by the number's first
    ``_HEAD`` digits: a number starting ``44207`` never probes the lengths only used under
    ``1``. A 100,000-prefix table costs about 8 MiB beyond its keys and values and serves
    about a million lookups a second on one core (bench/bench_ratelang.py).
    """

    __slots__ = ("_by_prefix", "_lengths", "_lengths_by_head", "_short_lengths")

    def __init__(self, items: Iterable[tuple[Digits, T]] = ()) -> None:
        by_prefix: dict[Digits, T] = {}
        for prefix, value in items:
            if prefix in by_prefix:
                raise ValueError(f"duplicate prefix {prefix}")
            by_prefix[prefix] = value
        short = {p for p in by_prefix if len(p) < _HEAD}
        by_head: dict[str, set[int]] = {}
        for prefix in by_prefix:
            if len(prefix) >= _HEAD:
                by_head.setdefault(prefix[:_HEAD], set()).add(len(prefix))
        lengths_by_head: dict[str, tuple[int, ...]] = {}
        shared: dict[tuple[int, ...], tuple[int, ...]] = {}  # one tuple per distinct set
        for head, lengths in by_head.items():
            lengths.update(k for k in range(1, _HEAD) if head[:k] in short)
            ordered = tuple(sorted(lengths, reverse=True))
            lengths_by_head[head] = shared.setdefault(ordered, ordered)
        self._by_prefix = by_prefix
        self._lengths = tuple(sorted({len(p) for p in by_prefix}, reverse=True))
        self._lengths_by_head = lengths_by_head
        self._short_lengths = tuple(sorted({len(p) for p in short}, reverse=True))

    def longest_match(self, digits: Digits) -> tuple[Digits, T] | None:
        """The longest prefix of ``digits`` in the table and its value, or ``None``."""
        # A length beyond the number probes the whole number, which can only match as the
        # longest prefix possible, so no length check is needed.
        table = self._by_prefix
        if len(digits) >= _HEAD:
            lengths = self._lengths_by_head.get(digits[:_HEAD], self._short_lengths)
        else:
            lengths = self._lengths
        for length in lengths:
            prefix = digits[:length]
            value = table.get(prefix)
            if value is not None:
                return prefix, value
        return None

    def get(self, prefix: Digits) -> T | None:
        """The value stored at exactly ``prefix``."""
        return self._by_prefix.get(prefix)

    def items(self) -> Iterator[tuple[Digits, T]]:
        """All (prefix, value) pairs, in prefix order."""
        for prefix in sorted(self._by_prefix):
            yield prefix, self._by_prefix[prefix]

    def as_mapping(self) -> Mapping[Digits, T]:
        """A read-only view of the table."""
        return self._by_prefix

    def __len__(self) -> int:
        return len(self._by_prefix)

    def __contains__(self, prefix: object) -> bool:
        return prefix in self._by_prefix

    def __repr__(self) -> str:
        return f"PrefixTable({len(self)} prefixes)"
