"""Every report through ``AdmissionFlow.report`` next to the one hand-written SQL aggregate it should cost.

Run from the repository root::

    .venv/bin/python bench/reports.py                                  # SQLite, 20,000 candidate instances
    .venv/bin/python bench/reports.py --instances 1000000              # the issue's size (~10 min to load)
    .venv/bin/python bench/reports.py --postgres postgresql://postgres@127.0.0.1:5432/test

The database is filled with the rows the engine writes: one candidate is taken through the real path with
``flow.fire`` (``tests/integration/reports_fixture``'s template); candidates and instances are bulk-loaded
(``sqlite3`` executemany / psycopg ``COPY``) with a plan row each, and ``INSERT … SELECT`` (one per 50,000
instances, the events' plain indexes built after) expands the template's events for every plan, stopped at a
random stage and shifted to a random decision date in 2015-2024,
in 500 cells under one district (each cell with an annual quota and an awareness class a year). The template's
timer rows are expanded the same way (``timer_rows``: pending, done or cancelled as a swept table holds them),
and PostgreSQL is vacuumed after the load as autovacuum would. Each report is then timed (best of ``--rounds``)
against a single SQL statement that computes the same main figure over the same subtree; the ratio should stay
at or under 2×. ``--only sourcing,deadlines`` times some reports only.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import libpq_url, postgres_schema  # noqa: E402
from reports_fixture import TEMPLATE_ID, record_template  # noqa: E402

from admission_flow.flow import AdmissionFlow  # noqa: E402
from admission_flow.settings import Settings  # noqa: E402
from admission_flow.testing import ManualClock  # noqa: E402
from admission_flow.testing.scenario import add_sample_orgs  # noqa: E402

NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
STOPS = ("authorise_dossier", "branch_vote_passed", "decide_admission", "hold_ceremony", None, None, None)
# the subtree as it stood on the period's end (TREE_ON), each organisation with its branch (child of the root)
SUBTREE = (
    "WITH RECURSIVE t(id, branch, depth) AS (SELECT id, id, 0 FROM orgs WHERE id = 'ks' "
    "UNION ALL SELECT p.org_id, CASE WHEN t.depth = 0 THEN p.org_id ELSE t.branch END, t.depth + 1 "
    "FROM org_periods p JOIN t ON p.parent_id = t.id WHERE (p.valid_from IS NULL OR p.valid_from <= 'TREE_ON') "
    "AND (p.valid_until IS NULL OR p.valid_until > 'TREE_ON')) "
)
JOINED = "FROM events e JOIN instances i ON i.id = e.instance_id JOIN candidates c ON c.id = i.candidate_id "
IN_TREE = "c.org_id IN (SELECT id FROM t)"

# report name, facade arguments, the hand-written aggregate (":a"/":b" the period's ends)
CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "attainment",
        {"year": 2020},
        SUBTREE + "SELECT t.branch, count(*) " + JOINED + "JOIN t ON t.id = c.org_id WHERE e.trigger = "
        "'decide_admission' AND e.occurred_on BETWEEN '2020-01-01' AND '2020-12-31' GROUP BY t.branch",
    ),
    (
        "milestones",
        {"year": 2020},
        SUBTREE + "SELECT e.trigger, count(*) " + JOINED + "WHERE e.trigger IN ('decide_admission', 'hold_ceremony', "
        "'decide_recognition', 'decide_strike_off') AND e.occurred_on BETWEEN '2020-01-01' AND '2020-12-31' AND "
        + IN_TREE
        + " GROUP BY e.trigger UNION ALL SELECT 'on time', sum(CASE WHEN e.trigger = 'decide_recognition' AND "
        "e.occurred_on <= DEADLINE THEN 1 ELSE 0 END) "
        + JOINED
        + "LEFT JOIN events h ON h.instance_id = e.instance_id AND h.trigger = 'hold_ceremony' WHERE e.trigger IN "
        "('decide_recognition', 'decide_strike_off') AND e.occurred_on BETWEEN '2020-01-01' AND '2020-12-31' AND "
        + IN_TREE,
    ),
    (
        "composition",
        {"year": 2020},
        SUBTREE
        + "SELECT count(*), sum(CASE WHEN c.sex = 'female' THEN 1 ELSE 0 END) "
        + JOINED
        + "WHERE e.trigger = 'decide_admission' AND e.occurred_on BETWEEN '2020-01-01' AND '2020-12-31' AND "
        + IN_TREE,
    ),
    (
        "pipeline",
        {"year": 2026},
        SUBTREE
        + "SELECT i.state, count(*) FROM instances i JOIN candidates c ON c.id = i.candidate_id WHERE "
        + IN_TREE
        + " GROUP BY i.state",
    ),
    (
        "pipeline (past date)",
        {"year": 2018},
        SUBTREE + "SELECT e.to_state, count(*) FROM events e JOIN (SELECT instance_id, max(seq) AS seq FROM events "
        "WHERE occurred_on <= '2018-12-31' GROUP BY instance_id) l ON l.instance_id = e.instance_id AND l.seq = e.seq "
        "JOIN instances i ON i.id = e.instance_id JOIN candidates c ON c.id = i.candidate_id WHERE "
        + IN_TREE
        + " GROUP BY e.to_state",
    ),
    (
        "durations",
        {"year": 2020},
        SUBTREE + "SELECT state, count(*), avg(DAYS) FROM (SELECT e.to_state AS state, e.occurred_on AS entered, "
        "lead(e.occurred_on) OVER (PARTITION BY e.instance_id ORDER BY e.seq) AS left_on, c.org_id "
        + JOINED
        + "WHERE (e.from_state IS NULL OR e.from_state <> e.to_state) AND e.occurred_on <= '2020-12-31') s "
        "WHERE s.left_on BETWEEN '2020-01-01' AND '2020-12-31' AND "
        "s.org_id IN (SELECT id FROM t) GROUP BY state",
    ),
    (
        "classes",
        {"year": 2020},
        SUBTREE + "SELECT kind, count(*), sum(attendees) FROM classes WHERE starts_on BETWEEN '2020-01-01' AND "
        "'2020-12-31' AND org_id IN (SELECT id FROM t) GROUP BY kind",
    ),
    (
        "sourcing",
        {"year": 2020},
        SUBTREE + "SELECT org_id, sum(admissions), sum(sourcing_plan) FROM targets WHERE kind = 'annual' AND "
        "starts_on <= '2020-12-31' AND ends_on >= '2020-01-01' AND org_id IN (SELECT id FROM t) GROUP BY org_id",
    ),
    (
        "deadlines",
        {"year": 2026},
        SUBTREE + "SELECT tm.state, tm.deadline_id, sum(CASE WHEN tm.due_on < 'TODAY' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN tm.due_on >= 'TODAY' THEN 1 ELSE 0 END), min(tm.due_on) FROM timers tm JOIN instances i ON "
        "i.id = tm.instance_id AND i.state_epoch = tm.state_epoch JOIN candidates c ON c.id = i.candidate_id "
        "WHERE tm.rung = 0 AND tm.status IN ('pending', 'done', 'failed') AND tm.due_on <= 'UNTIL' AND "
        + IN_TREE
        + " GROUP BY tm.state, tm.deadline_id",
    ),
]


def floor_sql(sql: str, dialect: str, period: dict[str, Any]) -> str:
    """Day differences and date arithmetic in the database's own words; the tree's date."""
    days = "julianday(left_on) - julianday(entered)" if dialect == "sqlite" else "(left_on - entered)"
    deadline = (
        "date(h.occurred_on, '+12 months', '+90 days')"
        if dialect == "sqlite"
        else "(h.occurred_on + INTERVAL '12 months 90 days')"
    )
    today = NOW.date()  # the flow's clock (``build_flow``); its ``report_upcoming_days`` is 30
    return (
        sql.replace("DAYS", days)
        .replace("DEADLINE", deadline)
        .replace("TREE_ON", f"{period['year']}-12-31")
        .replace("TODAY", today.isoformat())
        .replace("UNTIL", (today + timedelta(days=30)).isoformat())
    )


def build_flow(url: str) -> AdmissionFlow:
    flow = AdmissionFlow(Settings(database_url=url, workflows_dir=ROOT / "workflows"), clock=ManualClock(NOW))
    flow.upgrade_database()
    add_sample_orgs(flow)
    return flow


def cells(flow: AdmissionFlow, committees: int = 50, per: int = 10) -> list[str]:
    """``committees`` grassroots committees of ``per`` cells each under the district ``ks``."""
    found = []
    for g in range(committees):
        gid = f"ks.g{g:02d}"
        flow.add_org(id=gid, name=f"Đảng ủy xã {g}", kind="grassroots_committee", parent_id="ks")
        for c in range(per):
            flow.add_org(id=f"{gid}.c{c}", name=f"Chi bộ {g}-{c}", kind="cell", parent_id=gid)
            found.append(f"{gid}.c{c}")
    return found


def plans(flow: AdmissionFlow, where: list[str]) -> None:
    """An annual quota with its sourcing plan for every cell and year, and one awareness class per cell and year."""
    from sqlalchemy import insert

    from admission_flow.store.schema import Target, TrainingClass, table

    now = NOW
    years = range(2015, 2025)
    quotas = [
        {
            "org_id": cell,
            "kind": "annual",
            "starts_on": date(y, 1, 1),
            "ends_on": date(y, 12, 31),
            "admissions": 4,
            "sourcing_plan": 6 + i % 8,
            "recorded_at": now,
        }
        for i, cell in enumerate(where)
        for y in years
    ]
    held = [
        {
            "org_id": cell,
            "kind": "awareness",
            "reference": f"L{y}",
            "starts_on": date(y, 3, 1 + i % 28),
            "attendees": 20 + i % 30,
            "recorded_at": now,
        }
        for i, cell in enumerate(where)
        for y in years
    ]
    with flow.store.engine.begin() as connection:
        connection.execute(insert(table(Target)), quotas)
        connection.execute(insert(table(TrainingClass)), held)


EPOCH = date(2000, 1, 1)
FIRST_ID = 10  # the loaded instances' ids start here, after the template's


Made = tuple[list[list[Any]], list[list[Any]], Iterator[tuple[list[Any], ...]]]


def generate(flow: AdmissionFlow, n: int, seed: int = 7) -> Made:
    """The template's events (one row per step, ``k`` its index, ``offset`` its day) and, for ``n`` instances,
    (candidate row, instance row, plan row): the plan is (instance id, first day as days after 2000-01-01, how
    many steps of the template it took), and the template's timer rows (``timer_rows``). The events and timers
    themselves are expanded in SQL (``expand``)."""
    template = record_template(flow)
    where = cells(flow)
    plans(flow, where)
    steps = template.steps
    rows = [
        [
            k,
            s["offset"],
            s["seq"],
            s["trigger"],
            s["from_state"],
            s["to_state"],
            s["actor"],
            s["role"],
            s["org_id"],
            json.dumps(s["payload"]),
            json.dumps(s["documents"]),
            None if s["votes"] is None else json.dumps(s["votes"]),
            s["workflow_id"],
            s["workflow_version"],
            s["workflow_hash"],
        ]
        for k, s in enumerate(steps)
    ]

    def instances() -> Iterator[tuple[list[Any], ...]]:
        rng = random.Random(seed)
        anchor = template.offset_of("decide_admission")
        cut = {s: template.upto(s) if s else len(steps) for s in STOPS}
        # the stay an instance stopped after ``taken`` steps is in: the engine numbers it by the event that
        # entered it (its ``seq``), which the timer rows of that stay carry too
        entered = {
            taken: max((k for k in range(taken) if steps[k]["from_state"] != steps[k]["to_state"]), default=0)
            for taken in cut.values()
        }
        now = NOW.replace(tzinfo=None).isoformat(sep=" ")
        for i in range(n):
            taken = cut[rng.choice(STOPS)]
            first = date(2015, 1, 1) + timedelta(days=rng.randrange(3650)) - timedelta(days=anchor)
            stay = steps[entered[taken]]
            entered_on = first + timedelta(days=stay["offset"])
            cid, iid = f"b{i:07d}", i + FIRST_ID
            sex = "female" if rng.random() < 0.45 else "male"
            candidate = [
                cid,
                where[i % len(where)],
                f"Người {i}",
                "1990-01-01",
                sex,
                "Kinh",
                None,
                "university",
                0,
                "farmer",
                0,
                0,
                None,
                "{}",
                now,
                0,
            ]
            instance = [
                iid,
                cid,
                1,
                *template.workflow.values(),
                steps[taken - 1]["to_state"],
                taken,
                "{}",
                "[]",
                "{}",
                now,
                now,
                stay["seq"],
                entered_on.isoformat(),
                "{}",
            ]
            yield candidate, instance, [iid, (first - EPOCH).days, taken]

    return rows, timer_rows(flow, steps), instances()


def timer_rows(flow: AdmissionFlow, steps: tuple[dict[str, Any], ...]) -> list[list[Any]]:
    """The template's timer rows as the engine wrote them, placed on its steps: ``made`` (the step that entered
    their stay, whose ``seq`` is their ``state_epoch``), ``ended`` (the step that left the stay or did the
    deadline's task; None if none did), and their days and due instant as offsets from the template's first
    day. Shifted to an instance (``EXPAND_TIMERS``), a row of a stay the instance reached is, as a worker that
    sweeps on time leaves it: if the stay ended within the instance's steps, ``done`` when its instant came
    before the end (sent, or acted on) and ``cancelled`` if not; in the stay the instance is still in, ``done``
    once its instant is past ``NOW``, else ``pending``. (The template itself was fired in 2026 for dates of
    2012, so its reminders were skipped as already past; a candidate followed in real time gets them.)"""
    from sqlalchemy import select

    from admission_flow.store.schema import Instance, Timer, table

    timers, instances = table(Timer), table(Instance)
    with flow.store.engine.connect() as connection:
        template_id = connection.execute(
            select(instances.c.id).where(instances.c.candidate_id == TEMPLATE_ID)
        ).scalar_one()
        found = connection.execute(
            select(timers).where(timers.c.instance_id == template_id).order_by(timers.c.id)
        ).all()
    start = template_first_day(flow, template_id)
    k_of = {s["seq"]: k for k, s in enumerate(steps)}
    rows = []
    for r in found:
        made = k_of[r.state_epoch]
        done_by = r.outcome[len("done: ") :] if (r.outcome or "").startswith("done: ") else None
        ended = next(
            (
                k
                for k in range(made + 1, len(steps))
                if (steps[k]["trigger"] == done_by if done_by else steps[k]["from_state"] != steps[k]["to_state"])
            ),
            None,
        )
        fire = datetime.combine(start, datetime.min.time(), UTC)
        rows.append(
            [
                made,
                steps[made]["offset"],
                ended,
                None if ended is None else steps[ended]["offset"],
                r.state,
                r.state_epoch,
                r.deadline_id,
                r.rung,
                r.occurrence,
                r.kind,
                (r.due_on - start).days,
                int((r.fire_at - fire).total_seconds()),
                r.outcome,
            ]
        )
    return rows


def template_first_day(flow: AdmissionFlow, template_id: int) -> date:
    from sqlalchemy import func, select

    from admission_flow.store.schema import Event, table

    events = table(Event)
    with flow.store.engine.connect() as connection:
        found: date = connection.execute(
            select(func.min(events.c.occurred_on)).where(events.c.instance_id == template_id)
        ).scalar_one()
    return found


CANDIDATE_COLUMNS = (
    "id, org_id, full_name, birth_date, sex, ethnicity, religion, education, remote_area, occupation, "
    "youth_union_member, trade_union_member, email, attributes, created_at, manager"
)
INSTANCE_COLUMNS = (
    "id, candidate_id, attempt, workflow_id, workflow_version, workflow_hash, state, version, dates, "
    "flags, documents, started_at, updated_at, state_epoch, state_entered_on, extensions"
)
TEMPLATE_COLUMNS = (
    "k, day, seq, trigger, from_state, to_state, actor, role, org_id, payload, documents, votes, workflow_id, "
    "workflow_version, workflow_hash"
)
EXPAND = (
    "INSERT INTO events (instance_id, seq, trigger, from_state, to_state, actor, role, org_id, occurred_on, "
    "recorded_at, payload, documents, votes, workflow_id, workflow_version, workflow_hash) "
    "SELECT p.instance_id, t.seq, t.trigger, t.from_state, t.to_state, t.actor, t.role, t.org_id, DAY_EXPR, NOW_TEXT, "
    "t.payload, t.documents, t.votes, t.workflow_id, t.workflow_version, t.workflow_hash "
    "FROM bench_plan p JOIN bench_template t ON t.k < p.steps WHERE p.instance_id >= LOW AND p.instance_id < HIGH "
    "ORDER BY p.instance_id, t.seq"
)
TIMER_TEMPLATE_COLUMNS = (
    "made, made_day, ended, ended_day, state, state_epoch, deadline_id, rung, occurrence, kind, due_day, "
    "fire_sec, outcome"
)
# The template's timer rows for every planned instance (``timer_rows`` says how each row's status is chosen).
# DAY(x) and INSTANT(x) are the database's date and instant x days / seconds after 2000-01-01 (UTC); NOW_SEC
# the bench's now in seconds after it.
EXPAND_TIMERS = (
    "INSERT INTO timers (instance_id, state, state_epoch, deadline_id, rung, occurrence, kind, due_on, fire_at, "
    "status, outcome, created_at, processed_at) "
    "SELECT instance_id, state, state_epoch, deadline_id, rung, occurrence, kind, DAY(first_day + due_day), "
    "INSTANT(fire), status, CASE status WHEN 'done' THEN 'swept' WHEN 'pending' THEN NULL ELSE outcome END, "
    "INSTANT((first_day + made_day) * 86400), CASE status WHEN 'pending' THEN NULL WHEN 'done' THEN INSTANT(fire) "
    "ELSE INSTANT((first_day + ended_day) * 86400) END "
    "FROM (SELECT p.instance_id, p.first_day, t.*, p.first_day * 86400 + t.fire_sec AS fire, "
    "CASE WHEN t.ended < p.steps THEN CASE WHEN t.fire_sec < t.ended_day * 86400 THEN 'done' ELSE 'cancelled' END "
    "WHEN p.first_day * 86400 + t.fire_sec <= NOW_SEC THEN 'done' ELSE 'pending' END AS status "
    "FROM bench_plan p JOIN bench_timers t ON t.made < p.steps WHERE p.instance_id >= LOW AND p.instance_id < HIGH "
    "ORDER BY p.instance_id, t.state_epoch, t.deadline_id, t.rung) x"
)
NOW_SEC = int((NOW - datetime(2000, 1, 1, tzinfo=UTC)).total_seconds())
EXPAND_BY = 50000  # instances per INSERT … SELECT: bounded sorts and journal, one commit each


def expand(execute: Callable[[str], Any], commit: Callable[[], Any], instances: int, day: str, now: str) -> None:
    """The template's events for every planned instance, ``EXPAND_BY`` instances per statement."""
    sql = EXPAND.replace("DAY_EXPR", day).replace("NOW_TEXT", now)
    for low in range(FIRST_ID, FIRST_ID + instances, EXPAND_BY):
        execute(sql.replace("LOW", str(low)).replace("HIGH", str(low + EXPAND_BY)))
        commit()


def expand_timers(
    execute: Callable[[str], Any], commit: Callable[[], Any], instances: int, day: str, instant: str
) -> None:
    """The template's timer rows for every planned instance, ``EXPAND_BY`` instances per statement. ``day`` and
    ``instant``: the database's expressions of ``{}`` days / seconds after 2000-01-01 UTC."""
    sql = re.sub(r"DAY\(([^()]*)\)", lambda m: day.format(m.group(1)), EXPAND_TIMERS.replace("NOW_SEC", str(NOW_SEC)))
    sql = re.sub(r"INSTANT\(((?:[^()]|\([^()]*\))*)\)", lambda m: instant.format(m.group(1)), sql)
    for low in range(FIRST_ID, FIRST_ID + instances, EXPAND_BY):
        execute(sql.replace("LOW", str(low)).replace("HIGH", str(low + EXPAND_BY)))
        commit()


SQLITE_DAY = "date('2000-01-01', ({}) || ' days')"
SQLITE_INSTANT = "(datetime('2000-01-01', ({}) || ' seconds') || '.000000')"  # the engine's text of an instant


def load_sqlite(path: Path, made: Made, instances: int, batch: int = 50000) -> tuple[int, int]:
    """Bulk pragmas for the load only (the flow's own connections set theirs again); the events' and timers'
    secondary indexes are dropped for the expansion and built again after it, which sorts once instead of 22 M
    times. Returns how many events and timer rows were written."""
    template, timer_template, rows = made
    connection = sqlite3.connect(path)
    for pragma in ("synchronous = OFF", "cache_size = -200000"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute(f"CREATE TEMP TABLE bench_template ({TEMPLATE_COLUMNS})")
    connection.execute("CREATE TEMP TABLE bench_plan (instance_id INTEGER PRIMARY KEY, first_day, steps)")
    connection.executemany(f"INSERT INTO bench_template VALUES ({', '.join('?' * 15)})", template)
    connection.execute(f"CREATE TEMP TABLE bench_timers ({TIMER_TEMPLATE_COLUMNS})")
    connection.executemany(f"INSERT INTO bench_timers VALUES ({', '.join('?' * 13)})", timer_template)
    chunk: list[tuple[list[Any], ...]] = []

    def flush() -> None:
        connection.executemany(
            f"INSERT INTO candidates ({CANDIDATE_COLUMNS}) VALUES ({', '.join('?' * 16)})", [c for c, _, _ in chunk]
        )
        connection.executemany(
            f"INSERT INTO instances ({INSTANCE_COLUMNS}) VALUES ({', '.join('?' * 16)})", [i for _, i, _ in chunk]
        )
        connection.executemany("INSERT INTO bench_plan VALUES (?, ?, ?)", [p for _, _, p in chunk])
        chunk.clear()

    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            flush()
    if chunk:
        flush()
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('events', 'timers') "
        "AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    connection.commit()
    now = NOW.replace(tzinfo=None).isoformat(sep=" ")
    day = "date('2000-01-01', '+' || (p.first_day + t.day) || ' days')"
    expand(connection.execute, connection.commit, instances, day, f"'{now}'")
    expand_timers(connection.execute, connection.commit, instances, SQLITE_DAY, SQLITE_INSTANT)
    for _, sql in indexes:
        connection.execute(sql)
    connection.commit()
    events_written: int = connection.execute("SELECT count(*) FROM events").fetchone()[0]
    timers_written: int = connection.execute("SELECT count(*) FROM timers").fetchone()[0]
    connection.execute("ANALYZE")
    connection.close()
    return events_written, timers_written


PG_DAY = "(DATE '2000-01-01' + ({}))"
PG_INSTANT = "(TIMESTAMPTZ '2000-01-01 00:00:00+00' + ({}) * INTERVAL '1 second')"


def load_postgres(url: str, made: Made, instances: int) -> tuple[int, int]:
    template, timer_template, rows = made
    with psycopg.connect(libpq_url(url)) as connection:
        connection.execute(
            "CREATE TEMP TABLE bench_template (k int, day int, seq int, trigger text, from_state text, to_state text, "
            "actor text, role text, org_id text, payload jsonb, documents jsonb, votes jsonb, workflow_id text, "
            "workflow_version text, workflow_hash text)"
        )
        connection.execute("CREATE TEMP TABLE bench_plan (instance_id bigint PRIMARY KEY, first_day int, steps int)")
        connection.execute(
            "CREATE TEMP TABLE bench_timers (made int, made_day int, ended int, ended_day int, "
            "state text, state_epoch int, deadline_id text, rung int, occurrence int, kind text, due_day int, "
            "fire_sec bigint, outcome text)"
        )
        with connection.cursor() as cur:
            with cur.copy(f"COPY bench_template ({TEMPLATE_COLUMNS}) FROM STDIN") as copy:
                for value in template:
                    copy.write_row(value)
            with cur.copy(f"COPY bench_timers ({TIMER_TEMPLATE_COLUMNS}) FROM STDIN") as copy:
                for value in timer_template:
                    copy.write_row(value)
            chunk: list[tuple[list[Any], ...]] = []

            def flush() -> None:
                for table, columns, values in (
                    ("candidates", CANDIDATE_COLUMNS, [fix_pg(c, {8, 10, 11, 15}) for c, _, _ in chunk]),
                    ("instances", INSTANCE_COLUMNS, [i for _, i, _ in chunk]),
                    ("bench_plan", "instance_id, first_day, steps", [p for _, _, p in chunk]),
                ):
                    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for value in values:
                            copy.write_row(value)
                chunk.clear()

            for row in rows:
                chunk.append(row)
                if len(chunk) >= 50000:
                    flush()
            if chunk:
                flush()
        # the expansion's rows reference instances just copied: the foreign-key triggers are skipped for it
        # (superuser's session_replication_role), and the events' plain indexes are built once after it
        indexes = connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename IN ('events', 'timers') AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ).fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        connection.execute("SET session_replication_role = replica")
        connection.execute("SET maintenance_work_mem = '256MB'")
        connection.execute("ANALYZE bench_plan")
        day, now = "DATE '2000-01-01' + (p.first_day + t.day)", f"'{NOW.isoformat()}'::timestamptz"
        expand(connection.execute, connection.commit, instances, day, now)
        connection.execute("ANALYZE bench_timers")
        expand_timers(connection.execute, connection.commit, instances, PG_DAY, PG_INSTANT)
        connection.execute("SET session_replication_role = DEFAULT")
        for _, definition in indexes:
            connection.execute(definition)
        connection.commit()
        counts = connection.execute("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM timers)").fetchone()
        connection.commit()
        # what autovacuum does to tables at rest: statistics, and the visibility map index-only scans need
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
    return (int(counts[0]), int(counts[1])) if counts else (0, 0)


def fix_pg(row: list[Any], booleans: set[int]) -> list[Any]:
    return [bool(v) if i in booleans else v for i, v in enumerate(row)]


def best(fn: Callable[[], Any], rounds: int) -> float:
    """The best of ``rounds`` runs; of at least 20 when a run takes under 50 ms (noise on a shared machine)."""
    times: list[float] = []
    while len(times) < rounds or (len(times) < 20 and min(times) < 0.05):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def bench(
    flow: AdmissionFlow, raw: Callable[[str], Any], dialect: str, rounds: int, only: set[str] | None = None
) -> list[tuple[str, float, float]]:
    results = []
    for label, period, sql in CASES:
        name = label.split(" ")[0]
        if only and name not in only:
            continue
        floor = floor_sql(sql, dialect, period)
        raw(floor)  # warm the page cache, the statement caches and the plans once for both
        flow.report(name, "ks", **period)
        ours = best(lambda: flow.report(name, "ks", **period), rounds)  # noqa: B023
        theirs = best(lambda: raw(floor), rounds)  # noqa: B023
        results.append((label, ours, theirs))
    return results


def show(title: str, results: list[tuple[str, float, float]]) -> None:
    print(f"\n{title}")
    print(f"{'report':<22} {'admission_flow':>15} {'one SQL':>10} {'ratio':>7}")
    for label, ours, theirs in results:
        print(f"{label:<22} {ours * 1000:>12.1f} ms {theirs * 1000:>7.1f} ms {ours / theirs:>6.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", help="also bench PostgreSQL at this URL (a schema of its own, dropped after)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--only", help="comma-separated report names to time (default: every report)")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "reports.db"
            flow = build_flow(f"sqlite:///{path}")
            started = time.perf_counter()
            events, timers = load_sqlite(path, generate(flow, args.instances), args.instances)
            took = time.perf_counter() - started
            print(
                f"SQLite: {args.instances:,} instances, {events:,} events, {timers:,} timer rows loaded in {took:.0f} s"
            )

            floor_connection = sqlite3.connect(path)  # one connection, as the flow keeps its pool

            def raw(sql: str) -> Any:
                return floor_connection.execute(sql).fetchall()

            show("SQLite", bench(flow, raw, "sqlite", args.rounds, only))
            floor_connection.close()
            flow.close()
    if args.postgres:
        with postgres_schema(args.postgres, "bench_reports") as url:
            flow = build_flow(url.replace("postgresql://", "postgresql+psycopg://", 1))
            started = time.perf_counter()
            events, timers = load_postgres(url, generate(flow, args.instances), args.instances)
            print(
                f"PostgreSQL: {args.instances:,} instances, {events:,} events, {timers:,} timer rows loaded in "
                f"{time.perf_counter() - started:.0f} s"
            )

            floor_pg = psycopg.connect(url, autocommit=True)  # one connection, as the flow keeps its pool

            def raw_pg(sql: str) -> Any:
                return floor_pg.execute(sql).fetchall()

            show("PostgreSQL", bench(flow, raw_pg, "postgresql", args.rounds, only))
            floor_pg.close()
            flow.close()


if __name__ == "__main__":
    main()
