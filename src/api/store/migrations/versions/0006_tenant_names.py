"""tenant namespaces for SIP and portal usernames

Every sub account's SIP username and every client's portal username gets its reseller's
prefix, ``<100000 + reseller id>_`` (``line-b`` of reseller 1 becomes ``100001_line-b``);
a name that already starts with its own reseller's prefix is kept. Data only, no DDL.

If two names of one reseller would become the same, or a name would exceed the columns'
100 characters, the migration stops with a message naming the rows and writes nothing:
rename those first. The rule is written out here (not imported from ``api.domain``) so
that this migration keeps doing what it did when the code moves on.

Revision ID: 0006_tenant_names
Revises: 0005_lifecycles
Create Date: 2026-12-07 13:10:00
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_tenant_names"
down_revision: str | None = "0005_lifecycles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE_BASE = 100_000
LENGTH = 100
COLUMNS = (("sub_accounts", "username"), ("clients", "portal_username"))


def _prefix(reseller_id: int) -> str:
    return f"{CODE_BASE + reseller_id}_"


def _add_prefix(reseller_id: int, name: str) -> str:
    prefix = _prefix(reseller_id)
    return name if name.startswith(prefix) else prefix + name


def _strip_prefix(reseller_id: int, name: str) -> str:
    prefix = _prefix(reseller_id)
    return name[len(prefix) :] if name.startswith(prefix) else name


def upgrade() -> None:
    for table, column in COLUMNS:
        _rename(table, column, _add_prefix)


def downgrade() -> None:
    """Back to names without prefixes (stops if two tenants then share a name)."""
    for table, column in COLUMNS:
        _rename(table, column, _strip_prefix)


def _rename(table: str, column: str, rule: Callable[[int, str], str]) -> None:
    connection = op.get_bind()
    select = f"SELECT id, reseller_id, {column} FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
    current = {
        i: (reseller_id, name) for i, reseller_id, name in connection.execute(sa.text(select))
    }
    final = {i: rule(reseller_id, name) for i, (reseller_id, name) in current.items()}
    too_long = sorted(i for i, name in final.items() if len(name) > LENGTH)
    owners: dict[str, list[int]] = {}
    for row_id, name in final.items():
        owners.setdefault(name, []).append(row_id)
    clashes = sorted(ids for ids in owners.values() if len(ids) > 1)
    if too_long or clashes:
        raise RuntimeError(
            f"{table}.{column}: cannot rename; rename first the rows with ids {too_long}"
            f" (longer than {LENGTH} characters) and {clashes} (the same name twice)"
        )
    changed = [(i, name) for i, name in final.items() if name != current[i][1]]
    if not changed:
        return
    update = sa.text(f"UPDATE {table} SET {column} = :name WHERE id = :id")  # noqa: S608
    # Two passes: first a placeholder no username can hold, so that no row takes a name
    # another row still has (unique constraints are checked row by row on PostgreSQL).
    connection.execute(update, [{"id": i, "name": f"#{i}"} for i, _ in changed])
    connection.execute(update, [{"id": i, "name": name} for i, name in changed])
