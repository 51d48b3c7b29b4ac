"""Bulk import's reads and writes: files already imported (``imports``), the identifiers already taken, the
organisation tree, and one batch of checked rows written with ``executemany`` (candidates, instances, audit
rows, papers, timers) in the caller's transaction.

Ids of instances and audit rows are given by the writer (the next free ones), so that audit rows, papers and
timers reference them without reading anything back. On PostgreSQL the two tables are locked against other
writers (``EXCLUSIVE``: readers go on) while the batch is written, and their sequences are moved past the
ids used; on SQLite the transaction's write lock (``BEGIN IMMEDIATE``) already keeps other writers out, and the
connection's page cache is enlarged for the batch (``IMPORT_CACHE_KIB``) and put back after it. A batch is
written in chunks (``write``) as its rows are checked, so memory stays bounded; the caller rolls the whole
transaction back if any row is rejected. The rows come encoded for the driver by a ``RowEncoder``, which needs
no connection: an import's worker processes encode the rows they check (``services/import_workers.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Dialect, insert, select

from admission_flow.domain.stored import OrgNode
from admission_flow.store.prepared import Prepared, Processor
from admission_flow.store.schema import Candidate, Document, Event, ImportBatch, Instance, Org, Timer, table
from admission_flow.store.transaction import Tx

candidates, instances, events = table(Candidate), table(Instance), table(Event)
documents, timers, imports, orgs = table(Document), table(Timer), table(ImportBatch), table(Org)
_IDENTIFIERS = ("id", "personal_id", "party_card_no", "old_card_no")
# SQLite's page cache while a batch is written (128 MiB instead of the default 2 MiB): a chunk writes five
# tables and their indexes in turn, whose pages otherwise push each other out. Put back by ``end_batch``.
IMPORT_CACHE_KIB = 131_072


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
_MEMO_LIMIT = 50_000
_MISSING = object()


class _Converter:
    """One table's rows in the driver's form, through SQLAlchemy's own bind processors (``Prepared.binds``), each
    applied once per distinct date, instant or yes/no value of a column: a chunk repeats the import's instant
    and the same paper dates thousands of times. JSON values are converted every time.

    The conversion of a row is one generated expression per column (as ``Prepared.parameters`` is), not a loop
    over the columns: a table's values are read by name and converted in place in one list display, in the
    statement's placeholder order (``Prepared`` compiles every statement positionally), so the writer can put
    the ids in by position (``slot``).
    """

    def __init__(self, prepared: Prepared) -> None:
        if prepared.order is None:
            raise TypeError(f"a bulk insert needs positional placeholders: {prepared.sql}")
        self.sql = prepared.sql
        self.names = prepared.order
        self.convert: Callable[[Mapping[str, Any]], list[Any]] = self._compile(prepared)

    def _compile(self, prepared: Prepared) -> Callable[[Mapping[str, Any]], list[Any]]:
        scope: dict[str, Any] = {"_same": _SAME_EVERY_TIME, "_miss": _MISSING, "_fill": self._fill}
        items = []
        for k, name in enumerate(self.names):
            if name in prepared.defaults:
                scope[f"_d{k}"] = prepared.defaults[name]
                read = f"row.get({name!r}, _d{k})"
            else:
                read = f"row[{name!r}]"
            process = prepared.binds.get(name)
            if process is None:
                items.append(read)
                continue
            scope[f"_p{k}"], scope[f"_m{k}"] = process, {}
            items.append(
                f"(None if (x := {read}) is None else _p{k}(x) if not isinstance(x, _same) "
                f"else y if (y := _m{k}.get(x, _miss)) is not _miss else _fill(_m{k}, _p{k}, x))"
            )
        lines = ["def convert(row):", f"    return [{', '.join(items)}]"]  # a list: the writer puts the ids in
        exec("\n".join(lines), scope)  # built above from the statement's own bind names only
        function: Callable[[Mapping[str, Any]], list[Any]] = scope["convert"]
        return function

    @staticmethod
    def _fill(memo: dict[Any, Any], process: Processor, value: Any) -> Any:
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        found = memo[value] = process(value)
        return found

    def slot(self, name: str) -> int:
        """Where the value of ``name`` is in a converted row."""
        return self.names.index(name)


Encoded = tuple[list[Any], list[Any], list[list[Any]], list[list[Any]], list[list[Any]]]


class RowEncoder:
    """A checked row's five tables (person, instance, audit rows, papers, timers) in the driver's form, with the
    ids left to the writer: the instance's id and the audit rows' are filled in by ``SqlImports.write``, which
    an audit row's position in its row (and its papers' reference to it) becomes an offset of. It needs no
    connection, so import workers encode the rows they check (sending text and numbers back to the importing
    process costs a third of sending the rows' dicts, dates and instants)."""

    def __init__(self, tables: Sequence[_Converter]) -> None:
        self._tables = tables

    def encode(
        self,
        person: Mapping[str, Any],
        instance: dict[str, Any],
        audit: Sequence[dict[str, Any]],
        papers: Sequence[Sequence[dict[str, Any]]],
        stays: Sequence[dict[str, Any]],
    ) -> Encoded:
        """The rows given are completed in place (ids to be given), then converted; ``papers[i]`` belong to
        ``audit[i]``."""
        people, started, events, docs, timers = (t.convert for t in self._tables)
        instance["id"] = 0
        event_rows, doc_rows = [], []
        for j, row in enumerate(audit):
            row["id"], row["instance_id"] = j, 0
            event_rows.append(events(row))
            for d in papers[j]:
                d["instance_id"], d["event_id"] = 0, j
                doc_rows.append(docs(d))
        timer_rows = []
        for t in stays:
            t["instance_id"] = 0
            timer_rows.append(timers(t))
        return people(person), started(instance), event_rows, doc_rows, timer_rows


class SqlImports:
    def __init__(self, tx: Tx, dialect: Dialect) -> None:
        self._tx = tx
        self._dialect = dialect
        self._next_instance = self._next_event = 0
        self._cache_size: int | None = None  # SQLite: the page cache's size before begin_batch
        sql = statements(dialect)
        self._tables = [_Converter(p) for p in (sql.candidates, sql.instances, sql.events, sql.documents, sql.timers)]
        _, instance, event, document, timer = self._tables
        self._slots = (
            (instance.slot("id"),),
            (event.slot("id"), event.slot("instance_id")),
            (document.slot("instance_id"), document.slot("event_id")),
            (timer.slot("instance_id"),),
        )

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
        else:
            cursor.execute("PRAGMA cache_size")
            self._cache_size = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        self._next_instance = self._max_id(cursor, "instances") + 1
        self._next_event = self._max_id(cursor, "events") + 1

    def encoder(self) -> RowEncoder:
        return RowEncoder(self._tables)

    def write(self, rows: Sequence[Encoded]) -> None:
        """One chunk of rows from ``RowEncoder.encode``: each gets the next free instance id and audit row ids (its
        papers and timers reference them), then each table is inserted with one ``executemany``."""
        people, started, audit, papers, stays = [], [], [], [], []
        (i_id,), (e_id, e_instance), (d_instance, d_event), (t_instance,) = self._slots
        iid, next_event = self._next_instance, self._next_event
        for person, instance, events_of, papers_of, timers_of in rows:
            instance[i_id] = iid
            for row in events_of:
                row[e_id] += next_event  # the audit row's place in its row, made an id
                row[e_instance] = iid
            for row in papers_of:
                row[d_event] += next_event
                row[d_instance] = iid
            for row in timers_of:
                row[t_instance] = iid
            people.append(person)
            started.append(instance)
            audit += events_of
            papers += papers_of
            stays += timers_of
            next_event += len(events_of)
            iid += 1
        self._next_instance, self._next_event = iid, next_event
        cursor = self._tx.cursor()
        for writer, table_rows in zip(self._tables, (people, started, audit, papers, stays), strict=True):
            if table_rows:
                cursor.executemany(writer.sql, table_rows)

    def finish_batch(self, record: dict[str, Any]) -> None:
        """After the last ``write``: move PostgreSQL's sequences past the ids used; record the file."""
        if self._dialect.name == "postgresql":
            cursor = self._tx.cursor()
            for name in ("instances", "events"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {name}))"
                )
        self._tx.connection.execute(insert(imports).values(**record))

    def end_batch(self) -> None:
        """SQLite: the connection's page cache back to its size before ``begin_batch`` (SQLite frees the pages
        over it), so the pooled connection does not keep the import's cache."""
        if self._cache_size is not None:
            self._tx.cursor().execute(f"PRAGMA cache_size = {self._cache_size}")
            self._cache_size = None

    @staticmethod
    def _max_id(cursor: Any, name: str) -> int:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {name}")
        return int(cursor.fetchone()[0])


__all__ = ["Encoded", "RowEncoder", "SqlImports"]
