"""FreeSWITCH ``mod_json_cdr`` records: a folder of ``*.json`` files (one record each,
as ``log-dir`` writes them: ``<uuid>.cdr.json``, ``a_<uuid>.cdr.json``; sub-folders
included, e.g. rotated ones), or one file holding one record, or one record per line.

A record is a JSON object: ``channel_data``, ``variables`` (string values, URL-encoded
unless ``encode-values`` is false: they are always decoded), ``callflow`` (a list of
caller profiles, or one object in old versions). The mapping to a CDR:

- call id: ``variables.uuid``;
- legs: a leg whose ``variables.direction`` (or ``channel_data.direction``) is
  ``outbound`` is one FreeSWITCH originated (the B leg of a bridged call, logged with
  ``log-b-leg``): it is skipped, each call is billed once from its A leg;
- direction: ``inbound`` when the dialplan context of the call's first caller profile
  (the lowest ``profile_index``) is one of the inbound contexts (default ``public``, where
  FreeSWITCH's stock dialplan puts calls from gateways), else ``outbound``;
- sub account: outbound, ``variables.accountcode``, else ``variables.sip_from_user``,
  else the caller profile's ``username``; inbound, none (the DID names the client);
- number: ``variables.destination_number``, else the first caller profile's
  ``destination_number`` (the number dialled, or the DID called);
- start: ``variables.start_epoch`` (else ``start_uepoch``), Unix time: no time zone;
- duration: ``variables.billsec`` (0 when unanswered: stored for ASR, never charged).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from api.importers.records import ReadCdrs
from api.services.records import CdrInput

DEFAULT_INBOUND_CONTEXTS = ("public",)
COLUMNS = {
    "call_id": "variables.uuid",
    "sub_account": "variables.accountcode",
    "number": "destination_number",
    "started_at": "variables.start_epoch",
    "duration": "variables.billsec",
}
_DIGITS = re.compile(r"[0-9]{1,19}")
_LATEST = datetime(9999, 1, 1, tzinfo=UTC).timestamp()


def read_json_cdrs(
    path: Path, *, source: str, inbound_contexts: Collection[str] = DEFAULT_INBOUND_CONTEXTS
) -> ReadCdrs:
    """Every record under ``path`` (a folder or a file) as a CDR, skipped (a B leg), or
    refused with its file name, line and reasons."""
    read = ReadCdrs(dict(COLUMNS))
    inbound = frozenset(inbound_contexts)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.json") if p.is_file())
        for file in files:
            _read_file(read, file, file.relative_to(path).as_posix(), source, inbound)
    else:
        _read_file(read, path, "", source, inbound)
    return read


def _read_file(read: ReadCdrs, file: Path, name: str, source: str, inbound: frozenset[str]) -> None:
    for where, record in _records(file.read_bytes(), name):
        read.read += 1
        if isinstance(record, str):
            read.refuse(where, [record])
            continue
        problems: list[str] = []
        cdr = _cdr(record, source, inbound, problems)
        if problems:
            read.refuse(where, problems)
        elif cdr is None:
            read.skipped += 1
        else:
            read.add(cdr, where)


def _records(data: bytes, name: str) -> Iterator[tuple[str, dict[str, Any] | str]]:
    """(where, the record or why it is unreadable) of one file: the whole file as one
    JSON object, else one object per line."""
    prefix = f"{name} " if name else ""
    whole = name or "the file"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
    else:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            document, error = None, exc
        else:
            yield whole, _object(document)
            return
    lines = data.splitlines()
    filled = [(n, raw) for n, raw in enumerate(lines, 1) if raw.strip()]
    if not filled:
        yield whole, "empty: no JSON record"
        return
    if text and len(filled) > 1 and not _one_object(filled[0][1]):
        # one JSON document across lines, broken somewhere: say where
        yield whole, f"JSON syntax error at line {error.lineno}, column {error.colno}: {error.msg}"
        return
    for number, raw in filled:
        where = f"{prefix}line {number}"
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield where, f"not UTF-8 text (byte {exc.start + 1} of the line)"
            continue
        try:
            yield where, _object(json.loads(line))
        except json.JSONDecodeError as exc:
            yield where, f"JSON syntax error at column {exc.colno}: {exc.msg}"


def _one_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False


def _object(document: object) -> dict[str, Any] | str:
    if isinstance(document, dict):
        return document
    return f"not a JSON object (a {type(document).__name__})"


def _cdr(
    record: dict[str, Any], source: str, inbound: frozenset[str], problems: list[str]
) -> CdrInput | None:
    """The CDR of one record; ``None`` for a B leg; ``problems`` says what is wrong."""
    variables = record.get("variables")
    if not isinstance(variables, dict):
        problems.append("no 'variables' object")
        return None
    channel = record.get("channel_data")
    leg = _text(variables, "direction") or (
        _text(channel, "direction") if isinstance(channel, dict) else ""
    )
    if leg.lower() == "outbound":
        return None
    profile = _first_profile(record.get("callflow"))
    call_id = _text(variables, "uuid")
    if not call_id:
        problems.append("variables.uuid: missing")
    number = _text(variables, "destination_number") or _text(profile, "destination_number")
    if not number:
        problems.append("destination_number: missing (variables or callflow caller_profile)")
    if _text(profile, "context") in inbound:
        direction, sub_account = "inbound", ""
    else:
        direction = "outbound"
        sub_account = (
            _text(variables, "accountcode")
            or _text(variables, "sip_from_user")
            or _text(profile, "username")
        )
        if not sub_account:
            problems.append("no sub account: variables.accountcode and sip_from_user missing")
    started = _start(variables, problems)
    billsec = _text(variables, "billsec")
    if not billsec:
        problems.append("variables.billsec: missing")
    elif not _DIGITS.fullmatch(billsec):
        problems.append(f"variables.billsec: not a whole number of seconds: {billsec[:40]!r}")
    if problems or started is None:
        return None
    return CdrInput(source, call_id, sub_account, direction, number, started, int(billsec))


def _start(variables: dict[str, Any], problems: list[str]) -> datetime | None:
    seconds = _text(variables, "start_epoch")
    micros = _text(variables, "start_uepoch")
    if _DIGITS.fullmatch(seconds) and int(seconds) > 0:
        epoch = int(seconds)
    elif _DIGITS.fullmatch(micros) and int(micros) > 0:
        epoch = int(micros) // 1_000_000
    else:
        problems.append(f"variables.start_epoch: not a Unix time: {(seconds or micros)[:40]!r}")
        return None
    if epoch >= _LATEST:
        problems.append(f"variables.start_epoch: out of range: {seconds or micros}")
        return None
    return datetime.fromtimestamp(epoch, UTC)


def _first_profile(callflow: object) -> dict[str, Any]:
    """The caller profile the call started with (the lowest ``profile_index``)."""
    flows = callflow if isinstance(callflow, list) else [callflow]
    found: list[tuple[int, int, dict[str, Any]]] = []
    for i, flow in enumerate(flows):
        if isinstance(flow, dict) and isinstance(profile := flow.get("caller_profile"), dict):
            index = _text(flow, "profile_index")
            found.append((int(index) if _DIGITS.fullmatch(index) else i + 1, i, profile))
    return min(found)[2] if found else {}


def _text(values: object, key: str) -> str:
    """The decoded text of ``values[key]`` ("" when absent or not text)."""
    value = values.get(key) if isinstance(values, dict) else None
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    return unquote(value, errors="surrogateescape").strip() if isinstance(value, str) else ""
