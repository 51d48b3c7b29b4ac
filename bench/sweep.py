"""Due timers swept per second through ``AdmissionFlow.sweep``, next to a raw-driver floor doing the same writes.

Run from the repository root::

    .venv/bin/python bench/sweep.py                               # SQLite + PostgreSQL, 100,000 and 1,000,000 rows
    .venv/bin/python bench/sweep.py --rows 20000 --due 2000       # quick sanity run (well under a minute)
    .venv/bin/python bench/sweep.py --only sqlite --profile       # where the sweep's time goes

The ``timers`` table holds ``--rows`` rows, of which ``--due`` are due reminder rungs of real probationary
instances (``probation_end``, rungs 1 and 2) and the rest are pending rows far in the future. One sweep claims
every due row (batches of ``sweep_batch``, ordered by ``fire_at``), writes one outbox message per row and marks
the rows done. The floor does the same claim / INSERT / UPDATE with sqlite3 / psycopg directly and pre-rendered
messages. The due count is fixed while the table grows, so the time per due row must not grow with it.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

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
from sqlalchemy import bindparam, delete, update

from admission_flow.domain.recipients import collect_recipients, role_contacts
from admission_flow.flow import AdmissionFlow
from admission_flow.services.sweep_plans import SweepPlans, Unrunnable, context
from admission_flow.settings import Settings
from admission_flow.store.instances import instances
from admission_flow.store.outbox import outbox
from admission_flow.store.timers import timers
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, drive, sample_personal_id

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
CALENDAR = ROOT / "config" / "calendar-vn.toml"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_RATIO = 0.5

NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội: the sweep's `now`
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = NOW.astimezone(ZONE).date()
REMINDER_AT = clock_time(8, 0)  # settings.reminder_time
SENDER_DOMAIN = "localhost"  # settings.smtp_sender is admission-flow@localhost

CELLS = ("ks.anmy.ap1", "ks.anmy.ap2", "ks.thpt.gv.toan", "ks.ctyxk")
DRIVE_FROM = date(2024, 1, 8)
STATE, EPOCH, DEADLINE = "probationary", 3, "probation_end"
RUNG_DAYS_BEFORE = {1: 45, 2: 30}  # workflows/standard-2021.yaml: probationary → probation_end → remind
OUTCOME = "reminder probation_ending"  # the outcome Timekeeper.plan gives these rungs
FUTURE_FROM = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)  # non-due rows fire from here on...
FUTURE_STEP = timedelta(seconds=157)  # ...one every 157 s: 1,000,000 rows span five years

TIMER_COLUMNS = (
    "instance_id",
    "state",
    "state_epoch",
    "deadline_id",
    "rung",
    "kind",
    "due_on",
    "fire_at",
    "status",
    "outcome",
    "created_at",
    "processed_at",
)
OUTBOX_COLUMNS = (
    "timer_id",
    "instance_id",
    "template",
    "recipients",
    "subject",
    "body",
    "message_id",
    "status",
    "attempts",
    "last_error",
    "next_attempt_at",
    "lease_until",
    "created_at",
    "sent_at",
)
TimerValues = tuple[Any, ...]  # in TIMER_COLUMNS order, Python values (aware datetimes, dates)


# ---------------------------------------------------------------------------- set-up through admission_flow


def make_flow(url: str, batch: int) -> AdmissionFlow:
    settings = Settings(database_url=url, workflows_dir=WORKFLOWS, calendar_file=CALENDAR, sweep_batch=batch)
    flow = AdmissionFlow(settings, clock=ManualClock(NOW))
    flow.upgrade_database()
    return flow


def candidate_id(index: int) -> str:
    return f"sweep-{index:05d}"


def enroll(flow: AdmissionFlow, count: int) -> list[int]:
    """Sample orgs and ``count`` candidates (with e-mail addresses) over the cells; returns their instance ids."""
    add_sample_orgs(flow)
    for i in range(count):
        birth, sex = date(1990 + i % 10, 1 + i % 12, 1 + i % 28), "female" if i % 3 else "male"
        flow.add_candidate(
            id=candidate_id(i),
            full_name=f"Nguyễn Thị Dự Bị {i}",
            org_id=CELLS[i % len(CELLS)],
            birth_date=birth,
            sex=sex,
            education="upper_secondary",
            email=f"dangvien.{i}@example.vn",
            personal_id=sample_personal_id(birth, sex, i),  # the standard since 2025.1 asks for it at the dossier
        )
    with flow.store.transaction(readonly=True) as tx:
        return sorted(tx.connection.execute(sqlalchemy.select(instances.c.id)).scalars())


def probationary_template(flow: AdmissionFlow) -> tuple[dict[str, str], list[str], dict[str, Any]]:
    """Dates, flags and documents of a candidate really driven to ``probationary`` (realistic JSON sizes)."""
    record = drive(flow, candidate_id(0), DRIVE_FROM, until=STATE)
    assert record.state == STATE, record.state
    with flow.store.transaction(readonly=True) as tx:
        inst = tx.instances.load(candidate_id(0))
    assert inst is not None
    return dict(inst.dates), list(inst.flags), dict(inst.documents)


def probation_end(index: int) -> date:
    """Spread over the next 29 days, so both rungs (45 and 30 days before) are already due."""
    return TODAY + timedelta(days=1 + index % 29)


def make_probationary(flow: AdmissionFlow, instance_ids: Sequence[int]) -> None:
    """Every instance into ``probationary`` at epoch EPOCH with its own ceremony and probation-end dates."""
    dates, flags, documents = probationary_template(flow)
    params = []
    for i, instance_id in enumerate(instance_ids):
        end = probation_end(i)
        ceremony = end.replace(year=end.year - 1)
        own = {**dates, "ceremony_on": ceremony.isoformat(), "probation_end_on": end.isoformat()}
        params.append({"iid": instance_id, "b_dates": own, "b_entered": ceremony})
    stmt = (
        update(instances)
        .where(instances.c.id == bindparam("iid"))
        .values(
            state=STATE,
            state_epoch=EPOCH,
            flags=flags,
            documents=documents,
            dates=bindparam("b_dates", type_=instances.c.dates.type),
            state_entered_on=bindparam("b_entered", type_=instances.c.state_entered_on.type),
        )
    )
    with flow.store.transaction() as tx:
        tx.connection.execute(stmt, params)
        tx.connection.execute(delete(outbox))
        tx.connection.execute(delete(timers))  # those projected while driving the template candidate


def reminder_fire_at(end: date, rung: int) -> datetime:
    day = end - timedelta(days=RUNG_DAYS_BEFORE[rung])
    return datetime.combine(day, REMINDER_AT, tzinfo=ZONE).astimezone(UTC)


def timer(instance_id: int, deadline_id: str, rung: int, due_on: date, fire_at: datetime) -> TimerValues:
    """A pending reminder row of the instance's current state entry."""
    return (instance_id, STATE, EPOCH, deadline_id, rung, "reminder", due_on, fire_at, "pending", None, NOW, None)


def due_rows(instance_ids: Sequence[int], due: int) -> Iterator[TimerValues]:
    """Rungs 1 and 2 of ``probation_end`` for the first ``due`` (instance, rung) pairs, as the sweep expects them."""
    for n in range(due):
        i, rung = divmod(n, 2)
        end = probation_end(i)
        fire_at = reminder_fire_at(end, rung + 1)
        assert fire_at <= NOW
        yield timer(instance_ids[i], DEADLINE, rung + 1, end, fire_at)


def future_rows(instance_ids: Sequence[int], start: int, stop: int) -> Iterator[TimerValues]:
    """Pending rows ``start``..``stop`` that fire years from now (never claimed); their deadline ids are unique."""
    n = len(instance_ids)
    for i in range(start, stop):
        fire_at = FUTURE_FROM + FUTURE_STEP * i
        yield timer(instance_ids[i % n], f"future_{i}", 1, fire_at.date() + timedelta(days=30), fire_at)


@dataclass(frozen=True)
class Payload:
    """What the floor writes for a rung: the message admission_flow renders, rendered once beforehand."""

    template: str
    recipients: str  # JSON text, as SQLAlchemy's JSON type serialises it
    subject: str
    body: str
    status: str
    last_error: str | None

    @property
    def size(self) -> int:
        return len((self.subject + self.body).encode("utf-8"))


def render_payloads(flow: AdmissionFlow, instance_id: int) -> dict[int, Payload]:
    """Render each rung's message for one instance from the context the sweep stores (``sweep_plans.context``)."""
    with flow.store.transaction(readonly=True) as tx:
        inst = tx.instances.load_by_ids([instance_id])[instance_id]
        ancestry = tx.orgs.ancestry(inst.org.id)
    wf = flow.catalog.get(inst.workflow_id, inst.workflow_version)
    deadline = next(d for d in wf.spec.states[STATE].deadlines if d.id == DEADLINE)
    due_on = date.fromisoformat(inst.dates["probation_end_on"])
    payloads = {}
    for rung, spec in enumerate(deadline.remind, start=1):
        recipients, missing = collect_recipients(
            spec.to, inst.candidate.full_name, inst.candidate.email, lambda role: role_contacts(role, ancestry)
        )
        today = NOW.astimezone(ZONE).date()
        org, who = (inst.org.id, inst.org.name), (inst.candidate.id, inst.candidate.full_name)
        values = context(wf, STATE, deadline, org, who, due_on, today, recipients)
        subject, body = flow._deps.renderer.render(spec.template, values)
        problem = f"no e-mail address for role(s): {', '.join(missing)}" if missing else None
        status = "pending" if recipients else "dead"
        payloads[rung] = Payload(spec.template, json.dumps(recipients), subject, body, status, problem)
    return payloads


def outbox_values(row: Sequence[Any], payloads: dict[int, Payload], at: Any) -> tuple[Any, ...]:
    """One outbox row (OUTBOX_COLUMNS order) for a claimed (id, instance_id, rung)."""
    timer_id, instance_id, rung = row
    p = payloads[rung]
    message_id = f"<timer-{timer_id}.{instance_id}@{SENDER_DOMAIN}>"
    head = (timer_id, instance_id, p.template, p.recipients, p.subject, p.body, message_id, p.status, 0)
    return (*head, p.last_error, at, None, at, None)


# ---------------------------------------------------------------------------- the databases, driver level

OUTBOX_PLACEHOLDERS = ", ".join("?" * len(OUTBOX_COLUMNS))
SQLITE_INSERT_TIMER = f"INSERT INTO timers ({', '.join(TIMER_COLUMNS)}) VALUES ({', '.join('?' * len(TIMER_COLUMNS))})"
SQLITE_CLAIM = "SELECT id, instance_id, rung FROM timers WHERE status = ? AND fire_at <= ? ORDER BY fire_at, id LIMIT ?"
SQLITE_INSERT_OUTBOX = f"INSERT INTO outbox ({', '.join(OUTBOX_COLUMNS)}) VALUES ({OUTBOX_PLACEHOLDERS})"
SQLITE_FINISH = "UPDATE timers SET status = ?, outcome = ?, processed_at = ? WHERE id IN ({marks})"
RESET = "UPDATE timers SET status = 'pending', outcome = NULL, processed_at = NULL WHERE status = 'done'"
DUE_LEFT = "SELECT count(*) FROM timers WHERE status = 'pending' AND fire_at <= ?"
# Characters each message carries: its text (the floor writes it rendered) or the context it is rendered from
# at delivery (admission_flow), plus its recipients.
OUTBOX_SUMMARY = (
    "SELECT count(*), coalesce(sum(length(subject) + length(body) + coalesce(length(CAST(context AS TEXT)), 0)"
    " + length(CAST(recipients AS TEXT))), 0) FROM outbox"
)


def sqlite_instant(value: datetime) -> str:
    """SQLAlchemy stores SQLite DATETIME as naive UTC text with microseconds (UTCDateTime converts to UTC)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def sqlite_timer(values: TimerValues) -> TimerValues:
    return tuple(
        sqlite_instant(v) if isinstance(v, datetime) else v.isoformat() if isinstance(v, date) else v for v in values
    )


def chunks(rows: Iterable[TimerValues], size: int) -> Iterator[list[TimerValues]]:
    chunk: list[TimerValues] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Backend(Protocol):
    """Loading, resetting and the raw floor, on one database, without SQLAlchemy."""

    name: str

    def load(self, rows: Iterable[TimerValues]) -> int: ...

    def analyze(self) -> None: ...

    def reset(self) -> int: ...

    def plan(self, sql: str, params: Any) -> list[str]: ...

    def floor_sweep(self, now: datetime, batch: int, payloads: dict[int, Payload]) -> int: ...

    def due_left(self, now: datetime) -> int: ...

    def outbox_summary(self) -> tuple[int, int]: ...

    def close(self) -> None: ...


class SqliteBackend:
    """sqlite3 directly, on the flow's file with the pragmas admission_flow's engine sets."""

    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)  # we issue BEGIN ourselves, as the engine does
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000"):
            self.conn.execute(f"PRAGMA {pragma}")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def load(self, rows: Iterable[TimerValues]) -> int:
        loaded = 0
        for chunk in chunks(rows, 100_000):
            with self._tx() as conn:
                conn.executemany(SQLITE_INSERT_TIMER, [sqlite_timer(r) for r in chunk])
            loaded += len(chunk)
        return loaded

    def analyze(self) -> None:
        self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def reset(self) -> int:
        """Due rows back to pending, outbox emptied, WAL checkpointed: every timed sweep starts alike."""
        with self._tx() as conn:
            reset = conn.execute(RESET).rowcount
            conn.execute("DELETE FROM outbox")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return reset

    def plan(self, sql: str, params: Any) -> list[str]:
        return [r[-1] for r in self.conn.execute("EXPLAIN QUERY PLAN " + sql, params)]

    def floor_sweep(self, now: datetime, batch: int, payloads: dict[int, Payload]) -> int:
        at, claimed = sqlite_instant(now), 0
        while True:
            with self._tx() as conn:
                rows = conn.execute(SQLITE_CLAIM, ("pending", at, batch)).fetchall()
                if rows:
                    conn.executemany(SQLITE_INSERT_OUTBOX, [outbox_values(r, payloads, at) for r in rows])
                    finish = SQLITE_FINISH.format(marks=", ".join("?" * len(rows)))
                    conn.execute(finish, ("done", OUTCOME, at, *(r[0] for r in rows)))
            claimed += len(rows)
            if len(rows) < batch:
                return claimed

    def due_left(self, now: datetime) -> int:
        return int(self.conn.execute(DUE_LEFT, (sqlite_instant(now),)).fetchone()[0])

    def outbox_summary(self) -> tuple[int, int]:
        count, chars = self.conn.execute(OUTBOX_SUMMARY).fetchone()
        return int(count), int(chars)

    def close(self) -> None:
        self.conn.close()


def pg(sql: str) -> str:
    return sql.replace("?", "%s")


def pg_sql(sql: str, jsonb: Sequence[int]) -> str:
    """``?`` → ``%s``; JSON parameters get the ``::JSONB`` cast SQLAlchemy renders for them."""
    parts = sql.split("?")
    out = [parts[0]]
    for i, part in enumerate(parts[1:]):
        out.append(("%s::JSONB" if i in jsonb else "%s") + part)
    return "".join(out)


PG_COPY_TIMERS = f"COPY timers ({', '.join(TIMER_COLUMNS)}) FROM STDIN"
PG_CLAIM = pg(SQLITE_CLAIM) + " FOR UPDATE SKIP LOCKED"
PG_INSERT_OUTBOX = pg_sql(SQLITE_INSERT_OUTBOX, jsonb=(OUTBOX_COLUMNS.index("recipients"),))
PG_FINISH = "UPDATE timers SET status = %s, outcome = %s, processed_at = %s WHERE id = ANY(%s)"


class PostgresBackend:
    """psycopg 3 directly, in the flow's schema; JSON goes in as json.dumps text cast to JSONB, like SQLAlchemy."""

    name = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn = psycopg.connect(url)  # not autocommit: psycopg sends BEGIN before the first statement

    def _maintenance(self, *statements: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as admin:
            for sql in statements:
                admin.execute(sql)

    def load(self, rows: Iterable[TimerValues]) -> int:
        loaded = 0
        with self.conn.cursor() as cur, cur.copy(PG_COPY_TIMERS) as copy:
            for row in rows:
                copy.write_row(row)
                loaded += 1
        self.conn.commit()
        return loaded

    def analyze(self) -> None:
        self._maintenance("VACUUM ANALYZE timers", "VACUUM ANALYZE outbox")

    def reset(self) -> int:
        """Due rows back to pending, outbox emptied, then VACUUM (no dead index entries left over) and CHECKPOINT."""
        reset = self.conn.execute(RESET).rowcount
        self.conn.execute("DELETE FROM outbox")
        self.conn.commit()
        self.analyze()
        with suppress(psycopg.errors.InsufficientPrivilege):
            self._maintenance("CHECKPOINT")
        return reset

    def plan(self, sql: str, params: Any) -> list[str]:
        rows = self.conn.execute("EXPLAIN " + sql, params).fetchall()
        self.conn.rollback()
        return [r[0] for r in rows]

    def floor_sweep(self, now: datetime, batch: int, payloads: dict[int, Payload]) -> int:
        conn, claimed = self.conn, 0
        while True:
            try:
                rows = conn.execute(PG_CLAIM, ("pending", now, batch)).fetchall()
                if rows:
                    with conn.cursor() as cur:
                        cur.executemany(PG_INSERT_OUTBOX, [outbox_values(r, payloads, now) for r in rows])
                    conn.execute(PG_FINISH, ("done", OUTCOME, now, [r[0] for r in rows]))
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            claimed += len(rows)
            if len(rows) < batch:
                return claimed

    def due_left(self, now: datetime) -> int:
        row = self.conn.execute(pg(DUE_LEFT), (now,)).fetchone()
        self.conn.rollback()
        assert row is not None
        return int(row[0])

    def outbox_summary(self) -> tuple[int, int]:
        row = self.conn.execute(OUTBOX_SUMMARY).fetchone()
        self.conn.rollback()
        assert row is not None
        return int(row[0]), int(row[1])

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------------------- measuring


@dataclass
class Timing:
    """The timed sweeps of one path on one table size; figures are of the fastest sweep (best of ``rounds``)."""

    database: str
    total: int
    due: int
    path: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)  # this process's CPU time (the client side only)

    @property
    def per_sweep(self) -> float:
        return min(self.walls) if self.walls else 0.0

    @property
    def rate(self) -> float:
        return self.due / self.per_sweep if self.walls else 0.0

    @property
    def micros(self) -> float:
        return 1e6 * self.per_sweep / self.due if self.due else 0.0

    @property
    def cpu_micros(self) -> float:
        return 1e6 * min(self.cpus) / self.due if self.cpus else 0.0

    @property
    def spread(self) -> float:
        """Slowest ÷ fastest sweep: how noisy the machine was."""
        return max(self.walls) / min(self.walls) if self.walls else 0.0


class SweepPath(Protocol):
    name: str

    def sweep(self) -> int: ...


class FlowPath:
    name = "admission_flow"

    def __init__(self, flow: AdmissionFlow) -> None:
        self.flow = flow

    def sweep(self) -> int:
        report = self.flow.sweep(NOW)
        assert report.messages == report.claimed and not report.stale and not report.failed, report
        return report.claimed


class FloorPath:
    name = "raw floor"

    def __init__(self, backend: Backend, batch: int, payloads: dict[int, Payload]) -> None:
        self.backend, self.batch, self.payloads = backend, batch, payloads

    def sweep(self) -> int:
        return self.backend.floor_sweep(NOW, self.batch, self.payloads)


def prepare(backend: Backend, due: int) -> None:
    """Due rows pending again, outbox empty, database settled; checks the table holds exactly ``due`` due rows."""
    backend.reset()
    left = backend.due_left(NOW)
    assert left == due, f"{left} due rows before the sweep, expected {due}"


@dataclass(frozen=True)
class Sweep:
    wall: float
    cpu: float
    chars: int  # mean characters of text, context and recipients of the messages written


def timed_sweep(path: SweepPath, backend: Backend, due: int) -> Sweep:
    prepare(backend, due)
    wall, cpu = time.perf_counter(), time.process_time()
    claimed = path.sweep()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert claimed == due, f"{path.name} claimed {claimed}, expected {due}"
    assert backend.due_left(NOW) == 0, f"{path.name} left due rows behind"
    count, chars = backend.outbox_summary()
    assert count == due, f"{path.name} wrote {count} outbox rows, expected {due}"
    return Sweep(wall, cpu, chars // count)


def compare(
    backend: Backend, paths: Sequence[SweepPath], total: int, due: int, rounds: int, warmup: int
) -> tuple[list[Timing], dict[str, int]]:
    """``warmup`` untimed sweeps per path, then ``rounds`` timed ones, the order alternating each round.

    Also returns the mean subject+body size of the messages each path wrote.
    """
    for _ in range(warmup):  # statement caches, the template, the page cache: a worker sweeps every minute
        for path in paths:
            timed_sweep(path, backend, due)
    timings = {p.name: Timing(backend.name, total, due, p.name) for p in paths}
    sizes: dict[str, int] = {}
    for r in range(rounds):
        for path in paths if r % 2 == 0 else reversed(paths):
            sweep = timed_sweep(path, backend, due)
            timings[path.name].walls.append(sweep.wall)
            timings[path.name].cpus.append(sweep.cpu)
            sizes[path.name] = sweep.chars
    return list(timings.values()), sizes


# ---------------------------------------------------------------------------- profiling

# Where the time goes, per unit (see common.Breakdown for the rules of a row).
BREAKDOWN: Breakdown = (
    ("AdmissionFlow.sweep (total)", "admission_flow/flow.py", "sweep"),
    ("  Store.transaction enter+exit (pool, BEGIN, COMMIT)", "contextlib.py", "__enter__|__exit__"),
    ("  SqlTimers.claim_due (joined SELECT … LIMIT batch)", "admission_flow/store/timers.py", "claim_due"),
    ("  sweep._process (per batch, all below)", "admission_flow/services/sweep.py", "_process"),
    ("    SweepPlans.get (plan per pinned workflow, deadline, rung)", "admission_flow/services/sweep_plans.py", "get"),
    ("      plan_rung (once per sweep and key)", "admission_flow/services/sweep_plans.py", "plan_rung"),
    ("    SweepPlans.message (recipients, context JSON)", "admission_flow/services/sweep_plans.py", "message"),
    ("      SweepPlans.contacts (cached per org and role)", "admission_flow/services/sweep_plans.py", "contacts"),
    ("    SqlOutbox.insert_swept (executemany INSERT)", "admission_flow/store/outbox.py", "insert_swept"),
    ("    SqlTimers.finish (UPDATE per outcome)", "admission_flow/store/timers.py", "finish"),
    ("Prepared.many (parameter rows + executemany)", "admission_flow/store/prepared.py", "many"),
    ("driver executemany (all)", "~", "executemany"),
    ("driver execute (all)", "~", "execute"),
    ("driver fetch (all)", "~", "fetchall|fetchmany|fetchone"),
    ("UTCDateTime.process_bind_param", "admission_flow/store/types.py", "process_bind_param"),
    ("UTCDateTime.process_result_value", "admission_flow/store/types.py", "process_result_value"),
    ("json.dumps (all)", "json/__init__.py", "dumps"),
)

AREAS: Areas = (
    *COMMON_AREAS,
    ("jinja2 (incl. compiled templates)", lambda k: "/jinja2/" in k[0] or k[0].endswith(".j2")),
    ("markupsafe", lambda k: "markupsafe" in k[0] or "markupsafe" in k[2]),
    *LAST_AREAS,
)


def profile_sweep(flow: AdmissionFlow, backend: Backend, due: int) -> None:
    prepare(backend, due)
    profiler = cProfile.Profile()
    profiler.enable()
    claimed = FlowPath(flow).sweep()
    profiler.disable()
    assert claimed == due
    title = f"Profile of one admission_flow sweep of {due:,} due rows on {backend.name}"
    print_profile(profiler, due, "due", title, BREAKDOWN, AREAS)


def per_call(fn: Callable[[], object], repeat: int) -> float:
    """Best-of-three mean seconds per call of ``fn`` over ``repeat`` calls (after one untimed call)."""
    fn()
    best = math.inf
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - started) / repeat)
    return best


def part_costs(flow: AdmissionFlow, backend: Backend, due: int, batch: int) -> None:
    """Unprofiled µs per due row of the sweep's parts, to size the profile's hot spots without cProfile's skew."""
    prepare(backend, due)  # the due rows pending again, so the claims below find a full batch
    claim_sql = flow.store.statements.timers.claim
    with flow.store.transaction() as tx:
        rows = tx.timers.claim_due(NOW, batch)
        plans = SweepPlans(flow._deps, NOW)  # the bench times the internals
        plan = plans.get(rows[0])
        assert not isinstance(plan, Unrunnable) and plan.template is not None
        plans.message(tx, plan, rows[0])  # fills the contact cache, as the first row of a sweep does
        message = plans.message(tx, plan, rows[0])
    floor_claim = SQLITE_CLAIM if backend.name == "sqlite" else PG_CLAIM.replace(" FOR UPDATE SKIP LOCKED", "")
    floor_at = sqlite_instant(NOW) if backend.name == "sqlite" else NOW
    context = dict(json.loads(message["context"]), due_on=date.fromisoformat(rows[0].due_on.isoformat()))

    def claim() -> None:
        with flow.store.transaction() as tx:
            tx.timers.claim_due(NOW, batch)

    def claim_sql_only() -> None:
        with flow.store.transaction() as tx:
            cursor = tx.tx.cursor()
            cursor.execute(claim_sql.sql, claim_sql.parameters({"now": NOW, "limit": batch})).fetchall()

    def claim_floor_sql() -> None:
        with flow.store.transaction() as tx:
            tx.tx.cursor().execute(floor_claim, ("pending", floor_at, batch)).fetchall()

    def messages() -> None:
        with flow.store.transaction() as tx:
            for row in rows:
                plans.message(tx, plan, row)

    print(f"\nUnprofiled cost of the parts of a sweep on {flow.store.dialect} (µs per due row, best of 3)")
    parts: tuple[tuple[str, Callable[[], object], int, int], ...] = (
        (f"SqlTimers.claim_due, batch of {len(rows)} (joined, with conversions)", claim, 5, len(rows)),
        ("  the same SQL, fetchall only (no conversions, no tuples)", claim_sql_only, 5, len(rows)),
        ("  the floor's claim SQL (id, instance_id, rung) on the same cursor", claim_floor_sql, 5, len(rows)),
        ("SweepPlans.message (recipients, context JSON, outbox row)", messages, 5, len(rows)),
        (
            "Renderer.render, paid at delivery, not in the sweep",
            lambda: flow._deps.renderer.render(plan.template or "", context),
            2000,
            1,
        ),
    )
    for label, fn, repeat, per in parts:
        print(f"  {label:<70} {1e6 * per_call(fn, repeat) / per:8.1f}")


# ---------------------------------------------------------------------------- the run


@dataclass
class Options:
    only: str | None
    rows: list[int]
    due: int
    batch: int
    rounds: int
    warmup: int
    profile: bool
    postgres_url: str


def log(message: str, started: float) -> None:
    print(f"  {message} ({time.perf_counter() - started:.1f}s)", flush=True)


def set_up(flow: AdmissionFlow, backend: Backend, due: int) -> tuple[list[int], dict[int, Payload]]:
    started = time.perf_counter()
    ids = enroll(flow, math.ceil(due / 2))
    make_probationary(flow, ids)
    log(f"{len(ids):,} candidates enrolled and put into {STATE} (epoch {EPOCH})", started)
    payloads = render_payloads(flow, ids[0])
    sizes = ", ".join(f"rung {r}: {p.size:,} B, status {p.status}" for r, p in payloads.items())
    print(f"  floor payload (subject + body, UTF-8) — {sizes}")
    started = time.perf_counter()
    backend.load(due_rows(ids, due))
    log(f"{due:,} due rows loaded", started)
    return ids, payloads


def grow(flow: AdmissionFlow, backend: Backend, ids: Sequence[int], have: int, total: int, due: int) -> None:
    """Top the table up with not-due rows to ``total`` rows, then ANALYZE; print both claims' plans."""
    started = time.perf_counter()
    backend.load(future_rows(ids, have - due, total - due))
    backend.analyze()
    log(f"table grown to {total:,} rows ({total - due:,} not due), analysed", started)
    claim = flow.store.statements.timers.claim
    floor = (
        (SQLITE_CLAIM, ("pending", sqlite_instant(NOW), 500))
        if backend.name == "sqlite"
        else (PG_CLAIM, ("pending", NOW, 500))
    )
    for name, (sql, params) in (
        ("admission_flow", (claim.sql, claim.parameters({"now": NOW, "limit": 500}))),
        ("raw floor", floor),
    ):
        print(f"  claim plan, {name}: " + " | ".join(line.strip() for line in backend.plan(sql, params)))


def bench(flow: AdmissionFlow, backend: Backend, opts: Options) -> list[Timing]:
    """Every size, smallest first, on one database (the table only grows); then the profile if asked."""
    ids, payloads = set_up(flow, backend, opts.due)
    paths: list[SweepPath] = [FlowPath(flow), FloorPath(backend, opts.batch, payloads)]
    timings: list[Timing] = []
    have = opts.due
    for total in sorted(opts.rows):
        grow(flow, backend, ids, have, total, opts.due)
        have = total
        found, sizes = compare(backend, paths, total, opts.due, opts.rounds, opts.warmup)
        print(
            "  mean chars of subject + body + context + recipients per message: "
            + ", ".join(f"{k} {v:,}" for k, v in sizes.items())
        )
        timings += found
    if opts.profile and (backend.name == "sqlite" or opts.only == "postgresql"):
        profile_sweep(flow, backend, opts.due)
        part_costs(flow, backend, opts.due, opts.batch)
    return timings


def bench_sqlite(opts: Options, workdir: Path) -> list[Timing]:
    db = workdir / "sweep.db"
    flow = make_flow(sqlite_url(db), opts.batch)
    backend = SqliteBackend(db)
    print(f"\nsqlite {sqlite3.sqlite_version}: {db}")
    try:
        return bench(flow, backend, opts)
    finally:
        backend.close()
        flow.close()


def bench_postgres(opts: Options) -> list[Timing]:
    with postgres_schema(opts.postgres_url, "bench_sweep") as url:
        flow = make_flow(url, opts.batch)
        backend = PostgresBackend(url)
        try:
            row = backend.conn.execute(
                "SELECT current_setting('server_version'), current_setting('synchronous_commit')"
            )
            server, sync = row.fetchone() or ("?", "?")
            backend.conn.rollback()
            print(f"\npostgresql {server} (synchronous_commit={sync}): schema {url.rsplit('%3D', 1)[-1]}")
            return bench(flow, backend, opts)
        finally:
            backend.close()
            flow.close()


def print_table(timings: Sequence[Timing]) -> None:
    header = f"{'database':<11} {'total rows':>10} {'due rows':>8} {'path':<15} {'seconds':>8} {'due rows/s':>10}"
    print(f"\n{header} {'µs/due':>7} {'cpu µs/due':>10} {'spread':>6} {'af ÷ floor':>18}")
    groups: dict[tuple[str, int], dict[str, Timing]] = {}
    for t in timings:
        groups.setdefault((t.database, t.total), {})[t.path] = t
    for paths in groups.values():
        flow, floor = paths["admission_flow"], paths["raw floor"]
        ratio = flow.rate / floor.rate
        verdict = "meets" if ratio >= TARGET_RATIO else "below"
        for t in (flow, floor):
            cell = f"{ratio:.2f} ({verdict} {TARGET_RATIO})" if t is flow else ""
            print(
                f"{t.database:<11} {t.total:>10,} {t.due:>8,} {t.path:<15} {t.per_sweep:8.3f} {t.rate:10,.0f}"
                f" {t.micros:7.1f} {t.cpu_micros:10.1f} {t.spread:6.2f} {cell:>18}"
            )
    print(
        "seconds: fastest of the timed sweeps; cpu: this process only (on PostgreSQL the server's work is not in"
        " it); spread: slowest ÷ fastest sweep"
    )


def print_growth(timings: Sequence[Timing]) -> None:
    """µs per due row at each table size, and largest ÷ smallest: flat means non-due rows cost nothing."""
    series: dict[tuple[str, str], list[Timing]] = {}
    for t in timings:
        series.setdefault((t.database, t.path), []).append(t)
    print("\nµs per due row as the table grows, due rows fixed: wall (this process's cpu)")
    for (database, path), found in series.items():
        found.sort(key=lambda t: t.total)
        steps = "  →  ".join(f"{t.total:,} rows: {t.micros:.1f} ({t.cpu_micros:.1f})" for t in found)
        first, last = found[0], found[-1]
        growth = f"   ×{last.micros / first.micros:.2f} (×{last.cpu_micros / first.cpu_micros:.2f})"
        print(f"  {database:<11} {path:<15} {steps}{growth if len(found) > 1 else ''}")


def row_counts(text: str) -> list[int]:
    try:
        counts = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from None
    if not counts:
        raise argparse.ArgumentTypeError("give at least one row count")
    return counts


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="bench one database only")
    parser.add_argument(
        "--rows", type=row_counts, default=[100_000, 1_000_000], help="total timer rows, comma-separated"
    )
    parser.add_argument("--due", type=int, default=10_000, help="due rows, the same at every size (default 10000)")
    parser.add_argument("--batch", type=int, default=500, help="sweep_batch for both paths (default 500)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="timed sweeps per path and size, order alternating; fastest counts"
    )
    parser.add_argument("--warmup", type=int, default=1, help="untimed sweeps per path and size first (default 1)")
    parser.add_argument("--profile", action="store_true", help="cProfile one admission_flow sweep (SQLite)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("ADMISSION_FLOW_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server and database; a fresh schema is created and dropped (default $ADMISSION_FLOW_TEST_POSTGRES_URL"
        f" or {DEFAULT_POSTGRES_URL})",
    )
    ns = parser.parse_args(argv)
    if ns.due < 2 or ns.batch < 1 or ns.rounds < 1 or ns.warmup < 0:
        parser.error("--due must be ≥ 2, --batch and --rounds ≥ 1, --warmup ≥ 0")
    if min(ns.rows) <= ns.due:
        parser.error("every --rows count must be larger than --due")
    return Options(**vars(ns))


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    print(
        f"python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, psycopg {psycopg.__version__};"
        f" {opts.due:,} due rows in tables of {', '.join(f'{r:,}' for r in sorted(opts.rows))} rows;"
        f" batch {opts.batch}; {opts.warmup} warm-up + {opts.rounds} timed sweep(s) per path and size;"
        f" now = {NOW.isoformat()}"
    )
    timings: list[Timing] = []
    if opts.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="admission-flow-sweep-") as workdir:
            timings += bench_sqlite(opts, Path(workdir))
    if opts.only in (None, "postgresql"):
        timings += bench_postgres(opts)
    print_table(timings)
    print_growth(timings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
