"""The tables the reports read, as SQLAlchemy Core ``Table`` objects (typed columns)."""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import SQLModel

import api.store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


accounts = _table("accounts")
cdrs = _table("cdrs")
clients = _table("clients")
ledger_entries = _table("ledger_entries")
ledger_transactions = _table("ledger_transactions")
packages = _table("packages")
package_versions = _table("package_versions")
resellers = _table("resellers")
sub_accounts = _table("sub_accounts")
paypal_payments = _table("paypal_payments")
