"""The audit trail and the papers on file: append-only rows, one per applied event and per attached paper."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import BigInteger, Dialect, any_, bindparam, column, func, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY

from admission_flow.domain.records import EventRecord
from admission_flow.domain.stored import KeyedEvent
from admission_flow.store.partial_indexes import NAMING_HELPER
from admission_flow.store.prepared import Prepared
from admission_flow.store.schema import Document, Event, table
from admission_flow.store.transaction import Tx

events, documents = table(Event), table(Document)
_EVENT_COLUMNS = [c.name for c in events.c if c.name != "id"]
_DOCUMENT_COLUMNS = [c.name for c in documents.c if c.name != "id"]


class EventStatements:
    def __init__(self, dialect: Dialect) -> None:
        self.insert = Prepared(insert(events).returning(events.c.id), dialect, _EVENT_COLUMNS)
        self.insert_documents = Prepared(insert(documents), dialect, _DOCUMENT_COLUMNS, for_executemany=True)
        # The partial index's own clause (store/partial_indexes.py), so that the planner reads only those events.
        self.naming_helper = text(f"({NAMING_HELPER[dialect.name]})")
        self.postgresql = dialect.name == "postgresql"
        self.naming_helpers = Prepared(naming_helpers_statement(dialect, self.naming_helper), dialect)


def naming_helpers_statement(dialect: Dialect, naming_helper: Any) -> Any:
    """The events naming a helper of a list of instances, oldest first per instance. The list is one value (an
    array on PostgreSQL, a JSON array read with ``json_each`` on SQLite), so the statement is compiled and
    prepared once rather than spelled out with one placeholder per instance for every batch of the sweep."""
    if dialect.name == "postgresql":
        among = events.c.instance_id == any_(bindparam("ids", type_=ARRAY(BigInteger())))
    else:
        listed: Any = select(column("value")).select_from(func.json_each(bindparam("ids")))
        among = events.c.instance_id.in_(listed.scalar_subquery())
    return (
        select(events.c.instance_id, events.c.payload)
        .where(among, naming_helper)
        .order_by(events.c.instance_id, events.c.seq)
    )


def event_record(r: Any) -> EventRecord:
    return EventRecord(
        id=r.id,
        seq=r.seq,
        trigger=r.trigger,
        from_state=r.from_state,
        to_state=r.to_state,
        actor=r.actor,
        role=r.role,
        org_id=r.org_id,
        occurred_on=r.occurred_on,
        recorded_at=r.recorded_at,
        payload=r.payload or {},
        documents=r.documents or [],
        votes=r.votes,
        workflow=f"{r.workflow_id}@{r.workflow_version}",
        workflow_hash=r.workflow_hash,
        idempotency_key=r.idempotency_key,
        token_id=r.token_id,
    )


class SqlEvents:
    def __init__(self, tx: Tx, statements: EventStatements) -> None:
        self._tx = tx
        self._sql = statements

    def insert(self, row: Mapping[str, Any]) -> int:
        found = self._sql.insert.first(self._tx.cursor(), row)
        assert found is not None
        return int(found[0])

    def insert_documents(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self._sql.insert_documents.many(self._tx.cursor(), rows, {})

    def by_key(self, key: str) -> KeyedEvent | None:
        stmt = select(
            events.c.id,
            events.c.instance_id,
            events.c.seq,
            events.c.trigger,
            events.c.from_state,
            events.c.to_state,
            events.c.occurred_on,
        ).where(events.c.idempotency_key == key)
        row = self._tx.connection.execute(stmt).first()
        return None if row is None else KeyedEvent(*row)

    def naming_helpers(self, instance_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """The payloads of these instances' events that name a helper (data ``helper`` or ``helper_email``),
        oldest first per instance: one query for a whole sweep batch, filtered in SQL."""
        if not instance_ids:
            return {}
        ids = sorted(set(instance_ids))
        listed = ids if self._sql.postgresql else "[" + ",".join(map(str, ids)) + "]"
        found: dict[int, list[dict[str, Any]]] = {}
        for instance_id, data in self._sql.naming_helpers.all(self._tx.cursor(), {"ids": listed}):
            found.setdefault(instance_id, []).append(data or {})
        return found

    def of_instance(self, instance_id: int) -> list[EventRecord]:
        stmt = select(events).where(events.c.instance_id == instance_id).order_by(events.c.seq)
        return [event_record(r) for r in self._tx.connection.execute(stmt)]
