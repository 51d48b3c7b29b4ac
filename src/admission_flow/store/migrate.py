"""Alembic, driven from code: ``upgrade`` to head, ``downgrade``, ``current``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from admission_flow.errors import StoreError
from admission_flow.store.engine import create_sqlite_file

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade to ``revision``; the one step that creates a missing SQLite file (and its folder)."""
    create_sqlite_file(engine)
    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    _run(engine, command.downgrade, revision)


def _run(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    """One transaction for the whole run. On SQLite, a migration that rebuilds a table (Alembic's batch mode:
    copy, drop, rename) would trip the foreign keys of the rows pointing at it, so they are switched off for
    the run (a pragma that only takes effect outside a transaction) and every reference is checked before
    the commit instead."""
    config = _config()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                step(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(f"migration to {revision} would break foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect().execution_options(admission_flow_readonly=True) as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise StoreError(f"database unreachable: {exc}") from exc


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()
