"""portal access (hostname, auto-connect origins) and single-use login links

Revision ID: 0008_portal
Revises: 0007_branding_mail
Create Date: 2026-12-07 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008_portal"
down_revision: str | None = "0007_branding_mail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "portal_access",
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column("hostname", _str(length=253), nullable=True),
        sa.Column("hostname_fee_posted", sa.Boolean(), nullable=False),
        sa.Column("auto_connect_origins", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["reseller_id"], ["resellers.id"]),
        sa.PrimaryKeyConstraint("reseller_id"),
        sa.UniqueConstraint("hostname"),
    )
    op.create_table(
        "portal_login_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", _str(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.ForeignKeyConstraint(["reseller_id"], ["resellers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("portal_login_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_login_links_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_portal_login_links_reseller_id"), ["reseller_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("portal_login_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_login_links_reseller_id"))
        batch_op.drop_index(batch_op.f("ix_portal_login_links_client_id"))
    op.drop_table("portal_login_links")
    op.drop_table("portal_access")
