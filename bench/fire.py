"""Durable fires per second through ``AdmissionFlow``, next to a raw-driver floor doing the same writes.

Run from the repository root (``make bench`` runs it with the defaults)::

    .venv/bin/python bench/fire.py                       # SQLite and PostgreSQL, 5,000 fires each, RSS run
    .venv/bin/python bench/fire.py --only sqlite --fires 2000 --rss-fires 20000
    .venv/bin/python bench/fire.py --only sqlite --rss-fires 0 --profile

Each fire is one transaction: SELECT the instance joined with candidate, org and parent org, evaluate the
guards, version-checked UPDATE of the instance, INSERT of the audit event (plus whatever else the package does
per event, such as projecting the state's timers). The floor writes the same rows with sqlite3 / psycopg
directly (no SQLAlchemy, no guards, no state machine, no timers). See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import count
from pathlib import Path
from typing import Any, Protocol

import psycopg
import sqlalchemy
from common import (
    COMMON_AREAS,
    LAST_AREAS,
    Areas,
    Breakdown,
    postgres_schema,
    print_profile,
    sqlite_url,
)

from admission_flow.flow import AdmissionFlow
from admission_flow.settings import Settings
from admission_flow.testing.scenario import add_sample_orgs, drive

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_RATIO = 0.5

CELLS = ("ks.anmy.ap1", "ks.anmy.ap2", "ks.thpt.gv.toan", "ks.ctyxk")
DRIVE_FROM = date(2024, 1, 8)
FIRE_ON = date(2026, 1, 5)  # the fixed `on=` of every timed fire
TRIGGER, ROLE, ACTOR = "assign_helper", "cell", "bench:cell"
HELPERS = ("Trần Văn Bình", "Lê Thị Cúc", "Phạm Minh Đức", "Võ Thị Hoa")
RECORDED_DATE = "helper_assigned_on"  # what assign_helper records (workflows/standard-2021.yaml)


# ---------------------------------------------------------------------------- set-up


def make_flow(url: str) -> AdmissionFlow:
    flow = AdmissionFlow(Settings(database_url=url, workflows_dir=WORKFLOWS))
    flow.upgrade_database()
    return flow


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


# ---------------------------------------------------------------------------- the two paths


class BenchPath(Protocol):
    """One way of firing ``assign_helper`` on a candidate."""

    name: str

    def fire(self, candidate_id: str, helper: str) -> None: ...


class Floor(BenchPath, Protocol):
    def empty_transaction(self) -> None: ...

    def load(self, candidate_id: str) -> None: ...

    def close(self) -> None: ...


class FlowPath:
    name = "admission_flow"

    def __init__(self, flow: AdmissionFlow) -> None:
        self.flow = flow

    def fire(self, candidate_id: str, helper: str) -> None:
        self.flow.fire(candidate_id, TRIGGER, on=FIRE_ON, actor=ACTOR, role=ROLE, data={"helper": helper})

    def empty_transaction(self) -> None:
        with self.flow.store.transaction():
            pass

    def load(self, candidate_id: str) -> None:
        with self.flow.store.transaction() as tx:
            tx.load_instance(candidate_id)


# The columns admission_flow's joined SELECT reads (store/repository.py), by table alias.
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
JSON_COLUMNS = tuple(
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


def sqlite_sql(sql: str) -> str:
    return sql.replace("?j", "?")


def postgres_sql(sql: str) -> str:
    return sql.replace("?j", "%s::JSONB").replace("?", "%s")


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
        json.dumps(None),  # votes: JSON null, which is what SQLAlchemy's JSON type writes for None
        *(row[COL["i.workflow_id"]], row[COL["i.workflow_version"]], row[COL["i.workflow_hash"]], None),
    )
    return Writes(update, event)


class SqliteFloor:
    """sqlite3 directly, on the same file with the same pragmas as admission_flow's engine."""

    name = "raw floor"
    select, update, insert = sqlite_sql(SELECT_INSTANCE), sqlite_sql(UPDATE_INSTANCE), sqlite_sql(INSERT_EVENT)

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)  # we issue BEGIN ourselves, as the engine does
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000"):
            self.conn.execute(f"PRAGMA {pragma}")

    def read(self, candidate_id: str) -> list[Any]:
        row = list(self.conn.execute(self.select, (candidate_id,)).fetchone())
        for position in JSON_COLUMNS:
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

    def empty_transaction(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.commit()

    def load(self, candidate_id: str) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.read(candidate_id)
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


class PostgresFloor:
    """psycopg 3 directly, same schema; like SQLAlchemy, JSON goes in as json.dumps text cast to JSONB."""

    name = "raw floor"
    select, update = postgres_sql(SELECT_INSTANCE), postgres_sql(UPDATE_INSTANCE)
    insert = postgres_sql(INSERT_EVENT).rstrip() + " RETURNING id"

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url)  # not autocommit: psycopg sends BEGIN before the first statement

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

    def empty_transaction(self) -> None:
        with self.conn.transaction():  # BEGIN; COMMIT
            pass

    def load(self, candidate_id: str) -> None:
        self.conn.execute(self.select, (candidate_id,)).fetchone()
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------------------- measuring


@dataclass
class Timing:
    database: str
    path: str
    fires: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.fires / self.seconds if self.seconds else 0.0

    @property
    def micros(self) -> float:
        return 1e6 * self.seconds / self.fires if self.fires else 0.0


class RoundRobin:
    """Candidate and helper for the next fire, cycling over every candidate (shared by both paths)."""

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = list(ids)
        self._n = count()

    def next(self) -> tuple[str, str]:
        i = next(self._n)
        return self.ids[i % len(self.ids)], HELPERS[(i // len(self.ids)) % len(HELPERS)]


def run(path: BenchPath, rr: RoundRobin, fires: int) -> float:
    """Fire ``fires`` times; returns the elapsed seconds."""
    fire, pick = path.fire, rr.next
    start = time.perf_counter()
    for _ in range(fires):
        fire(*pick())
    return time.perf_counter() - start


def compare(
    database: str, paths: Sequence[BenchPath], rr: RoundRobin, fires: int, warmup: int, rounds: int
) -> list[Timing]:
    """Warm each path up, then time them in ``rounds`` interleaved chunks (order alternating) to cancel drift."""
    for path in paths:
        run(path, rr, warmup)
    timings = {p.name: Timing(database, p.name) for p in paths}
    chunks = [fires // rounds + (1 if r < fires % rounds else 0) for r in range(rounds)]
    for r, chunk in enumerate(chunks):
        for path in paths if r % 2 == 0 else reversed(paths):
            timings[path.name].seconds += run(path, rr, chunk)
            timings[path.name].fires += chunk
    return list(timings.values())


def rss_kib() -> int:
    """Current resident set size (VmRSS); falls back to the peak from getrusage where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_run(flow: AdmissionFlow, rr: RoundRobin, fires: int, checkpoints: int = 10) -> None:
    path = FlowPath(flow)
    step = max(1, fires // checkpoints)
    gc.collect()
    before = rss_kib()
    print(f"\nRSS over {fires:,} fires on SQLite through AdmissionFlow (VmRSS, MiB)")
    print(f"  {'fires':>9}  {'RSS':>8}  {'Δ start':>8}  {'fires/s':>8}")
    print(f"  {0:>9,}  {before / 1024:8.1f}  {0:+8.1f}")
    done, first = 0, None
    while done < fires:
        chunk = min(step, fires - done)
        seconds = run(path, rr, chunk)
        done += chunk
        now = rss_kib()
        first = first if first is not None else now
        print(f"  {done:>9,}  {now / 1024:8.1f}  {(now - before) / 1024:+8.1f}  {chunk / seconds:8.0f}")
    gc.collect()
    after = rss_kib()
    assert first is not None
    print(
        f"  after gc: {after / 1024:.1f} MiB; growth from first checkpoint to end: {(after - first) / 1024:+.1f} MiB"
        f" ({(after - first) * 1024 / max(1, fires - step):.1f} bytes/fire)"
    )


# ---------------------------------------------------------------------------- profiling

# Where the time goes, per unit (see common.Breakdown for the rules of a row).
BREAKDOWN: Breakdown = (
    ("AdmissionFlow.fire (total)", "admission_flow/flow.py", "fire"),
    ("  AdmissionService._fire_once", "admission_flow/service.py", "_fire_once"),
    ("  Store.transaction enter+exit (pool, BEGIN, COMMIT, return)", "contextlib.py", "__enter__|__exit__"),
    ("    Engine.connect (pool checkout)", "sqlalchemy/engine/base.py", "connect"),
    ("    pool pre-ping (SELECT 1 per checkout)", "sqlalchemy/engine/default.py", "_do_ping_w_event"),
    ("    BEGIN listener (_on_begin → exec_driver_sql)", "admission_flow/store/engine.py", "_on_begin"),
    ("    Transaction.__exit__ (commit)", "sqlalchemy/engine/util.py", "__exit__"),
    ("      driver commit (do_commit)", "sqlalchemy/engine/default.py", "do_commit"),
    ("    Connection.close (pool return + reset)", "sqlalchemy/engine/base.py", "close"),
    ("  Tx.load_instance (joined SELECT + InstanceRow)", "admission_flow/store/repository.py", "load_instance"),
    ("  AdmissionService.apply_event (all below)", "admission_flow/service.py", "apply_event"),
    ("    GuardContext building", "admission_flow/", "_context|guard_context"),
    ("    CompiledWorkflow.plan (route, roles, guards)", "admission_flow/engine/machine.py", "plan"),
    ("    CompiledWorkflow.apply (transitions)", "admission_flow/engine/machine.py", "apply"),
    (
        "    recorded dates, corrections, extensions",
        "admission_flow/",
        "_record_dates|_corrections|_extensions|corrections|extensions_after",
    ),
    ("    Tx.update_instance", "admission_flow/store/repository.py", "update_instance"),
    ("    Tx.insert_event", "admission_flow/store/repository.py", "insert_event"),
    ("    Tx.insert_documents (none attached: no statement)", "admission_flow/store/repository.py", "insert_documents"),
    ("    Timekeeper.project (timers of the state)", "admission_flow/timekeeper.py", "project"),
    ("      Timekeeper.projections (deadline arithmetic)", "admission_flow/timekeeper.py", "projections"),
    ("        WorkingCalendar._step (working days, outermost)", "admission_flow/calendar.py", "_step|day_off_reason"),
    ("      timers_of_epoch (SELECT timers)", "admission_flow/store/timers.py", "timers_of_epoch"),
    ("  Connection.execute (every statement)", "sqlalchemy/engine/base.py", "execute"),
    ("    _compile_w_cache (cache key + cache lookup)", "sqlalchemy/sql/elements.py", "_compile_w_cache"),
    ("      _generate_cache_key (outermost)", "sqlalchemy/sql/cache_key.py", "_generate_cache_key"),
    ("    _init_compiled (parameters, bind processors)", "sqlalchemy/engine/default.py", "_init_compiled"),
    ("    driver cursor.execute (do_execute)", "sqlalchemy/engine/default.py", "do_execute"),
    ("    result set-up (_setup_result_proxy)", "sqlalchemy/engine/default.py", "_setup_result_proxy"),
    ("  Result.first (row fetch + result processors)", "sqlalchemy/engine/result.py", "first"),
    ("  statement building per call (_generative)", "sqlalchemy/sql/base.py", "_generative"),
    ("json.dumps (all)", "json/__init__.py", "dumps"),
    ("json.loads (all)", "json/__init__.py", "loads"),
    ("UTCDateTime.process_bind_param", "admission_flow/store/types.py", "process_bind_param"),
    ("UTCDateTime.process_result_value", "admission_flow/store/types.py", "process_result_value"),
)

AREAS: Areas = (
    *COMMON_AREAS,
    ("transitions", lambda k: "/transitions/" in k[0]),
    ("pydantic", lambda k: "/pydantic" in k[0]),
    *LAST_AREAS,
)


def profile_run(flow: AdmissionFlow, rr: RoundRobin, fires: int, database: str) -> None:
    path = FlowPath(flow)
    profiler = cProfile.Profile()
    profiler.enable()
    run(path, rr, fires)
    profiler.disable()
    title = f"Profile of {fires:,} admission_flow fires on {database}"
    print_profile(profiler, fires, "fire", title, BREAKDOWN, AREAS)
    cache = getattr(flow.store.engine, "_compiled_cache", None)
    if cache is not None:
        print(f"SQLAlchemy compiled-statement cache: {len(cache)} entries after the run")


def time_calls(call: Callable[[str], object], rr: RoundRobin, n: int) -> float:
    """Best of three: µs per call of ``call(candidate_id)``."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            call(rr.next()[0])
        best = min(best, time.perf_counter() - start)
    return 1e6 * best / n


def unprofiled_parts(flow: AdmissionFlow, floor: Floor, rr: RoundRobin, n: int, database: str) -> None:
    """The same three cuts through a fire on both paths, without the profiler (which inflates call-heavy code)."""
    af = FlowPath(flow)
    cuts = {
        "write transaction, nothing inside": (lambda _: af.empty_transaction(), lambda _: floor.empty_transaction()),
        "  + the joined SELECT of the instance": (af.load, floor.load),
        "  + everything else (a whole fire)": (lambda c: af.fire(c, HELPERS[0]), lambda c: floor.fire(c, HELPERS[0])),
    }
    print(f"\nUnprofiled cuts on {database}, best of 3 × {n:,} calls (µs per call)")
    print(f"  {'cut':<40} {'admission_flow':>14} {'raw floor':>10} {'difference':>10}")
    previous = (0.0, 0.0)
    for label, (flow_call, floor_call) in cuts.items():
        ours, theirs = time_calls(flow_call, rr, n), time_calls(floor_call, rr, n)
        print(f"  {label:<40} {ours:14.1f} {theirs:10.1f} {ours - theirs:10.1f}")
        step = (ours - previous[0], theirs - previous[1])
        print(f"  {'    (this step alone)':<40} {step[0]:14.1f} {step[1]:10.1f} {step[0] - step[1]:10.1f}")
        previous = (ours, theirs)


# ---------------------------------------------------------------------------- the run


@dataclass
class Options:
    only: str | None
    candidates: int
    fires: int
    warmup: int
    rounds: int
    rss_fires: int
    profile: bool
    profile_db: str
    postgres_url: str


def measure(database: str, flow: AdmissionFlow, floor: Floor, ids: Sequence[str], opts: Options) -> list[Timing]:
    rr = RoundRobin(ids)
    timings = compare(database, [FlowPath(flow), floor], rr, opts.fires, opts.warmup, opts.rounds)
    if opts.profile and opts.profile_db == database:
        profile_run(flow, rr, opts.fires, database)
        unprofiled_parts(flow, floor, rr, max(100, opts.fires // 5), database)
    if database == "sqlite" and opts.rss_fires:
        memory_run(flow, rr, opts.rss_fires)
    return timings


def bench_sqlite(opts: Options, workdir: Path) -> list[Timing]:
    db = workdir / "bench.db"
    flow = make_flow(sqlite_url(db))
    try:
        started = time.perf_counter()
        ids = populate(flow, opts.candidates)
        print(f"sqlite: {db} — {len(ids)} candidates driven in {time.perf_counter() - started:.1f}s")
        floor = SqliteFloor(db)
        try:
            return measure("sqlite", flow, floor, ids, opts)
        finally:
            floor.close()
    finally:
        flow.close()


def bench_postgres(opts: Options) -> list[Timing]:
    with postgres_schema(opts.postgres_url, "bench") as url:
        flow = make_flow(url)
        try:
            started = time.perf_counter()
            ids = populate(flow, opts.candidates)
            with psycopg.connect(url) as conn:
                server = conn.execute("SHOW server_version").fetchone()
                sync = conn.execute("SHOW synchronous_commit").fetchone()
            print(
                f"postgresql {server[0] if server else '?'} (synchronous_commit={sync[0] if sync else '?'}):"
                f" schema {url.rsplit('%3D', 1)[-1]} — {len(ids)} candidates driven in"
                f" {time.perf_counter() - started:.1f}s"
            )
            floor = PostgresFloor(url)
            try:
                return measure("postgresql", flow, floor, ids, opts)
            finally:
                floor.close()
        finally:
            flow.close()


def print_table(timings: Sequence[Timing]) -> None:
    print(
        f"\n{'database':<11} {'path':<15} {'fires':>7} {'seconds':>8} {'fires/s':>8} {'µs/fire':>8} {'af ÷ floor':>18}"
    )
    by_db: dict[str, dict[str, Timing]] = {}
    for t in timings:
        by_db.setdefault(t.database, {})[t.path] = t
    for database, paths in by_db.items():
        flow, floor = paths["admission_flow"], paths["raw floor"]
        ratio = flow.rate / floor.rate
        verdict = "meets" if ratio >= TARGET_RATIO else "below"
        for t in (flow, floor):
            cell = f"{ratio:.2f} ({verdict} {TARGET_RATIO})" if t is flow else ""
            print(
                f"{database:<11} {t.path:<15} {t.fires:>7,} {t.seconds:8.2f} {t.rate:8.0f} {t.micros:8.1f} {cell:>18}"
            )
        print(f"{'':<11} {'overhead':<15} {'':>7} {'':>8} {'':>8} {flow.micros - floor.micros:8.1f}")


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="bench one database only")
    parser.add_argument("--candidates", type=int, default=200, help="candidates fired round-robin (default 200)")
    parser.add_argument("--fires", type=int, default=5000, help="timed fires per path and database (default 5000)")
    parser.add_argument("--warmup", type=int, default=300, help="untimed fires per path first (default 300)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved chunks per path (default 5)")
    parser.add_argument("--rss-fires", type=int, default=100_000, help="fires of the SQLite RSS run (0: skip)")
    parser.add_argument("--profile", action="store_true", help="cProfile --fires admission_flow fires afterwards")
    parser.add_argument("--profile-db", choices=("sqlite", "postgresql"), default="sqlite", help="default sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("ADMISSION_FLOW_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server and database; a fresh schema is created and dropped (default $ADMISSION_FLOW_TEST_POSTGRES_URL"
        f" or {DEFAULT_POSTGRES_URL})",
    )
    ns = parser.parse_args(argv)
    if ns.candidates < 1 or ns.fires < 1 or ns.rounds < 1 or ns.warmup < 0 or ns.rss_fires < 0:
        parser.error("--candidates, --fires and --rounds must be ≥ 1; --warmup and --rss-fires ≥ 0")
    return Options(**vars(ns))


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    print(
        f"python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, psycopg {psycopg.__version__},"
        f" SQLite {sqlite3.sqlite_version}; {opts.candidates} candidates, {opts.warmup} warm-up +"
        f" {opts.fires:,} timed fires per path in {opts.rounds} interleaved rounds; trigger {TRIGGER} on {FIRE_ON}"
    )
    timings: list[Timing] = []
    if opts.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="admission-flow-bench-") as workdir:
            timings += bench_sqlite(opts, Path(workdir))
    if opts.only in (None, "postgresql"):
        timings += bench_postgres(opts)
    print_table(timings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
