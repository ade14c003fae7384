"""The pure business core: ledger, free minutes, billing cycles, authorization.

No SQL, no GraphQL, no clock of its own: callers pass the time in.
"""
