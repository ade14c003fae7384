"""Asterisk ``cdr_csv`` files (``Master.csv``, or a per-account ``<accountcode>.csv``).

``cdr_csv`` writes one record per line, no header, strings in double quotes (a quote
doubled), in this order: ``accountcode, src, dst, dcontext, clid, channel, dstchannel,
lastapp, lastdata, start, answer, end, duration, billsec, disposition, amaflags``, then
``uniqueid`` when ``cdr.conf`` ``[csv]`` has ``loguniqueid=yes``, ``userfield`` with
``loguserfield=yes``, and ``peeraccount, linkedid, sequence`` with ``newcdrcolumns=yes``.
Times are ``YYYY-MM-DD HH:MM:SS`` in the Asterisk server's local time, or in UTC with
``usegmtime=yes``.

The mapping to a CDR:

- call id: ``uniqueid`` (``uniqueid-sequence`` when ``sequence`` is logged: Asterisk 12+
  writes several CDRs of one channel after a transfer); without a ``uniqueid`` column,
  ``ast-`` and the first 32 hex digits of the SHA-256 of the 16 base columns (the same
  row always gets the same id, whatever optional columns are turned on later);
- direction: ``inbound`` when ``dcontext`` is one of the inbound contexts (the calls
  from the operator's trunks to a DID), else ``outbound``;
- sub account: outbound, ``accountcode``, else the peer of ``channel``
  (``SIP/alice-0000001a``, ``PJSIP/alice-00000001`` → ``alice``); inbound, none (the
  DID names the client);
- number: ``dst`` (the number dialled, or the DID called);
- start: ``start`` in the given time zone; duration: ``billsec`` when ``disposition``
  is ``ANSWERED``, else 0 (``NO ANSWER``, ``BUSY``, ``FAILED``, ``CONGESTION``: stored
  for ASR, never charged).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from api.importers.records import ReadCdrs
from api.services.records import CdrInput

BASE_COLUMNS = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
)  # fmt: skip
OPTIONS = {  # cdr.conf [csv] option → the columns it appends, in cdr_csv's order
    "loguniqueid": ("uniqueid",),
    "loguserfield": ("userfield",),
    "newcdrcolumns": ("peeraccount", "linkedid", "sequence"),
}
AUTO_OPTIONS = {  # without --csv-options: the options a row's column count tells
    16: (),
    17: ("loguniqueid",),
    18: ("loguniqueid", "loguserfield"),
    19: ("newcdrcolumns",),
    20: ("loguniqueid", "newcdrcolumns"),
    21: ("loguniqueid", "loguserfield", "newcdrcolumns"),
}
DEFAULT_INBOUND_CONTEXTS = ("from-pstn", "from-trunk")
ANSWERED = "ANSWERED"
UNANSWERED = frozenset({"NO ANSWER", "BUSY", "FAILED", "CONGESTION"})
COLUMNS = {  # a CdrInput field → the column it comes from (for messages)
    "call_id": "uniqueid",
    "sub_account": "accountcode",
    "number": "dst",
    "started_at": "start",
    "duration": "billsec",
}
_SECONDS = re.compile(r"[0-9]{1,9}")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_PEER = re.compile(r"[^/]+/(.+?)(?:-[0-9a-fA-F]+)?(?:;[0-9]+)?")
_USED = (  # the columns read: a byte that is not UTF-8 elsewhere (a clid) does no harm
    "accountcode", "channel", "dst", "dcontext", "start", "billsec", "disposition",
    "uniqueid", "sequence",
)  # fmt: skip


def columns_for(options: Collection[str]) -> tuple[str, ...]:
    """The columns of a row written with these ``cdr.conf`` ``[csv]`` options on."""
    extra = tuple(c for name, added in OPTIONS.items() if name in options for c in added)
    return BASE_COLUMNS + extra


_AUTO_COLUMNS = {count: columns_for(options) for count, options in AUTO_OPTIONS.items()}


def read_master_csv(
    path: Path,
    *,
    source: str,
    zone: tzinfo | None = UTC,
    inbound_contexts: Collection[str] = DEFAULT_INBOUND_CONTEXTS,
    options: Collection[str] | None = None,
) -> ReadCdrs:
    """Every line of a ``cdr_csv`` file as a CDR, or refused with its line number and
    reasons. ``zone``: the zone of the times (``None``: this machine's local time, DST
    included, as the C library knows it). ``options``: the ``[csv]`` options the file
    was written with (``None``: told by each row's column count, 17 columns being
    ``loguniqueid``)."""
    read = ReadCdrs(dict(COLUMNS))
    fixed = None if options is None else columns_for(options)
    inbound = frozenset(inbound_contexts)
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            _read_line(read, raw, number, source, zone, inbound, fixed)
    return read


def _read_line(
    read: ReadCdrs,
    raw: bytes,
    number: int,
    source: str,
    zone: tzinfo | None,
    inbound: frozenset[str],
    fixed: tuple[str, ...] | None,
) -> None:
    where = f"line {number}"
    try:
        text, utf8 = raw.decode("utf-8").rstrip("\r\n"), True
    except UnicodeDecodeError:
        text, utf8 = raw.decode("utf-8", "surrogateescape").rstrip("\r\n"), False
    if number == 1:
        text = text.removeprefix("\ufeff")
    if not text.strip():
        return
    try:
        row = next(csv.reader([text], strict=True))
    except csv.Error as exc:
        read.read += 1
        read.refuse(where, [f"not a CSV record ({exc})"])
        return
    if number == 1 and row and row[0].strip().lower() == "accountcode":
        return  # a header row added by hand (cdr_csv writes none)
    read.read += 1
    names = fixed if fixed is not None else _auto_columns(len(row))
    if names is None or len(names) != len(row):
        expected = "16 to 21" if names is None else str(len(names))
        read.refuse(where, [f"expected {expected} columns (cdr_csv), found {len(row)}"])
        return
    fields = dict(zip(names, row, strict=True))
    problems = [] if utf8 else _not_text(fields)
    if problems:
        read.refuse(where, problems)
        return
    cdr = _cdr(fields, row[: len(BASE_COLUMNS)], source, zone, inbound, problems)
    if problems or cdr is None:
        read.refuse(where, problems)
    else:
        read.add(cdr, where)


def _auto_columns(count: int) -> tuple[str, ...] | None:
    return _AUTO_COLUMNS.get(count)


def _not_text(fields: dict[str, str]) -> list[str]:
    """The columns read whose bytes are not UTF-8 (a Latin-1 byte in ``clid`` does no harm)."""
    return [f"{name}: not UTF-8 text" for name in _USED if not _is_text(fields.get(name, ""))]


def _is_text(value: str) -> bool:
    return value.isascii() or not any("\udc80" <= ch <= "\udcff" for ch in value)


def _cdr(
    fields: dict[str, str],
    base: list[str],
    source: str,
    zone: tzinfo | None,
    inbound_contexts: frozenset[str],
    problems: list[str],
) -> CdrInput | None:
    started = _start(fields["start"].strip(), zone, problems)
    disposition = fields["disposition"].strip().upper()
    billsec = fields["billsec"].strip()
    seconds = 0
    if not _SECONDS.fullmatch(billsec):
        problems.append(f"billsec: not a whole number of seconds: {billsec[:40]!r}")
    elif disposition == ANSWERED:
        seconds = int(billsec)
    elif disposition not in UNANSWERED:
        problems.append(
            f"disposition: {disposition[:40]!r} is none of ANSWERED, NO ANSWER, BUSY, "
            "FAILED, CONGESTION"
        )
    number = fields["dst"].strip()
    if fields["dcontext"].strip() in inbound_contexts:
        direction, sub_account = "inbound", ""
        if not number:
            problems.append("dst: empty (the DID called)")
    else:
        direction = "outbound"
        sub_account = fields["accountcode"].strip() or _peer(fields["channel"].strip())
        if not sub_account:
            problems.append("no sub account: accountcode and channel are empty")
        if not number:
            problems.append("dst: empty (the number dialled)")
    if problems or started is None:
        return None
    return CdrInput(
        source, _call_id(fields, base), sub_account, direction, number, started, seconds
    )


def _start(value: str, zone: tzinfo | None, problems: list[str]) -> datetime | None:
    try:  # fromisoformat is 10 times faster than strptime; the pattern keeps it strict
        if not _TIME.fullmatch(value):
            raise ValueError(value)
        local = datetime.fromisoformat(value)
    except ValueError:
        problems.append(f"start: not a time like 2026-11-10 12:00:00: {value[:40]!r}")
        return None
    if zone is UTC:
        return local.replace(tzinfo=UTC)
    try:
        aware = local if zone is None else local.replace(tzinfo=zone)
        return aware.astimezone(UTC)
    except OverflowError:
        problems.append(f"start: out of range: {value!r}")
        return None


def _peer(channel: str) -> str:
    """``SIP/alice-0000001a`` → ``alice``; ``PJSIP/alice-00000001`` → ``alice``."""
    found = _PEER.fullmatch(channel)
    return found.group(1) if found else ""


def _call_id(fields: dict[str, str], base: Iterable[str]) -> str:
    uniqueid = fields.get("uniqueid", "").strip()
    if not uniqueid:
        digest = hashlib.sha256("\x1f".join(base).encode("utf-8", "surrogateescape"))
        return "ast-" + digest.hexdigest()[:32]
    sequence = fields.get("sequence", "").strip()
    return f"{uniqueid}-{sequence}" if sequence else uniqueid
