"""What ``fire.py`` times: the modes, each an admission_flow path and a raw-driver floor doing the same writes.

* ``internal`` — ``assign_helper`` (no state change, no timers) on candidates already deep in the procedure;
* ``chain`` — a 12-transition linear workflow (``bench/workflows/chain.yaml``): the cheapest state change;
* ``standard`` — the standard workflow's whole happy path (``scenario.drive``): documents, votes, dates, timers;
* ``enrol`` — ``flow.add_candidate``: candidate, instance, enrolment event.

Every mode runs on its own fresh database (SQLite file or PostgreSQL schema). The timed admission_flow side uses
only the public facade (``AdmissionFlow``, ``Settings``, ``scenario``); the floors and the checks talk to the
database with sqlite3 / psycopg (``rawdb.py``). Each mode ends with a check that rows written by both paths are
the same, ids and instants apart. See bench/README.md.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from itertools import count
from pathlib import Path
from statistics import mean
from typing import Any, Protocol, cast

import psycopg
from rawdb import (
    CANCEL_DEADLINE,
    CANCEL_PENDING,
    COL,
    INSERT_CANDIDATE,
    INSERT_DOCUMENT,
    INSERT_EVENT,
    INSERT_INSTANCE,
    INSERT_TIMER,
    SELECT_INSTANCE,
    SELECTED_JSON,
    TIMER_COLUMNS,
    TIMER_KEY,
    UPDATE_INSTANCE,
    Raw,
    postgres_sql,
    same_rows,
    sqlite_sql,
)

from admission_flow.flow import AdmissionFlow
from admission_flow.settings import Settings
from admission_flow.testing.scenario import add_sample_orgs, drive, sample_personal_id

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
CHAIN_WORKFLOWS = ROOT / "bench" / "workflows"  # chain.yaml alone

CELLS = ("ks.anmy.ap1", "ks.anmy.ap2", "ks.thpt.gv.toan", "ks.ctyxk")
DRIVE_FROM = date(2024, 1, 8)
FIRE_ON = date(2026, 1, 5)  # the fixed `on=` of every internal and chain fire, and the enrolment date
TRIGGER, ROLE, ACTOR = "assign_helper", "cell", "bench:cell"
HELPERS = ("Trần Văn Bình", "Lê Thị Cúc", "Phạm Minh Đức", "Võ Thị Hoa")
RECORDED_DATE = "helper_assigned_on"  # what assign_helper records (workflows/standard-2021.yaml)

MODES = ("internal", "chain", "standard", "enrol")


# ---------------------------------------------------------------------------- what fire.py drives


@dataclass
class Sample:
    seconds: float
    units: int  # events, or candidates for enrol
    cpu: float = 0.0  # this thread's CPU seconds over the same loop (both paths run in this thread)


def started() -> tuple[float, float]:
    """The wall clock and this thread's CPU clock, read at the start of a timed loop."""
    return time.perf_counter(), time.thread_time()


def since(start: tuple[float, float], units: int) -> Sample:
    """The sample of a loop begun at ``start`` (see :func:`started`) that did ``units``."""
    return Sample(time.perf_counter() - start[0], units, time.thread_time() - start[1])


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
    row, with ``extra`` its documents and timers. JSON columns are compared as values, not as text (the two
    paths encode them with different encoders)."""
    found = _written(raw, candidate_id, candidate=candidate, extra=extra)
    return {table: [raw.decoded(table, r) for r in rows] for table, rows in found.items()}


def _written(raw: Raw, candidate_id: str, *, candidate: bool, extra: bool) -> dict[str, list[Any]]:
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
        birth, sex = date(1990 + i % 10, 1 + i % 12, 1 + i % 28), "male" if i % 3 else "female"
        flow.add_candidate(
            id=candidate_id,
            full_name=f"Nguyễn Văn Bench {i}",
            org_id=CELLS[i % len(CELLS)],
            birth_date=birth,
            sex=sex,
            education="upper_secondary",
            personal_id=bench_personal_id("bench", birth, sex, i),
            youth_union_member=birth.year >= 1991,  # of Youth Union age: the Youth Union introduces them
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
        start = started()
        for _ in range(items):
            fire(*pick())
        return since(start, items)


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


# A province code per group of candidates, so that their personal identification numbers (unique per person)
# never collide: the standard workflow since 2025.1 requires one before the dossier is complete.
ID_PROVINCE = {"reference": "001", "af": "002", "floor": "004", "bench": "006"}


def bench_personal_id(group: str, birth: date, sex: str, index: int) -> str:
    """A valid 12-digit personal identification number (domain/identity.py) for candidate ``index`` of ``group``."""
    return sample_personal_id(birth, sex, index, province=ID_PROVINCE[group])


def candidate_values(index: int, group: str | None = None) -> dict[str, Any]:
    """The person behind candidate number ``index`` of a pool: both paths' number ``index`` are alike but for the id
    and, given the ``group``, the personal identification number (the enrol mode leaves it out, as it measured)."""
    birth = date(1990, 5, 17)
    values: dict[str, Any] = {
        "full_name": f"Nguyễn Văn Bench {index}",
        "org_id": CELLS[index % len(CELLS)],
        "birth_date": birth,
        "sex": "male",
        "education": "upper_secondary",
    }
    if group is not None:
        values["personal_id"] = bench_personal_id(group, birth, "male", index)
    return values


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
            self.flow.add_candidate(id=candidate_id, on=self.on, **candidate_values(index, self.prefix))
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
        start = started()
        for candidate_id in ids:
            for trigger, _, _ in CHAIN_STEPS:
                fire(candidate_id, trigger, on=FIRE_ON, role=CHAIN_ROLE, actor=CHAIN_ACTOR)
        return since(start, len(ids) * len(CHAIN_STEPS))


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
        start = started()
        for candidate_id in ids:
            for step in CHAIN_STEPS:
                fire(candidate_id, step)
        return since(start, len(ids) * len(CHAIN_STEPS))

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


# ---------------------------------------------------------------------------- standard: the whole happy path


def dumps_or_null(value: Any) -> str | None:
    """A nullable JSON column: admission_flow's prepared statements write None as SQL NULL, not JSON null."""
    return None if value is None else json.dumps(value)


class Slot(Enum):
    """Values known only when the floor replays an event."""

    NOW = "now"
    INSTANCE = "instance_id"


REPLAYED_INSTANCE = ("state", "dates", "flags", "documents", "state_epoch", "state_entered_on", "extensions")
REPLAYED_EVENT = (
    *("trigger", "from_state", "to_state", "actor", "role", "org_id", "occurred_on", "payload", "documents", "votes"),
    *("workflow_id", "workflow_version", "workflow_hash"),
)
REPLAYED_DOCUMENT = ("kind", "form", "issued_on", "reference", "attributes")


@dataclass(frozen=True)
class StepWrites:
    """What admission_flow wrote for one event of a reference candidate, in the driver's form with JSON decoded,
    less the instance id and the instant (``Slot``): the floor replays it for a twin candidate."""

    source: str  # the state the instance must be in
    update: tuple[Any, ...]  # the REPLAYED_INSTANCE columns after the event
    event: tuple[Any, ...]  # its REPLAYED_EVENT columns (all but id, instance, seq, recorded_at, idempotency key)
    documents: tuple[tuple[Any, ...], ...]  # the REPLAYED_DOCUMENT columns of each document row
    cancel_pending: bool  # the event leaves a stay that has timer rows: CANCEL_PENDING
    cancel_deadlines: tuple[tuple[int, str, str], ...]  # CANCEL_DEADLINE's (state_epoch, deadline_id, outcome)
    timer_updates: tuple[tuple[str, tuple[Any, ...]], ...]  # any other UPDATE of a timer row, by its key
    timers: tuple[tuple[Any, ...], ...]  # inserted rows: TIMER_COLUMNS, then whether processed_at is set


@dataclass(frozen=True)
class Call:
    """One ``flow.fire`` of ``scenario.drive``, as it was made."""

    trigger: str
    kwargs: dict[str, Any]


class RecordingFlow:
    """Stands in for the flow in ``scenario.drive``: forwards everything, records each fire's arguments and lets
    ``after`` read back what it wrote."""

    def __init__(self, flow: AdmissionFlow, after: Callable[[], None]) -> None:
        self._flow, self._after = flow, after
        self.calls: list[Call] = []

    def fire(self, candidate_id: str, trigger: str, **kwargs: Any) -> Any:
        result = self._flow.fire(candidate_id, trigger, **kwargs)
        self.calls.append(Call(trigger, kwargs))
        self._after()
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._flow, name)


class Capture:
    """Reads back, with the raw driver, what each event of one candidate wrote: the instance after it, the event,
    its documents, and the timer rows inserted or changed (by comparing the instance's rows before and after)."""

    def __init__(self, raw: Raw, candidate_id: str) -> None:
        self.raw = raw
        self.instance = raw.one("SELECT * FROM instances WHERE candidate_id = ?", (candidate_id,))
        self.instance_id = self.instance["id"]
        self.timers = self.read_timers()
        self.steps: list[StepWrites] = []

    def read_timers(self) -> dict[int, dict[str, Any]]:
        rows = self.raw.rows("SELECT * FROM timers WHERE instance_id = ? ORDER BY id", (self.instance_id,))
        return {row["id"]: row for row in rows}

    def after_fire(self) -> None:
        raw, before, old_timers = self.raw, self.instance, self.timers
        after = raw.one("SELECT * FROM instances WHERE id = ?", (self.instance_id,))
        event = raw.one("SELECT * FROM events WHERE instance_id = ? AND seq = ?", (self.instance_id, after["version"]))
        documents = raw.rows("SELECT * FROM documents WHERE event_id = ? ORDER BY id", (event["id"],))
        timers = self.read_timers()
        self.instance, self.timers = after, timers
        self.steps.append(step_writes(raw, before, after, event, documents, old_timers, timers))


def step_writes(
    raw: Raw,
    before: dict[str, Any],
    after: dict[str, Any],
    event: dict[str, Any],
    documents: list[dict[str, Any]],
    old_timers: dict[int, dict[str, Any]],
    timers: dict[int, dict[str, Any]],
) -> StepWrites:
    """Turn one event's rows into statements the floor can replay; refuse what it could not replay faithfully."""
    now = event["recorded_at"]

    def slot(value: Any) -> Any:
        return Slot.NOW if value == now else value

    problems = []
    if after["updated_at"] != now or event["idempotency_key"] is not None or event["seq"] != after["version"]:
        problems.append("instance/event")
    if any(d["recorded_at"] != now for d in documents):
        problems.append("documents")
    if set(old_timers) - set(timers):
        problems.append("a timer row was deleted")
    inst, ev = raw.decoded("instances", after), raw.decoded("events", event)
    papers = [raw.decoded("documents", d) for d in documents]
    moved = after["state_epoch"] != before["state_epoch"]
    cancel_pending = moved and any(t["state_epoch"] == before["state_epoch"] for t in old_timers.values())
    cancel_deadlines: dict[tuple[int, str, str], set[int]] = {}
    updates: list[tuple[str, tuple[Any, ...]]] = []
    for timer_id, old in old_timers.items():
        new = timers[timer_id]
        changed = [c for c in new if new[c] != old[c]]
        if not changed:
            continue
        cancelled = old["status"] == "pending" and new["status"] == "cancelled" and new["processed_at"] == now
        if cancelled and new["outcome"] == "left the state" and cancel_pending:
            continue  # CANCEL_PENDING
        if cancelled and not moved:  # CANCEL_DEADLINE: a task done, a flag cleared
            cancel_deadlines.setdefault((new["state_epoch"], new["deadline_id"], new["outcome"]), set()).add(timer_id)
            continue
        key = tuple(new[c] for c in ("state_epoch", "deadline_id", "rung", "occurrence"))
        sql = f"UPDATE timers SET {', '.join(f'{c} = ?' for c in changed)} WHERE {TIMER_KEY}"
        updates.append((raw.sql(sql), (*(slot(new[c]) for c in changed), Slot.INSTANCE, *key)))
    for (epoch, deadline_id, _), ids in cancel_deadlines.items():
        pending = {
            i
            for i, t in old_timers.items()
            if (t["state_epoch"], t["deadline_id"], t["status"]) == (epoch, deadline_id, "pending")
        }
        if ids != pending:
            problems.append(f"cancellation of {deadline_id}")
    inserted = [t for i, t in timers.items() if i not in old_timers]
    if any(t["created_at"] != now or t["processed_at"] not in (None, now) for t in inserted):
        problems.append("inserted timers")
    if problems:
        raise AssertionError(f"the floor cannot replay event {event['seq']} ({event['trigger']}): {problems}")
    return StepWrites(
        source=before["state"],
        update=tuple(inst[c] for c in REPLAYED_INSTANCE),
        event=tuple(ev[c] for c in REPLAYED_EVENT),
        documents=tuple(tuple(d[c] for c in REPLAYED_DOCUMENT) for d in papers),
        cancel_pending=cancel_pending,
        cancel_deadlines=tuple(cancel_deadlines),
        timer_updates=tuple(updates),
        timers=tuple((*(t[c] for c in TIMER_COLUMNS), t["processed_at"] is not None) for t in inserted),
    )


def standard_start(today: date | None = None) -> date:
    """The first Monday from today: the path's deadlines and reminders lie ahead, as for a candidate entered live
    (pending timer rows, cancelled when the candidate moves on), whatever the day the bench runs."""
    today = today or date.today()
    return today + timedelta(days=-today.weekday() % 7)


class StandardFlow:
    """Each candidate's whole happy path: the ``flow.fire`` calls ``scenario.drive`` made for the reference
    candidate of its cell, in order (drive's reads between fires — ``flow.candidate``, ``flow.orgs`` — are not)."""

    name = "admission_flow"

    def __init__(self, flow: AdmissionFlow, pool: Pool, calls: Mapping[str, Sequence[Call]]) -> None:
        self.flow, self.pool, self.calls = flow, pool, calls

    def prepare(self, items: int) -> None:
        self.pool.fill(items)

    def run(self, items: int) -> Sample:
        plan = [(cid, self.calls[candidate_values(i)["org_id"]]) for i, cid in self.pool.take(items)]
        fire = self.flow.fire
        start = started()
        for candidate_id, calls in plan:
            for call in calls:
                fire(candidate_id, call.trigger, **call.kwargs)
        return since(start, sum(len(calls) for _, calls in plan))


class StandardFloor:
    """Replays, per event and in one transaction, what admission_flow wrote for the reference candidate's same
    event: BEGIN (IMMEDIATE on SQLite); the joined SELECT (JSON decoded) and a check of the state; the
    version-checked UPDATE of the instance with the columns' values after that event (JSON encoded here); the
    INSERT of the event (``RETURNING id`` / ``lastrowid``); the INSERT of its documents; when the event leaves a
    stay that has timer rows, ``UPDATE timers SET status='cancelled' … WHERE instance_id=? AND status='pending'``;
    when it completes a task, the same per (stay, deadline); any other timer change by the row's key; the INSERT
    of the timer rows it projected (one ``executemany``); COMMIT.

    It computes nothing (no guards, no dates, no deadline arithmetic, no calendar) and reads no timers: those
    costs, and every statement admission_flow runs beyond these, count as admission_flow's overhead."""

    name = "raw floor"

    def __init__(self, raw: Raw, pool: Pool, steps: Mapping[str, Sequence[StepWrites]]) -> None:
        self.raw, self.pool, self.steps = raw, pool, steps
        self.update, self.insert_event = raw.sql(UPDATE_INSTANCE), raw.insert_sql(INSERT_EVENT)
        self.insert_document, self.insert_timer = raw.sql(INSERT_DOCUMENT), raw.sql(INSERT_TIMER)
        self.cancel_pending, self.cancel_deadline = raw.sql(CANCEL_PENDING), raw.sql(CANCEL_DEADLINE)

    def prepare(self, items: int) -> None:
        self.pool.fill(items)

    def run(self, items: int) -> Sample:
        plan = [(cid, self.steps[candidate_values(i)["org_id"]]) for i, cid in self.pool.take(items)]
        fire = self.fire
        start = started()
        for candidate_id, steps in plan:
            for step in steps:
                fire(candidate_id, step)
        return since(start, sum(len(steps) for _, steps in plan))

    def fire(self, candidate_id: str, step: StepWrites) -> None:
        raw, cursor = self.raw, self.raw.cursor
        if raw.begin is not None:
            cursor.execute(raw.begin)
        try:
            row = raw.read_instance(candidate_id)
            instance_id, version = row[COL["i.id"]], row[COL["i.version"]]
            if row[COL["i.state"]] != step.source:
                raise RuntimeError(f"{candidate_id} is in {row[COL['i.state']]}, not {step.source}")
            now = raw.now()
            state, dates, flags, documents, epoch, entered_on, extensions = step.update
            update = (
                *(state, version + 1, dumps(dates), dumps(flags), dumps(documents), now, epoch, entered_on),
                *(dumps(extensions), instance_id, version),
            )
            if cursor.execute(self.update, update).rowcount != 1:
                raise RuntimeError(f"concurrent update of {candidate_id}")
            trigger, source, dest, actor, role, org_id, on, payload, attached, votes, *workflow = step.event
            event = (
                *(instance_id, version + 1, trigger, source, dest, actor, role, org_id, on, now),
                *(dumps(payload), dumps(attached), dumps_or_null(votes), *workflow, None),
            )
            event_id = raw.inserted_id(cursor.execute(self.insert_event, event))
            if step.documents:
                rows = [(instance_id, event_id, *d[:4], dumps(d[4]), now) for d in step.documents]
                if len(rows) == 1:
                    cursor.execute(self.insert_document, rows[0])
                else:
                    cursor.executemany(self.insert_document, rows)
            if step.cancel_pending:
                cursor.execute(self.cancel_pending, (now, instance_id))
            for stay, deadline_id, outcome in step.cancel_deadlines:
                cursor.execute(self.cancel_deadline, (now, outcome, instance_id, stay, deadline_id))
            for sql, params in step.timer_updates:
                fill = {Slot.NOW: now, Slot.INSTANCE: instance_id}
                cursor.execute(sql, tuple(fill.get(p, p) if isinstance(p, Slot) else p for p in params))
            if step.timers:
                cursor.executemany(
                    self.insert_timer, [(instance_id, *t[:-1], now, now if t[-1] else None) for t in step.timers]
                )
            raw.commit()
        except BaseException:
            raw.rollback()
            raise


class StandardMode:
    """The standard workflow's whole happy path (``scenario.HAPPY_PATH`` through ``scenario.drive``: papers,
    votes, data, acting organisations; timer rows projected, cancelled on leaving a state or when a task is done)
    from ``standard_start()`` to ``issue_party_card`` in ``full_member``. Set-up: one reference candidate per
    cell, driven by ``scenario.drive`` through a recorder that keeps each fire's arguments and reads back what it
    wrote; then both paths' candidates are enrolled alike, untimed."""

    name, unit, cut_select = "standard", "event", True

    def __init__(self, flow: AdmissionFlow, raw: Raw) -> None:
        self.flow, self.raw = flow, raw
        self.start = standard_start()
        add_sample_orgs(flow)
        self.calls: dict[str, list[Call]] = {}
        self.steps: dict[str, list[StepWrites]] = {}
        for index, org_id in enumerate(CELLS):  # candidate_values(index) is in CELLS[index]
            reference = f"reference-{index}"
            flow.add_candidate(id=reference, on=self.start, **candidate_values(index, "reference"))
            capture = Capture(raw, reference)
            recorder = RecordingFlow(flow, capture.after_fire)
            record = drive(cast(AdmissionFlow, recorder), reference, self.start)
            assert record.state == "full_member", (reference, record.state)
            self.calls[org_id], self.steps[org_id] = recorder.calls, capture.steps
        self.units_per_item = mean(len(calls) for calls in self.calls.values())
        pinned = raw.one("SELECT workflow_id, workflow_version FROM instances WHERE candidate_id = ?", (reference,))
        self.workflow = f"{pinned['workflow_id']}@{pinned['workflow_version']}"
        self.pools = Pool(flow, "af", self.start), Pool(flow, "floor", self.start)
        self.flow_path = StandardFlow(flow, self.pools[0], self.calls)
        self.floor_path = StandardFloor(raw, self.pools[1], self.steps)

    def describe(self) -> str:
        steps = [s for org in CELLS for s in self.steps[org]]
        per = 1 / len(CELLS)
        return (
            f"{self.workflow}: happy path from {self.start} to full_member, events per candidate by cell"
            f" {'/'.join(str(len(self.steps[c])) for c in CELLS)}; per candidate on average"
            f" {per * sum(len(s.documents) for s in steps):.1f} documents,"
            f" {per * sum(len(s.timers) for s in steps):.1f} timer rows inserted,"
            f" {per * sum(s.cancel_pending for s in steps):.1f} cancel-on-leave UPDATEs,"
            f" {per * sum(len(s.cancel_deadlines) for s in steps):.1f} task-done UPDATEs,"
            f" {per * sum(len(s.timer_updates) for s in steps):.1f} other timer UPDATEs"
        )

    def some_candidates(self) -> Sequence[str]:
        return pool_ids(self.pools[0])

    def check(self) -> str:
        pairs = list(zip((c for _, c in self.pools[0].used[:2]), (c for _, c in self.pools[1].used[:2]), strict=True))
        return compare_twins(self.raw, pairs, extra=True)


# ---------------------------------------------------------------------------- enrol: add_candidate


class EnrolFlow:
    """``flow.add_candidate(...)`` per candidate (standard workflow, ``on=FIRE_ON``)."""

    name = "admission_flow"

    def __init__(self, flow: AdmissionFlow, prefix: str) -> None:
        self.flow, self.prefix, self.next = flow, prefix, count()

    def prepare(self, items: int) -> None:
        pass

    def run(self, items: int) -> Sample:
        batch = [(f"{self.prefix}-{i:05d}", candidate_values(i)) for i in (next(self.next) for _ in range(items))]
        add = self.flow.add_candidate
        start = started()
        for candidate_id, values in batch:
            add(id=candidate_id, on=FIRE_ON, **values)
        return since(start, items)


@dataclass(frozen=True)
class EnrolWrites:
    """The reference enrolment's rows in the driver's form (JSON decoded): what does not depend on the person."""

    candidate: dict[str, Any]
    instance: dict[str, Any]
    event: dict[str, Any]
    timers: tuple[tuple[Any, ...], ...]  # as StepWrites.timers


class EnrolFloor:
    """Per candidate, one transaction: BEGIN (IMMEDIATE on SQLite); INSERT of the candidate (every column, its
    attributes JSON encoded here); INSERT of the instance (``RETURNING id`` / ``lastrowid``): attempt 1, the
    pinned workflow id/version/hash, the initial state, version 1, empty dates/flags/documents/extensions, epoch 1,
    the enrolment date; INSERT of the enrolment event (``add_to_source_plan``, — → initial, actor ``system``);
    the timer rows the initial state projects, if any (none for ``prospect``); COMMIT. It reads nothing: no check
    that the organisation exists (the foreign key does it), no next-attempt query, no read-back of the record."""

    name = "raw floor"

    def __init__(self, raw: Raw, prefix: str, writes: EnrolWrites) -> None:
        self.raw, self.prefix, self.writes, self.next = raw, prefix, writes, count()
        self.insert_candidate, self.insert_instance = raw.sql(INSERT_CANDIDATE), raw.insert_sql(INSERT_INSTANCE)
        self.insert_event, self.insert_timer = raw.sql(INSERT_EVENT), raw.sql(INSERT_TIMER)

    def prepare(self, items: int) -> None:
        pass

    def run(self, items: int) -> Sample:
        batch = [(f"{self.prefix}-{i:05d}", candidate_values(i)) for i in (next(self.next) for _ in range(items))]
        enrol = self.enrol
        start = started()
        for candidate_id, values in batch:
            enrol(candidate_id, values)
        return since(start, items)

    def enrol(self, candidate_id: str, values: Mapping[str, Any]) -> None:
        raw, cursor, w = self.raw, self.raw.cursor, self.writes
        c, i, e = w.candidate, w.instance, w.event
        if raw.begin is not None:
            cursor.execute(raw.begin)
        try:
            now, org_id = raw.now(), values["org_id"]
            cursor.execute(
                self.insert_candidate,
                (
                    *(candidate_id, org_id, values["full_name"], c["birth_date"], c["sex"], c["ethnicity"]),
                    *(c["religion"], c["education"], c["remote_area"], c["occupation"], c["youth_union_member"]),
                    *(c["trade_union_member"], c["email"], dumps(c["attributes"]), now),
                ),
            )
            instance = (
                *(candidate_id, i["attempt"], i["workflow_id"], i["workflow_version"], i["workflow_hash"]),
                *(i["state"], i["version"], dumps(i["dates"]), dumps(i["flags"]), dumps(i["documents"]), now, now),
                *(i["state_epoch"], i["state_entered_on"], dumps(i["extensions"])),
            )
            instance_id = raw.inserted_id(cursor.execute(self.insert_instance, instance))
            event = (
                *(instance_id, e["seq"], e["trigger"], e["from_state"], e["to_state"], e["actor"], e["role"], org_id),
                *(e["occurred_on"], now, dumps(e["payload"]), dumps(e["documents"]), dumps_or_null(e["votes"])),
                *(e["workflow_id"], e["workflow_version"], e["workflow_hash"], e["idempotency_key"]),
            )
            cursor.execute(self.insert_event, event)
            if w.timers:
                cursor.executemany(
                    self.insert_timer, [(instance_id, *t[:-1], now, now if t[-1] else None) for t in w.timers]
                )
            raw.commit()
        except BaseException:
            raw.rollback()
            raise


class EnrolMode:
    """``flow.add_candidate`` on the standard workflow vs the floor's three INSERTs; candidates ``af-…`` and
    ``floor-…`` number ``i`` are alike but for their id. The floor's constant columns come from one reference
    enrolment read back in the set-up."""

    name, unit, units_per_item, cut_select = "enrol", "candidate", 1.0, False

    def __init__(self, flow: AdmissionFlow, raw: Raw) -> None:
        self.flow, self.raw = flow, raw
        add_sample_orgs(flow)
        flow.add_candidate(id="reference", on=FIRE_ON, **candidate_values(0))
        rows = _written(raw, "reference", candidate=True, extra=True)
        (candidate,), (instance,), (event,) = rows["candidates"], rows["instances"], rows["events"]
        timers = raw.rows("SELECT * FROM timers WHERE instance_id = ? ORDER BY id", (instance["id"],))
        if any(t["created_at"] != event["recorded_at"] for t in timers):
            raise AssertionError("the floor cannot replay the enrolment's timer rows")
        self.writes = EnrolWrites(
            raw.decoded("candidates", candidate),
            raw.decoded("instances", instance),
            raw.decoded("events", event),
            tuple((*(t[c] for c in TIMER_COLUMNS), t["processed_at"] is not None) for t in timers),
        )
        self.flow_path = EnrolFlow(flow, "af")
        self.floor_path = EnrolFloor(raw, "floor", self.writes)

    def describe(self) -> str:
        i = self.writes.instance
        return (
            f"add_candidate on {i['workflow_id']}@{i['workflow_version']} (initial state {i['state']},"
            f" {len(self.writes.timers)} timer rows), on={FIRE_ON}"
        )

    def some_candidates(self) -> Sequence[str]:
        return ["reference"]

    def check(self) -> str:
        pairs = [(f"af-{i:05d}", f"floor-{i:05d}") for i in range(2)]
        return compare_twins(self.raw, pairs, candidate=True, extra=True)


def set_up(name: str, url: str, raw: Raw, candidates: int) -> Mode:
    """A fresh database at ``url`` (``raw`` connected to it) with the mode's flow and data."""
    if name == "chain":
        return ChainMode(make_flow(url, CHAIN_WORKFLOWS, "chain"), raw)
    flow = make_flow(url)
    if name == "internal":
        return InternalMode(flow, raw, candidates)
    if name == "standard":
        return StandardMode(flow, raw)
    if name == "enrol":
        return EnrolMode(flow, raw)
    raise ValueError(f"unknown mode {name!r}; one of {', '.join(MODES)}")
