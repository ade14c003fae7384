"""Immutable matching tables: longest-prefix match over E.164 digits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import Generic, TypeAlias, TypeVar

from ratelang.types import Digits

T = TypeVar("T")

_HEAD = 5
"""Digits of a number that pick its entry in the head index."""
_SHORT = 3
"""Digits to which the short index extends the shortest prefixes (at most 10**_SHORT keys)."""

_Match: TypeAlias = tuple[Digits, T]
_Entry: TypeAlias = tuple[tuple[int, ...], _Match[T] | None]


@cache
def _tails(length: int) -> tuple[str, ...]:
    """Every string of ``length`` digits: ``"00"`` to ``"99"`` for 2."""
    return tuple(str(n).zfill(length) for n in range(10**length))


class PrefixTable(Generic[T]):
    """Maps digit prefixes to values; :meth:`longest_match` finds the longest prefix of a number.

    Built once, never changed. Two indexes are precomputed so that most lookups cost one
    to three dict probes:

    - the head index, keyed by the first ``_HEAD`` digits of every prefix at least that
      long: the lengths longer than ``_HEAD`` used under that head (longest first) and the
      answer when none of them matches, the longest prefix of at most ``_HEAD`` digits;
    - the short index, for a number whose head is in no prefix of ``_HEAD`` digits or more:
      the answer for its first ``_HEAD - 1`` digits when they are a prefix, else for its
      first ``_SHORT`` digits (every ``_SHORT``-digit extension of a shorter prefix is a
      key, so the index never holds more than ``10**_SHORT`` of those).

    A number shorter than ``_HEAD`` digits probes every length, longest first; one with
    characters other than ASCII digits that neither index answers probes the lengths
    shorter than ``_HEAD``. A 100,000-prefix table costs about 9 MiB beyond its keys and values and
    serves about 1.6 million lookups a second on one core (bench/bench_ratelang.py).
    """

    __slots__ = ("_by_prefix", "_heads", "_lengths", "_short", "_short_lengths")

    def __init__(self, items: Iterable[tuple[Digits, T]] = ()) -> None:
        by_prefix: dict[Digits, T] = {}
        for prefix, value in items:
            if prefix in by_prefix:
                raise ValueError(f"duplicate prefix {prefix}")
            by_prefix[prefix] = value
        self._by_prefix = by_prefix
        self._lengths = tuple(sorted({len(p) for p in by_prefix}, reverse=True))
        self._short_lengths = tuple(n for n in self._lengths if n < _HEAD)
        short_lengths = tuple(n for n in self._lengths if n <= _HEAD)
        matches: dict[Digits, _Match[T]] = {}  # one shared answer tuple per prefix

        def best(head: str) -> _Match[T] | None:
            """The longest prefix of ``head`` of at most ``_HEAD`` digits."""
            for length in short_lengths:
                prefix = head[:length]
                value = by_prefix.get(prefix)
                if value is not None:
                    match = matches.get(prefix)
                    if match is None:
                        match = matches[prefix] = (prefix, value)
                    return match
            return None

        longer: dict[str, set[int]] = {}
        for prefix in by_prefix:
            if len(prefix) >= _HEAD:
                lengths = longer.setdefault(prefix[:_HEAD], set())
                if len(prefix) > _HEAD:
                    lengths.add(len(prefix))
        shared: dict[tuple[int, ...], tuple[int, ...]] = {}  # one tuple per distinct set
        heads: dict[str, _Entry[T]] = {}
        for head, lengths in longer.items():
            ordered = tuple(sorted(lengths, reverse=True))
            heads[head] = (shared.setdefault(ordered, ordered), best(head))
        # Shorter prefixes first, so that a longer one overwrites the keys it covers.
        short: dict[str, _Match[T]] = {}
        for prefix in sorted((p for p in by_prefix if len(p) < _HEAD), key=len):
            match = best(prefix)
            if match is None:
                continue
            if len(prefix) >= _SHORT:
                short[prefix] = match
            elif prefix.isascii() and prefix.isdigit():
                for tail in _tails(_SHORT - len(prefix)):
                    short[prefix + tail] = match
        self._heads = heads
        self._short = short

    def longest_match(self, digits: Digits) -> tuple[Digits, T] | None:
        """The longest prefix of ``digits`` in the table and its value, or ``None``."""
        if len(digits) >= _HEAD:
            entry = self._heads.get(digits[:_HEAD])
            if entry is not None:
                lengths, shorter = entry
                if lengths:
                    table = self._by_prefix
                    # A length beyond the number probes the whole number, which can only
                    # match as the longest prefix possible, so no length check is needed.
                    for length in lengths:
                        prefix = digits[:length]
                        value = table.get(prefix)
                        if value is not None:
                            return prefix, value
                return shorter
            # No prefix of _HEAD digits or more matches: only the shorter ones can.
            if not self._short_lengths:
                return None
            short = self._short
            match = short.get(digits[: _HEAD - 1]) or short.get(digits[:_SHORT])
            if match is not None:
                return match
            head = digits[:_SHORT]
            if head.isascii() and head.isdigit():
                return None  # the short index has every answer for ASCII digits
            lengths = self._short_lengths
        else:
            lengths = self._lengths
        table = self._by_prefix
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
