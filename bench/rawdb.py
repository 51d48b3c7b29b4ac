"""The raw-driver side of ``fire.py``: sqlite3 / psycopg connections configured like admission_flow's engine, the
SQL the floors run, and reading rows back for the set-up and the checks (no SQLAlchemy, no package internals).

Values go in and come out in each driver's own form: on SQLite, JSON is text, DATE is ISO text and DATETIME is
naive UTC text with microseconds (what SQLAlchemy stores); on PostgreSQL, psycopg decodes JSONB, dates and aware
instants itself and JSON goes in as ``json.dumps`` text cast to JSONB (as SQLAlchemy renders it).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

import psycopg

# ---------------------------------------------------------------------------- the fire path's statements

# The columns admission_flow's joined SELECT reads (store/instances.py), by table alias.
INSTANCE_COLUMNS = (
    *("id", "candidate_id", "attempt", "workflow_id", "workflow_version", "workflow_hash", "state", "version"),
    *("dates", "flags", "documents", "state_epoch", "state_entered_on", "extensions"),
)
CANDIDATE_COLUMNS = (
    *("id", "org_id", "full_name", "birth_date", "sex", "ethnicity", "religion", "education", "remote_area"),
    *("occupation", "youth_union_member", "trade_union_member", "email", "attributes", "created_at"),
)
ORG_COLUMNS = ("id", "parent_id", "kind", "name", "has_youth_union", "has_trade_union", "contacts", "attributes")
SELECTED = (
    *(f"i.{c}" for c in INSTANCE_COLUMNS),
    *(f"c.{c}" for c in CANDIDATE_COLUMNS),
    *(f"o.{c}" for c in (*ORG_COLUMNS, "created_at")),
    "p.kind",
)
COL = {name: position for position, name in enumerate(SELECTED)}
SELECTED_JSON = tuple(
    COL[c] for c in ("i.dates", "i.flags", "i.documents", "i.extensions", "c.attributes", "o.contacts", "o.attributes")
)

# "?" is a parameter, "?j" a JSON one (PostgreSQL casts it to JSONB, as SQLAlchemy renders it).
SELECT_INSTANCE = f"""
SELECT {", ".join(SELECTED)}
FROM instances AS i
JOIN candidates AS c ON c.id = i.candidate_id
JOIN orgs AS o ON o.id = c.org_id
LEFT OUTER JOIN orgs AS p ON p.id = o.parent_id
WHERE i.candidate_id = ? ORDER BY i.attempt DESC LIMIT 1
"""
UPDATE_INSTANCE = """
UPDATE instances SET state = ?, version = ?, dates = ?j, flags = ?j, documents = ?j, updated_at = ?, state_epoch = ?,
                     state_entered_on = ?, extensions = ?j
WHERE instances.id = ? AND instances.version = ?
"""
INSERT_EVENT = """
INSERT INTO events (instance_id, seq, trigger, from_state, to_state, actor, role, org_id, occurred_on, recorded_at,
                    payload, documents, votes, workflow_id, workflow_version, workflow_hash, idempotency_key)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?j, ?j, ?j, ?, ?, ?, ?)
"""
# The event's documents and the timer statements admission_flow's projection runs (store/timers.py).
INSERT_DOCUMENT = """
INSERT INTO documents (instance_id, event_id, kind, form, issued_on, reference, attributes, recorded_at)
VALUES (?, ?, ?, ?, ?, ?, ?j, ?)
"""
TIMER_COLUMNS = (
    *("state", "state_epoch", "deadline_id", "rung", "occurrence", "kind", "due_on", "fire_at", "status"),
    "outcome",
)
INSERT_TIMER = f"""
INSERT INTO timers (instance_id, {", ".join(TIMER_COLUMNS)}, created_at, processed_at)
VALUES (?, {", ".join("?" for _ in TIMER_COLUMNS)}, ?, ?)
"""
CANCEL_PENDING = """
UPDATE timers SET status = 'cancelled', processed_at = ?, outcome = 'left the state'
WHERE timers.instance_id = ? AND timers.status = 'pending'
"""
CANCEL_DEADLINE = """
UPDATE timers SET status = 'cancelled', processed_at = ?, outcome = ?
WHERE timers.instance_id = ? AND timers.state_epoch = ? AND timers.deadline_id = ? AND timers.status = 'pending'
"""
TIMER_KEY = "instance_id = ? AND state_epoch = ? AND deadline_id = ? AND rung = ? AND occurrence = ?"
# The enrolment's rows (service.py: enroll).
INSERT_CANDIDATE = f"""
INSERT INTO candidates ({", ".join(CANDIDATE_COLUMNS)})
VALUES ({", ".join("?j" if c == "attributes" else "?" for c in CANDIDATE_COLUMNS)})
"""
NEW_INSTANCE_COLUMNS = (
    *("candidate_id", "attempt", "workflow_id", "workflow_version", "workflow_hash", "state", "version", "dates"),
    *("flags", "documents", "started_at", "updated_at", "state_epoch", "state_entered_on", "extensions"),
)
INSERT_INSTANCE = f"""
INSERT INTO instances ({", ".join(NEW_INSTANCE_COLUMNS)})
VALUES (?, ?, ?, ?, ?, ?, ?, ?j, ?j, ?j, ?, ?, ?, ?, ?j)
"""

# Columns holding JSON, by table: text on SQLite, decoded by psycopg on PostgreSQL.
JSON_COLUMNS: dict[str, frozenset[str]] = {
    "candidates": frozenset({"attributes"}),
    "instances": frozenset({"dates", "flags", "documents", "extensions"}),
    "events": frozenset({"payload", "documents", "votes"}),
    "documents": frozenset({"attributes"}),
    "timers": frozenset(),
}


def sqlite_sql(sql: str) -> str:
    return sql.replace("?j", "?")


def postgres_sql(sql: str) -> str:
    return sql.replace("?j", "%s::JSONB").replace("?", "%s")


# ---------------------------------------------------------------------------- connections


class Cursor(Protocol):
    """What the floors use of a DBAPI cursor (sqlite3.Cursor, psycopg.Cursor)."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, params: Iterable[Sequence[Any]], /) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Raw:
    """One raw driver connection and the conventions of its database (see the module docstring).

    The floors run their statements on :attr:`cursor` directly; :meth:`rows` reads rows back (set-up, checks).
    """

    def __init__(self, database: str, connection: Any) -> None:
        self.database = database
        self.connection = connection
        self.cursor: Cursor = connection.cursor()
        self.sqlite = database == "sqlite"
        # SQLite: BEGIN IMMEDIATE as admission_flow's engine issues it; psycopg sends BEGIN before the first statement.
        self.begin: str | None = "BEGIN IMMEDIATE" if self.sqlite else None
        self.select_instance = self.sql(SELECT_INSTANCE)

    @classmethod
    def sqlite_file(cls, path: Path) -> Raw:
        """sqlite3 on the file, with the pragmas admission_flow's engine sets."""
        connection = sqlite3.connect(path, isolation_level=None)  # we issue BEGIN ourselves, as the engine does
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000"):
            connection.execute(f"PRAGMA {pragma}")
        return cls("sqlite", connection)

    @classmethod
    def postgres(cls, url: str) -> Raw:
        return cls("postgresql", psycopg.connect(url))  # not autocommit: BEGIN is implicit, COMMIT explicit

    def sql(self, text: str) -> str:
        """The statement in this driver's paramstyle."""
        return sqlite_sql(text) if self.sqlite else postgres_sql(text)

    def insert_sql(self, text: str) -> str:
        """An INSERT whose new id :meth:`inserted_id` returns (``lastrowid`` on SQLite, ``RETURNING id`` here)."""
        return self.sql(text) if self.sqlite else self.sql(text).rstrip() + " RETURNING id"

    def inserted_id(self, cursor: Any) -> int:
        return int(cursor.lastrowid if self.sqlite else cursor.fetchone()[0])

    def now(self) -> Any:
        """The current instant as admission_flow stores it: naive UTC text on SQLite, an aware datetime here."""
        now = datetime.now(UTC)
        return now.replace(tzinfo=None).isoformat(" ", "microseconds") if self.sqlite else now

    def day(self, value: date) -> Any:
        return value.isoformat() if self.sqlite else value

    def read_instance(self, candidate_id: str) -> Sequence[Any]:
        """The floors' joined SELECT, JSON decoded (psycopg decodes JSONB itself)."""
        row = self.cursor.execute(self.select_instance, (candidate_id,)).fetchone()
        if row is None:
            raise LookupError(candidate_id)
        if not self.sqlite:
            return row  # type: ignore[no-any-return]
        decoded = list(row)
        for position in SELECTED_JSON:
            decoded[position] = json.loads(decoded[position])
        return decoded

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()

    def load(self, candidate_id: str) -> None:
        """A write transaction holding only the joined SELECT (the profile's cuts)."""
        if self.begin is not None:
            self.cursor.execute(self.begin)
        self.read_instance(candidate_id)
        self.connection.commit()

    def empty_transaction(self) -> None:
        if self.begin is not None:
            self.cursor.execute(self.begin)
            self.connection.commit()
        else:
            with self.connection.transaction():  # BEGIN; COMMIT
                pass

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Read rows back as {column: value}, in the driver's form; ends the read transaction on PostgreSQL."""
        cursor = self.connection.cursor()
        try:
            cursor.execute(self.sql(sql), params)
            names = [d[0] for d in cursor.description]
            found = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        finally:
            cursor.close()
            if not self.sqlite:
                self.connection.commit()
        return found

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any]:
        found = self.rows(sql, params)
        if len(found) != 1:
            raise LookupError(f"{len(found)} rows for {sql.strip()} {params}")
        return found[0]

    def decoded(self, table: str, row: Mapping[str, Any]) -> dict[str, Any]:
        """``row`` with its JSON columns as Python values (SQLite returns them as text)."""
        if not self.sqlite:
            return dict(row)
        names = JSON_COLUMNS[table]
        return {k: json.loads(v) if k in names and v is not None else v for k, v in row.items()}

    def close(self) -> None:
        self.connection.close()


# ---------------------------------------------------------------------------- rows written by both paths


def same_rows(
    what: str, ours: Sequence[Mapping[str, Any]], theirs: Sequence[Mapping[str, Any]], ignore: Iterable[str]
) -> int:
    """Raise unless the two lists of rows are equal column by column, ``ignore``d columns apart; the row count."""
    skip = set(ignore)
    if len(ours) != len(theirs):
        raise AssertionError(f"{what}: admission_flow wrote {len(ours)} rows, the floor {len(theirs)}")
    for n, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        differ = {k: (a[k], b.get(k)) for k in a if k not in skip and a[k] != b.get(k)}
        if differ:
            detail = "; ".join(f"{k}: admission_flow {x!r} ≠ floor {y!r}" for k, (x, y) in differ.items())
            raise AssertionError(f"{what}, row {n + 1}: {detail}")
    return len(ours)
