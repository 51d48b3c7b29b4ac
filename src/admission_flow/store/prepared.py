"""Hot statements (the fire path's, enrolment's, the sweep's), compiled once per engine and run on the DBAPI cursor.

They are still written as SQLAlchemy statements over the models (``instances.py``, ``events.py``, ``timers.py``,
``outbox.py``, ``orgs.py``), and their values go
through SQLAlchemy's own per-type bind and result processors (JSON, dates, aware UTC instants, booleans), so
the SQL and the conversions are exactly SQLAlchemy's. What is skipped is the per-execution machinery around
them (execution context, cache-key lookup, result wrapping), which cost more than the database itself: about
a third of a durable SQLite fire (bench/fire.py measures it against a raw-driver floor).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.sql.elements import ClauseElement

from admission_flow.store.types import fast_bind_processor, fast_result_processor

Processor = Callable[[Any], Any]


class Prepared:
    def __init__(
        self,
        statement: ClauseElement,
        dialect: Dialect,
        column_keys: Sequence[str] | None = None,
        *,
        raw: Sequence[str] = (),
        for_executemany: bool = False,
    ) -> None:
        """``raw``: bind names whose values the caller passes already converted (e.g. JSON it encoded itself);
        ``for_executemany``: an INSERT run by :meth:`many` (no implicit RETURNING)."""
        dialect = _positional(dialect)
        compiled = statement.compile(
            dialect=dialect,
            column_keys=list(column_keys) if column_keys else None,
            for_executemany=for_executemany,
        )
        self.sql = str(compiled)
        self.order: list[str] | None = list(compiled.positiontup) if dialect.positional else None  # type: ignore[attr-defined]
        self.binds: dict[str, Processor] = {}
        # Literals the statement carries itself (e.g. LIMIT 1 becomes a bind named param_1).
        self.defaults = {
            name: bind.value
            for bind, name in compiled.bind_names.items()  # type: ignore[attr-defined]
            if not bind.required and bind.value is not None
        }
        for name, bind in compiled.binds.items():  # type: ignore[attr-defined]
            process = fast_bind_processor(bind.type, dialect) or bind.type._cached_bind_processor(dialect)
            if process is not None and name not in raw:
                self.binds[name] = process
        columns = getattr(compiled, "_result_columns", [])
        self.results: list[Processor | None] = [
            fast_result_processor(c.type, dialect) or c.type._cached_result_processor(dialect, None) for c in columns
        ]
        # The per-call work touches only what needs converting (this runs on every fire and swept row).
        self._converting = [(i, p) for i, p in enumerate(self.results) if p is not None]
        self.parameters = _parameters_function(self.order, self.binds, self.defaults)

    def _convert(self, row: Sequence[Any]) -> tuple[Any, ...]:
        if not self._converting:
            return tuple(row)
        out = list(row)
        for i, process in self._converting:
            if out[i] is not None:
                out[i] = process(out[i])
        return tuple(out)

    def execute(self, cursor: Any, values: Mapping[str, Any]) -> Any:
        cursor.execute(self.sql, self.parameters(values))
        return cursor

    def first(self, cursor: Any, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        row = self.execute(cursor, values).fetchone()
        return None if row is None else self._convert(row)

    def all(self, cursor: Any, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return [self._convert(r) for r in self.execute(cursor, values).fetchall()]

    def many(self, cursor: Any, rows: Sequence[Mapping[str, Any]], shared: Mapping[str, Any]) -> None:
        """``executemany``: ``shared`` values (the same in every row) are converted once, each row's own values
        only where their type has a processor (none, for ints, strings and ``raw`` binds)."""
        common = {**self.defaults}
        for k, v in shared.items():
            common[k] = self.binds[k](v) if k in self.binds and v is not None else v
        per_row = [k for k in self.binds if k not in shared and k not in self.defaults]
        params: list[Any] = []
        for row in rows:
            merged = {**common, **row}
            for k in per_row:
                if merged.get(k) is not None:
                    merged[k] = self.binds[k](merged[k])
            params.append(merged if self.order is None else tuple(map(merged.__getitem__, self.order)))
        cursor.executemany(self.sql, params)


@cache
def _positional(dialect: Dialect) -> Dialect:
    """The dialect compiling with positional placeholders (``%s`` for psycopg's ``%(name)s``): psycopg takes a
    tuple as readily as a dict, and a tuple spares it matching every name to its place on each execution (about
    a microsecond a statement, paid per row of an ``executemany``). The same SQL otherwise: both styles double
    a literal ``%``."""
    if dialect.positional or dialect.paramstyle != "pyformat":
        return dialect
    clone = copy.copy(dialect)
    clone.paramstyle, clone.positional = "format", True
    return clone


def _parameters_function(
    order: Sequence[str] | None, binds: Mapping[str, Processor], defaults: Mapping[str, Any]
) -> Callable[[Mapping[str, Any]], Any]:
    """The function turning a statement's named values into what the driver takes, written out for this statement
    (one tuple display, or one dict and its conversions) instead of a loop over its binds on every call: about
    half the cost on the fire path's 11- and 18-value statements. Values win over the statement's own literals
    (``defaults``); a value that is None is never converted; a missing one raises ``KeyError``."""
    names: dict[str, Any] = {"_defaults": dict(defaults)}
    lines = ["def parameters(values):"]
    if order is not None:
        items = []
        for k, name in enumerate(order):
            read = f"values.get({name!r}, _d{k})" if name in defaults else f"values[{name!r}]"
            if name in defaults:
                names[f"_d{k}"] = defaults[name]
            if name in binds:
                names[f"_p{k}"] = binds[name]
                items.append(f"(None if (x := {read}) is None else _p{k}(x))")
            else:
                items.append(read)
        lines.append(f"    return ({', '.join(items)}{',' if len(items) == 1 else ''})")
    else:
        lines.append("    out = {**_defaults, **values}" if defaults else "    out = dict(values)")
        for k, name in enumerate(binds):
            names[f"_p{k}"] = binds[name]
            lines.append(f"    if (x := out.get({name!r})) is not None:")
            lines.append(f"        out[{name!r}] = _p{k}(x)")
        lines.append("    return out")
    exec("\n".join(lines), names)  # the code is built above from the statement's own bind names only
    function: Callable[[Mapping[str, Any]], Any] = names["parameters"]
    return function
