"""The sweep's read of a batch's helpers is planned on the partial index over the events naming one, and the
deadlines report's read of the open deadline rows on theirs, on both databases: the queries repeat the indexes'
clauses word for word (store/partial_indexes.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Connection, text

from admission_flow.flow import AdmissionFlow
from admission_flow.store.events import EventStatements, naming_helpers_statement
from admission_flow.store.partial_indexes import NAMING_HELPER_INDEX
from admission_flow.store.prepared import Prepared
from admission_flow.store.reports import _deadlines


@pytest.fixture
def connection(flow: AdmissionFlow) -> Iterator[Connection]:
    with flow.store.engine.connect() as conn:
        yield conn


def _plan(connection: Connection, sql: str, parameters: Any) -> str:
    """The plan of the statement exactly as the sweep runs it: its prepared SQL and driver parameters."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if connection.dialect.name == "postgresql":
        cursor.execute("SET enable_seqscan = off")  # the table is empty: only a usable index can be chosen
        cursor.execute("EXPLAIN " + sql, parameters)
        return "\n".join(r[0] for r in cursor.fetchall())
    cursor.execute("EXPLAIN QUERY PLAN " + sql, parameters)
    return "\n".join(str(r) for r in cursor.fetchall())


def test_the_helpers_of_a_batch_are_read_through_the_partial_index(flow: AdmissionFlow, connection: Connection) -> None:
    statements = EventStatements(flow.store.engine.dialect)
    ids = list(range(1, 501))
    listed: Any = ids if statements.postgresql else "[" + ",".join(map(str, ids)) + "]"
    prepared = statements.naming_helpers
    plan = _plan(connection, prepared.sql, prepared.parameters({"ids": listed}))
    assert NAMING_HELPER_INDEX in plan, plan


def test_the_query_without_the_index_clause_is_not_planned_on_it(flow: AdmissionFlow, connection: Connection) -> None:
    """The check above can fail: the same read without the partial index's clause cannot use the index."""
    dialect = flow.store.engine.dialect
    postgresql = dialect.name == "postgresql"
    prepared = Prepared(naming_helpers_statement(dialect, text("payload IS NOT NULL")), dialect)
    ids = list(range(1, 501))
    listed: Any = ids if postgresql else "[" + ",".join(map(str, ids)) + "]"
    plan = _plan(connection, prepared.sql, prepared.parameters({"ids": listed}))
    assert NAMING_HELPER_INDEX not in plan, plan


def test_the_deadlines_report_reads_the_open_deadline_rows_through_their_partial_index(
    flow: AdmissionFlow, connection: Connection
) -> None:
    """The report repeats the open rows' predicate word for word (``open_deadline_row``); the index also holds
    ``deadline_id`` (migration 0011), so on PostgreSQL the rows come from the index alone once it is vacuumed."""
    engine = flow.store.engine
    stmt = _deadlines().params(root="ks", today=date(2026, 1, 5), until=date(2026, 2, 4))
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    index = "ix_timers_due_on_state_instance_id_state_epoch_id_deadline_id"
    if engine.dialect.name == "postgresql":
        connection.execute(text("SET enable_seqscan = off"))
        connection.execute(text("SET enable_bitmapscan = off"))
        plan = "\n".join(r[0] for r in connection.execute(text("EXPLAIN " + sql)))
        assert f"Index Only Scan using {index} on timers" in plan, plan
    else:  # an empty table has no statistics to choose by: INDEXED BY fails to prepare if the index is unusable
        assert sql.count("FROM timers JOIN") == 1
        forced = sql.replace("FROM timers JOIN", f"FROM timers INDEXED BY {index} JOIN")
        plan = "\n".join(str(r) for r in connection.execute(text("EXPLAIN QUERY PLAN " + forced)))
        assert f"timers USING INDEX {index}" in plan, plan
