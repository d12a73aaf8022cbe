"""Readiness checks: the database answers and its schema is at the migrations' head."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.extensions import db


@lru_cache(maxsize=4)
def _head_revisions(migrations_dir: str) -> frozenset[str]:
    return frozenset(ScriptDirectory(migrations_dir).get_heads())


def readiness_problems() -> list[str]:
    """What keeps the API from serving; empty when it is ready."""
    heads = _head_revisions(str(Path(current_app.extensions["migrate"].directory)))
    try:
        current = frozenset(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError:
        db.session.rollback()
        return ["database unreachable or not migrated"]
    if current != heads:
        database_at = ", ".join(sorted(current)) or "base"
        return [f"migrations behind: database at {database_at}, code at {', '.join(sorted(heads))}"]
    return []
