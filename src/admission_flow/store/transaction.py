"""One database transaction on a pooled DBAPI connection, for the repositories of a unit of work.

The hot statements (``prepared.py``) run on the DBAPI cursor. A SQLAlchemy ``Connection`` over the same DBAPI
connection is made only when a repository runs a Core statement (organisation queries, listings, the rare
writes), so an event that needs none (most fires) skips its bookkeeping: pool checkout, ``BEGIN`` (``BEGIN
IMMEDIATE`` for a SQLite writer: it takes the write lock up front), the statements, ``COMMIT``, check-in.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.pool import QueuePool


class Connections:
    """Where units of work get their pooled DBAPI connection. On a SQLite file, one idle connection is kept
    checked out between units of work: the pool's check-out and check-in cost about as much as an empty SQLite
    transaction (``bench/fire.py``'s cuts), and SQLite has one writer at a time anyway. A connection becomes the
    spare only when it is valid and no SQLAlchemy ``Connection`` was made over it (one left inside a transaction,
    which a unit of work never does, is rolled back first); anything else goes back to the pool as before."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._keeps_spare = engine.dialect.name == "sqlite" and isinstance(engine.pool, QueuePool)
        self._spare: list[Any] = []
        self._lock = threading.Lock()

    def checkout(self) -> Any:
        if self._keeps_spare:
            with self._lock:
                if self._spare:
                    return self._spare.pop()
        return self.engine.raw_connection()

    def checkin(self, raw: Any) -> None:
        if self._keeps_spare and raw.is_valid:
            if raw.driver_connection.in_transaction:
                try:
                    raw.driver_connection.rollback()
                except Exception:  # a connection that cannot roll back is dropped, never kept or raised from here
                    raw.invalidate()
                    raw.close()
                    return
            with self._lock:
                if not self._spare:
                    self._spare.append(raw)
                    return
        raw.close()

    def in_use(self) -> int:
        """Connections held by units of work now (the spare is idle): 0 between units of work, else a leak."""
        return int(self.engine.pool.checkedout()) - len(self._spare)  # type: ignore[attr-defined]

    def close_spare(self) -> None:
        with self._lock:
            spare, self._spare = self._spare, []
        for raw in spare:
            raw.close()


class Tx:
    def __init__(self, engine: Engine, *, readonly: bool, connections: Connections | None = None) -> None:
        self._engine = engine
        self._connections = connections
        # Checked out of the pool (or the spare); back by close().
        self._raw = engine.raw_connection() if connections is None else connections.checkout()
        self._driver: Any = self._raw.driver_connection  # sqlite3.Connection or psycopg.Connection
        self._sqlite = engine.dialect.name == "sqlite"
        self._connection: Connection | None = None
        self._cursor: Any = None
        self._readonly = readonly
        # Whether a webhook subscription was active when this transaction loaded an instance (None: not known;
        # store/instances.py sets it, store/webhooks.py reads it and forgets it on any change of subscriptions).
        self.webhooks_active: bool | None = None

    def begin(self) -> None:
        if self._sqlite:  # pysqlite runs with isolation_level=None: transactions are ours (store/engine.py)
            self._driver.execute("BEGIN" if self._readonly else "BEGIN IMMEDIATE")

    @property
    def connection(self) -> Connection:
        """A SQLAlchemy connection inside this transaction (made on first use)."""
        if self._connection is None:
            connection = Connection(self._engine, connection=self._raw)
            if self._readonly:
                connection = connection.execution_options(admission_flow_readonly=True)
            connection.begin()  # bookkeeping only: the transaction is already open (see engine.py's begin hook)
            self._connection = connection
        return self._connection

    def cursor(self) -> Any:
        """The DBAPI cursor of this transaction, for the prepared statements."""
        if self._cursor is None:
            self._cursor = self._driver.cursor()
        return self._cursor

    def commit(self) -> None:
        if self._connection is not None:
            self._connection.commit()
        else:
            self._driver.commit()

    def rollback(self) -> None:
        """Best effort: a connection that cannot even roll back is dropped from the pool, and the error that
        led here is the one the caller sees."""
        try:
            if self._connection is not None:
                self._connection.rollback()
            else:
                self._driver.rollback()
        except Exception:
            self._raw.invalidate()

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None
        if self._connection is not None:
            self._connection.close()  # returns the DBAPI connection to the pool
        elif self._connections is not None:
            self._connections.checkin(self._raw)
        else:
            self._raw.close()
