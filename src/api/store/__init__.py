"""Adapters to the database: SQLModel tables, repositories, the unit of work, migrations."""
