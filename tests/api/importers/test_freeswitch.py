"""Reading ``mod_json_cdr`` records: a folder, one record per file or per line, URL-encoded
values, B legs skipped, direction by the first caller profile's context, errors by place."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.importers.freeswitch import read_json_cdrs
from tests.api.importers.helpers import SAMPLES

START = int(datetime(2026, 11, 10, 11, tzinfo=UTC).timestamp())


def record(**variables: str) -> dict[str, Any]:
    values = {
        "direction": "inbound",
        "uuid": "u-1",
        "start_epoch": str(START),
        "billsec": "60",
        "sip_from_user": "alice",
    } | variables
    profile = {"username": "alice", "destination_number": "442071234567", "context": "default"}
    return {"variables": values, "callflow": [{"profile_index": "1", "caller_profile": profile}]}


def lines(tmp_path: Path, *records: object) -> Path:
    path = tmp_path / "cdrs.json"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_the_sample_folder(tmp_path: Path) -> None:
    got = read_json_cdrs(SAMPLES / "freeswitch", source="fs")
    assert got.places == [
        "a_0b6a8d1e-1111-4000-8000-000000000001.cdr.json",
        "a_0b6a8d1e-3333-4000-8000-000000000003.cdr.json",
        "a_0b6a8d1e-4444-4000-8000-000000000004.cdr.json",
    ]
    assert got.skipped == 1  # the B leg of the first call
    assert [(c.direction, c.sub_account, c.number, c.duration) for c in got.cdrs] == [
        ("outbound", "alice", "442071234567", 60),
        ("inbound", "", "+15145550100", 90),  # URL-encoded %2B; context public
        ("outbound", "bob", "15145551234", 0),  # old callflow object; sip_from_user
    ]
    assert [str(r) for r in got.refused] == [
        "2026-11-10/a_0b6a8d1e-6666-4000-8000-000000000006.cdr.json: variables.billsec: missing",
        "broken.cdr.json: JSON syntax error at line 6, column 5: Expecting ',' delimiter",
    ]


def test_one_record_per_line_with_broken_lines() -> None:
    got = read_json_cdrs(SAMPLES / "freeswitch-lines.json", source="fs")
    assert got.places == ["line 1", "line 2", "line 6"]
    assert [str(r) for r in got.refused] == [
        "line 4: JSON syntax error at column 201: Expecting ',' delimiter",
        "line 5: not a JSON object (a list)",
    ]


def test_values_are_url_decoded_and_accountcode_comes_first(tmp_path: Path) -> None:
    path = lines(tmp_path, record(accountcode="100001_line%20b", uuid="u%2F1"))
    cdr = read_json_cdrs(path, source="fs").cdrs[0]
    assert (cdr.sub_account, cdr.call_id, cdr.started_at) == (
        "100001_line b", "u/1", datetime(2026, 11, 10, 11, tzinfo=UTC),
    )  # fmt: skip


def test_start_uepoch_when_start_epoch_is_absent(tmp_path: Path) -> None:
    path = lines(tmp_path, record(start_epoch="", start_uepoch=str(START * 10**6 + 999_999)))
    assert read_json_cdrs(path, source="fs").cdrs[0].started_at.timestamp() == START


def test_inbound_contexts_are_configurable(tmp_path: Path) -> None:
    path = lines(tmp_path, record())
    cdr = read_json_cdrs(path, source="fs", inbound_contexts=["default"]).cdrs[0]
    assert (cdr.direction, cdr.sub_account, cdr.number) == ("inbound", "", "442071234567")


def test_bad_records_and_files_never_raise(tmp_path: Path) -> None:
    path = lines(
        tmp_path,
        {"no": "variables"},
        record(uuid="", billsec="1.5", start_epoch="soon", sip_from_user=""),
    )
    path.write_bytes(path.read_bytes() + b'{"variables": "caf\xe9"}\n')
    got = read_json_cdrs(path, source="fs")
    assert [str(r) for r in got.refused] == [
        "line 1: no 'variables' object",
        "line 2: variables.uuid: missing",
        "line 2: variables.start_epoch: not a Unix time: 'soon'",
        "line 2: variables.billsec: not a whole number of seconds: '1.5'",
        "line 3: not UTF-8 text (byte 19 of the line)",
    ]
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"\n\n")
    assert [str(r) for r in read_json_cdrs(empty, source="fs").refused] == [
        "the file: empty: no JSON record"
    ]
