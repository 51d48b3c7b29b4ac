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
in 500 cells under one district (each cell with an annual quota and an awareness class a year). No timer rows
are written, so ``deadlines`` runs over an empty table. Each report is then timed (best of ``--rounds``) against
a single SQL statement that computes the same main figure over the same subtree; the ratio should stay at or
under 2×.
"""

from __future__ import annotations

import argparse
import json
import random
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
from reports_fixture import record_template  # noqa: E402

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
        SUBTREE + "SELECT tm.deadline_id, count(*) FROM timers tm JOIN instances i ON i.id = tm.instance_id JOIN "
        "candidates c ON c.id = i.candidate_id WHERE tm.kind = 'due' AND tm.status = 'pending' AND "
        + IN_TREE
        + " GROUP BY tm.deadline_id",
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
    return sql.replace("DAYS", days).replace("DEADLINE", deadline).replace("TREE_ON", f"{period['year']}-12-31")


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


def generate(flow: AdmissionFlow, n: int, seed: int = 7) -> tuple[list[list[Any]], Iterator[tuple[list[Any], ...]]]:
    """The template's events (one row per step, ``k`` its index, ``offset`` its day) and, for ``n`` instances,
    (candidate row, instance row, plan row): the plan is (instance id, first day as days after 2000-01-01, how
    many steps of the template it took). The events themselves are expanded in SQL (``expand``)."""
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
        now = NOW.replace(tzinfo=None).isoformat(sep=" ")
        for i in range(n):
            taken = cut[rng.choice(STOPS)]
            first = date(2015, 1, 1) + timedelta(days=rng.randrange(3650)) - timedelta(days=anchor)
            last = first + timedelta(days=steps[taken - 1]["offset"])
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
                1,
                last.isoformat(),
                "{}",
            ]
            yield candidate, instance, [iid, (first - EPOCH).days, taken]

    return rows, instances()


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
EXPAND_BY = 50000  # instances per INSERT … SELECT: bounded sorts and journal, one commit each


def expand(execute: Callable[[str], Any], commit: Callable[[], Any], instances: int, day: str, now: str) -> None:
    """The template's events for every planned instance, ``EXPAND_BY`` instances per statement."""
    sql = EXPAND.replace("DAY_EXPR", day).replace("NOW_TEXT", now)
    for low in range(FIRST_ID, FIRST_ID + instances, EXPAND_BY):
        execute(sql.replace("LOW", str(low)).replace("HIGH", str(low + EXPAND_BY)))
        commit()


def load_sqlite(
    path: Path, made: tuple[list[list[Any]], Iterator[tuple[list[Any], ...]]], instances: int, batch: int = 50000
) -> int:
    """Bulk pragmas for the load only (the flow's own connections set theirs again); the events' secondary
    indexes are dropped for the expansion and built again after it, which sorts once instead of 22 M times."""
    template, rows = made
    connection = sqlite3.connect(path)
    for pragma in ("synchronous = OFF", "cache_size = -200000"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute(f"CREATE TEMP TABLE bench_template ({TEMPLATE_COLUMNS})")
    connection.execute("CREATE TEMP TABLE bench_plan (instance_id INTEGER PRIMARY KEY, first_day, steps)")
    connection.executemany(f"INSERT INTO bench_template VALUES ({', '.join('?' * 15)})", template)
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
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    connection.commit()
    now = NOW.replace(tzinfo=None).isoformat(sep=" ")
    day = "date('2000-01-01', '+' || (p.first_day + t.day) || ' days')"
    expand(connection.execute, connection.commit, instances, day, f"'{now}'")
    for _, sql in indexes:
        connection.execute(sql)
    connection.commit()
    events_written: int = connection.execute("SELECT count(*) FROM events").fetchone()[0]
    connection.execute("ANALYZE")
    connection.close()
    return events_written


def load_postgres(url: str, made: tuple[list[list[Any]], Iterator[tuple[list[Any], ...]]], instances: int) -> int:
    template, rows = made
    with psycopg.connect(libpq_url(url)) as connection:
        connection.execute(
            "CREATE TEMP TABLE bench_template (k int, day int, seq int, trigger text, from_state text, to_state text, "
            "actor text, role text, org_id text, payload jsonb, documents jsonb, votes jsonb, workflow_id text, "
            "workflow_version text, workflow_hash text)"
        )
        connection.execute("CREATE TEMP TABLE bench_plan (instance_id bigint PRIMARY KEY, first_day int, steps int)")
        with connection.cursor() as cur:
            with cur.copy(f"COPY bench_template ({TEMPLATE_COLUMNS}) FROM STDIN") as copy:
                for value in template:
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
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'events' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ).fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        connection.execute("SET session_replication_role = replica")
        connection.execute("SET maintenance_work_mem = '256MB'")
        connection.execute("ANALYZE bench_plan")
        day, now = "DATE '2000-01-01' + (p.first_day + t.day)", f"'{NOW.isoformat()}'::timestamptz"
        expand(connection.execute, connection.commit, instances, day, now)
        connection.execute("SET session_replication_role = DEFAULT")
        for _, definition in indexes:
            connection.execute(definition)
        connection.commit()
        count = connection.execute("SELECT count(*) FROM events").fetchone()
        connection.execute("ANALYZE")
        connection.commit()
    return int(count[0]) if count else 0


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
            events = load_sqlite(path, generate(flow, args.instances), args.instances)
            took = time.perf_counter() - started
            print(f"SQLite: {args.instances:,} instances, {events:,} events loaded in {took:.0f} s")

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
            events = load_postgres(url, generate(flow, args.instances), args.instances)
            print(
                f"PostgreSQL: {args.instances:,} instances, {events:,} events loaded in "
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
