"""Alembic environment and versions: the only way the archive's schema changes."""
