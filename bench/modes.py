"""What ``fire.py`` times: the modes, each an admission_flow path and a raw-driver floor doing the same writes.

* ``internal`` — ``assign_helper`` (no state change, no timers) on candidates already deep in the procedure;
* ``chain`` — a 12-transition linear workflow (``bench/workflows/chain.yaml``): the cheapest state change;

Every mode runs on its own fresh database (SQLite file or PostgreSQL schema). The timed admission_flow side uses
only the public facade (``AdmissionFlow``, ``Settings``, ``scenario``); the floors and the checks talk to the
database with sqlite3 / psycopg (``rawdb.py``). Each mode ends with a check that rows written by both paths are
the same, ids and instants apart. See bench/README.md.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import count
from pathlib import Path
from typing import Any, Protocol

import psycopg
from rawdb import (
    COL,
    INSERT_EVENT,
    SELECT_INSTANCE,
    SELECTED_JSON,
    UPDATE_INSTANCE,
    Raw,
    postgres_sql,
    same_rows,
    sqlite_sql,
)

from admission_flow.flow import AdmissionFlow
from admission_flow.scenario import add_sample_orgs, drive
from admission_flow.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
CHAIN_WORKFLOWS = ROOT / "bench" / "workflows"  # chain.yaml alone

CELLS = ("ks.anmy.ap1", "ks.anmy.ap2", "ks.thpt.gv.toan", "ks.ctyxk")
DRIVE_FROM = date(2024, 1, 8)
FIRE_ON = date(2026, 1, 5)  # the fixed `on=` of every internal and chain fire, and the enrolment date
TRIGGER, ROLE, ACTOR = "assign_helper", "cell", "bench:cell"
HELPERS = ("Trần Văn Bình", "Lê Thị Cúc", "Phạm Minh Đức", "Võ Thị Hoa")
RECORDED_DATE = "helper_assigned_on"  # what assign_helper records (workflows/standard-2021.yaml)

MODES = (
    "internal",
    "chain",
)


# ---------------------------------------------------------------------------- what fire.py drives


@dataclass
class Sample:
    seconds: float
    units: int  # events


class TimedPath(Protocol):
    """One way of doing a mode's work: ``run(items)`` does ``items`` fires (internal), candidates' whole paths
    (chain, standard) or enrolments, timing only the loop; ``prepare`` readies candidates for it, untimed."""

    name: str

    def prepare(self, items: int) -> None: ...

    def run(self, items: int) -> Sample: ...


class Mode(Protocol):
    name: str
    unit: str  # what the table counts: "event" or "candidate"
    units_per_item: float  # events per item of run(), on average
    cut_select: bool  # whether the profile's unprofiled cuts include the joined SELECT
    flow: AdmissionFlow
    raw: Raw  # the floor's connection, also used to read rows back

    @property
    def flow_path(self) -> TimedPath: ...

    @property
    def floor_path(self) -> TimedPath: ...

    def describe(self) -> str: ...

    def some_candidates(self) -> Sequence[str]: ...

    def check(self) -> str: ...


def make_flow(url: str, workflows_dir: Path = WORKFLOWS, default_workflow: str = "standard") -> AdmissionFlow:
    flow = AdmissionFlow(Settings(database_url=url, workflows_dir=workflows_dir, default_workflow=default_workflow))
    flow.upgrade_database()
    return flow


def written(raw: Raw, candidate_id: str, *, candidate: bool = False, extra: bool = False) -> dict[str, list[Any]]:
    """The rows of a candidate's (latest) instance: the instance and its events; with ``candidate`` the candidate
    row, with ``extra`` its documents and timers."""
    instance = raw.one("SELECT * FROM instances WHERE candidate_id = ? ORDER BY attempt DESC LIMIT 1", (candidate_id,))
    found: dict[str, list[Any]] = {"instances": [instance]}
    if candidate:
        found["candidates"] = raw.rows("SELECT * FROM candidates WHERE id = ?", (candidate_id,))
    found["events"] = raw.rows("SELECT * FROM events WHERE instance_id = ? ORDER BY seq", (instance["id"],))
    if extra:
        found["documents"] = raw.rows("SELECT * FROM documents WHERE instance_id = ? ORDER BY id", (instance["id"],))
        timers = raw.rows("SELECT * FROM timers WHERE instance_id = ? ORDER BY id", (instance["id"],))
        found["timers"] = [{**t, "processed_at": t["processed_at"] is not None} for t in timers]
    return found


# ---------------------------------------------------------------------------- internal: assign_helper


def populate(flow: AdmissionFlow, candidates: int) -> list[str]:
    """Sample orgs, then ``candidates`` people spread over the cells: even ones probationary, odd sympathizer."""
    add_sample_orgs(flow)
    ids = []
    for i in range(candidates):
        candidate_id = f"bench-{i:05d}"
        flow.add_candidate(
            id=candidate_id,
            full_name=f"Nguyễn Văn Bench {i}",
            org_id=CELLS[i % len(CELLS)],
            birth_date=date(1990 + i % 10, 1 + i % 12, 1 + i % 28),
            sex="male" if i % 3 else "female",
            education="upper_secondary",
        )
        until = "probationary" if i % 2 == 0 else "sympathizer"
        record = drive(flow, candidate_id, DRIVE_FROM, until=until)
        assert record.state == until, (candidate_id, record.state)
        ids.append(candidate_id)
    return ids


class RoundRobin:
    """Candidate and helper for the next fire, cycling over every candidate (shared by both paths)."""

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = list(ids)
        self._n = count()

    def next(self) -> tuple[str, str]:
        i = next(self._n)
        return self.ids[i % len(self.ids)], HELPERS[(i // len(self.ids)) % len(HELPERS)]


class Firing(Protocol):
    """One way of firing ``assign_helper`` on a candidate."""

    def fire(self, candidate_id: str, helper: str) -> None: ...


class FlowFire:
    def __init__(self, flow: AdmissionFlow) -> None:
        self.flow = flow

    def fire(self, candidate_id: str, helper: str) -> None:
        self.flow.fire(candidate_id, TRIGGER, on=FIRE_ON, actor=ACTOR, role=ROLE, data={"helper": helper})


@dataclass(frozen=True)
class Writes:
    """The parameters of the UPDATE and the INSERT, computed the way the service does for ``assign_helper``."""

    update: tuple[Any, ...]
    event: tuple[Any, ...]


def plan_writes(row: Sequence[Any], helper: str, now: Any, on: Any) -> Writes:
    """``row``: the SELECT's row with JSON decoded; ``now`` and ``on`` are already in the driver's form."""
    instance_id, state, version = row[COL["i.id"]], row[COL["i.state"]], row[COL["i.version"]]
    dates = {**row[COL["i.dates"]], RECORDED_DATE: FIRE_ON.isoformat()}
    flags = sorted(set(row[COL["i.flags"]]))  # assign_helper sets and clears no flag
    entered_on = row[COL["i.state_entered_on"]] or on  # the state does not change: epoch and entry date stay
    update = (
        *(state, version + 1, json.dumps(dates), json.dumps(flags), json.dumps(row[COL["i.documents"]]), now),
        *(row[COL["i.state_epoch"]], entered_on, json.dumps(row[COL["i.extensions"]])),
        *(instance_id, version),  # WHERE id = ? AND version = ?
    )
    event = (
        *(instance_id, version + 1, TRIGGER, state, state, ACTOR, ROLE, row[COL["o.id"]], on, now),
        json.dumps({"helper": helper}),  # payload
        json.dumps([]),  # documents
        None,  # votes: SQL NULL, which is what admission_flow's prepared INSERT writes for None (not JSON null)
        *(row[COL["i.workflow_id"]], row[COL["i.workflow_version"]], row[COL["i.workflow_hash"]], None),
    )
    return Writes(update, event)


class SqliteFloor:
    """sqlite3 directly, on the same file with the same pragmas as admission_flow's engine."""

    select, update, insert = sqlite_sql(SELECT_INSTANCE), sqlite_sql(UPDATE_INSTANCE), sqlite_sql(INSERT_EVENT)

    def __init__(self, raw: Raw) -> None:
        self.conn = raw.connection

    def read(self, candidate_id: str) -> list[Any]:
        row = list(self.conn.execute(self.select, (candidate_id,)).fetchone())
        for position in SELECTED_JSON:
            row[position] = json.loads(row[position])
        return row

    def fire(self, candidate_id: str, helper: str) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = self.read(candidate_id)
            # SQLAlchemy stores SQLite DATETIME as naive UTC text with microseconds and DATE as ISO text.
            now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
            writes = plan_writes(row, helper, now, FIRE_ON.isoformat())
            if conn.execute(self.update, writes.update).rowcount != 1:
                raise RuntimeError(f"concurrent update of {candidate_id}")
            _event_id = conn.execute(self.insert, writes.event).lastrowid
            conn.commit()
        except BaseException:
            conn.rollback()
            raise


class PostgresFloor:
    """psycopg 3 directly, same schema; like SQLAlchemy, JSON goes in as json.dumps text cast to JSONB."""

    select, update = postgres_sql(SELECT_INSTANCE), postgres_sql(UPDATE_INSTANCE)
    insert = postgres_sql(INSERT_EVENT).rstrip() + " RETURNING id"

    def __init__(self, raw: Raw) -> None:
        self.conn: psycopg.Connection[Any] = raw.connection

    def fire(self, candidate_id: str, helper: str) -> None:
        conn = self.conn
        try:
            row = conn.execute(self.select, (candidate_id,)).fetchone()  # psycopg decodes JSONB itself
            assert row is not None
            writes = plan_writes(row, helper, datetime.now(UTC), FIRE_ON)
            if conn.execute(self.update, writes.update).rowcount != 1:
                raise RuntimeError(f"concurrent update of {candidate_id}")
            _event_id = conn.execute(self.insert, writes.event).fetchone()
            conn.commit()
        except BaseException:
            conn.rollback()
            raise


class Fires:
    """``run(n)``: ``n`` fires of ``assign_helper``, candidates and helpers taken round-robin."""

    def __init__(self, name: str, firing: Firing, rr: RoundRobin) -> None:
        self.name, self.firing, self.rr = name, firing, rr

    def prepare(self, items: int) -> None:
        pass

    def run(self, items: int) -> Sample:
        fire, pick = self.firing.fire, self.rr.next
        start = time.perf_counter()
        for _ in range(items):
            fire(*pick())
        return Sample(time.perf_counter() - start, items)


class InternalMode:
    """``assign_helper`` (role ``cell``, data ``{"helper": …}``, ``on=FIRE_ON``): keeps the state, records
    ``helper_assigned_on``, writes a full audit event. Candidates (even: probationary, odd: sympathizer) are
    taken round-robin by both paths. The floor computes the new row from the SELECT as the service would."""

    name, unit, units_per_item, cut_select = "internal", "event", 1.0, True

    def __init__(self, flow: AdmissionFlow, raw: Raw, candidates: int) -> None:
        self.flow, self.raw = flow, raw
        self.ids = populate(flow, candidates)
        self.rr = RoundRobin(self.ids)
        self.flow_path = Fires("admission_flow", FlowFire(flow), self.rr)
        self.floor: Firing = SqliteFloor(raw) if raw.sqlite else PostgresFloor(raw)
        self.floor_path = Fires("raw floor", self.floor, self.rr)

    def describe(self) -> str:
        return f"{len(self.ids)} candidates driven (half to probationary, half to sympathizer); trigger {TRIGGER}"

    def some_candidates(self) -> Sequence[str]:
        return self.ids

    def check(self) -> str:
        """One more fire by each path on the same candidate, with the same helper: the same instance row (its
        version apart) and the same event (its seq apart)."""
        candidate_id = self.ids[0]
        rows = []
        for firing in (FlowFire(self.flow), self.floor):
            firing.fire(candidate_id, HELPERS[0])
            instance, events = written(self.raw, candidate_id).values()
            rows.append((instance, events[-1:]))
        (ours, our_event), (theirs, their_event) = rows
        same_rows("instance", ours, theirs, ("version", "updated_at"))
        same_rows("event", our_event, their_event, ("id", "seq", "recorded_at"))
        return f"{candidate_id}: instance row (but version/updated_at) and event row (but id/seq/recorded_at) alike"


# ---------------------------------------------------------------------------- fresh candidates for each path


def dumps(value: Any) -> str:
    return json.dumps(value)


def candidate_values(index: int) -> dict[str, Any]:
    """The person behind candidate number ``index`` of a pool: both paths' number ``index`` are alike but for the id."""
    return {
        "full_name": f"Nguyễn Văn Bench {index}",
        "org_id": CELLS[index % len(CELLS)],
        "birth_date": date(1990, 5, 17),
        "sex": "male",
        "education": "upper_secondary",
    }


KEEP_USED = 1000  # not all: the RSS run takes thousands, and the bench's own lists must not grow with it


class Pool:
    """Fresh candidates for one path (``PREFIX-00000``, …), enrolled through ``flow.add_candidate`` ahead of the
    timed loop: number ``i`` of the admission_flow pool and of the floor pool are twins (same org, same data)."""

    def __init__(self, flow: AdmissionFlow, prefix: str, on: date) -> None:
        self.flow, self.prefix, self.on = flow, prefix, on
        self._next = count()
        self.ready: deque[tuple[int, str]] = deque()
        self.used: list[tuple[int, str]] = []  # the first KEEP_USED taken (checks, the profile's SELECT cut)

    def fill(self, items: int) -> None:
        while len(self.ready) < items:
            index = next(self._next)
            candidate_id = f"{self.prefix}-{index:05d}"
            self.flow.add_candidate(id=candidate_id, on=self.on, **candidate_values(index))
            self.ready.append((index, candidate_id))

    def take(self, items: int) -> list[tuple[int, str]]:
        self.fill(items)
        taken = [self.ready.popleft() for _ in range(items)]
        self.used += taken[: max(0, KEEP_USED - len(self.used))]
        return taken


# Columns that differ between two candidates' rows whatever the path: ids, and the instants of the writes.
IGNORED = {
    "candidates": ("id", "created_at"),
    "instances": ("id", "candidate_id", "started_at", "updated_at"),
    "events": ("id", "instance_id", "recorded_at"),
    "documents": ("id", "instance_id", "event_id", "recorded_at"),
    "timers": ("id", "instance_id", "created_at"),  # processed_at is compared as set or not
}


def pool_ids(pool: Pool) -> list[str]:
    """Every candidate of the pool, used or not (for the profile's SELECT cut: any state will do)."""
    pool.fill(1)
    return [candidate_id for _, candidate_id in (*pool.used, *pool.ready)]


def compare_twins(raw: Raw, pairs: Sequence[tuple[str, str]], *, candidate: bool = False, extra: bool = False) -> str:
    """Raise unless each (admission_flow candidate, floor candidate) pair has the same rows; what was compared."""
    totals: dict[str, int] = {}
    for ours, theirs in pairs:
        a = written(raw, ours, candidate=candidate, extra=extra)
        b = written(raw, theirs, candidate=candidate, extra=extra)
        for table, rows in a.items():
            found = same_rows(f"{table} of {ours} vs {theirs}", rows, b[table], IGNORED[table])
            totals[table] = totals.get(table, 0) + found
    listed = ", ".join(f"{n} {table}" for table, n in totals.items())
    return f"{len(pairs)} twin candidates per path, {listed} rows per path: alike but for {_ignored(totals)}"


def _ignored(tables: Mapping[str, int]) -> str:
    names = sorted({c for t in tables for c in IGNORED[t]})
    return "/".join(names)


# ---------------------------------------------------------------------------- chain: 12 state changes

CHAIN_STEPS = tuple((f"t{k}", f"s{k - 1}", f"s{k}") for k in range(1, 13))  # (trigger, from, to)
CHAIN_ROLE, CHAIN_ACTOR = "clerk", "bench:clerk"


class ChainFlow:
    """Each candidate through t1..t12, one ``flow.fire`` (one transaction) per step."""

    name = "admission_flow"

    def __init__(self, flow: AdmissionFlow, pool: Pool) -> None:
        self.flow, self.pool = flow, pool

    def prepare(self, items: int) -> None:
        self.pool.fill(items)

    def run(self, items: int) -> Sample:
        ids = [candidate_id for _, candidate_id in self.pool.take(items)]
        fire = self.flow.fire
        start = time.perf_counter()
        for candidate_id in ids:
            for trigger, _, _ in CHAIN_STEPS:
                fire(candidate_id, trigger, on=FIRE_ON, role=CHAIN_ROLE, actor=CHAIN_ACTOR)
        return Sample(time.perf_counter() - start, len(ids) * len(CHAIN_STEPS))


class ChainFloor:
    """Per step, one transaction: BEGIN (IMMEDIATE on SQLite), the joined SELECT (JSON decoded), a check of the
    source state, the version-checked UPDATE of the instance (next state, version + 1, dates/flags/documents as
    read, ``updated_at``, ``state_epoch`` = the new version, ``state_entered_on`` = the event's date, extensions
    emptied — what the service computes for a move), the INSERT of the event with every column, COMMIT."""

    name = "raw floor"

    def __init__(self, raw: Raw, pool: Pool) -> None:
        self.raw, self.pool = raw, pool
        self.update, self.insert = raw.sql(UPDATE_INSTANCE), raw.insert_sql(INSERT_EVENT)
        self.on = raw.day(FIRE_ON)

    def prepare(self, items: int) -> None:
        self.pool.fill(items)

    def run(self, items: int) -> Sample:
        ids = [candidate_id for _, candidate_id in self.pool.take(items)]
        fire = self.fire
        start = time.perf_counter()
        for candidate_id in ids:
            for step in CHAIN_STEPS:
                fire(candidate_id, step)
        return Sample(time.perf_counter() - start, len(ids) * len(CHAIN_STEPS))

    def fire(self, candidate_id: str, step: tuple[str, str, str]) -> None:
        raw, cursor, on = self.raw, self.raw.cursor, self.on
        trigger, source, dest = step
        if raw.begin is not None:
            cursor.execute(raw.begin)
        try:
            row = raw.read_instance(candidate_id)
            instance_id, state, version = row[COL["i.id"]], row[COL["i.state"]], row[COL["i.version"]]
            if state != source:
                raise RuntimeError(f"{candidate_id} is in {state}, not {source}")
            now = raw.now()
            update = (
                *(dest, version + 1, dumps(row[COL["i.dates"]]), dumps(sorted(set(row[COL["i.flags"]])))),
                *(dumps(row[COL["i.documents"]]), now, version + 1, on, dumps({})),
                *(instance_id, version),  # WHERE id = ? AND version = ?
            )
            if cursor.execute(self.update, update).rowcount != 1:
                raise RuntimeError(f"concurrent update of {candidate_id}")
            event = (
                *(instance_id, version + 1, trigger, state, dest, CHAIN_ACTOR, CHAIN_ROLE, row[COL["o.id"]], on, now),
                *(dumps({}), dumps([]), None),  # payload, documents, votes (SQL NULL, as admission_flow writes None)
                *(row[COL["i.workflow_id"]], row[COL["i.workflow_version"]], row[COL["i.workflow_hash"]], None),
            )
            raw.inserted_id(cursor.execute(self.insert, event))
            raw.commit()
        except BaseException:
            raw.rollback()
            raise


class ChainMode:
    """``bench/workflows/chain.yaml`` (its own workflows_dir): candidates enrolled into ``s0`` (untimed), then
    taken through t1..t12, each candidate's twelve fires in a row; each path has its own fresh candidates."""

    name, unit, units_per_item, cut_select = "chain", "event", float(len(CHAIN_STEPS)), True

    def __init__(self, flow: AdmissionFlow, raw: Raw) -> None:
        self.flow, self.raw = flow, raw
        add_sample_orgs(flow)
        self.pools = Pool(flow, "af", FIRE_ON), Pool(flow, "floor", FIRE_ON)
        self.flow_path = ChainFlow(flow, self.pools[0])
        self.floor_path = ChainFloor(raw, self.pools[1])

    def describe(self) -> str:
        return f"workflow chain@1 from {CHAIN_WORKFLOWS}: {len(CHAIN_STEPS)} fires per candidate, t1..t12 on {FIRE_ON}"

    def some_candidates(self) -> Sequence[str]:
        return pool_ids(self.pools[0])

    def check(self) -> str:
        pairs = list(zip((c for _, c in self.pools[0].used[:2]), (c for _, c in self.pools[1].used[:2]), strict=True))
        return compare_twins(self.raw, pairs)


def set_up(name: str, url: str, raw: Raw, candidates: int) -> Mode:
    """A fresh database at ``url`` (``raw`` connected to it) with the mode's flow and data."""
    if name == "chain":
        return ChainMode(make_flow(url, CHAIN_WORKFLOWS, "chain"), raw)
    flow = make_flow(url)
    if name == "internal":
        return InternalMode(flow, raw, candidates)
    raise ValueError(f"unknown mode {name!r}; one of {', '.join(MODES)}")
