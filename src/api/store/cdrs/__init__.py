"""The SQL of the CDR road, in reading order:

1. :mod:`~api.store.cdrs.row` — a CDR row: every column named once.
2. :mod:`~api.store.cdrs.lines` — the batch path's reads of lines, attachments and DIDs.
3. :mod:`~api.store.cdrs.resolve` — the real-time path's one read.
4. :mod:`~api.store.cdrs.pooled` — one short transaction on a pooled driver connection.
5. :mod:`~api.store.cdrs.writes` — the writes of one real-time CDR.
6. :mod:`~api.store.cdrs.driver` — the raw driver inside a unit of work (the batch path).
7. :mod:`~api.store.cdrs.repository` — find stored CDRs.

No module here imports GraphQL or the services (an import-linter contract).
"""
