"""The sweep's read of a batch's helpers is planned on the partial index over the events naming one, on both
databases: the query repeats the index's clause word for word (store/partial_indexes.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, select, text

from admission_flow.flow import AdmissionFlow
from admission_flow.store.events import EventStatements, events
from admission_flow.store.partial_indexes import NAMING_HELPER_INDEX


@pytest.fixture
def connection(flow: AdmissionFlow) -> Iterator[Connection]:
    with flow.store.engine.connect() as conn:
        yield conn


def test_the_helpers_of_a_batch_are_read_through_the_partial_index(flow: AdmissionFlow, connection: Connection) -> None:
    engine = flow.store.engine
    clause = EventStatements(engine.dialect).naming_helper
    stmt = (
        select(events.c.instance_id, events.c.payload)
        .where(events.c.instance_id.in_(list(range(1, 501))), clause)
        .order_by(events.c.instance_id, events.c.seq)
    )
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    if engine.dialect.name == "postgresql":
        connection.execute(text("SET enable_seqscan = off"))  # the table is empty: only a usable index can be chosen
        plan = "\n".join(r[0] for r in connection.execute(text("EXPLAIN " + sql)))
    else:
        plan = "\n".join(str(r) for r in connection.execute(text("EXPLAIN QUERY PLAN " + sql)))
    assert NAMING_HELPER_INDEX in plan, plan
