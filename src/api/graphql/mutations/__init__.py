"""Mutations, one use case per module; each returns a typed union of result and failures."""
