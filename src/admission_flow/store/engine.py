"""Engines for the two supported databases, configured the same way everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from admission_flow.errors import ConfigurationError
from admission_flow.store import jsoncodec


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and route them to psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class MissingDatabase(ConfigurationError):
    """A SQLite file that does not exist, opened by anything but an upgrade (which creates it)."""

    def __init__(self, path: str) -> None:
        super().__init__(f"no database at {path}: run `admission-flow db upgrade` to create it")
        self.path = path


def shown_url(url: str) -> str:
    """The URL to show a person: normalised, any password masked (``***``)."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable database_url)"


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite engine on disk (None for PostgreSQL, in-memory and ``file:`` URIs)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def create_sqlite_file(engine: Engine) -> None:
    """Make the folder and an empty SQLite file of ``engine`` if missing (for an upgrade; nothing else creates)."""
    path = sqlite_file(engine)
    if path is not None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def build_engine(url: str, *, must_exist: bool = False, **kwargs: Any) -> Engine:
    """An engine on ``url``. With ``must_exist``, connecting to a SQLite file that is not there raises
    :class:`MissingDatabase` instead of creating it (and its folders); :func:`create_sqlite_file` makes it."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError as exc:
        raise ConfigurationError(f"cannot parse database_url {url!r}: {exc}") from None
    backend = parsed.get_backend_name()
    kwargs.setdefault("json_serializer", jsoncodec.dumps)
    kwargs.setdefault("json_deserializer", jsoncodec.loads)
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            # One shared connection, or every checkout would see a different empty in-memory database.
            kwargs.setdefault("poolclass", StaticPool)
        return _sqlite_engine(parsed.render_as_string(hide_password=False), parsed.database, must_exist, **kwargs)
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise ConfigurationError("PostgreSQL is supported through psycopg 3 (postgresql+psycopg://)")
        # No pre-ping: it costs a round trip per transaction. A connection the server dropped fails one unit of
        # work (StoreError, nothing half-written) and SQLAlchemy replaces it; pool_recycle retires old ones.
        kwargs.setdefault("pool_recycle", 1800)
        # Every unit of work ends in an explicit COMMIT or ROLLBACK (store/transaction.py) and SQLAlchemy
        # connections roll back what they began when closed, so a ROLLBACK on check-in would be a wasted round trip.
        kwargs.setdefault("pool_reset_on_return", None)
        return create_engine(parsed, **kwargs)
    raise ConfigurationError(f"unsupported database {backend!r}: use sqlite:///PATH or postgresql://...")


def _sqlite_engine(url: str, database: str | None, must_exist: bool, **kwargs: Any) -> Engine:
    on_disk = bool(database) and database != ":memory:" and not str(database).startswith("file:")
    if on_disk and not must_exist:
        Path(str(database)).parent.mkdir(parents=True, exist_ok=True)
    # Every unit of work ends in an explicit COMMIT or ROLLBACK (Store.transaction), so the pool's own rollback
    # when a connection comes back would only repeat it.
    kwargs.setdefault("pool_reset_on_return", None)
    engine = create_engine(url, **kwargs)

    if on_disk and must_exist:

        @event.listens_for(engine, "do_connect")
        def _refuse_missing(*_args: Any) -> None:
            # sqlite3 would create an empty file (and fail on a missing folder): a mistyped path is an error.
            if not Path(str(database)).exists():
                raise MissingDatabase(str(database))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's own transaction handling defers locks badly).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock up front: a deferred transaction that reads and then writes fails
        # with SQLITE_BUSY instead of waiting when another process wrote in between. Readers do not block.
        dbapi = connection.connection.dbapi_connection
        if dbapi.in_transaction:  # a unit of work began it on the DBAPI connection already (transaction.py)
            return
        readonly = connection.get_execution_options().get("admission_flow_readonly", False)
        dbapi.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine
