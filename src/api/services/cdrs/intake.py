"""What a CDR must be before any rating: the one rule for a CDR row, whether it came from
GraphQL or from a CSV file. Bad input is :class:`~api.domain.errors.InvalidInput` naming
every field at fault; nothing is written."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from api.domain.errors import raise_all
from api.domain.limits import moment_problem
from api.domain.tenants import tenant_username
from api.domain.text import text_problem
from api.services.records import CdrInput

DIRECTIONS = frozenset({"outbound", "inbound"})
MAX_DURATION = 7 * 24 * 3600


def cdr_problems(cdr: CdrInput) -> list[tuple[str, str]]:
    """Every reason a CDR cannot be stored, as (field, message), ``[]`` when it can: the one
    rule for a CDR row, whether it came from GraphQL or from a CSV file."""
    problems: list[tuple[str, str]] = []
    duration = cdr.duration
    if isinstance(duration, bool) or not isinstance(duration, int):
        problems.append(("duration", "must be a whole number of seconds"))
    elif duration < 0:
        problems.append(("duration", f"must be ≥ 0 seconds, got {duration}"))
    elif duration > MAX_DURATION:
        problems.append(("duration", f"longer than {MAX_DURATION} seconds"))
    if cdr.direction not in DIRECTIONS:
        problems.append(("direction", "must be outbound or inbound"))
    for name, value, shortest, longest in (
        ("source", cdr.source, 1, 100),
        ("call_id", cdr.call_id, 1, 200),
        ("sub_account", cdr.sub_account, 0, 100),
        ("number", cdr.number, 0, 64),
    ):
        if not shortest <= len(value) <= longest:
            problems.append((name, f"must be {shortest}..{longest} characters"))
        elif problem := text_problem(value):
            problems.append((name, problem))
    started = cdr.started_at
    if not isinstance(started, datetime) or started.tzinfo is None:
        problems.append(("started_at", "must be a time with a UTC offset"))
    elif problem := moment_problem(started):
        problems.append(("started_at", problem))
    return problems


def validate(cdr: CdrInput, field: str) -> None:
    """Bad input that no rating can store: raise :class:`InvalidFields` with every problem,
    each named ``{field}.{column}``."""
    raise_all([(f"{field}.{name}", message) for name, message in cdr_problems(cdr)])


def validate_all(cdrs: Sequence[CdrInput]) -> None:
    """:func:`validate` every CDR and raise every problem at once (named ``cdrs[i].…``)."""
    raise_all([(f"cdrs[{i}].{name}", message) for i, name, message in batch_problems(cdrs)])


def batch_problems(cdrs: Sequence[CdrInput]) -> list[tuple[int, str, str]]:
    """:func:`cdr_problems` of every CDR as (index, field, message); the common all-good
    case in one tight loop (about 1 µs a CDR)."""
    directions = DIRECTIONS
    checked: set[datetime] = set()  # aware datetimes in range (most CDRs share a few)
    problems: list[tuple[int, str, str]] = []
    for i, c in enumerate(cdrs):
        d = c.duration
        texts = c.source + c.call_id + c.sub_account + c.number
        if (
            type(d) is not int
            or not 0 <= d <= MAX_DURATION
            or c.direction not in directions
            or not 0 < len(c.source) <= 100
            or not 0 < len(c.call_id) <= 200
            or len(c.sub_account) > 100
            or len(c.number) > 64
            or "\x00" in texts
            or (not texts.isascii() and text_problem(texts))
            or c.started_at not in checked
        ):
            found = cdr_problems(c)
            problems.extend((i, name, message) for name, message in found)
            if not found:
                if len(checked) > 10_000:
                    checked.clear()
                checked.add(c.started_at)
    return problems


def in_namespace(tenant: int, cdr: CdrInput) -> CdrInput:
    """The CDR naming its line by SIP username: a short name (``line-b``) is taken in the
    tenant's namespace (``100001_line-b``); a full one is kept (another tenant's line is
    never matched, its prefix is not the tenant's). For the real-time path, whose SQL
    looks the line up by name; the batch path resolves names with
    :func:`~api.services.cdrs.lines.resolve_lines`."""
    username = tenant_username(tenant, cdr.sub_account)
    if username == cdr.sub_account:
        return cdr
    c = cdr  # built directly: ``dataclasses.replace`` costs ~4 µs a CDR
    return CdrInput(c.source, c.call_id, username, c.direction, c.number, c.started_at, c.duration)
