"""The fire path's three statements, compiled once per engine and run on the DBAPI cursor.

They are still written as SQLAlchemy statements over the models (``repository.py``), and their values go
through SQLAlchemy's own per-type bind and result processors (JSON, dates, aware UTC instants, booleans), so
the SQL and the conversions are exactly SQLAlchemy's. What is skipped is the per-execution machinery around
them (execution context, cache-key lookup, result wrapping), which cost more than the database itself: about
a third of a durable SQLite fire (bench/fire.py measures it against a raw-driver floor).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.sql.elements import ClauseElement

Processor = Callable[[Any], Any]


class Prepared:
    def __init__(self, statement: ClauseElement, dialect: Dialect, column_keys: Sequence[str] | None = None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys) if column_keys else None)
        self.sql = str(compiled)
        self.order: list[str] | None = list(compiled.positiontup) if dialect.positional else None  # type: ignore[attr-defined]
        self.binds: dict[str, Processor] = {}
        # Literals the statement carries itself (e.g. LIMIT 1 becomes a bind named param_1).
        self.defaults = {n: b.value for n, b in compiled.binds.items() if not b.required and b.value is not None}  # type: ignore[attr-defined]
        for name, bind in compiled.binds.items():  # type: ignore[attr-defined]
            process = bind.type._cached_bind_processor(dialect)
            if process is not None:
                self.binds[name] = process
        columns = getattr(compiled, "_result_columns", [])
        self.results: list[Processor | None] = [c.type._cached_result_processor(dialect, None) for c in columns]

    def parameters(self, values: Mapping[str, Any]) -> Any:
        given = {**self.defaults, **values}
        converted = {k: (self.binds[k](v) if k in self.binds and v is not None else v) for k, v in given.items()}
        return converted if self.order is None else tuple(converted[name] for name in self.order)

    def execute(self, cursor: Any, values: Mapping[str, Any]) -> Any:
        cursor.execute(self.sql, self.parameters(values))
        return cursor

    def first(self, cursor: Any, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        row = self.execute(cursor, values).fetchone()
        if row is None:
            return None
        return tuple(v if p is None or v is None else p(v) for p, v in zip(self.results, row, strict=True))
