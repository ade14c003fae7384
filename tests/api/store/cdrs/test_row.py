"""A CDR row names every column of the table but ``id``, once."""

from __future__ import annotations

from api.store.cdrs.row import CDR_COLUMNS, TRANSACTION_ID, CdrRow
from api.store.tables import Cdr


def test_the_row_has_every_column_of_the_table_once() -> None:
    table = [c.name for c in Cdr.__table__.columns if c.name != "id"]  # type: ignore[attr-defined]
    assert sorted(CDR_COLUMNS) == sorted(table)
    assert len(set(CDR_COLUMNS)) == len(CDR_COLUMNS)
    row = CdrRow._make(range(len(CDR_COLUMNS)))
    assert row[TRANSACTION_ID] == row.transaction_id == CDR_COLUMNS.index("transaction_id")
