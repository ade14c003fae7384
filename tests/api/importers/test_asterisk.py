"""Reading ``cdr_csv`` files: columns by ``cdr.conf`` options, the call id, the sub
account from the channel, direction by context, time zones, broken lines by number."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from api.importers.asterisk import BASE_COLUMNS, columns_for, read_master_csv
from api.importers.records import ReadCdrs
from tests.api.importers.helpers import master_line as record


def read(tmp_path: Path, body: str | bytes, **options: object) -> ReadCdrs:
    path = tmp_path / "Master.csv"
    if isinstance(body, str):
        path.write_text(body, encoding="utf-8")
    else:
        path.write_bytes(body)
    return read_master_csv(path, source="pbx", **options)  # type: ignore[arg-type]


def test_columns_follow_the_documented_options() -> None:
    assert len(BASE_COLUMNS) == 16
    assert columns_for(["loguniqueid", "loguserfield", "newcdrcolumns"])[16:] == (
        "uniqueid", "userfield", "peeraccount", "linkedid", "sequence",
    )  # fmt: skip
    assert columns_for(["newcdrcolumns", "loguniqueid"])[16:17] == ("uniqueid",)


@pytest.mark.parametrize(
    ("channel", "peer"),
    [
        ("SIP/alice-0000001a", "alice"),
        ("PJSIP/alice-00000001", "alice"),
        ("IAX2/alice-1234", "alice"),
        ("PJSIP/line-b-0000000f", "line-b"),
        ("Local/100@from-internal-00000001;1", "100@from-internal"),
        ("SIP/bob", "bob"),
    ],
)
def test_the_sub_account_is_the_channel_peer_without_accountcode(
    tmp_path: Path, channel: str, peer: str
) -> None:
    got = read(tmp_path, record(channel=channel, extra=("1.1",)))
    assert got.cdrs[0].sub_account == peer
    assert read(tmp_path, record(account="acct", channel=channel)).cdrs[0].sub_account == "acct"


def test_without_a_uniqueid_column_the_call_id_is_a_stable_hash(tmp_path: Path) -> None:
    first = read(tmp_path, record() + record() + record(billsec="61"))
    ids = [c.call_id for c in first.cdrs]
    assert ids[0] == ids[1] != ids[2]
    assert ids[0].startswith("ast-")
    assert len(ids[0]) == 36
    # the same call logged later with loguserfield on keeps its id
    userfield = read(tmp_path, record(extra=("note",)), options=["loguserfield"])
    assert userfield.cdrs[0].call_id == ids[0]


def test_uniqueid_and_sequence(tmp_path: Path) -> None:
    body = (
        record(extra=("1762776000.7",))  # 17: loguniqueid
        + record(extra=("1762776000.8", "note"))  # 18: + loguserfield
        + record(extra=("1762776000.9", "peer", "1762776000.9", "3"))  # 20: + newcdrcolumns
    )
    assert [c.call_id for c in read(tmp_path, body).cdrs] == [
        "1762776000.7", "1762776000.8", "1762776000.9-3",
    ]  # fmt: skip


def test_explicit_options_refuse_rows_of_another_width(tmp_path: Path) -> None:
    got = read(tmp_path, record(extra=("u",)) + record(), options=["loguniqueid"])
    assert [c.call_id for c in got.cdrs] == ["u"]
    assert [str(r) for r in got.refused] == ["line 2: expected 17 columns (cdr_csv), found 16"]


def test_direction_and_answers(tmp_path: Path) -> None:
    body = (
        record(context="from-pstn", dst="15145550100", channel="PJSIP/trunk-00000001")
        + record(context="did-in", dst="15145550101")
        + record(disposition="NO ANSWER", billsec="0")
        + record(disposition="BUSY", billsec="12")  # billsec of a busy call is not billed
        + record(disposition="ANSWERED", billsec="0")
    )
    default = read(tmp_path, body)
    assert [(c.direction, c.sub_account, c.number) for c in default.cdrs[:2]] == [
        ("inbound", "", "15145550100"),
        ("outbound", "alice", "15145550101"),
    ]
    assert [c.duration for c in default.cdrs[2:]] == [0, 0, 0]
    assert default.unanswered == 3
    custom = read(tmp_path, body, inbound_contexts=["did-in"])
    assert [c.direction for c in custom.cdrs[:2]] == ["outbound", "inbound"]


def test_start_times_in_utc_or_a_zone(tmp_path: Path) -> None:
    summer = record(start="2026-07-01 12:00:00")
    assert read(tmp_path, summer).cdrs[0].started_at == datetime(2026, 7, 1, 12, tzinfo=UTC)
    paris = read(tmp_path, summer, zone=ZoneInfo("Europe/Paris")).cdrs[0].started_at
    assert (paris, paris.tzinfo) == (datetime(2026, 7, 1, 10, tzinfo=UTC), UTC)


def test_local_time_is_this_machines_with_its_dst(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    try:
        got = read(tmp_path, record(start="2026-07-01 12:00:00") + record(), zone=None)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert [c.started_at for c in got.cdrs] == [
        datetime(2026, 7, 1, 10, tzinfo=UTC),  # CEST, UTC+2
        datetime(2026, 11, 10, 10, tzinfo=UTC),  # CET, UTC+1
    ]


def test_a_header_bom_crlf_and_blank_lines_are_tolerated(tmp_path: Path) -> None:
    header = ",".join(BASE_COLUMNS)
    body = "\ufeff" + header + "\r\n\r\n" + record().replace("\n", "\r\n")
    got = read(tmp_path, body)
    assert (got.read, len(got.cdrs), got.refused) == (1, 1, [])


def test_bad_files_never_raise(tmp_path: Path) -> None:
    assert read(tmp_path, b"").read == 0
    binary = read(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\n")
    assert binary.cdrs == []
    assert [r.where for r in binary.refused] == ["line 1", "line 2", "line 3"]
    json_file = read(tmp_path, '{"variables": {"uuid": "x"}}\n')
    assert [str(r) for r in json_file.refused] == [
        "line 1: expected 16 to 21 columns (cdr_csv), found 1"
    ]


def test_every_problem_of_a_line_is_reported(tmp_path: Path) -> None:
    got = read(tmp_path, record(start="yesterday", billsec="-1", disposition="?", dst=""))
    assert [r.reason.split(":")[0] for r in got.refused] == [
        "start", "billsec", "dst",
    ]  # fmt: skip
