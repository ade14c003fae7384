"""The operator's deck: CSV text to a :class:`~ratelang.model.Deck`.

Format (header row required, names in this order)::

    prefix,country,description,value_rate,premium_rate[,pulse]
    44,GB,United Kingdom,0.0100,0.0150
    4420,GB,United Kingdom - London,0.0080,0.0120,30/6

``prefix``: 1 to 15 digits, not starting with ``0``, unique in the deck. ``country``: an
ISO 3166 alpha-2 code in upper case (or ``XK``). Rates: per minute, ASCII digits, at
most 6 decimal places, from 0 to 1,000. ``pulse`` (optional column, may be empty on a
row): ``60``, ``30/6``, ``1``. Blank lines are skipped; fields are stripped of
surrounding spaces. No NUL character anywhere.

Every problem is collected, with its line, and reported at once in a :class:`DeckError`.
``Deck.version`` is the first 16 hex digits of the SHA-256 of the text (UTF-8).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ratelang.countries import is_country
from ratelang.model import Deck, DeckEntry, Pulse
from ratelang.money import MICRO, parse_amount
from ratelang.tables import PrefixTable
from ratelang.types import Micros

COLUMNS = ("prefix", "country", "description", "value_rate", "premium_rate")
PULSE_COLUMN = "pulse"
MAX_PREFIX_DIGITS = 15
MAX_RATE = 1_000 * MICRO
"""The highest rate per minute a deck may hold: 1,000.000000 (beyond it, a typo)."""
SHOWN_PROBLEMS = 20

_PULSE = re.compile(r"([1-9]\d{0,4})(?:/([1-9]\d{0,4}))?")


@dataclass(frozen=True, slots=True)
class DeckProblem:
    """One thing wrong in a deck: 1-based line, the column's name, what is wrong."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.message}"


class DeckError(ValueError):
    """A deck that cannot be loaded; ``problems`` lists every problem found."""

    def __init__(self, source: str, problems: tuple[DeckProblem, ...]) -> None:
        self.source = source
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:SHOWN_PROBLEMS])
        more = len(problems) - SHOWN_PROBLEMS
        tail = f"\n  … and {more} more" if more > 0 else ""
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{source}: {count} in the deck\n{shown}{tail}")


def load_deck(path: str | os.PathLike[str]) -> Deck:
    """Read and parse the deck file at ``path`` (UTF-8, a leading BOM is ignored)."""
    text = Path(path).read_text(encoding="utf-8-sig")
    return parse_deck(text, source=os.fspath(path))


def parse_deck(text: str, source: str = "<deck>") -> Deck:
    """Parse deck CSV ``text``; raises :class:`DeckError` listing every bad row."""
    text = text.removeprefix("\ufeff")
    version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    rows = _rows(text)
    problems: list[DeckProblem] = []
    header = _read_header(next(rows, None), problems)
    if header is None:
        raise DeckError(source, tuple(problems))
    entries: list[tuple[str, DeckEntry]] = []
    first_line: dict[str, int] = {}
    rates: dict[str, Micros | str] = {}
    pulses: dict[str, Pulse | str] = {}
    for line, row in rows:
        if len(row) != len(header):
            message = f"expected {len(header)} columns ({','.join(header)}), found {len(row)}"
            problems.append(DeckProblem(line, "row", message))
            continue
        before = len(problems)
        if any("\x00" in field for field in row):
            problems.append(DeckProblem(line, "row", "a NUL character"))
            continue
        prefix = row[0].strip()
        country = row[1].strip()
        prefix_ok = _check_prefix(prefix, line, problems)
        if prefix_ok:
            if prefix in first_line:
                message = f"duplicate prefix {prefix} (first on line {first_line[prefix]})"
                problems.append(DeckProblem(line, "prefix", message))
            else:
                first_line[prefix] = line
        if not is_country(country):
            message = f"unknown country {country!r} (ISO 3166 alpha-2, upper case)"
            problems.append(DeckProblem(line, "country", message))
        value_rate = _rate(row[3], "value_rate", line, rates, problems)
        premium_rate = _rate(row[4], "premium_rate", line, rates, problems)
        pulse = _pulse(row[5], line, pulses, problems) if len(row) == 6 else None
        if len(problems) == before and value_rate is not None and premium_rate is not None:
            entry = DeckEntry(
                prefix, country, row[2].strip(), value_rate, premium_rate, pulse, line
            )
            entries.append((prefix, entry))
    if problems:
        raise DeckError(source, tuple(problems))
    return Deck(entries=PrefixTable(entries), version=version, source=source)


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank CSV rows with the line each ends on."""
    reader = csv.reader(io.StringIO(text))
    for row in reader:
        if row and (len(row) > 1 or row[0].strip()):
            yield reader.line_num, row


def _read_header(
    first: tuple[int, list[str]] | None, problems: list[DeckProblem]
) -> tuple[str, ...] | None:
    if first is None:
        problems.append(DeckProblem(1, "header", "empty deck: a header row is required"))
        return None
    line, row = first
    names = tuple(name.strip().lower() for name in row)
    if names in (COLUMNS, (*COLUMNS, PULSE_COLUMN)):
        return names
    expected = ",".join(COLUMNS) + f"[,{PULSE_COLUMN}]"
    problems.append(DeckProblem(line, "header", f"expected {expected}, found {','.join(row)}"))
    return None


def _check_prefix(prefix: str, line: int, problems: list[DeckProblem]) -> bool:
    if not (prefix.isascii() and prefix.isdigit()):
        problems.append(DeckProblem(line, "prefix", f"prefix must be digits: {prefix!r}"))
        return False
    if len(prefix) > MAX_PREFIX_DIGITS:
        message = f"prefix longer than {MAX_PREFIX_DIGITS} digits: {prefix}"
        problems.append(DeckProblem(line, "prefix", message))
        return False
    if prefix[0] == "0":
        message = f"prefix must not start with 0 (E.164 country codes do not): {prefix}"
        problems.append(DeckProblem(line, "prefix", message))
        return False
    return True


def _rate(
    text: str,
    column: str,
    line: int,
    cache: dict[str, Micros | str],
    problems: list[DeckProblem],
) -> Micros | None:
    """A rate in micro-units; a per-deck cache makes repeated rates cheap."""
    result = cache.get(text)
    if result is None:
        try:
            amount = parse_amount(text)
        except ValueError:
            result = f"malformed rate {text.strip()!r} (e.g. 0.0125, at most 6 decimals)"
        else:
            if amount < 0:
                result = f"negative rate {text.strip()!r}"
            elif amount > MAX_RATE:
                result = f"rate {text.strip()!r} is over {MAX_RATE // MICRO:,} per minute"
            else:
                result = amount
        cache[text] = result
    if isinstance(result, str):
        problems.append(DeckProblem(line, column, result))
        return None
    return result


def _pulse(
    text: str, line: int, cache: dict[str, Pulse | str], problems: list[DeckProblem]
) -> Pulse | None:
    """The row's pulse (``60``, ``30/6``, ``1``) or ``None`` for an empty field."""
    result = cache.get(text)
    if result is None:
        stripped = text.strip()
        match = _PULSE.fullmatch(stripped)
        if not stripped:
            return None
        if match is None:
            result = f"malformed pulse {stripped!r} (e.g. 60, 30/6, 1)"
        else:
            first = int(match[1])
            result = Pulse(first, int(match[2]) if match[2] else first)
        cache[text] = result
    if isinstance(result, str):
        problems.append(DeckProblem(line, PULSE_COLUMN, result))
        return None
    return result
