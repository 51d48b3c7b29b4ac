"""Bulk import's reads and writes: files already imported (``imports``), the identifiers already taken, the
organisation tree, and one batch of checked rows written with ``executemany`` (candidates, instances, audit
rows, papers, timers) in the caller's transaction.

Ids of instances and audit rows are given by the writer (the next free ones), so that audit rows, papers and
timers reference them without reading anything back. On PostgreSQL the two tables are locked against other
writers (``EXCLUSIVE``: readers go on) while the batch is written, and their sequences are moved past the
ids used; on SQLite the transaction's write lock (``BEGIN IMMEDIATE``) already keeps other writers out. A batch is
written in chunks (``write``) as its rows are checked, so memory stays bounded; the caller rolls the whole
transaction back if any row is rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Dialect, insert, select

from admission_flow.domain.stored import OrgNode
from admission_flow.store.prepared import Prepared, Processor
from admission_flow.store.schema import Candidate, Document, Event, ImportBatch, Instance, Org, Timer, table
from admission_flow.store.transaction import Tx

candidates, instances, events = table(Candidate), table(Instance), table(Event)
documents, timers, imports, orgs = table(Document), table(Timer), table(ImportBatch), table(Org)
_IDENTIFIERS = ("id", "personal_id", "party_card_no", "old_card_no")


def _cols(t: Any, skip: Sequence[str] = ()) -> list[str]:
    return [c.name for c in t.c if c.name not in skip]


class ImportStatements:
    """The batch inserts, compiled once per dialect (all columns given, so every row binds the same way)."""

    def __init__(self, dialect: Dialect) -> None:
        self.candidates = Prepared(insert(candidates), dialect, _cols(candidates), for_executemany=True)
        self.instances = Prepared(insert(instances), dialect, _cols(instances), for_executemany=True)
        self.events = Prepared(insert(events), dialect, _cols(events), for_executemany=True)
        self.documents = Prepared(insert(documents), dialect, _cols(documents, ("id",)), for_executemany=True)
        self.timers = Prepared(insert(timers), dialect, _cols(timers, ("id",)), for_executemany=True)


_BY_DIALECT: dict[str, ImportStatements] = {}


def statements(dialect: Dialect) -> ImportStatements:
    found = _BY_DIALECT.get(dialect.name)
    if found is None:
        found = _BY_DIALECT[dialect.name] = ImportStatements(dialect)
    return found


_SAME_EVERY_TIME = (date, bool)
SKIP_MUT = 1  # immutable values whose conversion depends on the value alone (datetime is a date)
_MEMO_LIMIT = 50_000


class _Converter:
    """One table's rows in the driver's form, through SQLAlchemy's own bind processors (``Prepared.binds``), each
    applied once per distinct date, instant or yes/no value of a column: a chunk repeats the import's instant
    and the same paper dates thousands of times. JSON values are converted every time."""

    def __init__(self, prepared: Prepared) -> None:
        self.sql = prepared.sql
        self.defaults = prepared.defaults
        self.names = prepared.order if prepared.order is not None else list(prepared.binds)
        self.positional = prepared.order is not None
        many = len(self.names) > 1  # itemgetter of one name gives the value, not a 1-tuple
        self._values: Callable[[Mapping[str, Any]], Any] = (
            itemgetter(*self.names) if many else (lambda row: tuple(row[n] for n in self.names))
        )
        self._converting: list[tuple[int, Processor, dict[Any, Any]]] = [
            (i, prepared.binds[name], {}) for i, name in enumerate(self.names) if name in prepared.binds
        ]

    def convert(self, row: Mapping[str, Any]) -> Any:
        if self.defaults:
            row = {**self.defaults, **row}
        values = list(self._values(row))
        for i, process, memo in self._converting:
            value = values[i]
            if value is None:
                continue
            if isinstance(value, _SAME_EVERY_TIME):
                found = memo.get(value)
                if found is None:
                    if len(memo) >= _MEMO_LIMIT:
                        memo.clear()
                    found = memo[value] = process(value)
                values[i] = found
            else:
                values[i] = process(value)
        if self.positional:
            return tuple(values)
        return {**row, **dict(zip(self.names, values, strict=True))}

    def many(self, cursor: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        cursor.executemany(self.sql, [self.convert(r) for r in rows])


class SqlImports:
    def __init__(self, tx: Tx, dialect: Dialect) -> None:
        self._tx = tx
        self._dialect = dialect
        self._next_instance = self._next_event = 0
        sql = statements(dialect)
        self._tables = [_Converter(p) for p in (sql.candidates, sql.instances, sql.events, sql.documents, sql.timers)]

    def imported(self, kind: str, sha256: str) -> tuple[str, int, datetime] | None:
        """(file name, rows, when) of the file with this SHA-256 imported before as ``kind``, if it was."""
        row = self._tx.connection.execute(
            select(imports.c.file_name, imports.c.rows, imports.c.imported_at).where(
                imports.c.kind == kind, imports.c.sha256 == sha256
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    def taken_identifiers(self) -> dict[str, set[str]]:
        """Every candidate id, personal number, party card and old card number in the database, by column."""
        taken: dict[str, set[str]] = {name: set() for name in _IDENTIFIERS}
        cursor = self._tx.cursor()
        cursor.execute("SELECT id, personal_id, party_card_no, old_card_no FROM candidates")
        for row in cursor.fetchall():
            for name, value in zip(_IDENTIFIERS, row, strict=True):
                if value is not None:
                    taken[name].add(value)
        return taken

    def org_nodes(self) -> list[OrgNode]:
        cols = [orgs.c[name] for name in OrgNode.__dataclass_fields__]
        return [OrgNode(*row) for row in self._tx.connection.execute(select(*cols))]

    def begin_batch(self) -> None:
        """Before the first ``write`` of a batch: keep other writers of instances and audit rows out (PostgreSQL;
        SQLite's write lock does it already) and find the next free ids."""
        cursor = self._tx.cursor()
        if self._dialect.name == "postgresql":
            cursor.execute("LOCK TABLE instances, events IN EXCLUSIVE MODE")
        self._next_instance = self._max_id(cursor, "instances") + 1
        self._next_event = self._max_id(cursor, "events") + 1

    def write(
        self,
        people: Sequence[dict[str, Any]],
        started: Sequence[dict[str, Any]],
        audit: Sequence[Sequence[dict[str, Any]]],
        papers: Sequence[Sequence[Sequence[dict[str, Any]]]],
        stays: Sequence[Sequence[dict[str, Any]]],
    ) -> None:
        """One chunk: row ``i`` is ``people[i]`` with instance ``started[i]``, its audit rows ``audit[i]`` (the
        papers of ``audit[i][j]`` in ``papers[i][j]``) and its timer rows ``stays[i]``. The rows given are
        completed in place (ids and references), then dropped by the caller."""
        cursor = self._tx.cursor()
        inst_rows: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        doc_rows: list[dict[str, Any]] = []
        timer_rows: list[dict[str, Any]] = []
        next_event = self._next_event
        for i, instance in enumerate(started):
            iid = self._next_instance + i
            instance["id"] = iid
            inst_rows.append(instance)
            for j, row in enumerate(audit[i]):
                row["id"], row["instance_id"] = next_event, iid
                event_rows.append(row)
                for d in papers[i][j]:
                    d["instance_id"], d["event_id"] = iid, next_event
                    doc_rows.append(d)
                next_event += 1
            for t in stays[i]:
                t["instance_id"] = iid
                timer_rows.append(t)
        self._next_instance += len(started)
        self._next_event = next_event
        for writer, rows in zip(self._tables, (people, inst_rows, event_rows, doc_rows, timer_rows), strict=True):
            if rows:
                writer.many(cursor, rows)

    def finish_batch(self, record: dict[str, Any]) -> None:
        """After the last ``write``: move PostgreSQL's sequences past the ids used; record the file."""
        if self._dialect.name == "postgresql":
            cursor = self._tx.cursor()
            for name in ("instances", "events"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {name}))"
                )
        self._tx.connection.execute(insert(imports).values(**record))

    @staticmethod
    def _max_id(cursor: Any, name: str) -> int:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {name}")
        return int(cursor.fetchone()[0])


__all__ = ["SqlImports"]
