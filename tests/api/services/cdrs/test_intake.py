"""What a CDR must be before any rating: one rule, the same for one CDR and for a batch."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from api.domain.errors import InvalidFields
from api.services.cdrs.intake import MAX_DURATION, batch_problems, cdr_problems, validate_all
from api.services.records import CdrInput

GOOD = CdrInput(
    "sw", "c1", "alice", "outbound", "+12025550100", datetime(2026, 3, 1, tzinfo=UTC), 60
)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"duration": -1}, "duration"),
        ({"duration": MAX_DURATION + 1}, "duration"),
        ({"duration": True}, "duration"),
        ({"direction": "sideways"}, "direction"),
        ({"source": ""}, "source"),
        ({"call_id": "x" * 201}, "call_id"),
        ({"number": "1\x00"}, "number"),
        ({"started_at": datetime(2026, 3, 1)}, "started_at"),
    ],
)
def test_each_bad_field_is_named_the_same_alone_and_in_a_batch(
    change: dict[str, object], field: str
) -> None:
    bad = replace(GOOD, **change)  # type: ignore[arg-type]
    assert [name for name, _ in cdr_problems(bad)] == [field]
    assert [(i, name) for i, name, _ in batch_problems([GOOD, bad, GOOD])] == [(1, field)]


def test_a_good_batch_has_no_problem_and_every_bad_cdr_is_reported_at_once() -> None:
    assert cdr_problems(GOOD) == []
    assert batch_problems([GOOD] * 3) == []
    with pytest.raises(InvalidFields) as raised:
        validate_all([replace(GOOD, duration=-1), GOOD, replace(GOOD, direction="up")])
    assert {f for f, _ in raised.value.problems} == {"cdrs[0].duration", "cdrs[2].direction"}
