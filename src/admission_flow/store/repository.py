"""Unit of work and queries. The only place (with migrate.py) that talks SQL.

The fire path uses SQLAlchemy Core statements on the typed models' tables: one joined SELECT, one
version-checked UPDATE, one INSERT per event (plus one per attached document). SQLAlchemy caches the
compiled statements, so the per-event cost stays close to the driver's. Every SQLAlchemy error is translated
here into the package's own errors.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, Row, bindparam, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import aliased

from admission_flow.errors import StoreError
from admission_flow.store.prepared import Prepared
from admission_flow.store.schema import Candidate, Document, Event, Instance, Org, table
from admission_flow.store.sweeping import SweepStatements

orgs, candidates, instances, events, documents = (table(m) for m in (Org, Candidate, Instance, Event, Document))
_parent = aliased(Org)


class DuplicateKey(StoreError):
    """A unique constraint refused a row; ``constraint`` names the table/columns when the driver says."""

    code = "duplicate_key"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"duplicate key: {detail}")


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


@dataclass(frozen=True)
class InstanceRow:
    """One instance joined with its candidate, organisation and the organisation's parent kind."""

    id: int
    candidate_id: str
    attempt: int
    workflow_id: str
    workflow_version: str
    workflow_hash: str
    state: str
    version: int
    dates: dict[str, str]
    flags: list[str]
    documents: dict[str, Any]
    state_epoch: int
    state_entered_on: date | None
    extensions: dict[str, int]
    candidate: Any  # attribute access to every candidates column
    org: Any  # attribute access to every orgs column
    parent_kind: str | None


_INSTANCE_COLUMNS = (
    instances.c.id,
    instances.c.candidate_id,
    instances.c.attempt,
    instances.c.workflow_id,
    instances.c.workflow_version,
    instances.c.workflow_hash,
    instances.c.state,
    instances.c.version,
    instances.c.dates,
    instances.c.flags,
    instances.c.documents,
    instances.c.state_epoch,
    instances.c.state_entered_on,
    instances.c.extensions,
)
_N_INSTANCE = len(_INSTANCE_COLUMNS)
# The fire path reads what guards, records and messages use: not the org's contacts (recipients come from the
# org ancestry when a message is written) nor creation instants.
_CANDIDATE_COLUMNS = tuple(c for c in candidates.c if c.name != "created_at")
_ORG_COLUMNS = tuple(c for c in orgs.c if c.name not in ("contacts", "created_at"))
_N_CANDIDATE = len(_CANDIDATE_COLUMNS)
_CANDIDATE_NAMES = tuple(c.name for c in _CANDIDATE_COLUMNS)
_ORG_NAMES = tuple(c.name for c in _ORG_COLUMNS)
_LOAD_INSTANCE = (
    select(*_INSTANCE_COLUMNS, *_CANDIDATE_COLUMNS, *_ORG_COLUMNS, _parent.kind)
    .select_from(instances)
    .join(candidates, candidates.c.id == instances.c.candidate_id)
    .join(orgs, orgs.c.id == candidates.c.org_id)
    .outerjoin(_parent, _parent.id == orgs.c.parent_id)
)


def _instance_row(row: Any) -> InstanceRow:
    split = _N_INSTANCE + _N_CANDIDATE
    candidate = SimpleNamespace(**dict(zip(_CANDIDATE_NAMES, row[_N_INSTANCE:split], strict=True)))
    org = SimpleNamespace(**dict(zip(_ORG_NAMES, row[split:-1], strict=True)))
    return InstanceRow(*(*row[:_N_INSTANCE], candidate, org, row[-1]))


# Hot-path statements are built once, with bind parameters: building a statement per call (``.where(x == 1)``,
# ``.values(**literals)``) costs SQLAlchemy more than the database spends executing it.
_LOAD_BY_CANDIDATE = (
    _LOAD_INSTANCE.where(instances.c.candidate_id == bindparam("cid")).order_by(instances.c.attempt.desc()).limit(1)
)
_UPDATE_INSTANCE = (
    update(instances)
    .where(instances.c.id == bindparam("iid"), instances.c.version == bindparam("expected"))
    .values(
        state=bindparam("state"),
        version=bindparam("new_version"),
        dates=bindparam("dates", type_=instances.c.dates.type),
        flags=bindparam("flags", type_=instances.c.flags.type),
        documents=bindparam("documents", type_=instances.c.documents.type),
        updated_at=bindparam("updated_at", type_=instances.c.updated_at.type),
        state_epoch=bindparam("state_epoch"),
        state_entered_on=bindparam("state_entered_on", type_=instances.c.state_entered_on.type),
        extensions=bindparam("extensions", type_=instances.c.extensions.type),
    )
)
_EVENT_COLUMNS = [c.name for c in events.c if c.name != "id"]


class HotPath:
    """The fire path's statements, prepared for one engine's dialect (see prepared.py)."""

    def __init__(self, dialect: Dialect) -> None:
        self.load = Prepared(_LOAD_BY_CANDIDATE, dialect)
        self.update = Prepared(_UPDATE_INSTANCE, dialect)
        self.insert_event = Prepared(insert(events).returning(events.c.id), dialect, _EVENT_COLUMNS)
        self.sweep = SweepStatements(dialect)


class Tx:
    """Operations inside one database transaction."""

    def __init__(self, connection: Connection, hot: HotPath) -> None:
        self.connection = connection
        self.hot = hot
        self._cursor: Any = None

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None

    def cursor(self) -> Any:
        """A DBAPI cursor on this transaction's connection, for the prepared hot-path statements."""
        if self._cursor is None:
            self._cursor = self.connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        return self._cursor

    # ------------------------------------------------------------ instances (hot path)

    def load_instance(self, candidate_id: str) -> InstanceRow | None:
        found = self.hot.load.first(self.cursor(), {"cid": candidate_id})
        return None if found is None else _instance_row(found)

    def load_instances_by_id(self, instance_ids: Sequence[int]) -> dict[int, InstanceRow]:
        rows = self.connection.execute(_LOAD_INSTANCE.where(instances.c.id.in_(list(instance_ids))))
        return {r.id: _instance_row(r) for r in rows}

    def org_ancestry(self, org_id: str) -> list[Row[Any]]:
        """The organisation and its ancestors, nearest first."""
        chain: list[Row[Any]] = []
        current: str | None = org_id
        while current is not None and len(chain) < 32:
            row = self.get_org(current)
            if row is None:
                break
            chain.append(row)
            current = row.parent_id
        return chain

    def update_instance(
        self,
        instance_id: int,
        expected_version: int,
        *,
        state: str,
        dates: dict[str, str],
        flags: list[str],
        documents: dict[str, Any],
        updated_at: datetime,
        state_epoch: int,
        state_entered_on: date | None,
        extensions: dict[str, int],
    ) -> bool:
        params = {
            "iid": instance_id,
            "expected": expected_version,
            "state": state,
            "new_version": expected_version + 1,
            "dates": dates,
            "flags": flags,
            "documents": documents,
            "updated_at": updated_at,
            "state_epoch": state_epoch,
            "state_entered_on": state_entered_on,
            "extensions": extensions,
        }
        return bool(self.hot.update.execute(self.cursor(), params).rowcount == 1)

    def migrate_instance(
        self, instance_id: int, expected_version: int, *, workflow: Any, state: str, epoch: int, now: datetime
    ) -> bool:
        """Re-pin an instance to another workflow version (and state), version-checked."""
        result = self.connection.execute(
            update(instances)
            .where(instances.c.id == instance_id, instances.c.version == expected_version)
            .values(
                workflow_id=workflow.spec.id,
                workflow_version=workflow.spec.version,
                workflow_hash=workflow.content_hash,
                state=state,
                version=expected_version + 1,
                state_epoch=epoch,
                updated_at=now,
            )
        )
        return result.rowcount == 1

    def insert_instance(self, values: dict[str, Any]) -> int:
        return self._insert_returning_id(insert(instances).values(**values))

    def _insert_returning_id(self, stmt: Any) -> int:
        key = self.connection.execute(stmt).inserted_primary_key
        assert key is not None
        return int(key[0])

    def next_attempt(self, candidate_id: str) -> int:
        stmt = select(func.coalesce(func.max(instances.c.attempt), 0)).where(instances.c.candidate_id == candidate_id)
        return int(self.connection.execute(stmt).scalar_one()) + 1

    def instance_ids_of(self, candidate_id: str) -> list[int]:
        """Every attempt's instance of the candidate (empty for an unknown candidate)."""
        stmt = select(instances.c.id).where(instances.c.candidate_id == candidate_id)
        return list(self.connection.execute(stmt).scalars())

    # ------------------------------------------------------------ events and documents

    def insert_event(self, values: dict[str, Any]) -> int:
        found = self.hot.insert_event.first(self.cursor(), values)
        assert found is not None
        return int(found[0])

    def insert_documents(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.connection.execute(insert(documents), list(rows))

    def event_by_key(self, key: str) -> Row[Any] | None:
        return self.connection.execute(select(events).where(events.c.idempotency_key == key)).first()

    def events_of(self, instance_id: int) -> list[Row[Any]]:
        stmt = select(events).where(events.c.instance_id == instance_id).order_by(events.c.seq)
        return list(self.connection.execute(stmt))

    def documents_of(self, instance_id: int) -> list[Row[Any]]:
        stmt = select(documents).where(documents.c.instance_id == instance_id).order_by(documents.c.id)
        return list(self.connection.execute(stmt))

    # ------------------------------------------------------------ organisations and candidates

    def insert_org(self, values: dict[str, Any]) -> None:
        self.connection.execute(insert(orgs).values(**values))

    def get_org(self, org_id: str) -> Row[Any] | None:
        return self.connection.execute(select(orgs).where(orgs.c.id == org_id)).first()

    def list_orgs(self) -> list[Row[Any]]:
        return list(self.connection.execute(select(orgs).order_by(orgs.c.id)))

    def move_candidate(self, candidate_id: str, org_id: str) -> None:
        self.connection.execute(update(candidates).where(candidates.c.id == candidate_id).values(org_id=org_id))

    def insert_candidate(self, values: dict[str, Any]) -> None:
        self.connection.execute(insert(candidates).values(**values))

    def list_candidate_ids(self, *, org_ids: Sequence[str] | None = None, state: str | None = None) -> list[str]:
        latest = (
            select(instances.c.candidate_id, func.max(instances.c.attempt).label("attempt"))
            .group_by(instances.c.candidate_id)
            .subquery()
        )
        stmt = (
            select(candidates.c.id)
            .join(latest, latest.c.candidate_id == candidates.c.id)
            .join(
                instances,
                (instances.c.candidate_id == latest.c.candidate_id) & (instances.c.attempt == latest.c.attempt),
            )
            .order_by(candidates.c.id)
        )
        if org_ids is not None:
            stmt = stmt.where(candidates.c.org_id.in_(list(org_ids)))
        if state is not None:
            stmt = stmt.where(instances.c.state == state)
        return [r[0] for r in self.connection.execute(stmt)]

    def load_instances(self, candidate_ids: Sequence[str]) -> list[InstanceRow]:
        """Each candidate's latest instance, in the order given: one query per 500 candidates, not one each."""
        latest: dict[str, InstanceRow] = {}
        for start in range(0, len(candidate_ids), 500):
            chunk = list(candidate_ids[start : start + 500])
            for row in self.connection.execute(_LOAD_INSTANCE.where(instances.c.candidate_id.in_(chunk))):
                found = _instance_row(row)
                if found.candidate_id not in latest or found.attempt > latest[found.candidate_id].attempt:
                    latest[found.candidate_id] = found
        return [latest[cid] for cid in candidate_ids if cid in latest]


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.hot = HotPath(engine.dialect)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Tx]:
        """One unit of work: commits when the block ends normally, rolls back on any exception."""
        driver = self.engine.dialect.dbapi  # the prepared statements raise the driver's own errors
        try:
            with self.engine.connect() as connection:
                if readonly:
                    connection = connection.execution_options(admission_flow_readonly=True)
                tx = Tx(connection, self.hot)
                try:
                    with connection.begin():
                        yield tx
                finally:
                    tx.close()
        except IntegrityError as exc:
            raise DuplicateKey(_integrity_detail(exc.orig)) from exc
        except DBAPIError as exc:
            raise StoreError(_database_error(exc.orig)) from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {exc}") from exc
        except driver.IntegrityError as exc:  # type: ignore[union-attr]
            raise DuplicateKey(_integrity_detail(exc)) from exc
        except driver.Error as exc:  # type: ignore[union-attr]
            raise StoreError(_database_error(exc)) from exc

    def dispose(self) -> None:
        self.engine.dispose()


def as_date(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
