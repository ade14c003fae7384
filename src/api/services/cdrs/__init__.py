"""The CDR road: one call, from the CDR received to the client's ``balanceChanged``.

Read the modules in this order:

1. :mod:`~api.services.cdrs.intake` — what a CDR must be before any rating.
2. :mod:`~api.services.cdrs.use_cases` — rate one CDR, ingest many, find stored ones.
3. :mod:`~api.services.cdrs.lines` — the sub account (or DID) a CDR is billed to.
4. :mod:`~api.services.cdrs.pricing` — a CDR priced into a :class:`~api.store.cdrs.row.CdrRow`.
5. :mod:`~api.services.cdrs.realtime` — one CDR, one locked write per backend.
6. :mod:`~api.services.cdrs.batch` — thousands of CDRs per transaction.
7. :mod:`~api.services.cdrs.balance_rules` — the client's flags and events after a charge.
8. :mod:`~api.services.cdrs.results` — a stored CDR as the use cases return it.

Their SQL lives in :mod:`api.store.cdrs`; the walk is in ``docs/ledger.md``.
"""

from api.services.cdrs.intake import (
    DIRECTIONS,
    MAX_DURATION,
    batch_problems,
    cdr_problems,
    in_namespace,
    validate,
    validate_all,
)
from api.services.cdrs.use_cases import (
    DEFAULT_BATCH,
    RETRIES,
    find_cdrs,
    get_cdr,
    ingest_cdrs,
    rate_cdr,
)

__all__ = [
    "DEFAULT_BATCH",
    "DIRECTIONS",
    "MAX_DURATION",
    "RETRIES",
    "batch_problems",
    "cdr_problems",
    "find_cdrs",
    "get_cdr",
    "in_namespace",
    "ingest_cdrs",
    "rate_cdr",
    "validate",
    "validate_all",
]
