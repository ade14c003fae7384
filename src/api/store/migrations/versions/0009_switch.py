"""the switch: call reservations of hard clients (switch tokens need no schema change:
``api_tokens.role`` is free text of 16 characters and takes ``switch``)

Revision ID: 0009_switch
Revises: 0008_portal
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0009_switch"
down_revision: str | None = "0008_portal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "call_reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column("call_id", _str(length=200), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("free_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.ForeignKeyConstraint(["reseller_id"], ["resellers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reseller_id", "call_id"),
    )
    with op.batch_alter_table("call_reservations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_call_reservations_client_id"), ["client_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("call_reservations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_reservations_client_id"))
    op.drop_table("call_reservations")
