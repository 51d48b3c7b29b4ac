"""The unit of work over SQLAlchemy: one transaction, its repositories, and the writer of decided events.

``Store.transaction()`` opens a connection, begins (``BEGIN IMMEDIATE`` for SQLite writers), yields a
``SqlUnitOfWork`` and commits when the block ends normally, rolling back on any exception. Every SQLAlchemy and
driver error is translated here into the package's own errors (``DuplicateKey``, ``StoreError``). The hot
statements run on the DBAPI cursor of the transaction's connection (``prepared.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError

from admission_flow.domain.outcome import Outcome, Start
from admission_flow.errors import ConcurrentUpdate, DuplicateKey, InvalidInput, StoreError
from admission_flow.store.access import AccessStatements, SqlAccess
from admission_flow.store.events import EventStatements, SqlEvents
from admission_flow.store.handover import SqlHandover
from admission_flow.store.imports import SqlImports
from admission_flow.store.instances import InstanceStatements, SqlInstances
from admission_flow.store.org_history import SqlOrgHistory
from admission_flow.store.orgs import OrgStatements, SqlOrgs
from admission_flow.store.outbox import OutboxStatements, SqlOutbox
from admission_flow.store.people import SqlPeople
from admission_flow.store.planning import SqlClasses, SqlTargets
from admission_flow.store.queries import SqlQueries
from admission_flow.store.reports import SqlReports
from admission_flow.store.timers import SqlTimers, TimerStatements
from admission_flow.store.transaction import Connections, Tx
from admission_flow.store.web import SqlWeb
from admission_flow.store.webhooks import SqlWebhooks, WebhookStatements


class Statements:
    """Every prepared statement, compiled once per engine."""

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        self.dialect = dialect
        self.orgs = OrgStatements(dialect)
        self.instances = InstanceStatements(dialect)
        self.events = EventStatements(dialect)
        self.timers = TimerStatements(dialect)
        self.outbox = OutboxStatements(dialect)
        self.webhooks = WebhookStatements(dialect)
        self.access = AccessStatements(dialect)


class SqlUnitOfWork:
    """The repositories of one transaction, and the writer of decided events."""

    def __init__(self, tx: Tx, statements: Statements) -> None:
        self.tx = tx
        self._statements = statements

    # Each repository is made on first use: a fire touches four of the sixteen, and making all of them for every
    # transaction would cost each event a few microseconds for nothing.
    @cached_property
    def orgs(self) -> SqlOrgs:
        return SqlOrgs(self.tx, self._statements.orgs)

    @cached_property
    def instances(self) -> SqlInstances:
        return SqlInstances(self.tx, self._statements.instances)

    @cached_property
    def events(self) -> SqlEvents:
        return SqlEvents(self.tx, self._statements.events)

    @cached_property
    def timers(self) -> SqlTimers:
        return SqlTimers(self.tx, self._statements.timers)

    @cached_property
    def outbox(self) -> SqlOutbox:
        return SqlOutbox(self.tx, self._statements.outbox)

    @cached_property
    def queries(self) -> SqlQueries:
        return SqlQueries(self.tx)

    @cached_property
    def webhooks(self) -> SqlWebhooks:
        return SqlWebhooks(self.tx, self._statements.webhooks)

    @cached_property
    def access(self) -> SqlAccess:
        return SqlAccess(self.tx, self._statements.access)

    @cached_property
    def org_history(self) -> SqlOrgHistory:  # organisations over time
        return SqlOrgHistory(self.tx)

    @cached_property
    def people(self) -> SqlPeople:
        return SqlPeople(self.tx)

    @cached_property
    def targets(self) -> SqlTargets:
        return SqlTargets(self.tx)

    @cached_property
    def classes(self) -> SqlClasses:
        return SqlClasses(self.tx)

    @cached_property
    def handover(self) -> SqlHandover:
        return SqlHandover(self.tx)

    @cached_property
    def imports(self) -> SqlImports:  # bulk import
        return SqlImports(self.tx, self._statements.dialect)

    @cached_property
    def reports(self) -> SqlReports:
        return SqlReports(self.tx)

    @cached_property
    def web(self) -> SqlWeb:
        return SqlWeb(self.tx)

    @property
    def connection(self) -> Connection:
        """A SQLAlchemy connection inside this unit of work (tests and benchmarks inspect tables with it)."""
        return self.tx.connection

    def write(self, outcome: Outcome) -> int:
        u = outcome.update
        params = {
            "iid": u.instance_id,
            "expected": u.expected_version,
            "state": u.state,
            "new_version": u.expected_version + 1,
            "dates": u.dates,
            "flags": u.flags,
            "documents": u.documents,
            "updated_at": u.updated_at,
            "state_epoch": u.state_epoch,
            "state_entered_on": u.state_entered_on,
            "extensions": u.extensions,
        }
        if not self.instances.update(params):
            raise ConcurrentUpdate(u.instance_id, u.expected_version)
        if outcome.move_to_org is not None:
            self.instances.move_candidate(outcome.candidate_id, outcome.move_to_org)
        event_id = self.events.insert(outcome.event)
        if outcome.documents:
            self.events.insert_documents([{**d, "event_id": event_id} for d in outcome.documents])
        if not outcome.timers.empty:
            self.timers.apply(u.instance_id, u.state_epoch, outcome.timers, u.updated_at)
        return event_id

    def start(self, start: Start) -> int:
        """Write a decided enrolment; returns the new instance's id."""
        if start.candidate is not None:
            self.instances.insert_candidate(start.candidate)
        instance_id = self.instances.insert(start.instance)
        self.events.insert({**start.event, "instance_id": instance_id})
        if not start.timers.empty:
            self.timers.apply(instance_id, 1, start.timers, start.instance["started_at"])
        return instance_id


def _integrity_detail(error: Any) -> str:
    """The violated constraint's name when the driver says (psycopg), else its message (sqlite3)."""
    constraint = getattr(getattr(error, "diag", None), "constraint_name", None)
    return str(constraint or error)


def _database_error(error: Any) -> str:
    """The driver's message, with the way out when the tables are missing (a database never upgraded)."""
    text = str(error).strip()
    if "no such table" in text or getattr(error, "sqlstate", None) == "42P01":  # SQLite / PostgreSQL
        return f"database error: {text}: the database has no admission_flow tables; run `admission-flow db upgrade`"
    return f"database error: {text}"


class Store:
    """The ``Database`` port over one SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements = Statements(engine)
        self.connections = Connections(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def single_writer(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[SqlUnitOfWork]:
        """One unit of work: commits when the block ends normally, rolls back on any exception."""
        driver = self.engine.dialect.dbapi  # the prepared statements raise the driver's own errors
        try:
            tx = Tx(self.engine, readonly=readonly, connections=self.connections)
            try:
                tx.begin()
                yield SqlUnitOfWork(tx, self.statements)
                tx.commit()
            except BaseException:
                tx.rollback()
                raise
            finally:
                tx.close()
        except IntegrityError as exc:
            raise DuplicateKey(_integrity_detail(exc.orig)) from exc
        except DataError as exc:  # a value the column cannot hold (PostgreSQL: NUL in text, a number too large)
            raise InvalidInput(f"a value the database cannot store: {str(exc.orig).strip()}") from exc
        except DBAPIError as exc:
            raise StoreError(_database_error(exc.orig)) from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {exc}") from exc
        except driver.IntegrityError as exc:  # type: ignore[union-attr]
            raise DuplicateKey(_integrity_detail(exc)) from exc
        except driver.DataError as exc:  # type: ignore[union-attr]
            raise InvalidInput(f"a value the database cannot store: {str(exc).strip()}") from exc
        except OverflowError as exc:  # sqlite3 binding an integer wider than 64 bits
            raise InvalidInput(f"a number too large for the database: {exc}") from exc
        except driver.Error as exc:  # type: ignore[union-attr]
            raise StoreError(_database_error(exc)) from exc

    def dispose(self) -> None:
        self.connections.close_spare()
        self.engine.dispose()
