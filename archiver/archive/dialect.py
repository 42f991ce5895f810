"""The INSERT of the archive's database dialect: SQLite's or PostgreSQL's, both with ON CONFLICT."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def dialect_insert(session: Session, model: Any) -> Any:
    """`insert(model)` of the session's dialect, so that `.on_conflict_do_nothing()` / `_do_update()` work."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    return insert(model)
