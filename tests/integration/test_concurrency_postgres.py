"""Two writers on one candidate, in two separate processes (``spawn``), each with its own AdmissionFlow.

PostgreSQL: the version-checked UPDATE lets exactly one of two racing fires apply; the other gets
``ConcurrentUpdate`` (it read the old version) or ``trigger_not_available`` (it read after the first committed).
SQLite: ``BEGIN IMMEDIATE`` serialises the two writers, so the second always reads the first one's result.
Processes meet at a ``multiprocessing.Barrier``/``Event``; every wait is bounded, and nothing sleeps.
The parent and its workers read one private copy of ``workflows/standard-2021.yaml``, so they pin the same content
hash even while someone edits the shared files.
"""

from __future__ import annotations

import multiprocessing
import queue
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    WAIT_SECONDS,
    WORKFLOW,
    WORKFLOWS,
    Shot,
    count_events,
    event_rows,
    fire_in_rounds,
    fire_once,
    fire_pausing_after_key_check,
    open_flow,
)

from admission_flow.flow import AdmissionFlow
from admission_flow.testing import ManualClock

RACES = 20
SPAWN = multiprocessing.get_context("spawn")
CONCURRENT = ("concurrent_update",)
REFUSED_NOT_AVAILABLE = ("refused", ("trigger_not_available",))
Outcomes = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def workflows(tmp_path: Path) -> Path:
    """A private snapshot of the shipped standard@2021 workflow, shared by the parent and its worker processes."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    shutil.copy2(WORKFLOWS / "standard-2021.yaml", folder)
    return folder


def migrated_flow(url: str, candidates: int, workflows: Path) -> AdmissionFlow:
    """Migrate ``url`` and enrol candidates c00, c01, … in one cell, all in state 'prospect' at version 1."""
    flow = open_flow(url, ManualClock(datetime(2026, 1, 5, 2, 0, tzinfo=UTC)), workflows_dir=workflows)
    flow.upgrade_database()
    flow.add_org(id="cell", name="Chi bộ ấp An Phú", kind="cell")
    for i in range(candidates):
        flow.add_candidate(id=f"c{i:02d}", full_name=f"Người thứ {i}", org_id="cell", workflow=WORKFLOW)
    return flow


@pytest.fixture
def pg_flow(postgres_schema_url: str, workflows: Path) -> Iterator[AdmissionFlow]:
    flow = migrated_flow(postgres_schema_url, RACES, workflows)
    yield flow
    assert flow.store.connections.in_use() == 0
    flow.close()


def run_processes(targets: list[tuple[Callable[..., None], tuple[Any, ...]]], results: Any, expected: int) -> Outcomes:
    """Start one process per target, collect ``expected`` results, and require every process to exit cleanly.

    Returns each candidate's outcomes, sorted (arrival order across processes is not meaningful).
    """
    processes = [SPAWN.Process(target=target, args=args) for target, args in targets]
    for process in processes:
        process.start()
    deadline = time.monotonic() + 2 * WAIT_SECONDS  # one bound for the whole run, however many results are missing
    collected: list[tuple[str, tuple[Any, ...]]] = []
    try:
        while len(collected) < expected:
            try:
                collected.append(results.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
    finally:
        for process in processes:
            process.join(WAIT_SECONDS)
            if process.is_alive():
                process.kill()
                process.join(WAIT_SECONDS)
    assert [p.exitcode for p in processes] == [0] * len(processes)
    assert len(collected) == expected, collected
    by_candidate: Outcomes = {}
    for cid, outcome in collected:
        by_candidate.setdefault(cid, []).append(outcome)
    return {cid: sorted(outcomes, key=repr) for cid, outcomes in by_candidate.items()}


def race(flow: AdmissionFlow, url: str, shots: list[Shot], *, meet_before_update: bool = False) -> Outcomes:
    """Two processes fire the same ``shots`` in lock-step rounds, released together at a barrier each round."""
    start_line, results = SPAWN.Barrier(2), SPAWN.Queue()
    meet = SPAWN.Barrier(2) if meet_before_update else None
    args = (url, shots, start_line, results, meet, flow.settings.workflows_dir)
    outcomes = run_processes([(fire_in_rounds, args), (fire_in_rounds, args)], results, 2 * len(shots))
    assert {cid: len(pair) for cid, pair in outcomes.items()} == {shot.candidate_id: 2 for shot in shots}
    return outcomes


def assert_exactly_one_applied(flow: AdmissionFlow, cid: str, pair: list[tuple[Any, ...]], losers: set[Any]) -> None:
    """One outcome applied the event (version 1 → 2), the other is one of ``losers``; one event row was written."""
    applied = [o for o in pair if o[0] == "applied"]
    others = [o for o in pair if o[0] != "applied"]
    assert len(applied) == 1, (cid, pair)
    assert len(others) == 1, (cid, pair)
    assert others[0] in losers, (cid, pair)
    (_, event_id, version, replayed) = applied[0]
    record = flow.candidate(cid)
    rows = event_rows(flow, cid)
    assert (version, replayed) == (2, False), (cid, pair)
    assert (record.version, record.state) == (2, "sympathizer"), cid
    assert [(r["seq"], r["trigger"]) for r in rows] == [(1, "add_to_source_plan"), (2, "admit_to_sympathizer_list")]
    assert rows[1]["id"] == event_id


def assert_one_event_answered_twice(flow: AdmissionFlow, cid: str, key: str, pair: list[tuple[Any, ...]]) -> None:
    """Both outcomes name the same event, one applied and one replayed; one event row carries the key."""
    assert [o[0] for o in pair] == ["applied", "applied"], (cid, pair)
    assert pair[0][1] == pair[1][1], ("both must answer with the same event id", cid, pair)
    assert sorted(o[3] for o in pair) == [False, True], ("one applied, the other replayed", cid, pair)
    rows = event_rows(flow, cid)
    assert [(r["seq"], r["idempotency_key"]) for r in rows] == [(1, None), (2, key)]
    assert rows[1]["id"] == pair[0][1]
    assert flow.candidate(cid).version == 2


# -------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_two_processes_racing_on_one_candidate_apply_exactly_one_event_each_race(
    pg_flow: AdmissionFlow, postgres_schema_url: str
) -> None:
    shots = [Shot(f"c{i:02d}") for i in range(RACES)]

    outcomes = race(pg_flow, postgres_schema_url, shots)

    for shot in shots:
        pair = outcomes[shot.candidate_id]
        assert_exactly_one_applied(pg_flow, shot.candidate_id, pair, {CONCURRENT, REFUSED_NOT_AVAILABLE})
    assert count_events(pg_flow) == 2 * RACES


@pytest.mark.postgres
def test_the_loser_of_a_race_that_read_the_same_version_gets_concurrent_update(
    pg_flow: AdmissionFlow, postgres_schema_url: str
) -> None:
    shots = [Shot(f"c{i:02d}") for i in range(5)]

    outcomes = race(pg_flow, postgres_schema_url, shots, meet_before_update=True)

    for shot in shots:
        assert_exactly_one_applied(pg_flow, shot.candidate_id, outcomes[shot.candidate_id], {CONCURRENT})
    assert count_events(pg_flow) == RACES + 5


@pytest.mark.postgres
def test_two_processes_with_the_same_idempotency_key_that_read_the_same_version_get_the_same_event(
    pg_flow: AdmissionFlow, postgres_schema_url: str
) -> None:
    shots = [Shot(f"c{i:02d}", idempotency_key=f"key-{i}") for i in range(5)]

    outcomes = race(pg_flow, postgres_schema_url, shots, meet_before_update=True)

    for i, shot in enumerate(shots):
        assert_one_event_answered_twice(pg_flow, shot.candidate_id, f"key-{i}", outcomes[shot.candidate_id])
    assert count_events(pg_flow) == RACES + 5


@pytest.mark.postgres
def test_a_process_repeating_an_idempotency_key_after_the_first_committed_gets_the_same_event(
    pg_flow: AdmissionFlow, postgres_schema_url: str
) -> None:
    shot = Shot("c00", idempotency_key="key-0")
    first_done, results = SPAWN.Event(), SPAWN.Queue()

    outcomes = run_processes(
        [
            (fire_once, (postgres_schema_url, shot, results, None, first_done, pg_flow.settings.workflows_dir)),
            (fire_once, (postgres_schema_url, shot, results, first_done, None, pg_flow.settings.workflows_dir)),
        ],
        results,
        2,
    )

    assert_one_event_answered_twice(pg_flow, "c00", "key-0", outcomes["c00"])


@pytest.mark.postgres
def test_a_same_key_request_that_reads_the_instance_after_the_first_committed_gets_the_same_event(
    pg_flow: AdmissionFlow, postgres_schema_url: str
) -> None:
    shot = Shot("c00", idempotency_key="key-0")
    key_checked, first_done, results = SPAWN.Event(), SPAWN.Event(), SPAWN.Queue()

    outcomes = run_processes(
        [
            (
                fire_pausing_after_key_check,
                (postgres_schema_url, shot, key_checked, first_done, results, pg_flow.settings.workflows_dir),
            ),
            (fire_once, (postgres_schema_url, shot, results, key_checked, first_done, pg_flow.settings.workflows_dir)),
        ],
        results,
        2,
    )

    assert_one_event_answered_twice(pg_flow, "c00", "key-0", outcomes["c00"])


# -------------------------------------------------------------------- SQLite (WAL, BEGIN IMMEDIATE)


@pytest.fixture
def sqlite_flow(tmp_path: Path, workflows: Path) -> Iterator[tuple[AdmissionFlow, str]]:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    flow = migrated_flow(url, RACES, workflows)
    yield flow, url
    assert flow.store.connections.in_use() == 0
    flow.close()


def test_the_sqlite_race_database_is_a_wal_file(sqlite_flow: tuple[AdmissionFlow, str]) -> None:
    flow, _ = sqlite_flow

    with flow.store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"


def test_two_processes_racing_on_one_sqlite_file_apply_exactly_one_event_each_race(
    sqlite_flow: tuple[AdmissionFlow, str],
) -> None:
    flow, url = sqlite_flow
    shots = [Shot(f"c{i:02d}") for i in range(RACES)]

    outcomes = race(flow, url, shots)

    for shot in shots:
        # BEGIN IMMEDIATE: the second writer begins only after the first committed, so it never holds a stale
        # version; it reads 'sympathizer' and is refused, never ConcurrentUpdate, never "database is locked".
        assert_exactly_one_applied(flow, shot.candidate_id, outcomes[shot.candidate_id], {REFUSED_NOT_AVAILABLE})
    assert count_events(flow) == 2 * RACES


def test_two_processes_with_the_same_idempotency_key_on_sqlite_get_the_same_event(
    sqlite_flow: tuple[AdmissionFlow, str],
) -> None:
    flow, url = sqlite_flow
    shots = [Shot(f"c{i:02d}", idempotency_key=f"key-{i}") for i in range(RACES)]

    outcomes = race(flow, url, shots)

    for i, shot in enumerate(shots):
        assert_one_event_answered_twice(flow, shot.candidate_id, f"key-{i}", outcomes[shot.candidate_id])
    assert count_events(flow) == 2 * RACES
