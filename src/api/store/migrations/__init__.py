"""Alembic migrations (run with ``pulsebill migrate``)."""
