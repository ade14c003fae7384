"""resellers' contact data

Revision ID: 0005_lifecycles
Revises: 0004_paypal
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005_lifecycles"
down_revision: str | None = "0004_paypal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (("email", 320), ("phone", 32), ("address", 500))


def upgrade() -> None:
    # Plain ADD COLUMN with a default: on SQLite a batch (copy-and-move) of ``resellers``
    # would drop a table that every tenant row references, which its foreign keys refuse.
    for name, length in _COLUMNS:
        op.add_column(
            "resellers",
            sa.Column(
                name,
                sqlmodel.sql.sqltypes.AutoString(length=length),
                nullable=False,
                server_default="",
            ),
        )
    if op.get_bind().dialect.name != "sqlite":  # SQLite cannot drop a column default
        for name, _ in _COLUMNS:
            op.alter_column("resellers", name, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("resellers") as batch:
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
