"""Run the store's Alembic migrations programmatically (``upgrade(url)``), and tell the version."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from hitbenefit.store.database import create_engine, lock, resolve_url, write_transaction

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_engine(engine: Engine) -> str:
    """Bring the schema to the newest revision (one process at a time); returns it."""
    head = head_revision()
    if current_revision(engine) == head:
        return head
    config = _config()
    with write_transaction(engine) as conn:  # SQLite: the write lock; PostgreSQL: an advisory lock
        lock(conn, "hitbenefit:migrations")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return head


def upgrade(url: str | None = None) -> str:
    """Create or upgrade the schema of the database at ``url`` (see ``resolve_url``)."""
    engine = create_engine(resolve_url(url))
    try:
        return upgrade_engine(engine)
    finally:
        engine.dispose()


def table_counts(engine: Engine, tables: list[str]) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
                for name in tables}
