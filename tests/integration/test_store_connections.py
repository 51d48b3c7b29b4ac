"""Units of work and their connections: on a SQLite file one idle connection is kept between units of work (the
pool's check-out and check-in cost as much as an empty transaction); everything else goes back to the pool."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from admission_flow.errors import StoreError
from admission_flow.flow import AdmissionFlow
from admission_flow.settings import Settings
from admission_flow.testing import ManualClock


@pytest.fixture
def sqlite_flow(tmp_path: Path, clock: ManualClock) -> Iterator[AdmissionFlow]:
    """For what only a SQLite store does (the spare connection)."""
    flow = AdmissionFlow(Settings(database_url=f"sqlite:///{tmp_path / 'spare.db'}"), clock=clock)
    flow.upgrade_database()
    yield flow
    assert flow.store.connections.in_use() == 0
    flow.close()


def _driver(uow: Any) -> Any:
    return uow.tx._driver


def test_a_sqlite_store_reuses_its_idle_connection_and_postgresql_goes_back_to_the_pool(flow: AdmissionFlow) -> None:
    store = flow.store
    with store.transaction() as uow:
        first = _driver(uow)
        assert store.connections.in_use() == 1
    with store.transaction() as uow:
        second = _driver(uow)
    assert store.connections.in_use() == 0
    if store.dialect == "sqlite":
        assert second is first and store.engine.pool.checkedout() == 1  # the spare, idle
    else:
        assert store.engine.pool.checkedout() == 0


def test_a_unit_of_work_that_failed_still_leaves_no_connection_in_use(flow: AdmissionFlow) -> None:
    store = flow.store
    with pytest.raises(StoreError), store.transaction() as uow:
        uow.tx.cursor().execute("SELECT * FROM no_such_table")
    assert store.connections.in_use() == 0
    with store.transaction() as uow:  # the next one begins cleanly (BEGIN inside a transaction would fail)
        uow.tx.cursor().execute("SELECT count(*) FROM orgs")


def test_a_connection_invalidated_by_a_failed_rollback_is_not_kept(flow: AdmissionFlow) -> None:
    connections = flow.store.connections
    raw = connections.checkout()
    raw.invalidate()  # what Tx.rollback does when even a rollback fails
    connections.checkin(raw)
    assert connections.in_use() == 0 and flow.store.engine.pool.checkedout() == 0
    fresh = connections.checkout()
    assert fresh.is_valid and fresh.driver_connection is not raw.driver_connection
    connections.checkin(fresh)


def test_a_sqlite_connection_left_inside_a_transaction_is_rolled_back_before_it_serves_again(
    sqlite_flow: AdmissionFlow,
) -> None:
    flow = sqlite_flow
    connections = flow.store.connections
    raw = connections.checkout()
    raw.driver_connection.execute("BEGIN IMMEDIATE")
    raw.driver_connection.execute("CREATE TABLE left_behind (x)")
    connections.checkin(raw)
    with flow.store.transaction() as uow:
        found = uow.tx.cursor().execute("SELECT count(*) FROM sqlite_master WHERE name = 'left_behind'").fetchone()
        assert found == (0,)


def test_a_unit_of_work_that_used_a_sqlalchemy_connection_returns_it_to_the_pool(flow: AdmissionFlow) -> None:
    store = flow.store
    with store.transaction() as uow:
        uow.tx.connection.exec_driver_sql("SELECT 1")
    assert store.connections.in_use() == 0
    assert store.engine.pool.checkedout() == 0  # nothing spare: it went back through the SQLAlchemy connection


def test_threads_share_the_store_without_holding_connections(flow: AdmissionFlow) -> None:
    store, errors = flow.store, []

    def work() -> None:
        try:
            for _ in range(50):
                with store.transaction(readonly=True) as uow:
                    uow.tx.cursor().execute("SELECT count(*) FROM orgs").fetchall()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.connections.in_use() == 0
    assert store.engine.pool.checkedout() <= 1


def test_closing_the_flow_closes_the_spare(flow: AdmissionFlow) -> None:
    with flow.store.transaction() as uow:
        uow.tx.cursor().execute("SELECT 1")
    flow.store.connections.close_spare()
    assert flow.store.engine.pool.checkedout() == 0


def test_a_connection_that_cannot_roll_back_is_dropped_not_kept(sqlite_flow: AdmissionFlow) -> None:
    flow = sqlite_flow
    calls: list[str] = []

    class Driver:
        in_transaction = True

        def rollback(self) -> None:
            raise OSError("disk I/O error")

    class Raw:
        is_valid = True
        driver_connection = Driver()

        def invalidate(self) -> None:
            calls.append("invalidate")

        def close(self) -> None:
            calls.append("close")

    connections = flow.store.connections
    connections.checkin(Raw())  # no error escapes: the unit of work's own outcome is what its caller sees
    assert calls == ["invalidate", "close"]
    with flow.store.transaction() as uow:  # and the next unit of work gets a real connection
        assert not isinstance(uow.tx._raw, Raw)
