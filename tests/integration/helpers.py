"""Small helpers shared by the integration tests: raw row counts, snapshots, and the worker processes.

The worker functions live here (not in a test module) so that ``multiprocessing`` in the ``spawn`` start
method can import them by name in a fresh interpreter.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from admission_flow.errors import ConcurrentUpdate, TransitionRefused
from admission_flow.flow import AdmissionFlow
from admission_flow.settings import Settings
from admission_flow.store.events import SqlEvents
from admission_flow.store.instances import SqlInstances
from admission_flow.store.schema import Base, Document, Event, Instance
from admission_flow.testing import ManualClock

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
WORKFLOW = "standard@2021"  # every test here is written against the 2021 rules; never the moving default
WAIT_SECONDS = 60  # upper bound on any wait for another process; never a synchronisation sleep

EVENTS = Event.__table__
DOCUMENTS = Document.__table__
INSTANCES = Instance.__table__


def open_flow(url: str, clock: ManualClock | None = None, workflows_dir: Path = WORKFLOWS) -> AdmissionFlow:
    """An AdmissionFlow on ``url`` (not migrated): for a second handle on a database, or a worker process."""
    clock = clock or ManualClock(datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    return AdmissionFlow(Settings(database_url=url, workflows_dir=workflows_dir), clock=clock)


def migrated_flow(url: str, clock: ManualClock, workflows_dir: Path = WORKFLOWS) -> AdmissionFlow:
    """``open_flow``, with the tables created or upgraded (tests import this, never ``conftest``, whose module name
    every test layer's conftest.py shares)."""
    flow = open_flow(url, clock, workflows_dir)
    flow.upgrade_database()
    return flow


def fields_of(record: object, expected: dict[str, Any]) -> dict[str, Any]:
    """The attributes of ``record`` named in ``expected``, to compare records that may gain fields later."""
    return {name: getattr(record, name) for name in expected}


def triggers_in_yaml(state: str, path: Path = WORKFLOWS / "standard-2021.yaml") -> list[str]:
    """The triggers a state offers, read straight from the YAML (an oracle independent of the machine).

    In file order, without repeats; ``source: "*"`` means every non-final state.
    """
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    final = bool(spec["states"][state].get("final", False))
    found: list[str] = []
    for transition in spec["transitions"]:
        sources = transition["source"] if isinstance(transition["source"], list) else [transition["source"]]
        if state in sources or ("*" in sources and not final):
            found.append(transition["trigger"])
    return list(dict.fromkeys(found))


def label_in_yaml(trigger: str, path: Path = WORKFLOWS / "standard-2021.yaml") -> dict[str, str] | None:
    """The label written on the first transition of ``trigger`` that has one."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    return next((t["label"] for t in spec["transitions"] if t["trigger"] == trigger and "label" in t), None)


# -------------------------------------------------------------------- raw reads


def count_events(flow: AdmissionFlow, candidate_id: str | None = None) -> int:
    stmt = select(func.count()).select_from(EVENTS)
    if candidate_id is not None:
        stmt = stmt.where(EVENTS.c.instance_id.in_(_instance_ids(candidate_id)))
    with flow.store.engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def count_documents(flow: AdmissionFlow, candidate_id: str | None = None) -> int:
    stmt = select(func.count()).select_from(DOCUMENTS)
    if candidate_id is not None:
        stmt = stmt.where(DOCUMENTS.c.instance_id.in_(_instance_ids(candidate_id)))
    with flow.store.engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def _instance_ids(candidate_id: str) -> Any:
    return select(INSTANCES.c.id).where(INSTANCES.c.candidate_id == candidate_id)


def event_rows(flow: AdmissionFlow, candidate_id: str) -> list[dict[str, Any]]:
    stmt = select(EVENTS).where(EVENTS.c.instance_id.in_(_instance_ids(candidate_id))).order_by(EVENTS.c.seq)
    with flow.store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def document_rows(flow: AdmissionFlow, candidate_id: str) -> list[dict[str, Any]]:
    stmt = select(DOCUMENTS).where(DOCUMENTS.c.instance_id.in_(_instance_ids(candidate_id))).order_by(DOCUMENTS.c.id)
    with flow.store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def instance_row(flow: AdmissionFlow, candidate_id: str) -> dict[str, Any]:
    stmt = select(INSTANCES).where(INSTANCES.c.candidate_id == candidate_id).order_by(INSTANCES.c.attempt.desc())
    with flow.store.engine.connect() as conn:
        return dict(conn.execute(stmt).first()._mapping)  # type: ignore[union-attr]


def snapshot(flow: AdmissionFlow, candidate_id: str) -> dict[str, Any]:
    """Everything a fire could write, to compare before and after a fire that must write nothing."""
    return {
        "instance": instance_row(flow, candidate_id),
        "events": event_rows(flow, candidate_id),
        "documents": document_rows(flow, candidate_id),
        "rows_per_table": rows_per_table(flow),
    }


def rows_per_table(flow: AdmissionFlow) -> dict[str, int]:
    """Row counts of every table the models declare (events, documents, timers, outbox...)."""
    with flow.store.engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in Base.metadata.tables.items()
        }


# -------------------------------------------------------------------- worker processes


@dataclass(frozen=True)
class Shot:
    """One fire a worker process makes."""

    candidate_id: str
    trigger: str = "admit_to_sympathizer_list"
    role: str = "cell"
    on: date = date(2026, 1, 5)
    idempotency_key: str | None = None


def outcome(flow: AdmissionFlow, shot: Shot) -> tuple[Any, ...]:
    """What happened to one fire, as plain picklable data."""
    try:
        result = flow.fire(
            shot.candidate_id, shot.trigger, on=shot.on, role=shot.role, idempotency_key=shot.idempotency_key
        )
    except ConcurrentUpdate:
        return ("concurrent_update",)
    except TransitionRefused as exc:
        return ("refused", tuple(r.code for r in exc.reasons))
    except Exception as exc:
        return ("error", f"{type(exc).__name__}: {exc}")
    return ("applied", result.event_id, result.version, result.replayed)


def _warm(flow: AdmissionFlow) -> None:
    """Open a pooled connection and compile the workflows now, so the fire itself starts at once."""
    flow.orgs()
    assert len(flow.catalog) > 0


def _patch(owner: type, name: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    setattr(owner, name, wrap(getattr(owner, name)))


def fire_in_rounds(
    url: str, shots: list[Shot], start_line: Any, results: Any, meet_before_update: Any, workflows_dir: Path = WORKFLOWS
) -> None:
    """For each shot: wait at ``start_line`` with the other worker, then fire and report.

    With ``meet_before_update`` (a 2-party barrier), each fire also waits there after reading the instance and
    before its version-checked UPDATE, so both workers have read the same version before either writes.
    """
    if meet_before_update is not None:

        def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
            def update(self: SqlInstances, *args: Any, **kwargs: Any) -> bool:
                meet_before_update.wait(WAIT_SECONDS)
                return bool(original(self, *args, **kwargs))

            return update

        _patch(SqlInstances, "update", wrap)
    with open_flow(url, workflows_dir=workflows_dir) as flow:
        _warm(flow)
        for shot in shots:
            start_line.wait(WAIT_SECONDS)
            results.put((shot.candidate_id, outcome(flow, shot)))


def fire_once(
    url: str, shot: Shot, results: Any, wait_for: Any = None, then_set: Any = None, workflows_dir: Path = WORKFLOWS
) -> None:
    """Fire once and report; first wait for ``wait_for`` if given, and set ``then_set`` afterwards if given."""
    with open_flow(url, workflows_dir=workflows_dir) as flow:
        _warm(flow)
        if wait_for is not None and not wait_for.wait(WAIT_SECONDS):
            results.put((shot.candidate_id, ("error", "wait_for was never set")))
            return
        results.put((shot.candidate_id, outcome(flow, shot)))
    if then_set is not None:
        then_set.set()


def fire_pausing_after_key_check(
    url: str, shot: Shot, key_checked: Any, resume: Any, results: Any, workflows_dir: Path = WORKFLOWS
) -> None:
    """Fire, but pause right after the idempotency-key lookup (inside the transaction) until ``resume``."""
    paused = threading.Event()

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def by_key(self: SqlEvents, key: str) -> Any:
            found = original(self, key)
            if not paused.is_set():
                paused.set()
                key_checked.set()
                resume.wait(WAIT_SECONDS)
            return found

        return by_key

    _patch(SqlEvents, "by_key", wrap)
    with open_flow(url, workflows_dir=workflows_dir) as flow:
        _warm(flow)
        results.put((shot.candidate_id, outcome(flow, shot)))
